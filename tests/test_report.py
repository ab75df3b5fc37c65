"""The report's generated parts: every number of its text against the config or the tables it
comes from, the replication section's matching and verdict rules, and that it compiles: from the
study's own directory only, to the same bytes wherever and whenever it is built."""

import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import REPO
from modecollapse import replication as rep
from modecollapse import report
from modecollapse.config import load_config, validate_config
from modecollapse.data import ONLINE_REFERENCE_SIZE
from modecollapse.evaluate import LEVELLED_OFF, UNDER_TRAINED
from modecollapse.metrics import (
    ENERGY_DISTANCE, HIGH_QUALITY_FRACTION, MMD_BANDWIDTH, MODES_COVERED, NO_HIGH_QUALITY, PLATEAU_MIN_SNAPSHOTS, REVERSE_KL,
    WASSERSTEIN_1,
)
from modecollapse.provenance import provenance
from modecollapse.stats import ALPHA, SUMMARY_COLUMNS, compare_with_baseline, smallest_p_value

SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"


# --- synthetic study, runs, summary and tests ------------------------------------------------


def _study(schema, **changes):
    """A small validated study on every kind of dataset: 2D, digits and stacked digits."""
    config = {
        "scale": "test",
        "datasets": ["ring8", "grid25", "stacked-digits"],
        "seeds": [0, 1, 2, 3, 4],
        "data": {"seed": 3, "size": 12_000, "stacked_size": 5_000, "stack_from": "all"},
        "evaluation": {"threshold": 2.5, "confidence": 0.8, "collapse_coverage": 0.4, "plateau_window": 0.2,
                       "plateau_tolerance": 0.05},
        "train": {"steps": 500, "snapshot_every": 100},
        "variants": {"gan-ns": {}, "pacgan-2": {}, "hinge": {}},
        "sweeps": {"gan-ns": {"lr": [0.003, 0.01]}},
    }
    for key, value in changes.items():
        config[key] = {**config[key], **value} if isinstance(value, dict) and key != "variants" else value
    return validate_config(config, schema=schema)


def _runs(study, *, diverged=()):
    """The runs table: one row per (dataset, run name, seed); `diverged` (dataset, run) pairs diverged."""
    names = list(rep.study_settings(study)[study["datasets"][0]])
    rows = [
        {"dataset": d, "variant": v, "seed": s, "status": "diverged" if (d, v) in diverged else "ok",
         "diverged_step": 0, "device": "cpu", "wall_time_s": 36.0, "git_commit": "0123456789abcdef"}
        for d in study["datasets"] for v in names for s in study["seeds"]
    ]
    return pd.DataFrame(rows)


def _row(dataset, variant, metric, values, *, n_runs=None, n_diverged=0):
    """A summary row of `values` (NaN left out of n, as stats.summarise_final does)."""
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    n = len(finite)
    return {
        "dataset": dataset, "variant": variant, "metric": metric, "n": n,
        "n_runs": len(values) if n_runs is None else n_runs, "n_diverged": n_diverged,
        "mean": finite.mean() if n else math.nan, "sem": finite.std(ddof=1) / math.sqrt(n) if n > 1 else math.nan,
        "ci_low": finite.min() if n > 1 else math.nan, "ci_high": finite.max() if n > 1 else math.nan,
    }


def _summary(rows):
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


def _tests(rows):
    columns = ["dataset", "variant", "baseline", "family", "metric", "n", "n_baseline", "mean_difference", "u_statistic",
               "p_value", "p_holm", "min_p", "significant", "effect_size"]
    return pd.DataFrame([{**dict.fromkeys(columns, math.nan), **row} for row in rows], columns=columns)


def _macros(text):
    """\\newcommand{\\Name}{value} of a generated macros file, as {Name: value}."""
    return dict(re.findall(r"^\\newcommand\{\\(\w+)\}\{(.*)\}$", text, flags=re.MULTILINE))


def _number(macro):
    """A macro's number: 12{,}000 -> 12000, 20\\% -> 0.2."""
    text = macro.replace("{,}", "")
    return float(text[:-2]) / 100 if text.endswith(r"\%") else float(text)


# --- the verdict rule ------------------------------------------------------------------------


def test_verdict_agrees_within_two_combined_standard_errors():
    # PacGAN2 on ring8: 7.9 ± 0.1 published, ours 8.0 ± 0.0 over 10 seeds: |0.1| <= 2 * 0.1
    assert rep.verdict(ours=8.0, ours_se=0.0, ours_n=10, published=7.9, published_se=0.1) == rep.AGREES


def test_verdict_higher_and_lower_outside_the_band():
    # GAN on ring8: 6.3 ± 0.5 published, ours 8.0 ± 0.0: |1.7| > 2 * 0.5
    assert rep.verdict(ours=8.0, ours_se=0.0, ours_n=10, published=6.3, published_se=0.5) == rep.HIGHER
    assert rep.verdict(ours=5.0, ours_se=0.3, ours_n=10, published=6.3, published_se=0.5) == rep.LOWER
    band = rep.VERDICT_WIDTH * math.hypot(0.3, 0.4)  # exactly on the band's edge still agrees
    assert rep.verdict(ours=1.0 + band, ours_se=0.3, ours_n=5, published=1.0, published_se=0.4) == rep.AGREES


@pytest.mark.parametrize("case", [
    {"published_se": None},  # no published error bar
    {"ours_se": math.nan},  # no standard error of ours
    {"ours_n": rep.MIN_SEEDS - 1},  # too few seeds
    {"allowed": False},  # the row allows no verdict
])
def test_no_verdict_without_error_bars_seeds_or_permission(case):
    arguments = {"ours": 8.0, "ours_se": 0.0, "ours_n": 10, "published": 7.9, "published_se": 0.1, **case}
    assert rep.verdict(**arguments) is None


