"""Evaluation of one run: its snapshots' metrics in long form (step, metric, value).

Every snapshot gets the mode statistics (and how they evolve: modes ever covered, forgetting
events, collapse) plus one cheap distance (sliced Wasserstein); the final snapshot also gets
every distribution distance and the finite-sample floors of the KL and JSD. Distances compare
the generated samples with an equally large reference sample of the training set.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import metrics as m

COLLAPSED = "collapsed"  # 1 when the run covers fewer than `collapse_coverage` × K modes, else 0
MODES_EVER_COVERED = "modes_ever_covered"
FORGETTING_EVENTS = "forgetting_events"
NDB_JS = "ndb_js"  # the long table's name for ndb()'s "js": the JS divergence of NDB's bins
REFERENCE_SEED = 0  # picks the real reference sample: the same for every run of a dataset


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
        values = {name: stats[name] for name in (*m.MODE_METRICS, m.JSD)}
        values[COLLAPSED] = float(stats[m.MODES_COVERED] < collapse_coverage * len(centers))
        values[MODES_EVER_COVERED] = m.modes_ever_covered(counts_per_snapshot=counts)[-1]
        values[FORGETTING_EVENTS] = m.forgetting_events(counts_per_snapshot=counts)[-1]
        if step == steps[-1]:
            values |= final_distances(real=real, fake=fake) | (floors or {})
        elif np.isfinite(fake).all():
            values[m.SLICED_WASSERSTEIN] = m.sliced_wasserstein(real=real, fake=fake, seed=0)
        rows.extend({"step": int(step), "metric": name, "value": float(value)} for name, value in values.items())
    return pd.DataFrame(rows, columns=["step", "metric", "value"])
