"""The published tables as data, which run of a study stands beside each published row, the
verdict rule, and the directions of difference that the published rows imply.

Definitions (docs/protocol.md §5 for the numbers, §7 for the replication rule):

- A *published table* has its own setting: the study data it needs (`data`, keys of the study's
  `data` section) and, per row, every training setting the row's run must have (`settings`, a
  dict of TrainSettings field -> value, loss and tricks included).
- A row is *matched* to a run when the study trains the row's dataset, the study's data settings
  equal the table's `data`, and the run's resolved settings equal every required setting (values
  compared exactly as the config gives them: 1e-4 == 0.0001, but True is not 1). Only rows whose
  setting is fully published can be matched.
- A row that is not matched, on a dataset the study trains, is shown beside the *nearest* run of
  the same model (same loss and trick settings, `MODEL_KEYS`): the one with the fewest differing
  settings (the first in the study's order on ties), with the list of those settings. It gets
  no verdict: it is another setting.
- The *verdict* on a published number: "agrees" when |ours − published| ≤ VERDICT_WIDTH ·
  √(se_ours² + se_published²), else "higher" or "lower" (ours against the published mean);
  none when either standard error is missing, fewer than MIN_SEEDS seeds were aggregated, or the
  row allows no verdict (setting not fully published, no published error bars, or no run of its
  setting).
- A *published direction* is a difference between a row and its `baseline` row (same table,
  same group) that the published numbers themselves show by the same rule: |difference| >
  VERDICT_WIDTH · √(se_row² + se_baseline²).

High-quality shares are stored as fractions (the papers print per cent), as our metrics are.
Sources: Lin et al. 2018 (PacGAN), fjxmlzn/PacGAN; Srivastava et al. 2017 (VEEGAN), akashgit/VEEGAN;
Metz et al. 2017 (Unrolled GAN) as PacGAN reprints it.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Mapping, Sequence

import pandas as pd

from .config import TrainSettings, base_variant, study_runs
from .metrics import HIGH_QUALITY_FRACTION, MODES_COVERED, REVERSE_KL
from .stats import ALPHA

VERDICT_WIDTH = 2.0  # combined standard errors within which ours agrees with the published mean
MIN_SEEDS = 2  # fewest aggregated seeds for a standard error, and so for a verdict
AGREES, HIGHER, LOWER = "agrees", "higher", "lower"

# How a row stands beside the study (Match.status)
MATCHED = "matched"  # a run of the row's setting: verdicts possible
OTHER_SETTING = "other setting"  # nearest run of the same model in another setting: no verdict
NOT_PUBLISHED = "setting not published"  # the row's setting is not fully published: context only
NO_RUN = "no run"  # the study has no run of the row's dataset and model

# Every TrainSettings field is either a model setting (the loss and every trick: a nearest run must
# share them, and a published row that does not name one has it off, at its default) or a training
# setting (steps, optimiser, nets, evaluation sample: compared only where a row requires them).
# tests/test_replication.py fails when a new field is in neither, so a new trick cannot slip past
# the matching and give a trick run a verdict against a plain-GAN row.
MODEL_KEYS = (
    "loss",
    "pack",
    "unrolled_steps",
    "gp_weight",
    "r1_gamma",
    "spectral_norm",
    "minibatch_kernels",
    "feature_matching",
    "instance_noise",
    "weight_clip",
)
TRAINING_KEYS = (
    "steps",
    "batch_size",
    "lr",
    "beta1",
    "beta2",
    "g_lr",
    "g_beta1",
    "g_beta2",
    "update",
    "d_steps",
    "g_steps",
    "z_dim",
    "z_distribution",
    "z_reuse",
    "g_width",
    "g_depth",
    "g_batchnorm",
    "bn_momentum",
    "d_width",
    "d_depth",
    "d_maxout",
    "image_arch",
    "init_std",
    "snapshot_every",
    "snapshot_samples",
    "log_every",
    "optimizer",
    "minibatch_kernel_dim",
    "train_size",
)
# every trick off (TrainSettings' defaults), and all of the training data, as in every published table
TRICKS_OFF: dict[str, Any] = {
    **{key: getattr(TrainSettings(), key) for key in MODEL_KEYS if key != "loss"},
    "train_size": TrainSettings().train_size,
}
MISSING = object()  # a required setting the study's TrainSettings does not have


@dataclasses.dataclass(frozen=True)
class PublishedRow:
    """One published model's numbers: {metric: (mean, standard error or None)}.

    `settings` are the TrainSettings a run must have to be this row's setting (None: a model
    this project does not implement). `setting_published` is False when the paper leaves part of
    the setting out; `baseline` names the row (same table and group) that this one improves on;
    `group` separates settings within one table (default: the dataset). Each mean is over the
    table's `trials` unless the row gives its own (numbers copied from another paper)."""

    model: str
    dataset: str
    settings: Mapping[str, Any] | None
    numbers: Mapping[str, tuple[float, float | None]]
    setting_published: bool = True
    baseline: str | None = None
    group: str | None = None
    trials: int | None = None  # runs behind each mean when not the table's (rows copied from another paper)

    @property
    def label(self) -> str:
        return self.group or self.dataset

    @property
    def verdict_possible(self) -> bool:
        """Setting fully published and every number with an error bar."""
        return (
            self.setting_published
            and self.settings is not None
            and all(se is not None for _, se in self.numbers.values())
        )


