"""Evaluation of one run: its snapshots' metrics in long form (step, metric, value).

Every snapshot gets the mode statistics (and how they evolve: modes ever covered, forgetting
events, collapse); the final snapshot also gets distribution distances, the finite-sample
floors of the KL and JSD, and what is known of the run as a whole: whether it diverged, whether
its mode statistics levelled off, and whether a collapse may be under-training. Distances
compare the generated samples with an equally large reference sample of the training set.
- 2D data: a sample's mode is the nearest mixture component (PacGAN, docs/protocol.md §1); every
  snapshot also gets one cheap distance (sliced Wasserstein), the final one every distance of
  docs/protocol.md §4, MMD² with one kernel width per dataset (recorded as mmd_bandwidth).
- Images: a sample's mode is the digit the evaluator classifier predicts (one per channel for
  stacked data, docs/protocol.md §2); the final snapshot gets the Fréchet distance, KID and
  precision/recall/density/coverage in the classifier's feature space (not Inception's).
`evaluate_runs` evaluates every seed of one (dataset, run name), as the evaluate rule does. Only
image runs need torch (the classifier, imported when they are evaluated): 2D evaluation runs
without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from . import metrics as m
from .data import scale_images
from .defaults import EVALUATION_DEFAULTS
from .metrics import D_SIGN_TRAIN, OVERFITTING_GAP
from .samples import samples_to_images

if TYPE_CHECKING:
    from .classifier import Classifier

COLLAPSED = "collapsed"  # 1 when the run covers fewer than `collapse_coverage` × K modes, else 0
MODES_EVER_COVERED = "modes_ever_covered"
FORGETTING_EVENTS = "forgetting_events"
# Run-level metrics, recorded at the final step only:
DIVERGED = "diverged"  # 1.0 when the run's run.json says status "diverged", else 0.0
LEVELLED_OFF = "levelled_off"  # metrics.levelled_off of its snapshots: 1.0, 0.0 or NaN (undefined)
UNDER_TRAINED = "under_trained"  # 1.0 when collapsed at the final step but not levelled off (see under_trained)
REFERENCE_SEED = 0  # picks the real reference sample: the same for every run of a dataset
MMD_BANDWIDTH_SAMPLE = 2000  # training points whose median pairwise distance is a dataset's MMD kernel width
PLATEAU_WINDOW = EVALUATION_DEFAULTS["plateau_window"]
PLATEAU_TOLERANCE = EVALUATION_DEFAULTS["plateau_tolerance"]
FEATURE_DISTANCES = (
    m.FRECHET_DISTANCE,
    m.KID_MEAN,
    m.KID_STD,
    m.PRECISION,
    m.RECALL,
    m.DENSITY,
    m.COVERAGE,
)  # image distances, in the evaluator classifier's feature space
SHARE_COLUMNS = ("seed", "channel", "digit", "share")  # mode histograms of the final step
SHARE_TYPES = {"seed": np.int64, "channel": np.int64, "digit": np.int64, "share": float}


def reference_sample(points: np.ndarray, *, n: int, seed: int = REFERENCE_SEED) -> np.ndarray:
    """`n` training points drawn without replacement by a seeded generator."""
    rng = np.random.default_rng(seed)
    return points[rng.choice(len(points), size=min(n, len(points)), replace=False)].astype(np.float64)


def mmd_bandwidth(*, training: np.ndarray) -> float:
    """The RBF kernel width of every MMD² on one dataset, from its real data alone.

    The median pairwise Euclidean distance (`metrics.median_bandwidth`) of
    `reference_sample(training, n=2000, seed=REFERENCE_SEED)`: a function of the training set
    only, so every run and every snapshot of a dataset is scored with one kernel, and MMD² values
    compare across runs and grow with a generator's error (the pooled real + fake median of each
    run widens with the error and can rank a far shift as closer than a near one).
    Source: Gretton et al. (2012), §8 (median heuristic), here on the real data only.
    """
    sample = reference_sample(np.asarray(training), n=MMD_BANDWIDTH_SAMPLE, seed=REFERENCE_SEED)
    return m.median_bandwidth(real=sample, max_samples=MMD_BANDWIDTH_SAMPLE)


def final_distances(*, real: np.ndarray, fake: np.ndarray, bandwidth: float) -> dict[str, float]:
    """Every distribution distance of docs/protocol.md §4 between `fake` and `real`, MMD² with
    the kernel width `bandwidth` (`mmd_bandwidth` of the dataset); NaN for all of them when some
    generated sample is not finite (a diverged generator has no distribution to compare)."""
    names = (m.WASSERSTEIN_1, m.SLICED_WASSERSTEIN, m.MMD, m.ENERGY_DISTANCE, *FEATURE_DISTANCES)
    names += (m.NDB, m.NDB_OVER_K, m.NDB_JS)
    if not np.isfinite(fake).all():
        return dict.fromkeys(names, float("nan"))
    values = {
        m.WASSERSTEIN_1: m.wasserstein(real=real, fake=fake, p=1, max_samples=1000, seed=0),
        m.SLICED_WASSERSTEIN: m.sliced_wasserstein(real=real, fake=fake, seed=0),
        m.MMD: m.mmd(real=real, fake=fake, bandwidth=bandwidth),
        m.ENERGY_DISTANCE: m.energy_distance(real=real, fake=fake, seed=0),
        m.FRECHET_DISTANCE: m.frechet_distance(real=real, fake=fake),
        **m.kid(real=real, fake=fake, subset_size=min(1000, len(fake) // 2), seed=0),
        **m.prdc(real=real, fake=fake, k=5),
        **m.ndb(real=real, fake=fake, bins=min(100, len(real) // 10), seed=0),
    }
    return {name: float(values[name]) for name in names}


def evaluate_run(**options: Any) -> pd.DataFrame:
    """Metrics of every snapshot of one run (see the module docstring and `run_evaluation`)."""
    return run_evaluation(**options)[0]


def run_evaluation(
    *,
    samples: pd.DataFrame,
    dataset: dict[str, np.ndarray],
    threshold: float,
    collapse_coverage: float,
    nearest: str = "std",
    inclusive: bool = False,
    floors: dict[str, float] | None = None,
    diverged: bool = False,
    plateau_window: float = PLATEAU_WINDOW,
    plateau_tolerance: float = PLATEAU_TOLERANCE,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Metrics of every snapshot of one run (see the module docstring), and each snapshot's
    high-quality samples per mode (`mode_counts_table`: which modes it covers, snapshot by snapshot).

    A run counts as collapsed at a snapshot when it covers fewer than `collapse_coverage` of the
    K modes (the mean of that indicator across seeds is the collapse rate); `threshold`, `nearest`
    and `inclusive` are `metrics.mode_stats`'s rule of high quality. `floors`, when given,
    are added at the final step (they depend only on the dataset and the sample size). The final
    step also gets the run-level metrics of `run_values` (`diverged` is the run's status in
    run.json; `plateau_window` and `plateau_tolerance` define levelling off) and mmd_bandwidth,
    the MMD² kernel width `mmd_bandwidth(training=dataset["points"])`: MMD² depends on the
    dataset and the generated samples only.
    """
    centers, std = dataset["centers"], dataset["std"]
    steps = sorted(samples["step"].unique())
    real = reference_sample(dataset["points"], n=int((samples["step"] == steps[-1]).sum()))
    bandwidth = mmd_bandwidth(training=dataset["points"])
    per_step, counts = [], []
    for step in steps:
        fake = samples.loc[samples["step"] == step, ["x", "y"]].to_numpy(dtype=np.float64)
        stats = m.mode_stats(
            centers=centers, std=std, fake=fake, threshold=threshold, nearest=nearest, inclusive=inclusive
        )
        counts.append(stats[m.COUNTS])
        values = _mode_values(stats, counts, n_modes=len(centers), collapse_coverage=collapse_coverage)
        if step == steps[-1]:
            values |= final_distances(real=real, fake=fake, bandwidth=bandwidth) | (floors or {})
            values[m.MMD_BANDWIDTH] = bandwidth
        elif np.isfinite(fake).all():
            values[m.SLICED_WASSERSTEIN] = m.sliced_wasserstein(real=real, fake=fake, seed=0)
        per_step.append(values)
    per_step[-1] |= run_values(
        steps=steps,
        per_step=per_step,
        n_modes=len(centers),
        diverged=diverged,
        plateau_window=plateau_window,
        plateau_tolerance=plateau_tolerance,
    )
    return _long(steps=steps, per_step=per_step), mode_counts_table(steps=steps, counts=counts)