def test_rows_without_error_bars_or_published_setting_allow_no_verdict():
    assert all(not row.verdict_possible for row in rep.VEEGAN_TABLE1.rows)
    assert all(row.verdict_possible for row in rep.PACGAN_TABLE3.rows)
    assert [row.model for row in rep.PACGAN_TABLE1.rows if not row.verdict_possible] == ["ALI", "ALI"]  # not implemented
    context = [row.model for row in rep.PACGAN_TABLE2.rows if not row.verdict_possible]
    assert context == ["DCGAN [V]", "ALI [V]", "Unrolled GAN [V]", "VEEGAN [V]"]
    assert {row.trials for row in rep.PACGAN_TABLE2.rows if row.model.endswith("[V]")} == {5}


def test_published_tables_hold_the_published_numbers():
    ring8 = {row.model: row for row in rep.PACGAN_TABLE1.rows if row.dataset == "ring8"}
    assert ring8["PacGAN2"].numbers == {MODES_COVERED: (7.9, 0.1), HIGH_QUALITY_FRACTION: (0.956, 0.020), REVERSE_KL: (0.07, 0.03)}
    assert ring8["PacGAN4"].settings["pack"] == 4 and ring8["GAN"].settings["update"] == "simultaneous"
    half = {row.model: row for row in rep.PACGAN_TABLE3.rows if row.label.endswith("G/2")}
    assert half["PacDCGAN3"].numbers == {MODES_COVERED: (866.6, 12.10), REVERSE_KL: (0.90, 0.04)}
    assert half["PacDCGAN3"].settings["d_width"] == 4 and half["Unrolled GAN, 10 steps [M]"].settings["unrolled_steps"] == 10
    assert (rep.PACGAN_TABLE1.trials, rep.VEEGAN_TABLE1.trials, rep.PACGAN_TABLE2.trials, rep.PACGAN_TABLE3.trials) == (10, 5, 10, 50)


# --- matching: a verdict only beside a run of the row's own setting ---------------------------


def _implemented(matches):
    """The matches of rows whose model this project implements."""
    return [m for m in matches if m.row.settings is not None]


def _table1_study(schema, **train):
    """The study of config/pacgan-table1.yaml, with `train` changed."""
    config = yaml.safe_load((REPO / "config" / "pacgan-table1.yaml").read_text())
    config["train"].update(train)
    return validate_config(config, schema=schema)


def test_published_settings_match_the_paper_configs():
    for name, table in (("pacgan-table1", rep.PACGAN_TABLE1), ("pacgan-table2", rep.PACGAN_TABLE2), ("pacgan-table3", rep.PACGAN_TABLE3)):
        study = load_config(REPO / "config" / f"{name}.yaml", schema_path=SCHEMA)
        matches = rep.match_table(table, study_data=study["data"], runs=rep.study_settings(study))
        for match in matches:
            expected = rep.MATCHED if match.row.verdict_possible else (rep.NOT_PUBLISHED, rep.NO_RUN)
            assert match.status in expected, (name, match)
    study = load_config(REPO / "config" / "pacgan-table3.yaml", schema_path=SCHEMA)
    matches = rep.match_table(rep.PACGAN_TABLE3, study_data=study["data"], runs=rep.study_settings(study))
    assert {(m.row.label[-3:], m.row.model): m.run for m in matches}[("G/2", "PacDCGAN2")] == "pacgan-2@d_width=4"


def test_other_setting_lists_the_settings_that_differ(schema):
    study = _table1_study(schema, steps=3000, update="alternating")
    study["data"]["size"] = 20_000
    matches = _implemented(rep.match_table(rep.PACGAN_TABLE1, study_data=study["data"], runs=rep.study_settings(study)))
    assert {m.status for m in matches} == {rep.OTHER_SETTING}
    assert {m.differs for m in matches} == {("data.size", "steps", "update")}
    assert [m.run for m in matches if m.row.dataset == "ring8"] == ["gan-ns", "pacgan-2", "pacgan-3", "pacgan-4"]


def test_default_study_shows_table1_rows_as_other_setting():
    study = load_config(REPO / "config" / "config.yaml", schema_path=SCHEMA)
    matches = _implemented(rep.match_table(rep.PACGAN_TABLE1, study_data=study["data"], runs=rep.study_settings(study)))
    trained = [m for m in matches if m.status != rep.NO_RUN]  # the rows whose model the study trains
    assert {m.row.model for m in trained} >= {"GAN", "PacGAN2"}
    assert all(m.status == rep.OTHER_SETTING and "steps" in m.differs for m in trained)
    assert all(m.run is None for m in matches if m.status == rep.NO_RUN)
    settings = rep.study_settings(study)
    for match in trained:  # each listed setting differs, and no other required one
        ours = settings[match.row.dataset][match.run]
        assert set(match.differs) == {key for key, value in match.row.settings.items() if ours[key] != value}
    text = report.replication_section(study=study, settings=settings, summary=_summary([]), tests=_tests([]))
    assert re.search(r"ring8 & GAN & \\begin\{tabular\}\[t\]\{@\{\}l@\{\}\}\\texttt\{gan-ns(@[^}]*)?\}\\\\\{\}other setting \(a\)", text)  # nearest: a sweep point may be
    assert r"Other setting (a): differs in \texttt{steps}," in text


def test_floats_match_as_the_config_gives_them(schema):
    assert rep.same_value(0.0001, 1e-4) and rep.same_value(0, 0.0) and rep.same_value(None, None)
    assert not rep.same_value(1, True) and not rep.same_value(0.0, None) and not rep.same_value(rep.MISSING, 0)
    study = _table1_study(schema, lr=0.00010000001)
    matches = _implemented(rep.match_table(rep.PACGAN_TABLE1, study_data=study["data"], runs=rep.study_settings(study)))
    assert {m.differs for m in matches} == {("lr",)}