@dataclasses.dataclass(frozen=True)
class PublishedTable:
    """A published table: where it comes from, the study data its setting needs, its rows."""

    id: str
    title: str
    cite: str  # bibliography key of the paper
    source: str  # repository and file of the numbers and the setting
    trials: int  # runs behind each published mean
    data: Mapping[str, Any]  # study `data` keys and the values the setting needs
    metrics: tuple[str, ...]
    rows: tuple[PublishedRow, ...]
    note: str = ""


def _rows(
    dataset: str, settings: Mapping[str, Any], entries, *, group: str | None = None, **common
) -> tuple[PublishedRow, ...]:
    """Rows of one dataset and setting: entries are (model, settings changes or None for a
    model this project does not implement, numbers, baseline)."""
    return tuple(
        PublishedRow(
            model=model,
            dataset=dataset,
            settings=None if changes is None else {**settings, **changes},
            numbers=numbers,
            baseline=baseline,
            group=group,
            **common,
        )
        for model, changes, numbers, baseline in entries
    )


# PacGAN's 2D setting (synthetic_data_experiments/ in fjxmlzn/PacGAN; docs/protocol.md §1)
PACGAN_2D = {
    "loss": "gan-ns",
    "steps": 400_000,
    "batch_size": 100,
    "lr": 1e-4,
    "beta1": 0.8,
    "beta2": 0.999,
    "g_lr": None,
    "g_beta1": None,
    "g_beta2": None,
    "update": "simultaneous",
    "d_steps": 1,
    "g_steps": 1,
    "z_dim": 2,
    "z_distribution": "normal",
    "g_width": 400,
    "g_depth": 4,
    "g_batchnorm": True,
    "d_width": 200,
    "d_depth": 3,
    "d_maxout": 5,
    "init_std": 0.02,
    "bn_momentum": 0.05,
    "snapshot_samples": 2500,
    "optimizer": "adam",
    **TRICKS_OFF,
}
_M, _HQ, _KL = MODES_COVERED, HIGH_QUALITY_FRACTION, REVERSE_KL
PACGAN_TABLE1 = PublishedTable(
    id="pacgan-table1",
    title="PacGAN (Lin et al. 2018), Table 1",
    cite="pacgan",
    source="fjxmlzn/PacGAN, synthetic_data_experiments/results/Table1.png; setting: synthetic_data_experiments/",
    trials=10,
    data={"size": 100_000},
    metrics=(_M, _HQ, _KL),
    note="ALI: a model this project does not implement (context).",
    rows=(
        *_rows(
            "ring8",
            PACGAN_2D,
            (
                ("GAN", {"pack": 1}, {_M: (6.3, 0.5), _HQ: (0.982, 0.002), _KL: (0.45, 0.09)}, None),
                ("ALI", None, {_M: (6.6, 0.3), _HQ: (0.976, 0.004), _KL: (0.36, 0.04)}, None),
                ("PacGAN2", {"pack": 2}, {_M: (7.9, 0.1), _HQ: (0.956, 0.020), _KL: (0.07, 0.03)}, "GAN"),
                ("PacGAN3", {"pack": 3}, {_M: (7.8, 0.1), _HQ: (0.977, 0.003), _KL: (0.10, 0.02)}, "GAN"),
                ("PacGAN4", {"pack": 4}, {_M: (7.8, 0.1), _HQ: (0.959, 0.014), _KL: (0.07, 0.02)}, "GAN"),
            ),
        ),
        *_rows(
            "grid25",
            PACGAN_2D,
            (
                ("GAN", {"pack": 1}, {_M: (17.3, 0.8), _HQ: (0.948, 0.007), _KL: (0.70, 0.07)}, None),
                ("ALI", None, {_M: (24.1, 0.4), _HQ: (0.957, 0.006), _KL: (0.14, 0.03)}, None),
                ("PacGAN2", {"pack": 2}, {_M: (23.8, 0.7), _HQ: (0.913, 0.008), _KL: (0.13, 0.04)}, "GAN"),
                ("PacGAN3", {"pack": 3}, {_M: (24.6, 0.4), _HQ: (0.942, 0.004), _KL: (0.06, 0.02)}, "GAN"),
                ("PacGAN4", {"pack": 4}, {_M: (24.8, 0.2), _HQ: (0.936, 0.006), _KL: (0.04, 0.01)}, "GAN"),
            ),
        ),
    ),
)

