"""The report's figure blocks: each dataset's samples and mode histograms, and the sweeps' figure with its table."""

from __future__ import annotations

import math

import pandas as pd

from ..config import is_number, sweep_label
from ..data import get_dataset, is_image
from ..evaluate import MAX_COUNTED_MODES
from ..metrics import MODES_COVERED, OVERFITTING_GAP
from .latex import latex_escape
from .tables import results_table


def _trend(key: str, values: list[float], numeric: bool = True) -> str:
    """How a metric's means (in order of the swept value) move: "grows as lr rises", "... falls",
    or "does not change monotonically with lr"; for choices that are not numbers (an update
    rule), "is set beside each value of update"."""
    if not numeric:
        return rf"is set beside each value of \texttt{{{latex_escape(key)}}}"
    steps = [b - a for a, b in zip(values, values[1:])]
    if all(step > 0 for step in steps):
        return rf"grows as \texttt{{{latex_escape(key)}}} rises"
    if all(step < 0 for step in steps):
        return rf"grows as \texttt{{{latex_escape(key)}}} falls"
    return rf"does not change monotonically with \texttt{{{latex_escape(key)}}}"


def sweep_readings(*, summary: pd.DataFrame, points: dict[str, list[dict]]) -> str:
    """What each sweep shows, read from the summary: per dataset and swept setting, the mean
    final overfitting gap and share of modes covered at each value, in the order of
    config.sweep_points (the unswept variant at its own value), and which way the gap moves.
    Nothing here is typed by hand."""
    means = summary.set_index(["dataset", "variant", "metric"])["mean"]
    items = []
    for dataset, dataset_points in points.items():
        by_key: dict[tuple[str, str], list[dict]] = {}
        for point in dataset_points:
            by_key.setdefault((point["variant"], point["key"]), []).append(point)
        n_modes = get_dataset(dataset).n_modes
        for (variant, key), swept in by_key.items():
            gaps = [means.get((dataset, p["run"], OVERFITTING_GAP), math.nan) for p in swept]
            shares = [means.get((dataset, p["run"], MODES_COVERED), math.nan) / n_modes for p in swept]
            if len(swept) < 2 or any(math.isnan(g) for g in gaps):
                continue  # a sweep of one point, or of runs D was not probed in (a joint D)
            numeric = all(is_number(p["value"]) for p in swept)
            cells = "; ".join(
                f"{latex_escape(sweep_label(key, p['value']))}: ${g:+.3f}$, {100 * share:.0f}\\%"
                for p, g, share in zip(swept, gaps, shares)
            )
            items.append(
                rf"\item {latex_escape(dataset)}, \texttt{{{latex_escape(variant)}}}: the gap "
                rf"{_trend(key, gaps, numeric)} (\texttt{{{latex_escape(key)}}} = value: gap, "
                rf"share of modes covered; {cells})."
            )
    if not items:
        return ""
    return "\n".join(
        [
            r"What the sweeps show, as means across seeds of the final overfitting gap (training minus held-out "
            r"reals) and share of modes covered:",
            r"\begin{itemize}",
            *items,
            r"\end{itemize}",
        ]
    )


def sweeps_section(
    *,
    summary: pd.DataFrame,
    runs: pd.DataFrame,
    tests: pd.DataFrame,
    sweep_runs: list[str],
    points: dict[str, list[dict]] | None = None,
) -> str:
    """The sweeps' figure and table, with what each sweep shows (`sweep_readings` of `points`,
    config.sweep_points per dataset), or a sentence saying the study sweeps nothing."""
    if not sweep_runs:
        return "This study sweeps no training setting.\n"
    return "\n".join(
        [
            r"The sweep points, named \texttt{variant@setting=value}, change one training setting of a variant at a",
            r"time (Figure~\ref{fig:sweeps} and Table~\ref{tab:sweeps}); everything else stays as in "
            r"Table~\ref{tab:settings}.",
            r"\begin{figure}[htbp]\centering",
            r"\includegraphics{figures/sweeps.pdf}",
            r"\caption{Against each swept setting, per dataset side by side (with more than two datasets, one "
            r"above the other): the share of modes covered at "
            r"the final step, and the discriminator's final overfitting gap (its mean output on training reals "
            r"minus held-out reals; positive: D scores the reals it trained on above fresh ones), mean and 95\%",
            r"bootstrap CI across seeds; the unswept variant is the point at its own value of the setting.}",
            r"\label{fig:sweeps}\end{figure}",
            results_table(
                summary=summary,
                runs=runs,
                tests=tests,
                variants=sweep_runs,
                caption=r"Final-step results of the sweep points (as Table~\ref{tab:results}).",
                label="tab:sweeps",
            ),
            sweep_readings(summary=summary, points=points or {}),
        ]
    )