MODE_COUNT_COLUMNS = ("seed", "step", "mode", "count")  # high-quality samples per mode at every snapshot
MAX_COUNTED_MODES = 100  # datasets with more modes (stacked digits: 1000) keep no per-mode counts


def mode_counts_table(*, steps: Sequence[int], counts: Sequence[np.ndarray]) -> pd.DataFrame:
    """Each snapshot's high-quality samples per mode in long form (step, mode, count); empty for a
    dataset of more than MAX_COUNTED_MODES modes. A mode is covered at a snapshot when its count is
    positive: the raster of mode hopping (plots.mode_raster)."""
    if not counts or len(counts[0]) > MAX_COUNTED_MODES:
        return pd.DataFrame({"step": [], "mode": [], "count": []}).astype(np.int64)
    return pd.DataFrame(
        {
            "step": np.repeat(np.asarray(steps, dtype=np.int64), len(counts[0])),
            "mode": np.tile(np.arange(len(counts[0]), dtype=np.int64), len(steps)),
            "count": np.concatenate(counts).astype(np.int64),
        }
    )


def overfitting_values(probes: pd.DataFrame, *, step: int) -> pd.DataFrame:
    """OVERFITTING_GAP and D_SIGN_TRAIN of a run's last probed snapshot, in long form (step,
    metric, value) at `step`, the run's final step (a diverged run's last samples come at its
    divergence, after its last probe); NaN for a run without probes."""
    if probes.empty:  # not probed (a joint D): NaN, still counted in the run's final step
        probes = pd.DataFrame({"step": [step], "d_train": [np.nan], "d_heldout": [np.nan], "r_t": [np.nan]})
    last = probes.loc[probes["step"].idxmax()]
    return _long(
        steps=[int(step)],
        per_step=[{OVERFITTING_GAP: last["d_train"] - last["d_heldout"], D_SIGN_TRAIN: last["r_t"]}],
    )


