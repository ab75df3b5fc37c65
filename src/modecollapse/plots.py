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
    samples: dict[str, pd.DataFrame],
    centers: np.ndarray,
    dataset: str,
    seed: int,
    path: str | os.PathLike,
    columns: int = 6,
) -> None:
    """A panel per variant: the run's last snapshot as dots over the real modes (crosses)."""
    sns.set_theme(style="white", context="paper")
    rows = -(-len(samples) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(1.6 * columns, 1.75 * rows), squeeze=False)
    span = np.abs(centers).max() * 1.5
    for ax in axes.flat[len(samples):]:
        ax.axis("off")
    for ax, (variant, frame) in zip(axes.flat, samples.items()):
        last = frame[frame["step"] == frame["step"].max()]
        last = last[np.isfinite(last[["x", "y"]]).all(axis=1)]
        sns.scatterplot(data=last, x="x", y="y", s=2, alpha=0.35, linewidth=0, color="C0", ax=ax)
        ax.scatter(centers[:, 0], centers[:, 1], marker="x", s=10, color="C3", linewidths=0.8)
        ax.set(xlim=(-span, span), ylim=(-span, span), xticks=[], yticks=[], xlabel="", ylabel="", aspect="equal")
        ax.set_title(variant, fontsize=7)
    fig.suptitle(f"{dataset}: final samples (seed {seed}); crosses: real modes", y=1.0, fontsize=9)
    fig.tight_layout()
    _save(fig, path)


def coverage_figure(*, metrics: pd.DataFrame, n_modes: dict[str, int], variants: list[str], path: str | os.PathLike) -> None:
    """Share of modes covered against training step, a panel per variant, a line per dataset:
    mean across seeds with a 95% bootstrap interval (seeded)."""
    sns.set_theme(style="whitegrid", context="paper")
    data = metrics[(metrics["metric"] == MODES_COVERED) & metrics["variant"].isin(variants)].copy()
    data["share of modes covered"] = data["value"] / data["dataset"].map(n_modes)
    grid = sns.relplot(
        data=data, x="step", y="share of modes covered", hue="dataset", col="variant", col_order=variants,
        col_wrap=6, kind="line", errorbar=("ci", 95), seed=0, height=1.5, aspect=1.2,
    )
    grid.set_titles("{col_name}", size=7)
    grid.set(ylim=(0, 1.05))
    _save(grid.figure, path)


def sweeps_figure(
    *, final: pd.DataFrame, points: list[dict], n_modes: dict[str, int], path: str | os.PathLike
) -> None:
    """Share of modes covered at the final step against each swept setting (mean and 95% CI
    across seeds), a panel per (variant, setting); the unswept variant is its own point."""
    sns.set_theme(style="whitegrid", context="paper")
    rows = []
    for point in points:
        mine = final[(final["variant"] == point["run"]) & (final["metric"] == MODES_COVERED)]
        rows.append(mine.assign(sweep=f"{point['variant']}: {point['key']}", setting=str(point["value"]), order=point["order"]))
    data = pd.concat(rows, ignore_index=True).sort_values("order")
    data["share of modes covered"] = data["value"] / data["dataset"].map(n_modes)
    grid = sns.catplot(
        data=data, x="setting", y="share of modes covered", hue="dataset", col="sweep", kind="point",
        errorbar=("ci", 95), seed=0, height=2.0, aspect=1.1, sharex=False, dodge=0.2, col_wrap=min(4, data["sweep"].nunique()),
    )
    grid.set_titles("{col_name}")
    grid.set(ylim=(0, 1.05))
    _save(grid.figure, path)