def samples_figures(*, datasets: list[str], seed: int) -> str:
    """One figure environment per dataset's sample panels, for image datasets one with the mode
    histograms, and for datasets of at most MAX_COUNTED_MODES modes the mode-hopping raster."""
    blocks = []
    for dataset in datasets:
        name = latex_escape(dataset)
        if not is_image(dataset):
            caption = rf"{name}: final samples of each variant (seed {seed}); red crosses mark the real modes."
        else:
            caption = (
                rf"{name}: the first 64 final samples of each variant (seed {seed}) beside 64 real training images"
                + (r"; each colour channel is one digit." if get_dataset(dataset).stacked else ".")
            )
        blocks += [
            r"\begin{figure}[htbp]\centering",
            rf"\includegraphics{{figures/samples_{dataset}.pdf}}",
            rf"\caption{{{caption}}}",
            rf"\label{{fig:samples-{dataset}}}\end{{figure}}",
        ]
        if is_image(dataset):
            blocks += [
                r"\begin{figure}[htbp]\centering",
                rf"\includegraphics{{figures/modes_{dataset}.pdf}}",
                rf"\caption{{{name}: share of each digit among the final samples as the evaluator classifier reads them"
                + (" (per colour channel)" if get_dataset(dataset).stacked else "")
                + r", mean and 95\% bootstrap CI across seeds; black marks: the training data.}",
                rf"\label{{fig:modes-{dataset}}}\end{{figure}}",
            ]
        if not is_image(dataset):
            blocks += [
                r"\begin{figure}[htbp]\centering",
                rf"\includegraphics{{figures/surface_{dataset}.pdf}}",
                rf"\caption{{{name}: the discriminator's surface over training (seed {seed}): D's output on a "
                r"$64\times64$ grid over the data, scaled per panel (light: high), at snapshots spread over "
                r"training, with G's samples of that snapshot (white) and the real modes (red crosses). G's "
                r"samples chase D's peaks. A packed D is drawn on packs of identical points; a joint D (ALI, "
                r"VEEGAN) judges $(x, z)$ pairs and has no output on $x$ alone, so it has no row.}",
                rf"\label{{fig:surface-{dataset}}}\end{{figure}}",
            ]
        blocks += [
            r"\begin{figure}[htbp]\centering",
            rf"\includegraphics{{figures/overfitting_{dataset}.pdf}}",
            rf"\caption{{{name}: discriminator overfitting. D's mean output on training reals, on held-out "
            r"reals ("
            + (r"the held-out split" if is_image(dataset) else "fresh draws of the mixture")
            + r") and on generated samples at every snapshot, mean and 95\% bootstrap band over seeds. A D "
            r"that memorises its training set scores training reals above held-out ones; the final gap is "
            r"the column D gap of Table~\ref{tab:distances}.}",
            rf"\label{{fig:overfitting-{dataset}}}\end{{figure}}",
        ]
        if get_dataset(dataset).n_modes <= MAX_COUNTED_MODES:
            blocks += [
                r"\begin{figure}[htbp]\centering",
                rf"\includegraphics{{figures/mode_hopping_{dataset}.pdf}}",
                rf"\caption{{{name}: mode hopping made visible. For seed {seed} of each variant, its modes (rows) at "
                r"every snapshot (columns), dark where the snapshot has a high-quality sample of the mode. A "
                r"generator that hops covers few modes at a time but many over training (\emph{ever}), dropping "
                r"modes between snapshots (\emph{dropped}: the forgetting events summed over training).}",
                rf"\label{{fig:mode-hopping-{dataset}}}\end{{figure}}",
            ]
    return "\n".join(blocks) + "\n"