def test_no_verdict_beside_a_run_of_another_setting(schema):
    """Even when our numbers equal the published ones, a row of another setting gets none."""
    study = _table1_study(schema, steps=3000)
    settings = rep.study_settings(study)
    rows = [
        _row("ring8", variant, metric, [mean] * 10)
        for variant, model in (("gan-ns", "GAN"), ("pacgan-2", "PacGAN2"))
        for metric, (mean, _) in next(r for r in rep.PACGAN_TABLE1.rows if r.model == model and r.dataset == "ring8").numbers.items()
    ]
    index = report._by_key(_summary(rows))
    for table in rep.PUBLISHED_TABLES:
        for match in rep.match_table(table, study_data=study["data"], runs=settings):
            assert match.status != rep.MATCHED
            assert set(rep.row_verdicts(match, index).values()) == {None}
    verdicts = ("& agrees", r"& \textbf{higher}", r"& \textbf{lower}")
    text = report.replication_section(study=study, settings=settings, summary=_summary(rows), tests=_tests([]))
    assert not any(verdict in text for verdict in verdicts)
    matched = report.replication_section(study=_table1_study(schema), settings=rep.study_settings(_table1_study(schema)),
                                         summary=_summary(rows), tests=_tests([]))
    assert "& agrees" in matched  # the same numbers beside runs of the row's own setting


def test_context_rows_stand_beside_the_same_model_without_verdict():
    study = load_config(REPO / "config" / "config.yaml", schema_path=SCHEMA)
    matches = rep.match_table(rep.VEEGAN_TABLE1, study_data=study["data"], runs=rep.study_settings(study))
    by_model = {(m.row.dataset, m.row.model): m for m in matches}
    assert by_model["ring8", "Unrolled GAN"].status == rep.NOT_PUBLISHED and by_model["ring8", "Unrolled GAN"].run == "unrolled-5"
    assert by_model["ring8", "VEEGAN"].status == rep.NO_RUN and by_model["ring8", "VEEGAN"].run is None
    stacked = rep.match_table(rep.PACGAN_TABLE2, study_data=study["data"], runs=rep.study_settings(study))
    assert {m.status for m in stacked} == {rep.NO_RUN}  # the default study trains no stacked-mnist


def test_replication_table_cells_show_published_and_our_n(schema):
    study = _table1_study(schema)
    summary = _summary([
        _row("ring8", "gan-ns", MODES_COVERED, [8.0] * 10),
        _row("ring8", "pacgan-2", MODES_COVERED, [8.0] * 8 + [math.nan] * 2, n_diverged=2),
    ])
    matches = rep.match_table(rep.PACGAN_TABLE1, study_data=study["data"], runs=rep.study_settings(study))
    text = report.replication_table(rep.PACGAN_TABLE1, matches=matches, summary=report._by_key(summary))
    lines = text.splitlines()
    gan = next(line for line in lines if line.startswith("ring8 & GAN"))
    pacgan2 = next(line for line in lines if line.startswith(" & PacGAN2"))
    assert report._stacked([r"6.3 $\pm$ 0.5", "(n=10)"]) in gan
    assert report._stacked([r"8.0 $\pm$ 0.0", "[8.0, 8.0]", "(n=10)"]) in gan  # ours: mean, CI and n, one above the other
    assert r"\textbf{higher}" in gan  # 8.0 ± 0 against 6.3 ± 0.5
    assert "(n=8 of 10; 2 diverged)" in pacgan2 and "agrees" in pacgan2  # 8.0 against 7.9 ± 0.1


# --- published directions --------------------------------------------------------------------


def test_published_directions_follow_the_verdict_band():
    directions = {(d.group, d.model, d.metric): d.sign for d in rep.published_directions(rep.PACGAN_TABLE1)}
    assert directions[("ring8", "PacGAN2", MODES_COVERED)] == 1 and directions[("ring8", "PacGAN2", REVERSE_KL)] == -1
    assert ("ring8", "PacGAN2", HIGH_QUALITY_FRACTION) not in directions  # 0.956 ± 0.020 vs 0.982 ± 0.002: within the band
    assert directions[("grid25", "PacGAN2", HIGH_QUALITY_FRACTION)] == -1  # 0.913 ± 0.008 vs 0.948 ± 0.007
    assert not rep.published_directions(rep.VEEGAN_TABLE1)  # no error bars: no direction


def test_direction_checks_report_sign_and_significance(schema):
    study = _table1_study(schema, steps=3000)
    matches = rep.match_table(rep.PACGAN_TABLE1, study_data=study["data"], runs=rep.study_settings(study))
    tests = _tests([
        {"dataset": "ring8", "variant": "pacgan-2", "baseline": "gan-ns", "family": "variants", "metric": MODES_COVERED,
         "mean_difference": 1.5, "p_holm": 0.012, "min_p": 0.004, "significant": True},
        {"dataset": "ring8", "variant": "pacgan-2", "baseline": "gan-ns", "family": "variants", "metric": REVERSE_KL,
         "mean_difference": 0.2, "p_holm": 0.4, "min_p": 0.004, "significant": False},
        {"dataset": "ring8", "variant": "pacgan-3", "baseline": "gan-ns", "family": "variants", "metric": MODES_COVERED,
         "mean_difference": 1.0, "p_holm": 0.6, "min_p": 0.2, "significant": False},
    ])
    checks = {(c.direction.group, c.direction.model, c.direction.metric): c
              for c in rep.check_directions(rep.published_directions(rep.PACGAN_TABLE1), matches, tests)}
    first = checks["ring8", "PacGAN2", MODES_COVERED]
    assert (first.sign, first.significance, first.p_holm, first.settings) == (rep.SAME, rep.SIGNIFICANT, 0.012, rep.OTHER_SETTING)
    second = checks["ring8", "PacGAN2", REVERSE_KL]
    assert (second.sign, second.significance) == (rep.OPPOSITE, rep.NOT_SIGNIFICANT)
    third = checks["ring8", "PacGAN3", MODES_COVERED]
    assert (third.sign, third.significance) == (rep.SAME, rep.UNREACHABLE)
    assert checks["grid25", "PacGAN2", MODES_COVERED].significance == rep.UNTESTED  # no such test row
    sentence = report.direction_item(rep.PACGAN_TABLE1.title, [third])
    assert "cannot reach significance" in sentence and "0.2" in sentence and "another setting" in sentence
    both = report.direction_item("T", [first, second])
    assert both.startswith(r"ring8, PacGAN2 against GAN (T); ours \texttt{pacgan-2} against \texttt{gan-ns} (another setting): ")
    assert r"modes covered higher in the paper, ours same direction, significant ($p_{\mathrm{Holm}}=0.012$)" in both
    assert "reverse KL lower in the paper, ours opposite direction, not significant" in both


