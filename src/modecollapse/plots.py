"""Figures of the report (seaborn on matplotlib's Agg backend)."""

from __future__ import annotations

import contextlib
import math
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from .io import atomic_path  # noqa: E402
from .metrics import MODES_COVERED, OVERFITTING_GAP, REVERSE_KL, forgetting_events  # noqa: E402

# The report's text width in inches (paper/main.tex: US letter, 2.2 cm margins). Every figure is
# drawn at most this wide and included at its natural size, so that a font's size here is its
# size in print, and no figure is blown up or shrunk to the page.
TEXT_WIDTH = 8.5 - 2 * 2.2 / 2.54
MIN_FONT_SIZE = 7.0  # points in print: the smallest text of any figure
# Font sizes of every figure (points), none below MIN_FONT_SIZE
FONT_SIZES = {
    "font.size": 8,
    "axes.titlesize": 8,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "legend.title_fontsize": 8,
    "figure.titlesize": 8,
}


# What a saved figure may record of when it was made, by format: nothing, so that the same data
# give the same bytes (matplotlib dates a PDF and an SVG by the clock unless told not to)
NO_DATE = {"pdf": {"CreationDate": None}, "svg": {"Date": None}}
# PNG copies (the README's picture, the HTML report) sharp on a high-density screen; vector
# formats keep matplotlib's default
RASTER_DPI = {"png": 160}


def _theme(style: str) -> None:
    """seaborn's paper theme with the report's font sizes (`FONT_SIZES`)."""
    sns.set_theme(style=style, context="paper", rc=FONT_SIZES)


def _panel_width(columns: int, *, most: float) -> float:
    """The width in inches of each of `columns` panels side by side: at most `most`, and all of
    them together within the text width, leaving room for the axis labels."""
    return min(most, (TEXT_WIDTH - 0.4) / columns)


def _save(fig: plt.Figure, path: str | os.PathLike) -> None:
    """Write `fig` to `path` (format from its suffix, PDF without one) whole or not at all, with no
    date in it, and close it."""
    fmt = os.path.splitext(path)[1].lstrip(".") or "pdf"
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt, bbox_inches="tight", metadata=NO_DATE.get(fmt), dpi=RASTER_DPI.get(fmt, "figure"))
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
    _theme("white")
    rows = -(-len(samples) // columns)
    side = _panel_width(columns, most=1.6)
    fig, axes = plt.subplots(rows, columns, figsize=(side * columns, (side + 0.2) * rows), squeeze=False)
    span = np.abs(centers).max() * 1.5
    for ax in axes.flat[len(samples) :]:
        ax.axis("off")
    for ax, (variant, frame) in zip(axes.flat, samples.items()):
        last = frame[frame["step"] == frame["step"].max()]
        last = last[np.isfinite(last[["x", "y"]]).all(axis=1)]
        sns.scatterplot(data=last, x="x", y="y", s=2, alpha=0.35, linewidth=0, color="C0", ax=ax)
        ax.scatter(centers[:, 0], centers[:, 1], marker="x", s=10, color="C3", linewidths=0.8)
        ax.set(xlim=(-span, span), ylim=(-span, span), xticks=[], yticks=[], xlabel="", ylabel="", aspect="equal")
        ax.set_title(variant)
    fig.suptitle(f"{dataset}: final samples (seed {seed}); crosses: real modes", y=1.0)
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
    *,
    metrics: pd.DataFrame,
    n_modes: dict[str, int],
    variants: list[str],
    path: str | os.PathLike,
    plateau_window: float | None = None,
) -> None:
    """Share of modes covered against training step, a panel per variant, a line per dataset:
    mean across seeds with a 95% bootstrap interval (seeded). With `plateau_window` (a share of
    training, evaluation.plateau_window) each panel shades every dataset's plateau window
    (`plateau_spans`) in the dataset's colour: the span where levelling off is judged."""
    _theme("whitegrid")
    data = metrics[(metrics["metric"] == MODES_COVERED) & metrics["variant"].isin(variants)].copy()
    data["share of modes covered"] = data["value"] / data["dataset"].map(n_modes)
    datasets = list(dict.fromkeys(data["dataset"]))
    palette = dict(zip(datasets, sns.color_palette(n_colors=len(datasets))))
    columns = min(4, len(variants))
    width = _panel_width(columns, most=1.7)
    grid = sns.relplot(
        data=data,
        x="step",
        y="share of modes covered",
        hue="dataset",
        hue_order=datasets,
        palette=palette,
        col="variant",
        col_order=variants,
        col_wrap=columns,
        kind="line",
        errorbar=("ci", 95),
        seed=0,
        height=1.3,
        aspect=width / 1.3,
        facet_kws={"legend_out": False},
    )
    grid.set_titles("{col_name}")
    grid.set_axis_labels("step", "share of modes")
    grid.set(ylim=(0, 1.05))
    sns.move_legend(grid, "upper center", bbox_to_anchor=(0.5, 0.0), ncol=len(datasets), title=None, frameon=False)
    if plateau_window is not None:
        spans = plateau_spans(data, window=plateau_window)
        for ax in grid.axes.flat:
            for dataset, (start, end) in spans.items():
                ax.axvspan(start, end, color=palette[dataset], alpha=PLATEAU_ALPHA, linewidth=0, zorder=0)
        grid.figure.suptitle(f"shaded: plateau window (last {plateau_window:.0%} of training)", y=1.02)
    _save(grid.figure, path)