# VEEGAN's 2D table: 5 runs, no error bars, networks not fully published: context only.
_VEEGAN_MODEL = {"loss": "gan-ns", **TRICKS_OFF}
# (model, settings changes or None when not implemented here, baseline) of VEEGAN's rows
_VEEGAN_MODELS = (
    ("GAN", {}, None),
    ("ALI", None, None),
    ("Unrolled GAN", {"unrolled_steps": 5}, "GAN"),
    ("VEEGAN", None, None),
)
VEEGAN_TABLE1 = PublishedTable(
    id="veegan-table1",
    title="VEEGAN (Srivastava et al. 2017), Table 1",
    cite="veegan",
    source="akashgit/VEEGAN, tab.png",
    trials=5,
    data={},
    metrics=(_M, _HQ),
    rows=tuple(
        row
        for dataset, numbers in (
            ("ring8", ((1.0, 0.993), (2.8, 0.0013), (7.6, 0.356), (8.0, 0.529))),
            ("grid25", ((3.3, 0.005), (15.8, 0.016), (23.6, 0.16), (24.6, 0.40))),
        )
        for row in _rows(
            dataset,
            _VEEGAN_MODEL,
            (
                (model, changes, {_M: (modes, None), _HQ: (quality, None)}, baseline)
                for (model, changes, baseline), (modes, quality) in zip(_VEEGAN_MODELS, numbers)
            ),
            setting_published=False,
        )
    ),
    note=(
        "Mean of 5 runs without error bars; the networks are not fully published, so no run is this "
        "table's setting (context). ALI and VEEGAN: models this project does not implement."
    ),
)

