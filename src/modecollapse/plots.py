"""Figures of the report (seaborn on matplotlib's Agg backend)."""

from __future__ import annotations

import math
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from .io import atomic_path  # noqa: E402
from .metrics import MODES_COVERED  # noqa: E402


# What a saved figure may record of when it was made, by format: nothing, so that the same data
# give the same bytes (matplotlib dates a PDF and an SVG by the clock unless told not to)
NO_DATE = {"pdf": {"CreationDate": None}, "svg": {"Date": None}}


def _save(fig: plt.Figure, path: str | os.PathLike) -> None:
    """Write `fig` to `path` (format from its suffix, PDF without one) whole or not at all, with no
    date in it, and close it."""
    fmt = os.path.splitext(path)[1].lstrip(".") or "pdf"
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt, bbox_inches="tight", metadata=NO_DATE.get(fmt))
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


def plateau_spans(metrics: pd.DataFrame, *, window: float) -> dict[str, tuple[float, float]]:
    """Each dataset's plateau window in steps: [(1 − window)·T, T], T the dataset's last
    snapshot step (its runs' final step), the span over which metrics.levelled_off judges a run
    (the snapshots at steps s ≥ (1 − window)·T)."""
    last = metrics.groupby("dataset", sort=False)["step"].max()
    return {dataset: (float(step - window * step), float(step)) for dataset, step in last.items()}


PLATEAU_ALPHA = 0.12  # opacity of the shaded plateau window


def coverage_figure(
    *, metrics: pd.DataFrame, n_modes: dict[str, int], variants: list[str], path: str | os.PathLike,
    plateau_window: float | None = None,
) -> None:
    """Share of modes covered against training step, a panel per variant, a line per dataset:
    mean across seeds with a 95% bootstrap interval (seeded). With `plateau_window` (a share of
    training, evaluation.plateau_window) each panel shades every dataset's plateau window
    (`plateau_spans`) in the dataset's colour: the span where levelling off is judged."""
    sns.set_theme(style="whitegrid", context="paper")
    data = metrics[(metrics["metric"] == MODES_COVERED) & metrics["variant"].isin(variants)].copy()
    data["share of modes covered"] = data["value"] / data["dataset"].map(n_modes)
    datasets = list(dict.fromkeys(data["dataset"]))
    palette = dict(zip(datasets, sns.color_palette(n_colors=len(datasets))))
    grid = sns.relplot(
        data=data, x="step", y="share of modes covered", hue="dataset", hue_order=datasets, palette=palette,
        col="variant", col_order=variants, col_wrap=6, kind="line", errorbar=("ci", 95), seed=0, height=1.5, aspect=1.2,
    )
    grid.set_titles("{col_name}", size=7)
    grid.set(ylim=(0, 1.05))
    if plateau_window is not None:
        spans = plateau_spans(data, window=plateau_window)
        for ax in grid.axes.flat:
            for dataset, (start, end) in spans.items():
                ax.axvspan(start, end, color=palette[dataset], alpha=PLATEAU_ALPHA, linewidth=0, zorder=0)
        grid.figure.suptitle(f"shaded: plateau window (last {plateau_window:.0%} of training)", y=1.02, fontsize=8)
    _save(grid.figure, path)


def sweeps_figure(
    *, final: pd.DataFrame, points: dict[str, list[dict]], n_modes: dict[str, int], path: str | os.PathLike
) -> None:
    """Share of modes covered at the final step against each swept setting (mean and 95% CI
    across seeds), a panel per (variant, setting), a line per dataset; `points` are each
    dataset's sweep points (the unswept variant is its own point, at its value on that dataset)."""
    sns.set_theme(style="whitegrid", context="paper")
    rows = []
    for dataset, dataset_points in points.items():
        for point in dataset_points:
            mine = final[(final["dataset"] == dataset) & (final["variant"] == point["run"]) & (final["metric"] == MODES_COVERED)]
            rows.append(mine.assign(sweep=f"{point['variant']}: {point['key']}", setting=str(point["value"]), number=point["value"]))
    data = pd.concat(rows, ignore_index=True).sort_values(["sweep", "number"])
    data["share of modes covered"] = data["value"] / data["dataset"].map(n_modes)
    grid = sns.catplot(
        data=data, x="setting", y="share of modes covered", hue="dataset", col="sweep", kind="point",
        errorbar=("ci", 95), seed=0, height=2.0, aspect=1.1, sharex=False, dodge=0.2, col_wrap=min(4, data["sweep"].nunique()),
    )
    grid.set_titles("{col_name}")
    grid.set(ylim=(0, 1.05))
    _save(grid.figure, path)


