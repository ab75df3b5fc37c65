"""Figures of the report (seaborn on matplotlib's Agg backend)."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from .io import atomic_path  # noqa: E402
from .metrics import MODES_COVERED  # noqa: E402


def _save(fig: plt.Figure, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=os.path.splitext(path)[1].lstrip(".") or "pdf", bbox_inches="tight")
    plt.close(fig)


def samples_figure(
    *,
    samples: dict[tuple[str, str], pd.DataFrame],
    centers: dict[str, np.ndarray],
    seed: int,
    path: str | os.PathLike,
) -> None:
    """A panel per (dataset, variant): the run's last snapshot as dots, the real modes as crosses."""
    datasets = list(dict.fromkeys(d for d, _ in samples))
    variants = list(dict.fromkeys(v for _, v in samples))
    sns.set_theme(style="white", context="paper")
    fig, axes = plt.subplots(
        len(datasets), len(variants), figsize=(2.1 * len(variants), 2.1 * len(datasets)), squeeze=False
    )
    for row, dataset in enumerate(datasets):
        modes = centers[dataset]
        span = np.abs(modes).max() * 1.5
        for col, variant in enumerate(variants):
            ax = axes[row, col]
            frame = samples[(dataset, variant)]
            last = frame[frame["step"] == frame["step"].max()]
            last = last[np.isfinite(last[["x", "y"]]).all(axis=1)]
            sns.scatterplot(data=last, x="x", y="y", s=3, alpha=0.35, linewidth=0, color="C0", ax=ax)
            ax.scatter(modes[:, 0], modes[:, 1], marker="x", s=18, color="C3", linewidths=1)
            ax.set(xlim=(-span, span), ylim=(-span, span), xticks=[], yticks=[], xlabel="", ylabel="", aspect="equal")
            if row == 0:
                ax.set_title(variant)
            if col == 0:
                ax.set_ylabel(dataset)
    fig.suptitle(f"Final samples (seed {seed}); crosses: real modes", y=1.0)
    fig.tight_layout()
    _save(fig, path)


def coverage_figure(*, metrics: pd.DataFrame, path: str | os.PathLike) -> None:
    """Modes covered against training step: mean across seeds with a 95% interval, per dataset."""
    sns.set_theme(style="whitegrid", context="paper")
    data = metrics[metrics["metric"] == MODES_COVERED]
    grid = sns.relplot(
        data=data, x="step", y="value", hue="variant", col="dataset", kind="line",
        errorbar=("ci", 95), seed=0, facet_kws={"sharey": False}, height=2.6, aspect=1.3,
    )
    grid.set_axis_labels("generator step", "modes covered")
    _save(grid.figure, path)
