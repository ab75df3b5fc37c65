"""Evaluation of one run: its snapshots' metrics in long form (step, metric, value).

Every snapshot gets the mode statistics (and how they evolve: modes ever covered, forgetting
events, collapse); the final snapshot also gets distribution distances and the finite-sample
floors of the KL and JSD. Distances compare the generated samples with an equally large
reference sample of the training set.
- 2D data: a sample's mode is the nearest mixture component (PacGAN); every snapshot also gets
  one cheap distance (sliced Wasserstein), the final one every distance of PROTOCOL.md §4.
- Images: a sample's mode is the digit the evaluator classifier predicts (one per channel for
  stacked data, PROTOCOL.md §2); the final snapshot gets the Fréchet distance, KID and
  precision/recall/density/coverage in the classifier's feature space (not Inception's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import metrics as m

if TYPE_CHECKING:
    from .classifier import Classifier

COLLAPSED = "collapsed"  # 1 when the run covers fewer than `collapse_coverage` × K modes, else 0
MODES_EVER_COVERED = "modes_ever_covered"
FORGETTING_EVENTS = "forgetting_events"
NDB_JS = "ndb_js"  # the long table's name for ndb()'s "js": the JS divergence of NDB's bins
REFERENCE_SEED = 0  # picks the real reference sample: the same for every run of a dataset
FEATURE_DISTANCES = (
    m.FRECHET_DISTANCE, m.KID_MEAN, m.KID_STD, m.PRECISION, m.RECALL, m.DENSITY, m.COVERAGE,
)  # image distances, in the evaluator classifier's feature space
SHARE_COLUMNS = ("seed", "channel", "digit", "share")  # mode histograms of the final step


def reference_sample(points: np.ndarray, *, n: int, seed: int = REFERENCE_SEED) -> np.ndarray:
    """`n` training points drawn without replacement by a seeded generator."""
    rng = np.random.default_rng(seed)
    return points[rng.choice(len(points), size=min(n, len(points)), replace=False)].astype(np.float64)


def final_distances(*, real: np.ndarray, fake: np.ndarray) -> dict[str, float]:
    """Every distribution distance of PROTOCOL.md §4 between `fake` and `real`; NaN for all of them
    when some generated sample is not finite (a diverged generator has no distribution to compare)."""
    names = (
        m.WASSERSTEIN_1, m.SLICED_WASSERSTEIN, m.MMD, m.ENERGY_DISTANCE, m.FRECHET_DISTANCE, m.KID_MEAN, m.KID_STD,
        m.PRECISION, m.RECALL, m.DENSITY, m.COVERAGE, m.NDB, m.NDB_OVER_K, NDB_JS,
    )
    if not np.isfinite(fake).all():
        return dict.fromkeys(names, float("nan"))
    values = {
        m.WASSERSTEIN_1: m.wasserstein(real=real, fake=fake, p=1, max_samples=1000, seed=0),
        m.SLICED_WASSERSTEIN: m.sliced_wasserstein(real=real, fake=fake, seed=0),
        m.MMD: m.mmd(real=real, fake=fake),
        m.ENERGY_DISTANCE: m.energy_distance(real=real, fake=fake, seed=0),
        m.FRECHET_DISTANCE: m.frechet_distance(real=real, fake=fake),
        **m.kid(real=real, fake=fake, subset_size=min(1000, len(fake) // 2), seed=0),
        **m.prdc(real=real, fake=fake, k=5),
        **m.ndb(real=real, fake=fake, bins=min(100, len(real) // 10), seed=0),
    }
    values[NDB_JS] = values.pop(m.NDB_JS)
    return {name: float(values[name]) for name in names}


def evaluate_run(
    *, samples: pd.DataFrame, dataset: dict[str, np.ndarray], threshold: float, collapse_coverage: float,
    floors: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Metrics of every snapshot of one run (see the module docstring).

    A run counts as collapsed at a snapshot when it covers fewer than `collapse_coverage` of the
    K modes (the mean of that indicator across seeds is the collapse rate). `floors`, when given,
    are added at the final step (they depend only on the dataset and the sample size).
    """
    centers, std = dataset["centers"], dataset["std"]
    steps = sorted(samples["step"].unique())
    real = reference_sample(dataset["points"], n=int((samples["step"] == steps[-1]).sum()))
    rows, counts = [], []
    for step in steps:
        fake = samples.loc[samples["step"] == step, ["x", "y"]].to_numpy(dtype=np.float64)
        stats = m.mode_stats(centers=centers, std=std, fake=fake, threshold=threshold)
        counts.append(stats[m.COUNTS])
        values = _mode_values(stats, counts, n_modes=len(centers), collapse_coverage=collapse_coverage)
        if step == steps[-1]:
            values |= final_distances(real=real, fake=fake) | (floors or {})
        elif np.isfinite(fake).all():
            values[m.SLICED_WASSERSTEIN] = m.sliced_wasserstein(real=real, fake=fake, seed=0)
        rows.extend({"step": int(step), "metric": name, "value": float(value)} for name, value in values.items())
    return pd.DataFrame(rows, columns=["step", "metric", "value"])


def _mode_values(stats: dict, counts: list[np.ndarray], *, n_modes: int, collapse_coverage: float) -> dict[str, float]:
    """A snapshot's mode statistics and how coverage evolved up to it (`counts` ends with it)."""
    values = {name: stats[name] for name in (*m.MODE_METRICS, m.JSD)}
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


def evaluate_image_run(
    *, images_per_step: dict[int, np.ndarray], real_features: np.ndarray, classifier: Classifier,
    reference: np.ndarray, confidence: float, collapse_coverage: float, floors: dict[str, float] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Metrics of every snapshot of one image run, and the digit shares of its final snapshot.

    `images_per_step` maps each snapshot's step to its generated images (n, C, H, W) in [-1, 1];
    `real_features` are the classifier's features of a reference sample of training images (for
    the feature distances; `classify(...)[FEATURES]`); `reference` is the real distribution over
    the 10^C modes for the KL and JSD; an image is high quality when the classifier's confidence
    is ≥ `confidence` in every channel.
    """
    from .classifier import CLASSES, CONFIDENCE, FEATURES, classify  # torch: only image runs need it

    steps = sorted(images_per_step)
    rows, counts = [], []
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
        rows.extend({"step": int(step), "metric": name, "value": float(value)} for name, value in values.items())
    return pd.DataFrame(rows, columns=["step", "metric", "value"]), shares
