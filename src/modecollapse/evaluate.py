"""Evaluation of one run: its snapshots' metrics in long form (step, metric, value)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .metrics import MODE_METRICS, mode_stats


def evaluate_run(*, samples: pd.DataFrame, dataset: dict[str, np.ndarray], threshold: float) -> pd.DataFrame:
    rows = []
    for step, snapshot in samples.groupby("step", sort=True):
        stats = mode_stats(
            centers=dataset["centers"], std=dataset["std"], fake=snapshot[["x", "y"]].to_numpy(), threshold=threshold
        )
        rows.extend({"step": int(step), "metric": name, "value": float(stats[name])} for name in MODE_METRICS)
    return pd.DataFrame(rows, columns=["step", "metric", "value"])