def test_a_direction_whose_row_is_matched_to_a_sweep_point_is_tested_on_the_base_variants(schema):
    # PacGAN's GAN row trains at lr 1e-4: with the study at 1e-3 and a sweep point at 1e-4, the
    # sweep point is the row's nearest run, but the study tests pacgan-2 only against gan-ns
    config = yaml.safe_load((REPO / "config" / "pacgan-table1.yaml").read_text())
    config["train"].update(steps=3000, lr=0.001)
    config["sweeps"] = {"gan-ns": {"lr": [0.0001]}}
    study = validate_config(config, schema=schema)
    matches = rep.match_table(rep.PACGAN_TABLE1, study_data=study["data"], runs=rep.study_settings(study))
    assert {(m.row.dataset, m.row.model): m.run for m in matches}["ring8", "GAN"] == "gan-ns@lr=0.0001"
    tests = _tests([
        {"dataset": "ring8", "variant": "pacgan-2", "baseline": "gan-ns", "family": "variants", "metric": MODES_COVERED,
         "mean_difference": 1.5, "p_holm": 0.012, "min_p": 0.004, "significant": True},
    ])
    checks = {(c.direction.group, c.direction.model, c.direction.metric): c
              for c in rep.check_directions(rep.published_directions(rep.PACGAN_TABLE1), matches, tests)}
    check = checks["ring8", "PacGAN2", MODES_COVERED]
    assert (check.run, check.baseline_run, check.sign, check.significance) == ("pacgan-2", "gan-ns", rep.SAME, rep.SIGNIFICANT)


# --- results and distances tables: every cell shows its n -------------------------------------


def test_results_table_counts_runs_without_high_quality_sample_and_under_trained(schema):
    study = _study(schema)
    runs = _runs(study, diverged={("ring8", "pacgan-2")})
    log8 = math.log(8)
    summary = _summary([
        _row("ring8", "gan-ns", MODES_COVERED, [1, 8, 8, 8, 8]),
        _row("ring8", "gan-ns", REVERSE_KL, [log8, 0.1, 0.1, 0.2, 0.1]),  # seed 0: no high-quality sample
        _row("ring8", "gan-ns", NO_HIGH_QUALITY, [1, 0, 0, 0, 0]),
        _row("ring8", "gan-ns", LEVELLED_OFF, [0, 1, 1, 1, math.nan]),
        _row("ring8", "gan-ns", UNDER_TRAINED, [1, 0, 0, 0, math.nan]),
        _row("ring8", "pacgan-2", MODES_COVERED, [math.nan, math.nan, 8, 7, 8], n_diverged=2),
    ])
    text = report.results_table(summary=summary, runs=runs, tests=_tests([]), variants=["gan-ns", "pacgan-2"])
    gan = next(line for line in text.splitlines() if line.startswith("gan-ns"))
    cells = [cell.strip() for cell in gan.removesuffix(r"\\[2pt]").split("&")]
    header = [" ".join(lines) for lines in report.RESULTS_HEADERS]
    assert dict(zip(header, cells))["No HQ sample"] == "1/5"
    assert dict(zip(header, cells))["Levelled off"] == "3/4 (of 5)"
    assert dict(zip(header, cells))["Under- trained"] == "1/4 (of 5)"
    assert dict(zip(header, cells))["Reverse KL"].endswith(r"(n=5)\end{tabular}")  # the log K run stays in
    pacgan = next(line for line in text.splitlines() if "pacgan-2" in line)
    assert "(n=3 of 5; 2 diverged)" in pacgan and "5/5" in pacgan  # the runs table's diverged count


def test_distances_table_gives_each_row_its_n_and_a_cell_its_own_where_it_differs(schema):
    summary = _summary([
        _row("ring8", "gan-ns", WASSERSTEIN_1, [0.1, 0.2, 0.3]),
        _row("ring8", "gan-ns", "mmd2_rbf", [0.1, 0.2, math.nan], n_diverged=1),
        _row("ring8", "gan-ns", ENERGY_DISTANCE, [0.1, 0.2, 0.6]),
    ])
    text = report.distances_table(summary=summary, tests=_tests([]), variants=["gan-ns"])
    row = next(line for line in text.splitlines() if line.startswith("ring8 & gan-ns"))
    cells = row.removesuffix(r" \\").split(" & ")
    assert cells[2] == "n=3"  # the row's n, once
    assert "0.200" in cells and "0.300" in cells  # W1 and energy: the row's n
    assert "0.150 (n=2 of 3; 1 diverged)" in cells  # MMD² leaves a run out: its own n
    # scaled down only when wider than the line
    assert text.startswith(r"\sbox0{\begin{tabular}") and r"\ifdim\wd0>\linewidth\resizebox{\linewidth}{!}{\usebox0}" in text