def under_trained(*, collapsed: float, levelled_off: float, diverged: bool) -> float:
    """1.0 when a run collapsed at its final step but had not levelled off, so that more training
    could still change it ("under-trained rather than collapsed"); 0.0 when it did not collapse
    or collapsed on a plateau; NaN when levelling off is undefined (NaN) or the run diverged (it
    cannot train on, and `diverged` counts it).
    Source: this project (the plateau criterion of metrics.levelled_off).
    """
    if diverged or np.isnan(levelled_off):
        return float("nan")
    return float(collapsed == 1.0 and levelled_off == 0.0)


def run_values(
    *,
    steps: list[int],
    per_step: list[dict[str, float]],
    n_modes: int,
    diverged: bool,
    plateau_window: float,
    plateau_tolerance: float,
) -> dict[str, float]:
    """The run-level metrics recorded at a run's final step, from its snapshots' mode statistics
    (`per_step[i]` holds step `steps[i]`'s values, in training order):
    diverged = 1.0 if the run diverged, else 0.0;
    levelled_off = `metrics.levelled_off` of the covered share (modes_covered / `n_modes`) and the
    high-quality fraction over the last `plateau_window` of training, within `plateau_tolerance`;
    under_trained = `under_trained` of the final step's collapsed indicator and levelled_off.
    """
    levelled = m.levelled_off(
        steps=steps,
        modes_share=[values[m.MODES_COVERED] / n_modes for values in per_step],
        high_quality_fraction=[values[m.HIGH_QUALITY_FRACTION] for values in per_step],
        window=plateau_window,
        tolerance=plateau_tolerance,
    )
    return {
        DIVERGED: float(bool(diverged)),
        LEVELLED_OFF: levelled,
        UNDER_TRAINED: under_trained(collapsed=per_step[-1][COLLAPSED], levelled_off=levelled, diverged=diverged),
    }


def _long(*, steps: list[int], per_step: list[dict[str, float]]) -> pd.DataFrame:
    """The long table (step, metric, value) of each step's values."""
    rows = [
        {"step": int(step), "metric": name, "value": float(value)}
        for step, values in zip(steps, per_step)
        for name, value in values.items()
    ]
    return pd.DataFrame(rows, columns=["step", "metric", "value"])


def _mode_values(stats: dict, counts: list[np.ndarray], *, n_modes: int, collapse_coverage: float) -> dict[str, float]:
    """A snapshot's mode statistics and how coverage evolved up to it (`counts` ends with it)."""
    values = {name: stats[name] for name in (*m.MODE_METRICS, m.JSD, m.NO_HIGH_QUALITY)}
    values[COLLAPSED] = float(stats[m.MODES_COVERED] < collapse_coverage * n_modes)
    values[MODES_EVER_COVERED] = m.modes_ever_covered(counts_per_snapshot=counts)[-1]
    values[FORGETTING_EVENTS] = m.forgetting_events(counts_per_snapshot=counts)[-1]
    return values