# Display values of an image mosaic, in [0, 1] (gray colormap: 0 black, 1 white).
MOSAIC_BLANK = 0.5  # a sample with any non-finite value: a mid-gray tile
MOSAIC_SEPARATOR = 1.0  # the 1-pixel lines between tiles, and cells with no sample: white


def _mosaic(images: np.ndarray, per_panel: int) -> np.ndarray:
    """Tile the first `per_panel` images (n, C, H, W; values in [-1, 1]) row by row into a
    near-square grid of ceil(√per_panel) columns, 1-pixel separators between tiles.

    Returns display values in [0, 1], shape (rows·(H+1) − 1, columns·(W+1) − 1, C): −1 maps to 0
    (black), +1 to 1 (white), so grayscale digits show white ink on black as MNIST is usually
    drawn. A sample with any non-finite value becomes a MOSAIC_BLANK tile; cells beyond the
    samples given stay MOSAIC_SEPARATOR.
    """
    shown = np.asarray(images, dtype=float)[:per_panel]
    _, channels, height, width = shown.shape
    columns = math.ceil(math.sqrt(per_panel))
    rows = math.ceil(per_panel / columns)
    finite = np.isfinite(shown).all(axis=(1, 2, 3))
    # Clipping is for display only: a sample outside [-1, 1] saturates here, its values are untouched.
    display = (np.clip(np.where(finite[:, None, None, None], shown, 0.0), -1.0, 1.0) + 1.0) / 2.0
    display[~finite] = MOSAIC_BLANK
    tiles = np.full((rows * columns, height + 1, width + 1, channels), MOSAIC_SEPARATOR)
    tiles[: len(shown), :height, :width] = display.transpose(0, 2, 3, 1)
    grid = tiles.reshape(rows, columns, height + 1, width + 1, channels).transpose(0, 2, 1, 3, 4)
    return grid.reshape(rows * (height + 1), columns * (width + 1), channels)[:-1, :-1]


def _image_panel_title(name: str, images: np.ndarray) -> str:
    """The panel's key, marked when no sample is finite (diverged run) or there are none."""
    images = np.asarray(images, dtype=float)
    if len(images) == 0:
        return f"{name} (no samples)"
    if not np.isfinite(images).all(axis=(1, 2, 3)).any():
        return f"{name} (diverged)"
    return name