def test_published_numbers_keep_their_printed_decimals():
    assert report._published_cell((0.10, 0.02), scale=1.0, digits=2, trials=10) == report._stacked([r"0.10 $\pm$ 0.02", "(n=10)"])
    assert r"}4.50 $\pm$ 0.127\\" in report._published_cell((4.50, 0.127), scale=1.0, digits=2, trials=10)
    assert r"}95.6 $\pm$ 2.0\\" in report._published_cell((0.956, 0.020), scale=100.0, digits=1, trials=10)
    assert report._published_cell((1.0, None), scale=1.0, digits=1, trials=5) == report._stacked(["1.0", "(n=5)"])


def test_n_note():
    assert report.n_note({"n": 10, "n_runs": 10, "n_diverged": 0}) == "n=10"
    assert report.n_note({"n": 8, "n_runs": 10, "n_diverged": 2}) == "n=8 of 10; 2 diverged"
    assert report.n_note({"n": 9, "n_runs": 10, "n_diverged": 0}) == "n=9 of 10"


# --- every number of the text against its source ----------------------------------------------


def _macro_inputs(schema, **changes):
    study = _study(schema, **changes)
    summary = _summary([
        _row("ring8", "gan-ns", MMD_BANDWIDTH, [0.8764] * 5),
        _row("grid25", "gan-ns", MMD_BANDWIDTH, [2.5] * 5),
        _row("ring8", "gan-ns", NO_HIGH_QUALITY, [1, 1, 0, 0, 0]),
        _row("grid25", "hinge", NO_HIGH_QUALITY, [1, 0, 0, 0, 0]),
        _row("ring8", "gan-ns", LEVELLED_OFF, [1, 1, 0, 0, math.nan]),
        _row("grid25", "hinge", LEVELLED_OFF, [1, 1, 1, 1, 1]),
        _row("ring8", "gan-ns", UNDER_TRAINED, [0, 0, 1, 1, math.nan]),
    ])
    return study, _runs(study, diverged={("grid25", "gan-ns@lr=0.01")}), summary


def test_every_macro_equals_its_source(schema):
    study, runs, summary = _macro_inputs(schema)
    macros = _macros(report.study_macros(study=study, runs=runs, summary=summary))
    assert int(macros["StudySeeds"]) == len(study["seeds"]) == 5
    assert macros["StudySeedList"] == "0, 1, 2, 3, 4"
    assert int(macros["StudyRuns"]) == len(runs) and int(macros["StudyDiverged"]) == 5
    assert _number(macros["StudyDataSize"]) == study["data"]["size"] == 12_000
    assert _number(macros["StudyStackedSize"]) == study["data"]["stacked_size"] == 5_000
    assert macros["StudyStackedSet"] == "a fixed set of 5{,}000 stacked images drawn once"
    assert macros["StudyStackFrom"] == report.STACK_FROM_TEXT["all"]
    assert int(macros["StudyDataSeed"]) == study["data"]["seed"]
    evaluation = study["evaluation"]
    assert _number(macros["StudyThreshold"]) == evaluation["threshold"]
    assert _number(macros["StudyConfidence"]) == evaluation["confidence"]
    assert _number(macros["StudyCollapseShare"]) == evaluation["collapse_coverage"]
    assert _number(macros["StudyPlateauWindow"]) == evaluation["plateau_window"] == 0.2
    assert _number(macros["StudyPlateauTolerance"]) == evaluation["plateau_tolerance"] == 0.05
    assert int(macros["StudyPlateauMinSnapshots"]) == PLATEAU_MIN_SNAPSHOTS
    assert int(macros["StudyNoHighQuality"]) == 3
    assert (int(macros["StudyLevelledOff"]), int(macros["StudyLevelledOffDefined"])) == (7, 9)
    assert int(macros["StudyUnderTrained"]) == 2
    assert macros["StudyLevelledOffSentence"] == report.LEVELLED_OFF_TEXT[True].format(levelled=7, defined=9, under=2)
    assert macros["StudyMMDBandwidths"] == "ring8: 0.876; grid25: 2.5"
    assert macros["StudyLogK"] == r"ring8: $\log 8 = 2.08$; grid25: $\log 25 = 3.22$; stacked-digits: $\log 1000 = 6.91$"
    assert _number(macros["StudyAlpha"]) == ALPHA
    assert _number(macros["VerdictWidth"]) == rep.VERDICT_WIDTH and int(macros["VerdictMinSeeds"]) == rep.MIN_SEEDS
    assert macros["StudyScale"] == "test" and macros["Baseline"] == "gan-ns"


def test_smallest_p_macros_equal_the_tests_table(schema):
    """The smallest Holm-adjusted p of the text is what the tests could reach with these seeds."""
    study, runs, summary = _macro_inputs(schema)
    macros = _macros(report.study_macros(study=study, runs=runs, summary=summary))
    assert int(macros["StudyHolmFamily"]) == 2 and int(macros["StudySweepFamily"]) == 2  # pacgan-2, hinge; lr 0.003, 0.01
    assert float(macros["StudySmallestRawP"]) == pytest.approx(2 / math.comb(10, 5), rel=5e-3)
    assert float(macros["StudySmallestP"]) == pytest.approx(smallest_p_value(n_variant=5, n_baseline=5, family_size=2), rel=5e-3)
    # perfectly separated values (no ties): the tests' own min_p per family is the macro's value
    names = list(rep.study_settings(study)["ring8"])
    metrics = pd.DataFrame([
        {"dataset": "ring8", "variant": v, "seed": s, "step": 500, "metric": MODES_COVERED, "value": 10.0 * i + s}
        for i, v in enumerate(names) for s in study["seeds"]
    ])
    tests = compare_with_baseline(metrics, baseline="gan-ns", variants=list(study["variants"]),
                                  sweeps={"gan-ns@lr=0.003": "gan-ns", "gan-ns@lr=0.01": "gan-ns"})
    by_family = tests.groupby("family")["min_p"].min()
    assert float(macros["StudySmallestP"]) == pytest.approx(by_family["variants"], rel=5e-3)
    assert float(macros["StudySweepsSmallestP"]) == pytest.approx(by_family["sweeps"], rel=5e-3)
    assert macros["StudySignificanceReach"] == report.REACH_TEXT[True]  # 0.0159 < 0.05
    few = _macros(report.study_macros(study=_study(schema, seeds=[0, 1]), runs=runs, summary=summary))
    assert float(few["StudySmallestP"]) == pytest.approx(min(1.0, 2 * 2 / 6), rel=5e-3)
    assert few["StudySignificanceReach"] == report.REACH_TEXT[False]