# A point that stands for every training point (config.ALL_OF, labelled "all") is drawn this factor
# right of the largest n
ALL_POINTS_FACTOR = 4.0


def _numeric(points: list[dict]) -> bool:
    """Whether a sweep's values are numbers (config.is_number), not choices such as an update rule."""
    return all(isinstance(p["value"], (int, float)) and not isinstance(p["value"], bool) for p in points)


def _sweep_positions(points: list[dict]) -> dict[str, float]:
    """Each sweep point's place on its x axis (run -> x): its value, but "all" right of every n;
    choices that are not numbers (an update rule) at evenly spaced places in their order."""
    if not _numeric(points):
        return {p["run"]: float(i) for i, p in enumerate(points)}
    largest = max([p["value"] for p in points if p["label"] != "all" and p["value"] > 0], default=1.0)
    return {p["run"]: ALL_POINTS_FACTOR * largest if p["label"] == "all" else p["value"] for p in points}


def _sweep_axis(ax: plt.Axes, points: list[dict], key: str) -> None:
    """An x axis of a swept setting: ticks at its points only, written as their labels (0.002,
    1e+06, "all"; config.sweep_label), on a log scale when they span a factor of ten or more."""
    positions = _sweep_positions(points)
    values = [positions[p["run"]] for p in points]
    shown = [p["label"] for p in points]
    positive = [v for v in values if v > 0]
    if _numeric(points) and len(positive) == len(values) and max(values) >= 10 * min(values):
        ax.set_xscale("log")
    ax.set_xticks(values, shown)
    if len(shown) > 2 and max(map(len, shown)) > 4:  # long labels that close values would run together
        ax.tick_params(axis="x", labelrotation=40)
    ax.minorticks_off()
    ax.set_xlabel(key)


# The sweeps figure's metrics: (axis label, metric, divided by the dataset's number of modes), and
# the most columns of panels it sets them side by side in (more datasets: a pair of rows instead)
SWEEP_COLUMNS = 4
SWEPT_METRICS = (("share of modes", MODES_COVERED, True), ("D gap (train - held-out)", OVERFITTING_GAP, False))