# PacGAN's Stacked MNIST in the VEEGAN setting (stacked_MNIST_experiments/VEEGAN_experiment/
# {config,model}.py; docs/protocol.md §2): 50 epochs of 128,000 images at batch 64 = 100,000 steps.
VEEGAN_STACKED = {
    "loss": "gan-ns",
    "image_arch": "veegan-dcgan",
    "g_width": 64,
    "d_width": 64,
    "z_dim": 100,
    "z_distribution": "uniform",
    "lr": 2e-4,
    "beta1": 0.5,
    "beta2": 0.999,
    "g_lr": None,
    "g_beta1": None,
    "g_beta2": None,
    "batch_size": 64,
    "update": "alternating",
    "d_steps": 1,
    "g_steps": 2,
    "steps": 100_000,
    "z_reuse": True,
    "init_std": 0.02,
    "bn_momentum": 0.1,
    "snapshot_samples": 26_000,
    "optimizer": "adam",
    **TRICKS_OFF,
}
_PACGAN_STACKED_ROWS = (
    ("DCGAN", {"pack": 1}, {_M: (78.9, 6.46), _KL: (4.50, 0.127)}, None),
    ("PacDCGAN2", {"pack": 2}, {_M: (1000.0, 0.00), _KL: (0.06, 0.003)}, "DCGAN"),
    ("PacDCGAN3", {"pack": 3}, {_M: (1000.0, 0.00), _KL: (0.06, 0.003)}, "DCGAN"),
    ("PacDCGAN4", {"pack": 4}, {_M: (1000.0, 0.00), _KL: (0.07, 0.005)}, "DCGAN"),
)
PACGAN_TABLE2 = PublishedTable(
    id="pacgan-table2",
    title="PacGAN (Lin et al. 2018), Table 2",
    cite="pacgan",
    source=(
        "fjxmlzn/PacGAN, stacked_MNIST_experiments/results/Table2.png; setting: "
        "stacked_MNIST_experiments/VEEGAN_experiment/{config,model}.py"
    ),
    trials=10,
    data={"stacked_size": 128_000, "stack_from": "all"},
    metrics=(_M, _KL),
    rows=(
        *_rows(
            "stacked-mnist",
            VEEGAN_STACKED,
            (
                ("DCGAN [V]", {}, {_M: (99.0, None), _KL: (3.40, None)}, None),
                ("ALI [V]", None, {_M: (16.0, None), _KL: (5.40, None)}, None),
                ("Unrolled GAN [V]", {"unrolled_steps": 5}, {_M: (48.7, None), _KL: (4.32, None)}, None),
                ("VEEGAN [V]", None, {_M: (150.0, None), _KL: (2.95, None)}, None),
            ),
            setting_published=False,
            trials=5,
        ),
        *_rows("stacked-mnist", VEEGAN_STACKED, _PACGAN_STACKED_ROWS),
    ),
    note=(
        "[V]: VEEGAN's numbers (26,000 samples, 5 runs) as PacGAN copies them, without error bars: context. "
        "ALI and VEEGAN: models this project does not implement."
    ),
)