def test_levelled_off_sentence_when_no_run_has_enough_snapshots(schema):
    study, runs, _ = _macro_inputs(schema)
    summary = _summary([_row("ring8", "gan-ns", LEVELLED_OFF, [math.nan] * 5)])
    macros = _macros(report.study_macros(study=study, runs=runs, summary=summary))
    assert macros["StudyLevelledOffSentence"] == report.LEVELLED_OFF_TEXT[False]
    assert (int(macros["StudyLevelledOff"]), int(macros["StudyLevelledOffDefined"])) == (0, 0)


def test_stacked_on_the_fly_macros(schema):
    study, runs, summary = _macro_inputs(schema, data={"stacked_size": 0, "stack_from": "train"})
    macros = _macros(report.study_macros(study=study, runs=runs, summary=summary))
    assert _number(macros["StudyStackedSize"]) == 0
    assert f"{ONLINE_REFERENCE_SIZE:,}".replace(",", "{,}") in macros["StudyStackedSet"]
    assert macros["StudyStackFrom"] == report.STACK_FROM_TEXT["train"]


def test_stacked_size_is_not_the_2d_size_in_the_text():
    text = (REPO / "paper" / "main.tex").read_text()
    stacked = text[text.index(r"\emph{stacked} forms"):text.index(r"\paragraph{Variants.}")]
    assert r"\StudyStackedSize" in stacked and r"\StudyStackedSet" in stacked and r"\StudyStackFrom" in stacked
    assert r"\StudyDataSize" not in stacked


def test_every_macro_of_the_text_is_generated(schema):
    study, runs, summary = _macro_inputs(schema)
    defined = set(_macros(report.study_macros(study=study, runs=runs, summary=summary)))
    section = report.replication_section(study=study, settings=rep.study_settings(study), summary=summary, tests=_tests([]))
    used = set(re.findall(r"\\((?:Study|Verdict)\w*)", (REPO / "paper" / "main.tex").read_text() + section))
    assert used <= defined, used - defined


def test_latex_escape_escapes_each_special_character_once():
    assert report.latex_escape(r"a_b {c} 50% $x$ #1 & ~^\ ") == (
        r"a\_b \{c\} 50\% \$x\$ \#1 \& \textasciitilde{}\textasciicircum{}\textbackslash{} "
    )
    assert report.latex_escape("β ≤ ½") == r"\ensuremath{\beta} \ensuremath{\leq} \ensuremath{\tfrac12}"


# --- the section compiles ---------------------------------------------------------------------


@pytest.mark.needs_tex
def test_replication_section_and_tables_compile(schema, tmp_path):
    study, runs, summary = _macro_inputs(schema)
    study = _table1_study(schema, steps=3000) | {"datasets": ["ring8", "grid25"]}
    summary = pd.concat([summary, _summary([
        _row("ring8", "gan-ns", MODES_COVERED, [8, 7, 8, 8, 6]),
        _row("ring8", "pacgan-2", REVERSE_KL, [0.1, math.nan, 0.2, 0.1, 0.1], n_diverged=1),
    ])], ignore_index=True)
    runs = _runs(study)
    tests = _tests([{"dataset": "ring8", "variant": "pacgan-2", "baseline": "gan-ns", "family": "variants",
                     "metric": REVERSE_KL, "mean_difference": -0.2, "p_holm": 0.03, "min_p": 0.01, "significant": True}])
    generated = tmp_path / "generated"
    generated.mkdir()
    (generated / "study.tex").write_text(report.study_macros(study=study, runs=runs, summary=summary))
    (generated / "replication.tex").write_text(
        report.replication_section(study=study, settings=rep.study_settings(study), summary=summary, tests=tests)
    )
    (generated / "results_table.tex").write_text(
        report.results_table(summary=summary, runs=runs, tests=tests, variants=list(study["variants"]))
    )
    (generated / "distances_table.tex").write_text(report.distances_table(summary=summary, tests=tests, variants=["gan-ns"]))
    main = tmp_path / "doc.tex"
    main.write_text("\n".join([
        r"\documentclass{article}", r"\usepackage[T1]{fontenc}", r"\usepackage{lmodern}", r"\usepackage{amsmath,amssymb}",
        r"\usepackage{booktabs}", r"\usepackage{longtable}", r"\usepackage{graphicx}", r"\usepackage{url}",
        r"\input{generated/study}", r"\begin{document}", r"\section{Results}\label{sec:results}",
        r"\input{generated/results_table}",
        r"\input{generated/distances_table}",
        r"\StudyStackedSet; \StudyStackFrom; \StudyLogK; \StudyMMDBandwidths; \StudySignificanceReach.",
        r"\input{generated/replication}",
        r"\begin{thebibliography}{9}\bibitem{pacgan} PacGAN.\bibitem{veegan} VEEGAN.\end{thebibliography}",
        r"\end{document}", "",
    ]))
    pdf = tmp_path / "out" / "doc.pdf"
    pdf.parent.mkdir()
    report.compile_latex(main_tex=main, search_dirs=[tmp_path], pdf=pdf, log=tmp_path / "latexmk.log")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    text = " ".join(text.split())
    assert "other setting (a)" in text and "Other setting (a): differs in steps" in text
    assert "PacGAN (Lin et al. 2018), Table 1" in text
    assert "n=4 of 5; 1 diverged" in text