def sweeps_figure(
    *, final: pd.DataFrame, points: dict[str, list[dict]], n_modes: dict[str, int], path: str | os.PathLike
) -> None:
    """Against each swept setting, the final share of modes covered and the discriminator's final
    overfitting gap (metrics.OVERFITTING_GAP: its mean output on training reals minus held-out
    reals), mean and 95% CI across seeds. Per dataset a pair of columns and a row per (variant,
    setting); with more datasets than fit in SWEEP_COLUMNS columns that way, a column per dataset
    and a pair of rows per (variant, setting). Each panel has its own numeric x axis, since the
    unswept value (the variant's own point, `points`) can differ per dataset. A run that was not
    probed (a joint D) has no gap."""
    _theme("whitegrid")
    sweeps = list(dict.fromkeys((p["variant"], p["key"]) for dataset_points in points.values() for p in dataset_points))
    pairs_across = len(points) * len(SWEPT_METRICS) <= SWEEP_COLUMNS  # each metric its own column, or row
    pair = len(SWEPT_METRICS)
    rows, columns = (len(sweeps), len(points) * pair) if pairs_across else (len(sweeps) * pair, len(points))
    width = _panel_width(columns, most=2.2)
    fig, axes = plt.subplots(rows, columns, figsize=(width * columns, 1.7 * rows), squeeze=False)
    for d, (dataset, dataset_points) in enumerate(points.items()):
        for m, (label, metric, per_mode) in enumerate(SWEPT_METRICS):
            for i, (variant, key) in enumerate(sweeps):
                ax = axes[i, d * pair + m] if pairs_across else axes[i * pair + m, d]
                swept = [p for p in dataset_points if (p["variant"], p["key"]) == (variant, key)]
                if not swept:  # a sweep that this dataset does not run
                    ax.axis("off")
                    continue
                positions = _sweep_positions(swept)
                data = final[
                    (final["dataset"] == dataset) & final["variant"].isin(positions) & (final["metric"] == metric)
                ]
                data = data.assign(
                    value=data["value"] / (n_modes[dataset] if per_mode else 1.0),
                    setting=data["variant"].map(positions),
                )
                ax.set_title(f"{dataset}: {variant}")
                if not np.isfinite(data["value"]).any():  # e.g. no gap: D not probed, or no fixed training set
                    ax.text(0.5, 0.5, "no values", ha="center", va="center", transform=ax.transAxes)
                    ax.set(xticks=[], yticks=[])
                    continue
                sns.lineplot(
                    data=data, x="setting", y="value", errorbar=("ci", 95), seed=0, marker="o", err_style="bars", ax=ax
                )
                _sweep_axis(ax, swept, key)
                if per_mode:
                    ax.set_ylim(0, 1.05)
                else:
                    ax.axhline(0.0, color="0.5", linewidth=0.6, zorder=0)
                ax.set(ylabel=label if d == 0 else "")
    fig.tight_layout()
    _save(fig, path)