def image_grid_figure(
    *,
    samples: dict[str, np.ndarray],
    dataset: str,
    seed: int,
    path: str | os.PathLike,
    columns: int = 6,
    per_panel: int = 64,
) -> None:
    """A panel per entry of `samples` (in its order: "real" first, then the variants): a mosaic of
    the first `per_panel` final samples (n, C, H, W in [-1, 1]); C = 1 grayscale, C = 3 RGB."""
    sns.set_theme(style="white", context="paper")
    panels = len(samples)
    shown_columns = min(columns, panels)
    rows = -(-panels // shown_columns)
    fig, axes = plt.subplots(rows, shown_columns, figsize=(1.6 * shown_columns, 1.9 * rows), squeeze=False)
    for ax in axes.flat[panels:]:
        ax.axis("off")
    for ax, (name, images) in zip(axes.flat, samples.items()):
        mosaic = _mosaic(images, per_panel)
        if mosaic.shape[-1] == 1:
            ax.imshow(mosaic[..., 0], cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
        else:
            ax.imshow(mosaic, interpolation="nearest")
        ax.set(xticks=[], yticks=[])
        ax.set_title(_image_panel_title(name, images), fontsize=7)
    fig.suptitle(f"{dataset}: final samples (seed {seed})", y=1.0, fontsize=9)
    fig.tight_layout()
    _save(fig, path)


DIGITS = list(range(10))
_CHANNEL_LABELS = {0: "R", 1: "G", 2: "B"}  # stacked digits: three digits as colour channels
_CHANNEL_COLOURS = {"R": "tab:red", "G": "tab:green", "B": "tab:blue"}
_BAR_WIDTH = 0.8  # seaborn's default width of a group of bars at one x


def mode_histogram_figure(
    *,
    shares: pd.DataFrame,
    reference: pd.DataFrame,
    dataset: str,
    variants: list[str],
    path: str | os.PathLike,
    columns: int = 6,
) -> None:
    """A panel per variant: share of the final samples predicted as each digit, mean across seeds
    with a 95% bootstrap interval (seeded); for stacked data a bar per channel (R, G, B). The real
    data's shares (`reference`: channel, digit, share) are black marks over the bars."""
    sns.set_theme(style="whitegrid", context="paper")
    channels = sorted(set(reference["channel"]) | set(shares["channel"]))
    stacked = len(channels) > 1
    label = {c: _CHANNEL_LABELS[c] if stacked else f"channel {c}" for c in channels}
    bar_width = _BAR_WIDTH / len(channels)
    offset = {c: (i - (len(channels) - 1) / 2) * bar_width for i, c in enumerate(channels)}

    shown_columns = min(columns, len(variants))
    rows = -(-len(variants) // shown_columns)
    fig, axes = plt.subplots(
        rows, shown_columns, figsize=(2.0 * shown_columns, 1.9 * rows), squeeze=False, sharey=True
    )
    for ax in axes.flat[len(variants):]:
        ax.axis("off")
    for ax, variant in zip(axes.flat, variants):
        mine = shares[shares["variant"] == variant].assign(channel=lambda f: f["channel"].map(label))
        if mine.empty:
            ax.text(0.5, 0.5, "no samples", ha="center", va="center", transform=ax.transAxes, fontsize=7)
        elif stacked:
            sns.barplot(
                data=mine, x="digit", y="share", hue="channel", order=DIGITS,
                hue_order=[label[c] for c in channels], palette=_CHANNEL_COLOURS,
                errorbar=("ci", 95), seed=0, err_kws={"linewidth": 0.8}, legend=False, ax=ax,
            )
        else:
            sns.barplot(
                data=mine, x="digit", y="share", order=DIGITS, color="C0",
                errorbar=("ci", 95), seed=0, err_kws={"linewidth": 0.8}, ax=ax,
            )
        # x positions are the categorical slots 0..9 of DIGITS; a mark spans its own bar.
        centres = reference["digit"].map(DIGITS.index) + reference["channel"].map(offset)
        ax.hlines(reference["share"], centres - bar_width / 2, centres + bar_width / 2, color="black", linewidth=1.2, zorder=3)
        ax.set(xlim=(-0.5, len(DIGITS) - 0.5), xticks=range(len(DIGITS)), xticklabels=DIGITS, xlabel="", ylabel="")
        ax.tick_params(labelsize=6)
        ax.grid(axis="x", visible=False)  # digits are categories: only the share needs guide lines
        ax.set_title(variant, fontsize=7)
    axes[0, 0].set_ylim(bottom=0)
    handles = [plt.Line2D([], [], color="black", linewidth=1.2, label="real data")]
    if stacked:
        handles = [Patch(color=_CHANNEL_COLOURS[label[c]], label=f"channel {label[c]}") for c in channels] + handles
    fig.supxlabel("predicted digit", fontsize=7)
    fig.supylabel("share of final samples", fontsize=7)
    fig.suptitle(f"{dataset}: share of each digit among final samples (mean over seeds); marks: real data", y=1.0, fontsize=9)
    fig.tight_layout()
    fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 0.95), fontsize=7, frameon=False)
    _save(fig, path)
