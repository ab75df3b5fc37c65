"""The study's settings, headline numbers and the code's constants as the LaTeX macros of the report's text."""

from __future__ import annotations

import math
from typing import Any, Mapping

import pandas as pd

from .. import published, replication
from ..architectures import IMAGE_ARCHITECTURES
from ..config import TrainSettings, shared_settings, study_runs
from ..data import DATASETS, DIGITS_TEST_FRACTION, ONLINE_REFERENCE_SIZE, get_dataset, is_image
from ..evaluate import LEVELLED_OFF, UNDER_TRAINED
from ..metrics import MMD_BANDWIDTH, NO_HIGH_QUALITY, PLATEAU_MIN_SNAPSHOTS
from ..provenance import short_commit
from ..stats import ALPHA, smallest_p_values
from ..variants import BASELINE
from .latex import latex_escape, macro, p_value, percent, thousands
from .tables import COUNT_COLUMNS, count_of, settings_table, variants_table

# The stacked training set, by whether it is a fixed set (stacked_size > 0) or drawn on the fly (0)
STACKED_SET_TEXT = {
    True: "a fixed set of {size} stacked images drawn once",
    False: (
        "no fixed set: three digits are drawn afresh for every training image (stacked\\_size 0), and "
        "evaluation compares with {reference} stacked images drawn once"
    ),
}
STACK_FROM_TEXT = {
    "train": "the base family's training split",
    "all": "all of the base family's images, training and held-out splits together",
}
# What the study's runs show on the plateau criterion, by whether it is defined for any run
LEVELLED_OFF_TEXT = {
    True: (
        "In this study {levelled} of the {defined} runs where the criterion is defined levelled off, and {under} are "
        "under-trained"
    ),
    False: (
        "In this study no run has enough snapshots in its plateau window for the criterion, so none is counted "
        "as levelled off or under-trained"
    ),
}
REACH_TEXT = {
    True: "so a consistent difference can reach significance",
    False: "so no comparison of a variant with the baseline can reach significance, whatever the data",
}
# How the text names each image architecture of architectures.IMAGE_ARCHITECTURES: (what and whose, with
# its citation; its shape, or None for the architecture's own description). The small DCGAN
# keeps the report's fuller words for its layers.
IMAGE_NETS_TEXT = {
    "dcgan": (
        r"DCGAN-style convolutional networks~\cite{dcgan}",
        r"two strided (de)convolutions of \texttt{g\_width} or \texttt{d\_width} and twice as many channels; "
        r"BatchNorm in $G$, LeakyReLU and no BatchNorm in $D$",
    ),
    "veegan-dcgan": (r"convolutional networks~\cite{veegan,pacgan}", None),
    "unrolled-gan": (r"convolutional networks~\cite{pacgan}", None),
}


def _per_dataset(values: Mapping[str, str]) -> str:
    return "; ".join(f"{latex_escape(dataset)}: {value}" for dataset, value in values.items()) or "none"


def mmd_bandwidths(summary: pd.DataFrame) -> dict[str, float]:
    """The MMD² kernel width of each dataset that has one (the summary's mmd_bandwidth; one
    value per dataset, the same for every run)."""
    rows = summary[(summary["metric"] == MMD_BANDWIDTH) & (summary["n"] > 0)]
    return {dataset: float(group["mean"].iloc[0]) for dataset, group in rows.groupby("dataset", sort=False)}