@contextlib.contextmanager
def _seeded_numpy_random(seed: int):
    """NumPy's global generator seeded with `seed` for the block, then as it was: seaborn's
    stripplot jitters with it, and the same data should give the same figure."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def spread_figure(
    *, final: pd.DataFrame, n_modes: dict[str, int], variants: list[str], path: str | os.PathLike
) -> None:
    """Every seed's final share of modes covered and reverse KL per variant, a dot per seed over
    a box plot of the seeds, a row per dataset: the spread across seeds, which a mean hides.
    `final` holds each run's final-step metrics (`stats.final_step`); a diverged run's
    non-finite value is left out."""
    _theme("whitegrid")
    datasets = list(n_modes)
    shown = (("share of modes covered", MODES_COVERED), ("reverse KL", REVERSE_KL))
    fig, axes = plt.subplots(len(datasets), len(shown), figsize=(TEXT_WIDTH - 0.2, 1.8 * len(datasets)), squeeze=False)
    for row, dataset in enumerate(datasets):
        for ax, (label, metric) in zip(axes[row], shown):
            data = final[(final["dataset"] == dataset) & (final["metric"] == metric) & final["variant"].isin(variants)]
            data = data.assign(value=data["value"] / (n_modes[dataset] if metric == MODES_COVERED else 1.0))
            sns.boxplot(
                data=data, x="variant", y="value", order=variants, color="0.88", showfliers=False, linewidth=0.8, ax=ax
            )
            with _seeded_numpy_random(0):  # stripplot's jitter draws from NumPy's global generator
                sns.stripplot(data=data, x="variant", y="value", order=variants, color="C0", size=3, jitter=0.25, ax=ax)
            if metric == MODES_COVERED:
                ax.set_ylim(0, 1.05)
            ax.set(xlabel="", ylabel=label, title=dataset)
            ax.tick_params(axis="x", labelrotation=90)
    fig.tight_layout()
    _save(fig, path)


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
    _theme("white")
    panels = len(samples)
    shown_columns = min(columns, panels)
    rows = -(-panels // shown_columns)
    side = _panel_width(shown_columns, most=1.6)
    fig, axes = plt.subplots(rows, shown_columns, figsize=(side * shown_columns, (side + 0.25) * rows), squeeze=False)
    for ax in axes.flat[panels:]:
        ax.axis("off")
    for ax, (name, images) in zip(axes.flat, samples.items()):
        mosaic = _mosaic(images, per_panel)
        if mosaic.shape[-1] == 1:
            ax.imshow(mosaic[..., 0], cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
        else:
            ax.imshow(mosaic, interpolation="nearest")
        ax.set(xticks=[], yticks=[])
        ax.set_title(_image_panel_title(name, images))
    fig.suptitle(f"{dataset}: final samples (seed {seed})", y=1.0)
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
    _theme("whitegrid")
    channels = sorted(set(reference["channel"]) | set(shares["channel"]))
    stacked = len(channels) > 1
    label = {c: _CHANNEL_LABELS[c] if stacked else f"channel {c}" for c in channels}
    bar_width = _BAR_WIDTH / len(channels)
    offset = {c: (i - (len(channels) - 1) / 2) * bar_width for i, c in enumerate(channels)}

    shown_columns = min(columns, len(variants))
    rows = -(-len(variants) // shown_columns)
    side = _panel_width(shown_columns, most=2.0)
    fig, axes = plt.subplots(
        rows, shown_columns, figsize=(side * shown_columns, 1.5 * rows), squeeze=False, sharey=True
    )
    for ax in axes.flat[len(variants) :]:
        ax.axis("off")
    for ax, variant in zip(axes.flat, variants):
        mine = shares[shares["variant"] == variant].assign(channel=lambda f: f["channel"].map(label))
        if mine.empty:
            ax.text(0.5, 0.5, "no samples", ha="center", va="center", transform=ax.transAxes)
        elif stacked:
            sns.barplot(
                data=mine,
                x="digit",
                y="share",
                hue="channel",
                order=DIGITS,
                hue_order=[label[c] for c in channels],
                palette=_CHANNEL_COLOURS,
                errorbar=("ci", 95),
                seed=0,
                err_kws={"linewidth": 0.8},
                legend=False,
                ax=ax,
            )
        else:
            sns.barplot(
                data=mine,
                x="digit",
                y="share",
                order=DIGITS,
                color="C0",
                errorbar=("ci", 95),
                seed=0,
                err_kws={"linewidth": 0.8},
                ax=ax,
            )
        # x positions are the categorical slots 0..9 of DIGITS; a mark spans its own bar.
        centres = reference["digit"].map(DIGITS.index) + reference["channel"].map(offset)
        ax.hlines(
            reference["share"], centres - bar_width / 2, centres + bar_width / 2, color="black", linewidth=1.2, zorder=3
        )
        ax.set(xlim=(-0.5, len(DIGITS) - 0.5), xticks=range(len(DIGITS)), xticklabels=DIGITS, xlabel="", ylabel="")
        ax.grid(axis="x", visible=False)  # digits are categories: only the share needs guide lines
        ax.set_title(variant)
    axes[0, 0].set_ylim(bottom=0)
    handles = [plt.Line2D([], [], color="black", linewidth=1.2, label="real data")]
    if stacked:
        handles = [Patch(color=_CHANNEL_COLOURS[label[c]], label=f"channel {label[c]}") for c in channels] + handles
    fig.supxlabel("predicted digit", fontsize=FONT_SIZES["axes.labelsize"])
    fig.supylabel("share of final samples", fontsize=FONT_SIZES["axes.labelsize"])
    fig.suptitle(f"{dataset}: share of each digit among final samples (mean over seeds); marks: real data", y=1.0)
    fig.tight_layout()
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=len(handles), frameon=False)
    _save(fig, path)


def covered_matrix(counts: pd.DataFrame) -> tuple[np.ndarray, list[int]]:
    """One run's coverage raster from its mode counts (evaluate.mode_counts_table: step, mode,
    count): modes × snapshots, True where the snapshot has a high-quality sample of the mode; and
    the snapshots' steps in order."""
    table = counts.pivot_table(index="mode", columns="step", values="count", aggfunc="sum", fill_value=0)
    return table.to_numpy() > 0, [int(step) for step in table.columns]


