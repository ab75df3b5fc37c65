"""Which run of a study stands beside each published row (the tables are data in published.py), the
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
from .published import MODEL_KEYS, PublishedRow, PublishedTable
from .stats import ALPHA

VERDICT_WIDTH = 2.0  # combined standard errors within which ours agrees with the published mean
MIN_SEEDS = 2  # fewest aggregated seeds for a standard error, and so for a verdict
AGREES, HIGHER, LOWER = "agrees", "higher", "lower"

# How a row stands beside the study (Match.status)
MATCHED = "matched"  # a run of the row's setting: verdicts possible
OTHER_SETTING = "other setting"  # nearest run of the same model in another setting: no verdict
NOT_PUBLISHED = "setting not published"  # the row's setting is not fully published: context only
NO_RUN = "no run"  # the study has no run of the row's dataset and model

MISSING = object()  # a required setting the study's TrainSettings does not have


# Which rule gave a verdict: both standard errors, or, where the paper gives a mean of n_pub runs
# without one, our seeds' spread standing in for its runs' (docs/protocol.md §7)
SE_RULE, SPREAD_RULE = "standard errors", "our spread"


def _missing(value: float | None) -> bool:
    return value is None or not math.isfinite(value)


def verdict_rule(*, published_se: float | None, published_n: int | None) -> str | None:
    """The rule a verdict on a published number would use: SE_RULE with its standard error,
    SPREAD_RULE without one when the runs behind its mean are known, else None (no verdict)."""
    if not _missing(published_se):
        return SE_RULE
    return SPREAD_RULE if published_n else None


def verdict(
    *,
    ours: float,
    ours_se: float | None,
    ours_n: int,
    published: float,
    published_se: float | None,
    published_n: int | None = None,
    allowed: bool = True,
) -> str | None:
    """ "agrees" when |ours − published| ≤ VERDICT_WIDTH · √(ours_se² + published_se²), else
    "higher" or "lower" (ours against the published mean). Without a published standard error,
    a mean of `published_n` runs agrees when |ours − published| ≤ VERDICT_WIDTH · sd_ours ·
    √(1/ours_n + 1/published_n), sd_ours = ours_se · √ours_n: our seeds' spread estimates the
    paper's runs' (a prediction interval for a single published run); with sd_ours 0 only
    equality agrees. None when our standard error is missing (None or NaN), `ours_n` < MIN_SEEDS,
    the published number has neither a standard error nor `published_n`, or the row allows no
    verdict (`allowed`)."""
    rule = verdict_rule(published_se=published_se, published_n=published_n)
    if not allowed or ours_n < MIN_SEEDS or _missing(ours_se) or rule is None:
        return None
    if rule == SE_RULE:
        width = VERDICT_WIDTH * math.hypot(ours_se, published_se)
    else:
        width = VERDICT_WIDTH * ours_se * math.sqrt(ours_n) * math.sqrt(1 / ours_n + 1 / published_n)
    if abs(ours - published) <= width:
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


def row_verdicts(
    match: Match, summary: Mapping[tuple[str, str, str], Mapping[str, Any]], *, trials: int | None = None
) -> dict[str, str | None]:
    """The verdict on each published number of a matched row against our summary row
    (summary: (dataset, run, metric) -> row with n, mean, sem); None where no verdict applies,
    always None beside a run of another setting. `trials`: the runs behind the table's means,
    unless the row gives its own (the spread rule of numbers without a standard error)."""
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
                published_n=match.row.trials or trials,
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