# PacGAN's Stacked MNIST in the Unrolled-GAN setting (stacked_MNIST_experiments/
# unrolled_GAN_experiment/D=0.25G and D=0.5G): images stacked on the fly, 50 trials.
UNROLLED_STACKED = {
    "loss": "gan-ns",
    "image_arch": "unrolled-gan",
    "g_width": 8,
    "z_dim": 256,
    "z_distribution": "normal",
    "lr": 2e-4,
    "g_lr": 1e-4,
    "beta1": 0.5,
    "beta2": 0.99,
    "g_beta1": None,
    "g_beta2": None,
    "batch_size": 128,
    "steps": 500_000,
    "update": "alternating",
    "d_steps": 1,
    "g_steps": 1,
    "z_reuse": True,
    "init_std": 0.02,
    "snapshot_samples": 25_600,
    "optimizer": "adam",
    **TRICKS_OFF,
}
# (model, settings changes, baseline, numbers with D = G/4, numbers with D = G/2)
_TABLE3 = (
    ("DCGAN [M]", {}, None, (30.6, 20.73, 5.99, 0.42), (628.0, 140.9, 2.58, 0.75)),
    (
        "Unrolled GAN, 1 step [M]",
        {"unrolled_steps": 1},
        "DCGAN [M]",
        (65.4, 34.75, 5.91, 0.14),
        (523.6, 55.77, 2.44, 0.26),
    ),
    (
        "Unrolled GAN, 5 steps [M]",
        {"unrolled_steps": 5},
        "DCGAN [M]",
        (236.4, 63.30, 4.67, 0.43),
        (732.0, 44.98, 1.66, 0.09),
    ),
    (
        "Unrolled GAN, 10 steps [M]",
        {"unrolled_steps": 10},
        "DCGAN [M]",
        (327.2, 74.67, 4.66, 0.46),
        (817.4, 37.91, 1.43, 0.12),
    ),
    ("DCGAN", {}, None, (78.5, 17.56, 5.21, 0.19), (487.7, 34.59, 2.24, 0.15)),
    ("PacDCGAN2", {"pack": 2}, "DCGAN", (484.5, 32.99, 2.61, 0.22), (840.7, 15.92, 1.00, 0.05)),
    ("PacDCGAN3", {"pack": 3}, "DCGAN", (601.3, 32.18, 2.00, 0.17), (866.6, 12.10, 0.90, 0.04)),
    ("PacDCGAN4", {"pack": 4}, "DCGAN", (667.4, 29.00, 1.81, 0.15), (820.2, 25.50, 1.15, 0.14)),
)
PACGAN_TABLE3 = PublishedTable(
    id="pacgan-table3",
    title="PacGAN (Lin et al. 2018), Table 3",
    cite="pacgan",
    source=(
        "fjxmlzn/PacGAN, stacked_MNIST_experiments/results/Table3.png; setting: "
        "stacked_MNIST_experiments/unrolled_GAN_experiment/{D=0.25G,D=0.5G}/"
    ),
    trials=50,
    data={"stacked_size": 0, "stack_from": "train"},
    metrics=(_M, _KL),
    rows=tuple(
        row
        for group, d_width, column in (("stacked-mnist, D = G/4", 2, 0), ("stacked-mnist, D = G/2", 4, 1))
        for row in _rows(
            "stacked-mnist",
            {**UNROLLED_STACKED, "d_width": d_width},
            [
                (model, changes, {_M: numbers[column][:2], _KL: numbers[column][2:]}, baseline)
                for model, changes, baseline, *numbers in _TABLE3
            ],
            group=group,
        )
    ),
    note=(
        "[M]: Metz et al.'s numbers (Unrolled GAN) as PacGAN reprints them; that their error bars are standard "
        "errors, and over how many runs, is unverified (docs/protocol.md §5.4)."
    ),
)

PUBLISHED_TABLES: tuple[PublishedTable, ...] = (PACGAN_TABLE1, VEEGAN_TABLE1, PACGAN_TABLE2, PACGAN_TABLE3)


def verdict(
    *,
    ours: float,
    ours_se: float | None,
    ours_n: int,
    published: float,
    published_se: float | None,
    allowed: bool = True,
) -> str | None:
    """ "agrees" when |ours − published| ≤ VERDICT_WIDTH · √(ours_se² + published_se²), else
    "higher" or "lower" (ours against the published mean); None when either standard error is
    missing (None or NaN), `ours_n` < MIN_SEEDS, or the row allows no verdict (`allowed`)."""
    errors = (ours_se, published_se)
    if not allowed or ours_n < MIN_SEEDS or any(se is None or not math.isfinite(se) for se in errors):
        return None
    if abs(ours - published) <= VERDICT_WIDTH * math.hypot(*errors):
        return AGREES
    return HIGHER if ours > published else LOWER


def same_value(ours: Any, required: Any) -> bool:
    """Exact equality as the config gives values (1e-4 == 0.0001, 0 == 0.0), with a bool
    equal only to a bool and None only to None."""
    if ours is MISSING or isinstance(ours, bool) != isinstance(required, bool):
        return False
    return ours == required


def differing_settings(required: Mapping[str, Any], settings: Mapping[str, Any], *, prefix: str = "") -> list[str]:
    """Names of the required settings whose value in `settings` differs (or is absent)."""
    return [prefix + key for key, value in required.items() if not same_value(settings.get(key, MISSING), value)]


@dataclasses.dataclass(frozen=True)
class Match:
    """How a published row stands beside the study: its status, our run (matched or nearest
    of the same model; None with NO_RUN) and, for a nearest run, the settings that differ
    (study data keys prefixed "data.")."""

    row: PublishedRow
    status: str
    run: str | None = None
    differs: tuple[str, ...] = ()