def feature_distances(*, real: np.ndarray, fake: np.ndarray) -> dict[str, float]:
    """FEATURE_DISTANCES between classifier features of real and generated images; NaN for all
    when some generated sample has no features (a non-finite image)."""
    if not np.isfinite(fake).all():
        return dict.fromkeys(FEATURE_DISTANCES, float("nan"))
    values = {
        m.FRECHET_DISTANCE: m.frechet_distance(real=real, fake=fake),
        **m.kid(real=real, fake=fake, subset_size=min(1000, len(real) // 2, len(fake) // 2), seed=0),
        **m.prdc(real=real, fake=fake, k=5),
    }
    return {name: float(values[name]) for name in FEATURE_DISTANCES}


def digit_shares(classes: np.ndarray) -> pd.DataFrame:
    """Share of the classified samples (class ≥ 0 in every channel) whose channel c is digit d:
    channel, digit, share; the mode histograms of the report."""
    valid = classes[(classes >= 0).all(axis=1)]
    rows = []
    for channel in range(classes.shape[1]):
        counts = np.bincount(valid[:, channel], minlength=10)
        shares = counts / len(valid) if len(valid) else np.full(10, np.nan)
        rows.extend({"channel": channel, "digit": digit, "share": float(shares[digit])} for digit in range(10))
    return pd.DataFrame(rows, columns=["channel", "digit", "share"])


def evaluate_image_run(**options: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Metrics of every snapshot of one image run and the digit shares of its final snapshot
    (`image_run_evaluation`)."""
    return image_run_evaluation(**options)[:2]


def image_run_evaluation(
    *,
    images_per_step: dict[int, np.ndarray],
    real_features: np.ndarray,
    classifier: Classifier,
    reference: np.ndarray,
    confidence: float,
    collapse_coverage: float,
    floors: dict[str, float] | None = None,
    diverged: bool = False,
    plateau_window: float = PLATEAU_WINDOW,
    plateau_tolerance: float = PLATEAU_TOLERANCE,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Metrics of every snapshot of one image run, the digit shares of its final snapshot, and each
    snapshot's high-quality samples per mode (`mode_counts_table`; empty beyond MAX_COUNTED_MODES).

    `images_per_step` maps each snapshot's step to its generated images (n, C, H, W) in [-1, 1];
    `real_features` are the classifier's features of a reference sample of training images (for
    the feature distances; `classify(...)[FEATURES]`); `reference` is the real distribution over
    the 10^C modes for the KL and JSD; an image is high quality when the classifier's confidence
    is ≥ `confidence` in every channel. The final step also gets the run-level metrics of
    `run_values` (`diverged`, `plateau_window`, `plateau_tolerance` as in `evaluate_run`).
    """
    from .classifier import CLASSES, CONFIDENCE, FEATURES, classify  # torch: only image runs need it

    steps = sorted(images_per_step)
    per_step, counts = [], []
    for step in steps:
        predicted = classify(model=classifier, images=images_per_step[step])
        stats = m.class_mode_stats(
            classes=predicted[CLASSES], confidence=predicted[CONFIDENCE], reference=reference, threshold=confidence
        )
        counts.append(stats[m.COUNTS])
        values = _mode_values(stats, counts, n_modes=len(reference), collapse_coverage=collapse_coverage)
        if step == steps[-1]:
            values |= feature_distances(real=real_features, fake=predicted[FEATURES]) | (floors or {})
            shares = digit_shares(predicted[CLASSES])
        per_step.append(values)
    per_step[-1] |= run_values(
        steps=steps,
        per_step=per_step,
        n_modes=len(reference),
        diverged=diverged,
        plateau_window=plateau_window,
        plateau_tolerance=plateau_tolerance,
    )
    return _long(steps=steps, per_step=per_step), shares, mode_counts_table(steps=steps, counts=counts)


def evaluate_runs(
    *,
    dataset: Mapping[str, np.ndarray],
    runs: Sequence[Mapping[str, Any]],
    samples: Iterable[pd.DataFrame],
    threshold: float,
    confidence: float,
    collapse_coverage: float,
    nearest: str = "std",
    inclusive: bool = False,
    plateau_window: float = PLATEAU_WINDOW,
    plateau_tolerance: float = PLATEAU_TOLERANCE,
    classifier: Classifier | None = None,
    probes: Sequence[pd.DataFrame] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Every seed of one (dataset, run name): the metrics of each snapshot in long form
    (stats.LONG_COLUMNS), the digit shares of each seed's final samples (SHARE_COLUMNS; empty
    for 2D data) and each seed's high-quality samples per mode at every snapshot
    (MODE_COUNT_COLUMNS; empty beyond MAX_COUNTED_MODES modes). `probes`, when given, are the
    seeds' probe tables (probes.PROBE_COLUMNS) in `runs`' order: their final snapshot gives
    OVERFITTING_GAP and D_SIGN_TRAIN at the final step (`overfitting_values`).

    `runs` are the seeds' run records (records.run_record: dataset, variant, seed and status are
    read) and `samples` their samples tables, in the same order (an iterator reads one at a time);
    `dataset` is the loaded dataset file, `classifier` its family's evaluator classifier, which
    image datasets need. The finite-sample floors and the real reference features depend only on
    the dataset and a run's final sample size, so runs of one size share them. `threshold` is 2D
    data's high-quality distance (in standard deviations) with its rules `nearest` and `inclusive`
    (`metrics.mode_stats`), `confidence` the classifier's; the other settings are `evaluate_run`'s.
    """
    from .stats import LONG_COLUMNS  # here: stats imports this module

    image_shape = tuple(dataset["image_shape"]) if "image_shape" in dataset else None
    if image_shape is not None and classifier is None:
        raise ValueError("image runs are evaluated with their family's classifier: pass classifier")
    floors: dict[int, dict[str, float]] = {}
    real_features: dict[int, np.ndarray] = {}
    tables, share_tables, count_tables = [], [], []
    for run, run_samples in zip(runs, samples, strict=True):
        n = int((run_samples["step"] == run_samples["step"].max()).sum())
        if n not in floors:  # the perfect generator's KL and JSD at this sample size
            floors[n] = (
                m.class_mode_stats_floor(reference=dataset["mode_weights"], n=n)
                if image_shape
                else m.mode_stats_floor(
                    centers=dataset["centers"],
                    std=dataset["std"],
                    n=n,
                    threshold=threshold,
                    nearest=nearest,
                    inclusive=inclusive,
                )
            )
        run_level = {  # the run-level metrics of the final step
            "diverged": run["status"] == "diverged",
            "plateau_window": plateau_window,
            "plateau_tolerance": plateau_tolerance,
        }
        if image_shape is None:
            metrics, counts = run_evaluation(
                samples=run_samples,
                dataset=dataset,
                threshold=threshold,
                collapse_coverage=collapse_coverage,
                nearest=nearest,
                inclusive=inclusive,
                floors=floors[n],
                **run_level,
            )
        else:
            if n not in real_features:  # the same reference sample of training images for every run
                real_features[n] = real_image_features(dataset["images"], n=n, classifier=classifier)
            images = {step: samples_to_images(frame, image_shape) for step, frame in run_samples.groupby("step")}
            metrics, shares, counts = image_run_evaluation(
                images_per_step=images,
                real_features=real_features[n],
                classifier=classifier,
                reference=dataset["mode_weights"],
                confidence=confidence,
                collapse_coverage=collapse_coverage,
                floors=floors[n],
                **run_level,
            )
            share_tables.append(shares.assign(seed=run["seed"]))
        if probes is not None:
            gap = overfitting_values(probes[len(tables)], step=int(metrics["step"].max()))
            metrics = pd.concat([metrics, gap], ignore_index=True)
        tables.append(metrics.assign(dataset=run["dataset"], variant=run["variant"], seed=run["seed"]))
        count_tables.append(counts.assign(seed=np.int64(run["seed"])))
    shares = pd.concat(share_tables, ignore_index=True) if share_tables else pd.DataFrame(columns=SHARE_COLUMNS)
    counts = pd.concat(count_tables, ignore_index=True)[list(MODE_COUNT_COLUMNS)].astype(np.int64)
    metrics = pd.concat(tables, ignore_index=True)[list(LONG_COLUMNS)]
    return metrics, shares[list(SHARE_COLUMNS)].astype(SHARE_TYPES), counts


def real_image_features(images: np.ndarray, *, n: int, classifier: Classifier) -> np.ndarray:
    """The classifier's features of `reference_sample(images, n=n)`, training images as stored
    (data.scale_images maps them to the generator's [-1, 1])."""
    from .classifier import FEATURES, classify  # torch: only image runs need it

    return classify(model=classifier, images=scale_images(reference_sample(images, n=n)))[FEATURES]