def run_counts(summary: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """(runs with value 1, runs with a value) of each per-run 0/1 metric of COUNT_COLUMNS,
    summed over every (dataset, run) of the summary."""
    totals = {}
    for metric, _ in COUNT_COLUMNS:
        counted = [count_of(row) for row in summary[summary["metric"] == metric].to_dict("records")]
        totals[metric] = (sum(c[0] for c in counted), sum(c[1] for c in counted))
    return totals


def image_architectures(study: Mapping[str, Any]) -> dict[str, list[str]]:
    """Each image architecture that the study's image runs train (`image_arch` of their resolved
    settings) with those runs, in run order. A study without image datasets gets those its
    settings would train, as the text's image settings (`settings_table`) are."""
    image = next((d for d in study["datasets"] if is_image(d)), next(d for d in DATASETS if is_image(d)))
    architectures: dict[str, list[str]] = {}
    for name, settings in study_runs(study, image).items():
        architectures.setdefault(settings.image_arch, []).append(name)
    return architectures


def image_nets_text(study: Mapping[str, Any]) -> str:
    """The nets the study's image runs train, each with its citation and shape
    (`IMAGE_NETS_TEXT`); where runs differ, each followed by the runs that train it."""
    architectures = image_architectures(study)
    texts = {}
    for arch, runs in architectures.items():
        lead, shape = IMAGE_NETS_TEXT[arch]
        texts[arch] = f"{lead} ({shape or latex_escape(IMAGE_ARCHITECTURES[arch].description)})"
    if len(texts) == 1:
        return next(iter(texts.values()))
    return " and ".join(
        f"{texts[arch]} in runs " + ", ".join(rf"\texttt{{{latex_escape(run)}}}" for run in runs)
        for arch, runs in architectures.items()
    )


def _commit(runs: pd.DataFrame) -> str:
    return ", ".join(sorted({short_commit(c) for c in runs["git_commit"]}))


def _design_macros(study: Mapping[str, Any], runs: pd.DataFrame) -> list[str]:
    """What the study trains, on which data, and how it judges a run: from the config."""
    data, evaluation = study["data"], study["evaluation"]
    return [
        macro("StudyScale", latex_escape(study.get("scale", "default")), key="scale"),
        macro("StudyDatasets", ", ".join(latex_escape(d) for d in study["datasets"]), key="datasets"),
        macro("StudyVariants", ", ".join(latex_escape(v) for v in study["variants"]), key="variants"),
        macro("StudySeeds", len(study["seeds"]), key="seeds"),
        macro("StudySeedList", ", ".join(map(str, study["seeds"])), key="seeds"),
        macro("StudyRuns", len(runs)),
        macro("StudyDiverged", int((runs["status"] == "diverged").sum())),
        macro("StudyDataSize", thousands(data["size"]), key="data.size"),
        macro("StudyStackedSize", thousands(data["stacked_size"]), key="data.stacked_size"),
        macro(
            "StudyStackedSet",
            STACKED_SET_TEXT[data["stacked_size"] > 0].format(
                size=thousands(data["stacked_size"]), reference=thousands(ONLINE_REFERENCE_SIZE)
            ),
            key="data.stacked_size",
        ),
        macro("StudyStackFrom", STACK_FROM_TEXT[data["stack_from"]], key="data.stack_from"),
        macro("StudyDataSeed", data["seed"], key="data.seed"),
        macro("StudyThreshold", f"{evaluation['threshold']:g}", key="evaluation.threshold"),
        macro("StudyCollapseShare", percent(evaluation["collapse_coverage"]), key="evaluation.collapse_coverage"),
        macro("StudyPlateauWindow", percent(evaluation["plateau_window"]), key="evaluation.plateau_window"),
        macro("StudyPlateauTolerance", f"{evaluation['plateau_tolerance']:g}", key="evaluation.plateau_tolerance"),
        macro("StudyPlateauMinSnapshots", PLATEAU_MIN_SNAPSHOTS),
    ]


def _outcome_macros(study: Mapping[str, Any], summary: pd.DataFrame) -> list[str]:
    """What the runs show (counts of the summary) and the per-dataset constants of their metrics."""
    counts = run_counts(summary)
    log_k = {d: rf"$\log {get_dataset(d).n_modes} = {math.log(get_dataset(d).n_modes):.2f}$" for d in study["datasets"]}
    return [
        macro("StudyNoHighQuality", counts[NO_HIGH_QUALITY][0]),
        macro("StudyLevelledOff", counts[LEVELLED_OFF][0]),
        macro("StudyLevelledOffDefined", counts[LEVELLED_OFF][1]),
        macro("StudyUnderTrained", counts[UNDER_TRAINED][0]),
        macro(
            "StudyLevelledOffSentence",
            LEVELLED_OFF_TEXT[counts[LEVELLED_OFF][1] > 0].format(
                levelled=counts[LEVELLED_OFF][0], defined=counts[LEVELLED_OFF][1], under=counts[UNDER_TRAINED][0]
            ),
        ),
        macro("StudyLogK", _per_dataset(log_k)),
        macro("StudyMMDBandwidths", _per_dataset({d: f"{w:.3g}" for d, w in mmd_bandwidths(summary).items()})),
    ]


def holm_families(study: Mapping[str, Any]) -> tuple[int, int]:
    """The sizes of the study's two Holm families: base variants against the baseline, sweep points."""
    return sum(1 for v in study["variants"] if v != BASELINE), len(study_runs(study)) - len(study["variants"])


def significance_floor(study: Mapping[str, Any]) -> dict[str, float]:
    """The smallest p-values the study's seeds and families allow (stats.smallest_p_values)."""
    family, sweep_family = holm_families(study)
    return smallest_p_values(seeds=len(study["seeds"]), family=family, sweep_family=sweep_family)


def _test_macros(study: Mapping[str, Any]) -> list[str]:
    """The tests' level, Holm families and the smallest p-values they allow, and the verdict rule."""
    family, sweep_family = holm_families(study)
    p_values = significance_floor(study)
    return [
        macro("StudyAlpha", f"{ALPHA:g}"),
        macro("StudyHolmFamily", family),
        macro("StudySmallestRawP", f"{p_values['raw']:.3g}"),
        macro("StudySmallestP", p_value(p_values["variants"])),
        macro("StudySignificanceReach", REACH_TEXT[p_values["variants"] < ALPHA]),
        macro("StudySweepFamily", sweep_family),
        macro("StudySweepsSmallestP", p_value(p_values["sweeps"])),
        macro("VerdictWidth", f"{replication.VERDICT_WIDTH:g}"),
        macro("VerdictMinSeeds", replication.MIN_SEEDS),
    ]


def _settings_macros(study: Mapping[str, Any], runs: pd.DataFrame) -> list[str]:
    """Where and at which commit the runs trained, and their settings (tables and text)."""
    table, shared, image_shared = settings_table(study)
    return [
        macro("StudyDevices", latex_escape(", ".join(sorted(set(runs["device"]))))),
        macro("StudyTrainHours", f"{runs['wall_time_s'].sum() / 3600:.2f}"),
        macro("StudyCommit", latex_escape(_commit(runs))),
        macro("SettingsTable", table, key="train, image_train, variants, sweeps"),
        macro("SharedSettings", shared, key="train"),
        macro("ImageSettings", image_shared, key="image_train"),
        macro("StudyConfidence", f"{study['evaluation']['confidence']:g}", key="evaluation.confidence"),
        macro(
            "StudyImageSamples",
            thousands(TrainSettings(**shared_settings(study, image=True)).snapshot_samples),
            key="image_train.snapshot_samples",
        ),
        macro("Baseline", latex_escape(BASELINE)),
        macro("StudyEnsembleSize", study.get("ensemble_size") or len(study["seeds"]), key="ensemble_size"),
        macro("VariantsTable", variants_table(list(study["variants"])), key="variants"),
        macro("StudyImageNets", image_nets_text(study), key="image_train.image_arch"),
    ]


def _constant_macros() -> list[str]:
    """The code's constants that the text states: the datasets' (data.DATASETS) and the published
    evaluation's sample size (replication)."""
    ring, grid = get_dataset("ring8"), get_dataset("grid25")
    digits, mnist, stacked = get_dataset("digits"), get_dataset("mnist"), get_dataset("stacked-digits")
    return [
        macro("RingModes", ring.n_modes),
        macro("RingRadius", f"{math.hypot(*ring.centers[0]):g}"),
        macro("RingStd", f"{ring.std:g}"),
        macro("GridModes", grid.n_modes),
        macro("GridValues", ",".join(f"{value:g}" for value in sorted({x for x, _ in grid.centers}))),
        macro("GridStd", f"{grid.std:g}"),
        macro("DigitsSide", digits.image_size),
        macro("DigitsClasses", digits.n_modes),
        macro("DigitsTrainShare", percent(1 - DIGITS_TEST_FRACTION)),
        macro("DigitsHeldOutShare", percent(DIGITS_TEST_FRACTION)),
        macro("MnistSide", mnist.image_size),
        macro("StackedModes", stacked.n_modes),
        macro("PublishedStackedSamples", thousands(published.VEEGAN_STACKED["snapshot_samples"])),
    ]


def study_macros(*, study: Mapping[str, Any], runs: pd.DataFrame, summary: pd.DataFrame) -> str:
    """The study's settings and headline numbers, and the code's constants that the text states,
    as LaTeX macros, one per fact (tests/test_paper_macros.py checks each against its source)."""
    return "\n".join(
        [
            "% Generated by the workflow's study_macros rule: do not edit.",
            *_design_macros(study, runs),
            *_outcome_macros(study, summary),
            *_test_macros(study),
            *_settings_macros(study, runs),
            *_constant_macros(),
            "",
        ]
    )