def match_row(
    row: PublishedRow,
    *,
    table_data: Mapping[str, Any],
    study_data: Mapping[str, Any],
    runs: Mapping[str, Mapping[str, Mapping[str, Any]]],
) -> Match:
    """The row's run in a study whose resolved settings are `runs` (dataset -> run name ->
    TrainSettings as a dict) and whose data settings are `study_data` (see the module's rules)."""
    if row.settings is None or row.dataset not in runs:
        return Match(row=row, status=NO_RUN)
    data_differs = differing_settings(table_data, study_data, prefix="data.")
    model = {key: row.settings.get(key, getattr(TrainSettings(), key)) for key in MODEL_KEYS}  # unnamed: off
    required = {**row.settings, **model}  # the row's settings in its order, then any model setting it leaves off
    differs = {
        name: tuple(data_differs + differing_settings(required, settings))
        for name, settings in runs[row.dataset].items()
    }
    same_model = [name for name, settings in runs[row.dataset].items() if not differing_settings(model, settings)]
    if not same_model:
        return Match(row=row, status=NO_RUN)
    nearest = min(same_model, key=lambda name: len(differs[name]))  # first of the study's order on ties
    if not row.setting_published:
        return Match(row=row, status=NOT_PUBLISHED, run=nearest)
    status = MATCHED if not differs[nearest] else OTHER_SETTING
    return Match(row=row, status=status, run=nearest, differs=differs[nearest])


def match_table(
    table: PublishedTable, *, study_data: Mapping[str, Any], runs: Mapping[str, Mapping[str, Mapping[str, Any]]]
) -> list[Match]:
    """Every row of `table` matched against the study (match_row)."""
    return [match_row(row, table_data=table.data, study_data=study_data, runs=runs) for row in table.rows]