# --- each study's report from its own directory, byte for byte the same -----------------------



def _figure(path, label):
    """A one-page PDF figure whose text is `label`, the same bytes every time."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(2, 1))
    fig.text(0.1, 0.5, label)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, metadata={"CreationDate": None})
    plt.close(fig)


def _write_study(workdir, schema, *, scale, figure):
    """A study's generated parts (paper/generated/*.tex, from the report's functions) and figures
    (figures/*.pdf, each a copy of one whose text is `figure`) in `workdir`, as the workflow's rules
    leave them."""
    study, runs, summary = _macro_inputs(schema, scale=scale)
    tests = _tests([])
    parts = {
        "study": report.study_macros(study=study, runs=runs, summary=summary),
        "results_table": report.results_table(summary=summary, runs=runs, tests=tests, variants=list(study["variants"])),
        "distances_table": report.distances_table(summary=summary, tests=tests, variants=list(study["variants"])),
        "replication": report.replication_section(study=study, settings=rep.study_settings(study), summary=summary, tests=tests),
        "sweeps": report.sweeps_section(summary=summary, runs=runs, tests=tests, sweep_runs=["gan-ns@lr=0.003"]),
        "samples_figures": report.samples_figures(datasets=list(study["datasets"]), seed=0),
        "classifiers": report.classifier_table({}),
        "findings": report.findings(tests),
        # runs made at several commits (a study extended over time): one line each, within the page
        "software_table": report.software_appendix(report.software_table({
            "training": [provenance() | {"git_commit": f"{i:x}" * 40 + "-dirty" * (i % 2)} for i in range(1, 6)],
            "evaluation": [provenance()],
        })),
        "compute_table": report.compute_appendix(pd.DataFrame([
            {"stage": "training", "dataset": "ring8", "variant": "gan-ns", "seeds": "0 1", "wall_s": 61.5, "cpu_s": 60.0, "max_rss_mb": 400.0},
        ])),
    }
    generated = workdir / "paper" / "generated"
    generated.mkdir(parents=True)
    for name, text in parts.items():
        (generated / f"{name}.tex").write_text(text)
    _figure(workdir / "one_figure.pdf", figure)
    sources = "".join(parts.values()) + (REPO / "paper" / "main.tex").read_text()
    for name in set(re.findall(r"\\includegraphics(?:\[[^]]*\])?\{(figures/[^}]+)\}", sources)):
        (workdir / name).parent.mkdir(exist_ok=True)
        shutil.copyfile(workdir / "one_figure.pdf", workdir / name)


def _text(pdf):
    return " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout.split())


def _compile_paper(checkout, workdir, study=None):
    """Compile the checkout's paper/main.tex for the study in `workdir` as the paper rule does
    (workflow/scripts/build_paper.py); the PDF's path."""
    pdf = workdir / "paper" / "main.pdf"
    report.compile_latex(main_tex=checkout / "paper" / "main.tex", search_dirs=[workdir / "paper", workdir], pdf=pdf,
                         log=workdir / "latexmk.log")
    return pdf


def _snakemake_paper(checkout, workdir, study):
    """Run the checkout's workflow for `study` in `workdir`, its paper rule alone (the rule's
    inputs are in place); the PDF's path."""
    config = workdir / "study.yaml"
    config.write_text(yaml.safe_dump(study))
    result = subprocess.run(
        [str(Path(sys.executable).parent / "snakemake"), "--cores", "1", "--snakefile", str(checkout / "workflow" / "Snakefile"),
         "--configfile", str(config), "--directory", str(workdir), "--allowed-rules", "paper", "--", "paper/main.pdf"],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return workdir / "paper" / "main.pdf"


def _checkout(tmp_path, schema):
    """A copy of the repository's workflow and report template whose paper/generated/ and
    paper/figures/ hold a built study's parts and figures (scale "decoy", "DECOY FIGURE"): what
    no study built elsewhere with `--directory` may read."""
    checkout = tmp_path / "checkout"
    shutil.copytree(REPO / "workflow", checkout / "workflow", ignore=shutil.ignore_patterns("__pycache__"))
    (checkout / "paper").mkdir()
    shutil.copy(REPO / "paper" / "main.tex", checkout / "paper" / "main.tex")
    _write_study(checkout, schema, scale="decoy", figure="DECOY FIGURE")
    shutil.copytree(checkout / "figures", checkout / "paper" / "figures")
    return checkout


@pytest.mark.needs_tex
@pytest.mark.needs_tex
@pytest.mark.parametrize("build", [_compile_paper, pytest.param(_snakemake_paper, marks=pytest.mark.slow)])
def test_each_study_reports_its_own_parts_never_the_checkouts(schema, tmp_path, build):
    checkout = _checkout(tmp_path, schema)
    texts = {}
    for name in ("north", "south"):
        _write_study(tmp_path / name, schema, scale=name, figure=f"FIGURE OF {name.upper()}")
        texts[name] = _text(build(checkout, tmp_path / name, _study(schema, scale=name)))
    for name, other in (("north", "south"), ("south", "north")):
        assert f"scale: {name}" in texts[name] and f"FIGURE OF {name.upper()}" in texts[name]
        assert "decoy" not in texts[name].lower() and other not in texts[name]


@pytest.mark.needs_tex
@pytest.mark.needs_tex
def test_no_line_of_the_report_runs_into_the_margin(schema, tmp_path):
    """Every line of the whole report (text, settings, tables) fits the text width: latexmk's log
    has no overfull box."""
    _write_study(tmp_path, schema, scale="north", figure="FIGURE")
    _compile_paper(REPO, tmp_path)
    assert "Overfull \\hbox" not in (tmp_path / "latexmk.log").read_text()


@pytest.mark.needs_tex
def test_the_same_study_gives_the_same_pdf_bytes_wherever_and_whenever_it_is_built(schema, tmp_path):
    checkout = _checkout(tmp_path, schema)
    first, second = tmp_path / "first", tmp_path / "elsewhere" / "second"
    _write_study(first, schema, scale="north", figure="FIGURE")
    shutil.copytree(first, second)
    assert _compile_paper(checkout, first).read_bytes() == _compile_paper(checkout, second).read_bytes()


# --- findings: which variants differ from the baseline, from the tests table --------------------


def test_findings_name_each_significant_difference_and_the_variants_without_one():
    tests = _tests([
        {"dataset": "ring8", "variant": "wgan-gp", "family": "variants", "metric": MODES_COVERED, "mean_difference": -6.375,
         "p_holm": 0.0048, "significant": True},
        {"dataset": "ring8", "variant": "wgan-gp", "family": "variants", "metric": HIGH_QUALITY_FRACTION,
         "mean_difference": -0.327, "p_holm": 0.0012, "significant": True},
        {"dataset": "ring8", "variant": "sngan", "family": "variants", "metric": REVERSE_KL, "mean_difference": 0.1,
         "p_holm": 0.4, "significant": False},
        {"dataset": "ring8", "variant": "gan-ns@lr=0.002", "family": "sweeps", "metric": REVERSE_KL,
         "mean_difference": 0.4, "p_holm": 0.01, "significant": True},
        {"dataset": "grid25", "variant": "sngan", "family": "variants", "metric": MODES_COVERED, "mean_difference": 1.0,
         "p_holm": 0.3, "significant": False},
        {"dataset": "grid25", "variant": "hinge", "family": "variants", "metric": REVERSE_KL},  # untested: NaN
    ])
    text = report.findings(tests)
    ring8 = next(line for line in text.splitlines() if line.startswith(r"\item ring8"))
    assert r"modes covered: \texttt{wgan-gp} ($-6.38$ modes, $p_{\mathrm{Holm}}=0.0048$)" in ring8
    assert r"high-quality fraction: \texttt{wgan-gp} ($-32.7$ percentage points" in ring8
    assert r"any of the three: \texttt{sngan}." in ring8 and "lr=0.002" not in text  # sweeps are not findings
    assert r"\item grid25: no variant differs significantly" in text


def test_findings_say_plainly_when_nothing_is_significant():
    tests = _tests([{"dataset": "ring8", "variant": "sngan", "family": "variants", "metric": MODES_COVERED,
                     "mean_difference": 1.0, "p_holm": 0.3, "significant": False}])
    assert "No variant differs significantly from the baseline on any of them, in any dataset." in report.findings(tests)


def _record(torch="2.13.0+cpu", **extra):
    return {"versions": {"modecollapse": "0.1.0", "torch": torch, "numpy": "2.4.6"}, "python": "3.11.7",
            "git_commit": "0123456789abcdef0123", **extra}


def test_software_table_counts_outputs_per_value_so_mixed_versions_show():
    software = report.software_table({
        "training": [_record(), _record(), _record(torch="2.12.0", gpu="NVIDIA H100", cuda="12.8")],
        "evaluation": [_record()],
    })
    torch_rows = software[(software["stage"] == "training") & (software["item"] == "torch")]
    assert dict(zip(torch_rows["value"], torch_rows["outputs"])) == {"2.13.0+cpu": 2, "2.12.0": 1}
    gpu = software[(software["stage"] == "training") & (software["item"] == "GPU")]
    assert dict(zip(gpu["value"], gpu["outputs"])) == {"none (CPU)": 2, "NVIDIA H100": 1}
    assert set(software.loc[software["item"] == "code commit", "value"]) == {"0123456789ab"}
    table = report.software_appendix(software)
    assert "& Training (3) & Evaluation (1)" in table  # classifier-free study: no column for it
    lines = table.splitlines()
    torch_line = next(line for line in lines if line.startswith("torch"))
    assert torch_line == "torch & " + report._stacked(["2.13.0+cpu (2)", "2.12.0 (1)"]) + r" & 2.13.0+cpu \\"
    items = [line.split(" & ")[0] for line in lines if " & " in line][1:]
    assert items[:3] == ["modecollapse", "torch", "numpy"] and items[-4:] == ["Python", "GPU", "CUDA", "code commit"]


def test_compute_appendix_sums_jobs_per_stage_and_dataset_in_data_flow_order():
    benchmarks = pd.DataFrame([
        {"stage": "evaluation", "dataset": "ring8", "variant": "gan-ns", "seeds": "", "wall_s": 7.0, "cpu_s": 6.0, "max_rss_mb": 450.0},
        {"stage": "training", "dataset": "ring8", "variant": "gan-ns", "seeds": "0 1", "wall_s": 100.0, "cpu_s": 90.0, "max_rss_mb": 400.0},
        {"stage": "training", "dataset": "ring8", "variant": "wgan-gp", "seeds": "0 1", "wall_s": 50.0, "cpu_s": 45.0, "max_rss_mb": 1400.0},
        {"stage": "classifier", "dataset": "digits", "variant": "", "seeds": "", "wall_s": 13.0, "cpu_s": np.nan, "max_rss_mb": np.nan},
    ])
    rows = [line for line in report.compute_appendix(benchmarks).splitlines() if line.endswith(r"\\")][1:]
    assert rows == [
        r"classifier & digits & 1 & 13 s & 13 s & -- & -- \\",
        r"training & ring8 & 2 & 2.5 min & 100 s & 2.2 min & 1{,}400 \\",
        r"evaluation & ring8 & 1 & 7 s & 7 s & 6 s & 450 \\",
    ]