def mode_raster_figure(
    *,
    counts: dict[str, pd.DataFrame],
    dataset: str,
    seed: int,
    path: str | os.PathLike,
    mode_labels: list[str] | None = None,
    columns: int = 4,
) -> None:
    """Mode hopping made visible: a panel per variant (one seed), its modes as rows and its
    snapshots as columns, dark where the snapshot covers the mode (covered_matrix). The panel's
    title counts the modes ever covered and the modes dropped between snapshots over training
    (metrics.forgetting_events, summed): a run that hops covers few modes at a time but many in
    all, and drops many."""

    _theme("white")
    shown = min(columns, len(counts))
    rows = -(-len(counts) // shown)
    width = _panel_width(shown, most=1.9)
    n_modes = max((int(frame["mode"].max()) + 1 for frame in counts.values() if len(frame)), default=1)
    height = max(1.2, min(2.0, 0.12 * n_modes))  # room for a 7-pt label per mode up to 10 modes
    # each row: the panel, its two-line title and its step labels; the figure's titles once
    fig, axes = plt.subplots(rows, shown, figsize=(width * shown, (height + 0.6) * rows + 0.5), squeeze=False)
    for ax in axes.flat[len(counts) :]:
        ax.axis("off")
    for ax, (variant, frame) in zip(axes.flat, counts.items()):
        if frame.empty:
            ax.axis("off")
            ax.set_title(f"{variant}: no snapshots")
            continue
        covered, steps = covered_matrix(frame)
        dropped = int(forgetting_events(counts_per_snapshot=list(covered.T.astype(np.int64))).sum())
        ax.imshow(covered, aspect="auto", cmap="Greys", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(f"{variant}\never {int(covered.any(axis=1).sum())}/{covered.shape[0]}, dropped {dropped}")
        ax.set_xticks([0, len(steps) - 1], [str(steps[0]), str(steps[-1])])  # a column per snapshot
        ticks = list(range(0, covered.shape[0], 1 if covered.shape[0] <= 10 else 5))
        ax.set_yticks(ticks, [mode_labels[i] for i in ticks] if mode_labels else ticks)
    fig.supxlabel("training step", fontsize=FONT_SIZES["axes.labelsize"])
    fig.supylabel("mode", fontsize=FONT_SIZES["axes.labelsize"])
    fig.suptitle(f"{dataset}: modes covered at each snapshot (seed {seed}); dark: covered", y=1.0)
    fig.tight_layout()
    _save(fig, path)


def chosen_steps(steps: list[int], count: int = 4) -> list[int]:
    """`count` snapshot steps spread evenly over training, the first and the last among them (all
    of them when there are fewer)."""
    steps = sorted(set(steps))
    if len(steps) <= count:
        return steps
    return [steps[round(i * (len(steps) - 1) / (count - 1))] for i in range(count)]


def surface_figure(
    *,
    surfaces: dict[str, pd.DataFrame],
    samples: dict[str, pd.DataFrame],
    centers: np.ndarray,
    dataset: str,
    seed: int,
    path: str | os.PathLike,
    count: int = 4,
) -> None:
    """D's surface over training: a row per variant (those with a surface: probes.SURFACE_COLUMNS),
    a column per chosen snapshot (`chosen_steps`), D's output over the grid as a heat map scaled
    per panel (light: D's highest output there), the generated samples of that snapshot as dots
    and the real modes as crosses."""
    _theme("white")
    shown = {variant: frame for variant, frame in surfaces.items() if not frame.empty}
    if not shown:  # every variant's D is joint: nothing to draw on x alone
        shown = {"(none)": pd.DataFrame(columns=["step", "x", "y", "d"])}
    steps = chosen_steps(list(next(iter(shown.values()))["step"]), count) or [0]
    columns, rows = len(steps), len(shown)
    side = min(_panel_width(columns, most=1.5), (8.4 - 0.4) / rows)
    fig, axes = plt.subplots(rows, columns, figsize=(side * columns, side * rows), squeeze=False)
    for row, (variant, frame) in enumerate(shown.items()):
        for col, step in enumerate(steps):
            ax = axes[row, col]
            ax.set(xticks=[], yticks=[])
            here = frame[frame["step"] == step]
            if here.empty:
                ax.axis("off")
                continue
            xs, ys = np.unique(here["x"]), np.unique(here["y"])
            values = here.sort_values(["y", "x"])["d"].to_numpy(dtype=np.float64).reshape(len(ys), len(xs))
            finite = values[np.isfinite(values)]
            low, high = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
            ax.imshow((values - low) / max(high - low, 1e-12), origin="lower", cmap="viridis", vmin=0, vmax=1,
                      extent=(xs[0], xs[-1], ys[0], ys[-1]), interpolation="bilinear")  # fmt: skip
            fakes = samples.get(variant)
            if fakes is not None:
                points = fakes[fakes["step"] == step]
                ax.scatter(points["x"], points["y"], s=0.8, color="white", alpha=0.5, linewidths=0)
            ax.scatter(centers[:, 0], centers[:, 1], marker="x", s=8, color="C3", linewidths=0.7)
            ax.set(xlim=(xs[0], xs[-1]), ylim=(ys[0], ys[-1]), aspect="equal")
            if row == 0:
                ax.set_title(f"step {step}")
            if col == 0:
                ax.set_ylabel(variant)
    fig.suptitle(f"{dataset}: D's output (scaled per panel, light = high), G's samples (white), modes (x); seed {seed}",
                 y=1.0)  # fmt: skip
    fig.tight_layout(pad=0.3)
    _save(fig, path)


PROBE_LABELS = {"d_train": "training reals", "d_heldout": "held-out reals", "d_fake": "generated"}


def overfitting_figure(*, probes: pd.DataFrame, dataset: str, variants: list[str], path: str | os.PathLike,
                       columns: int = 5) -> None:  # fmt: skip
    """D's overfitting over training: a panel per variant, its mean output on training reals,
    held-out reals and generated samples at every snapshot (probes.PROBE_COLUMNS; mean over seeds
    with a 95% bootstrap band, seeded). A gap between the training and held-out curves is D
    memorising its training set; panels of a joint D, which is not probed, say so."""
    _theme("whitegrid")
    long = probes.melt(id_vars=["variant", "seed", "step"], value_vars=list(PROBE_LABELS), var_name="set",
                       value_name="output").assign(set=lambda f: f["set"].map(PROBE_LABELS))  # fmt: skip
    shown = min(columns, len(variants))
    rows = -(-len(variants) // shown)
    side = _panel_width(shown, most=1.8)
    fig, axes = plt.subplots(rows, shown, figsize=(side * shown, 1.35 * rows + 0.3), squeeze=False)
    for ax in axes.flat[len(variants) :]:
        ax.axis("off")
    for ax, variant in zip(axes.flat, variants):
        mine = long[(long["variant"] == variant) & long["output"].notna()]
        ax.set_title(variant)
        if mine.empty:
            ax.text(0.5, 0.5, "not probed\n(joint D)", ha="center", va="center", transform=ax.transAxes)
            ax.set(xticks=[], yticks=[])
            continue
        sns.lineplot(data=mine, x="step", y="output", hue="set", hue_order=list(PROBE_LABELS.values()),
                     errorbar=("ci", 95), seed=0, legend=False, ax=ax, linewidth=1)  # fmt: skip
        ax.set(xlabel="", ylabel="")
        ax.ticklabel_format(axis="x", style="sci", scilimits=(0, 3))
    handles = [plt.Line2D([], [], color=f"C{i}", label=label) for i, label in enumerate(PROBE_LABELS.values())]
    fig.supxlabel("training step", fontsize=FONT_SIZES["axes.labelsize"])
    fig.supylabel("D's mean output", fontsize=FONT_SIZES["axes.labelsize"])
    fig.suptitle(f"{dataset}: D on training reals, held-out reals and generated samples (mean over seeds)", y=1.0)
    fig.tight_layout()
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3, frameon=False)
    _save(fig, path)