def study_settings(study: Mapping[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """dataset -> run name -> resolved settings as a dict, for every dataset of a validated study."""
    return {
        dataset: {name: dataclasses.asdict(settings) for name, settings in study_runs(study, dataset).items()}
        for dataset in study["datasets"]
    }


def row_verdicts(match: Match, summary: Mapping[tuple[str, str, str], Mapping[str, Any]]) -> dict[str, str | None]:
    """The verdict on each published number of a matched row against our summary row
    (summary: (dataset, run, metric) -> row with n, mean, sem); None where no verdict applies,
    always None beside a run of another setting."""
    verdicts = {}
    for metric, (published, published_se) in match.row.numbers.items():
        ours = summary.get((match.row.dataset, match.run, metric)) if match.status == MATCHED else None
        verdicts[metric] = (
            None
            if ours is None
            else verdict(
                ours=ours["mean"],
                ours_se=ours["sem"],
                ours_n=int(ours["n"]),
                published=published,
                published_se=published_se,
                allowed=match.row.verdict_possible,
            )
        )
    return verdicts


@dataclasses.dataclass(frozen=True)
class Direction:
    """A difference the published numbers show: `model` is above (sign +1) or below (−1)
    `baseline` on `metric`, within one table and group."""

    table: str
    group: str
    dataset: str
    model: str
    baseline: str
    metric: str
    sign: int


def published_directions(table: PublishedTable) -> list[Direction]:
    """Each (row, its baseline row, metric) whose published difference exceeds VERDICT_WIDTH
    combined standard errors; rows without error bars or a published setting imply none."""
    by_label = {(row.label, row.model): row for row in table.rows}
    directions = []
    for row in table.rows:
        base = by_label.get((row.label, row.baseline))
        if base is None or not (row.verdict_possible and base.verdict_possible):
            continue
        for metric in (m for m in table.metrics if m in row.numbers and m in base.numbers):
            (mean, se), (base_mean, base_se) = row.numbers[metric], base.numbers[metric]
            if abs(mean - base_mean) > VERDICT_WIDTH * math.hypot(se, base_se):
                directions.append(
                    Direction(
                        table=table.id,
                        group=row.label,
                        dataset=row.dataset,
                        model=row.model,
                        baseline=base.model,
                        metric=metric,
                        sign=1 if mean > base_mean else -1,
                    )
                )
    return directions


# What our test of a published direction shows: the sign of our difference ...
SAME, OPPOSITE, NO_DIFFERENCE, UNTESTED = "same direction", "opposite direction", "no difference", "untested"
# ... and its significance (Holm-adjusted p against ALPHA)
SIGNIFICANT, NOT_SIGNIFICANT = "significant", "not significant"
UNREACHABLE = "unreachable"  # the smallest Holm-adjusted p the seed counts allow (min_p) is ≥ ALPHA


@dataclasses.dataclass(frozen=True)
class DirectionCheck:
    """A published direction beside our two runs and our test of the one against the other:
    the sign of our mean difference (`sign`: SAME, OPPOSITE, NO_DIFFERENCE or UNTESTED) and
    its `significance` (SIGNIFICANT, NOT_SIGNIFICANT, UNREACHABLE or UNTESTED)."""

    direction: Direction
    run: str
    baseline_run: str
    settings: str  # MATCHED when both runs are their rows' setting, else OTHER_SETTING
    sign: str
    significance: str
    mean_difference: float = math.nan
    p_holm: float = math.nan
    min_p: float = math.nan


def _float(value: Any) -> float:
    return math.nan if value is None else float(value)


def _sign(direction: Direction, mean_difference: float) -> str:
    if not math.isfinite(mean_difference):
        return UNTESTED
    if mean_difference == 0:
        return NO_DIFFERENCE
    return SAME if (mean_difference > 0) == (direction.sign > 0) else OPPOSITE


def _significance(*, p_holm: float, min_p: float, significant: bool) -> str:
    if min_p >= ALPHA:  # NaN (not known) compares False
        return UNREACHABLE
    if not math.isfinite(p_holm):
        return UNTESTED
    return SIGNIFICANT if significant else NOT_SIGNIFICANT


def check_directions(
    directions: Sequence[Direction], matches: Sequence[Match], tests: pd.DataFrame
) -> list[DirectionCheck]:
    """For each published direction whose two rows both have a run in the study (of their
    setting or another, see `Match`), our test of the one run against the other (a row of
    tests.parquet: variant against baseline, per dataset and metric) and what it shows. When the
    study does not test the two runs against each other (a row's nearest run may be a sweep point,
    which is tested only against its own base), their base variants are compared instead; a pair
    the study's tests do not compare either way is UNTESTED."""
    runs = {(m.row.label, m.row.model): m for m in matches if m.run is not None}
    index = {(r["dataset"], r["variant"], r["baseline"], r["metric"]): r for r in tests.to_dict("records")}
    checks = []
    for direction in directions:
        mine, base = runs.get((direction.group, direction.model)), runs.get((direction.group, direction.baseline))
        if mine is None or base is None or mine.run == base.run:
            continue
        # the rows' own runs when the study tests them against each other; otherwise their base
        # variants (a row matched to a sweep point, e.g. gan-ns@lr=0.0001, is tested as gan-ns)
        pairs = [(mine.run, base.run), (base_variant(mine.run), base_variant(base.run))]
        run, baseline_run = next(
            (pair for pair in pairs if (direction.dataset, *pair, direction.metric) in index), pairs[0]
        )
        if run == baseline_run:
            continue
        test = index.get((direction.dataset, run, baseline_run, direction.metric), {})
        numbers = {key: _float(test.get(key)) for key in ("mean_difference", "p_holm", "min_p")}
        checks.append(
            DirectionCheck(
                direction=direction,
                run=run,
                baseline_run=baseline_run,
                settings=MATCHED if mine.status == base.status == MATCHED else OTHER_SETTING,
                sign=_sign(direction, numbers["mean_difference"]),
                significance=_significance(
                    **{k: numbers[k] for k in ("p_holm", "min_p")}, significant=bool(test.get("significant", False))
                ),
                **numbers,
            )
        )
    return checks
