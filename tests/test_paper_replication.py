"""The report's section on the published numbers: verdict and matching rules, published directions, table cells."""

import math
import re

import pytest
import yaml
from conftest import REPO, SCHEMA
from paper_inputs import make_tests_table, summary_row, summary_table, table1_study

from modecollapse import published as pub
from modecollapse import replication as rep
from modecollapse.config import load_config, validate_config
from modecollapse.metrics import HIGH_QUALITY_FRACTION, MODES_COVERED, REVERSE_KL
from modecollapse.paper.latex import stacked
from modecollapse.paper.replication import direction_item, published_cell, replication_section, replication_table
from modecollapse.paper.tables import by_key

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


@pytest.mark.parametrize(
    "case",
    [
        {"published_se": None},  # no published error bar
        {"ours_se": math.nan},  # no standard error of ours
        {"ours_n": rep.MIN_SEEDS - 1},  # too few seeds
        {"allowed": False},  # the row allows no verdict
    ],
)
def test_no_verdict_without_error_bars_seeds_or_permission(case):
    arguments = {"ours": 8.0, "ours_se": 0.0, "ours_n": 10, "published": 7.9, "published_se": 0.1, **case}
    assert rep.verdict(**arguments) is None


def test_rows_without_error_bars_or_published_setting_allow_no_verdict():
    # VEEGAN's table: only its grid row, in the notebook's setting, gets a verdict (by our spread: no error bars)
    assert [row.model for row in pub.VEEGAN_TABLE1.rows if row.verdict_possible] == ["VEEGAN (notebook)"]
    assert [row.model for row in pub.GDPP_TABLE1.rows if row.verdict_possible] == ["GDPP-GAN", "GDPP-GAN"]
    assert all(row.verdict_possible for row in pub.PACGAN_TABLE3.rows)
    assert all(row.verdict_possible for row in pub.PACGAN_TABLE1.rows)  # ALI's rows too: PacGAN's ALI code
    assert {row.settings["loss"] for row in pub.PACGAN_TABLE1.rows if row.model == "ALI"} == {"ali"}
    assert all(row.settings is not None for table in pub.PUBLISHED_TABLES for row in table.rows)
    context = [row.model for row in pub.PACGAN_TABLE2.rows if not row.verdict_possible]
    assert context == ["DCGAN [V]", "ALI [V]", "Unrolled GAN [V]", "VEEGAN [V]"]
    assert {row.trials for row in pub.PACGAN_TABLE2.rows if row.model.endswith("[V]")} == {5}


def test_published_tables_hold_the_published_numbers():
    ring8 = {row.model: row for row in pub.PACGAN_TABLE1.rows if row.dataset == "ring8"}
    assert ring8["PacGAN2"].numbers == {
        MODES_COVERED: (7.9, 0.1),
        HIGH_QUALITY_FRACTION: (0.956, 0.020),
        REVERSE_KL: (0.07, 0.03),
    }
    assert ring8["PacGAN4"].settings["pack"] == 4 and ring8["GAN"].settings["update"] == "simultaneous"
    half = {row.model: row for row in pub.PACGAN_TABLE3.rows if row.label.endswith("G/2")}
    assert half["PacDCGAN3"].numbers == {MODES_COVERED: (866.6, 12.10), REVERSE_KL: (0.90, 0.04)}
    assert (
        half["PacDCGAN3"].settings["d_width"] == 4
        and half["Unrolled GAN, 10 steps [M]"].settings["unrolled_steps"] == 10
    )
    assert (pub.PACGAN_TABLE1.trials, pub.VEEGAN_TABLE1.trials, pub.PACGAN_TABLE2.trials, pub.PACGAN_TABLE3.trials) == (
        10,
        5,
        10,
        50,
    )


# --- matching: a verdict only beside a run of the row's own setting ---------------------------


def _implemented(matches):
    """The matches of rows whose model this project implements."""
    return [m for m in matches if m.row.settings is not None]


def test_published_settings_match_the_paper_configs():
    for name, table in (
        ("pacgan-table1", pub.PACGAN_TABLE1),
        ("pacgan-table2", pub.PACGAN_TABLE2),
        ("pacgan-table3", pub.PACGAN_TABLE3),
        ("gdpp-table1", pub.GDPP_TABLE1),
        ("veegan-table1", pub.VEEGAN_TABLE1),
    ):
        study = load_config(REPO / "config" / f"{name}.yaml", schema_path=SCHEMA)
        matches = rep.match_table(table, study_data=study["data"], runs=rep.study_settings(study))
        for match in matches:
            expected = rep.MATCHED if match.row.verdict_possible else (rep.NOT_PUBLISHED, rep.NO_RUN)
            assert match.status in expected, (name, match)
    study = load_config(REPO / "config" / "pacgan-table3.yaml", schema_path=SCHEMA)
    matches = rep.match_table(pub.PACGAN_TABLE3, study_data=study["data"], runs=rep.study_settings(study))
    assert {(m.row.label[-3:], m.row.model): m.run for m in matches}[("G/2", "PacDCGAN2")] == "pacgan-2@d_width=4"


def test_other_setting_lists_the_settings_that_differ(schema):
    study = table1_study(schema, steps=3000, update="alternating")
    study["data"]["size"] = 20_000
    matches = _implemented(rep.match_table(pub.PACGAN_TABLE1, study_data=study["data"], runs=rep.study_settings(study)))
    assert {m.status for m in matches} == {rep.OTHER_SETTING}
    assert {m.differs for m in matches} == {("data.size", "steps", "update")}
    assert [m.run for m in matches if m.row.dataset == "ring8"] == ["gan-ns", "ali", "pacgan-2", "pacgan-3", "pacgan-4"]


def test_default_study_shows_table1_rows_as_other_setting():
    study = load_config(REPO / "config" / "config.yaml", schema_path=SCHEMA)
    matches = _implemented(rep.match_table(pub.PACGAN_TABLE1, study_data=study["data"], runs=rep.study_settings(study)))
    trained = [m for m in matches if m.status != rep.NO_RUN]  # the rows whose model the study trains
    assert {m.row.model for m in trained} >= {"GAN", "PacGAN2"}
    assert all(m.status == rep.OTHER_SETTING and "steps" in m.differs for m in trained)
    assert all(m.run is None for m in matches if m.status == rep.NO_RUN)
    settings = rep.study_settings(study)
    for match in trained:  # each listed setting differs, and no other required one
        ours = settings[match.row.dataset][match.run]
        assert set(match.differs) == {key for key, value in match.row.settings.items() if ours[key] != value}
    text = replication_section(study=study, settings=settings, summary=summary_table([]), tests=make_tests_table([]))
    assert re.search(
        r"ring8 & GAN & \\begin\{tabular\}\[t\]\{@\{\}l@\{\}\}\\texttt\{gan-ns(@[^}]*)?\}\\\\\{\}other setting \(a\)",
        text,
    )  # nearest: a sweep point may be
    assert r"Other setting (a): differs in \texttt{steps}," in text


def test_floats_match_as_the_config_gives_them(schema):
    assert rep.same_value(0.0001, 1e-4) and rep.same_value(0, 0.0) and rep.same_value(None, None)
    assert not rep.same_value(1, True) and not rep.same_value(0.0, None) and not rep.same_value(rep.MISSING, 0)
    study = table1_study(schema, lr=0.00010000001)
    matches = _implemented(rep.match_table(pub.PACGAN_TABLE1, study_data=study["data"], runs=rep.study_settings(study)))
    assert {m.differs for m in matches} == {("lr",)}


def test_no_verdict_beside_a_run_of_another_setting(schema):
    """Even when our numbers equal the published ones, a row of another setting gets none."""
    study = table1_study(schema, steps=3000)
    settings = rep.study_settings(study)
    rows = [
        summary_row("ring8", variant, metric, [mean] * 10)
        for variant, model in (("gan-ns", "GAN"), ("pacgan-2", "PacGAN2"))
        for metric, (mean, _) in next(
            r for r in pub.PACGAN_TABLE1.rows if r.model == model and r.dataset == "ring8"
        ).numbers.items()
    ]
    index = by_key(summary_table(rows))
    for table in pub.PUBLISHED_TABLES:
        for match in rep.match_table(table, study_data=study["data"], runs=settings):
            assert match.status != rep.MATCHED
            assert set(rep.row_verdicts(match, index).values()) == {None}
    verdicts = ("& agrees", r"& \textbf{higher}", r"& \textbf{lower}")
    text = replication_section(study=study, settings=settings, summary=summary_table(rows), tests=make_tests_table([]))
    assert not any(verdict in text for verdict in verdicts)
    matched = replication_section(
        study=table1_study(schema),
        settings=rep.study_settings(table1_study(schema)),
        summary=summary_table(rows),
        tests=make_tests_table([]),
    )
    assert "& agrees" in matched  # the same numbers beside runs of the row's own setting


def test_context_rows_stand_beside_the_same_model_without_verdict(schema):
    # the default study with unrolled-5 (config/paper.yaml trains it; the default study leaves it out)
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    config["variants"]["unrolled-5"] = {}
    study = validate_config(config, schema=schema)
    matches = rep.match_table(pub.VEEGAN_TABLE1, study_data=study["data"], runs=rep.study_settings(study))
    by_model = {(m.row.dataset, m.row.model): m for m in matches}
    assert (
        by_model["ring8", "Unrolled GAN"].status == rep.NOT_PUBLISHED
        and by_model["ring8", "Unrolled GAN"].run == "unrolled-5"
    )
    assert by_model["ring8", "VEEGAN"].status == rep.NO_RUN and by_model["ring8", "VEEGAN"].run is None
    stacked = rep.match_table(pub.PACGAN_TABLE2, study_data=study["data"], runs=rep.study_settings(study))
    assert {m.status for m in stacked} == {rep.NO_RUN}  # the default study trains no stacked-mnist


def test_replication_table_cells_show_published_and_our_n(schema):
    study = table1_study(schema)
    summary = summary_table(
        [
            summary_row("ring8", "gan-ns", MODES_COVERED, [8.0] * 10),
            summary_row("ring8", "pacgan-2", MODES_COVERED, [8.0] * 8 + [math.nan] * 2, n_diverged=2),
        ]
    )
    matches = rep.match_table(pub.PACGAN_TABLE1, study_data=study["data"], runs=rep.study_settings(study))
    text = replication_table(pub.PACGAN_TABLE1, matches=matches, summary=by_key(summary))
    lines = text.splitlines()
    gan = next(line for line in lines if line.startswith("ring8 & GAN"))
    pacgan2 = next(line for line in lines if line.startswith(" & PacGAN2"))
    assert stacked([r"6.3 $\pm$ 0.5", "(n=10)"]) in gan
    assert stacked([r"8.0 $\pm$ 0.0", "[8.0, 8.0]", "(n=10)"]) in gan  # ours: mean, CI and n, one above the other
    assert r"\textbf{higher}" in gan  # 8.0 ± 0 against 6.3 ± 0.5
    assert "(n=8 of 10; 2 diverged)" in pacgan2 and "agrees" in pacgan2  # 8.0 against 7.9 ± 0.1


# --- published directions --------------------------------------------------------------------


def test_published_directions_follow_the_verdict_band():
    directions = {(d.group, d.model, d.metric): d.sign for d in rep.published_directions(pub.PACGAN_TABLE1)}
    assert directions[("ring8", "PacGAN2", MODES_COVERED)] == 1 and directions[("ring8", "PacGAN2", REVERSE_KL)] == -1
    assert (
        "ring8",
        "PacGAN2",
        HIGH_QUALITY_FRACTION,
    ) not in directions  # 0.956 ± 0.020 vs 0.982 ± 0.002: within the band
    assert directions[("grid25", "PacGAN2", HIGH_QUALITY_FRACTION)] == -1  # 0.913 ± 0.008 vs 0.948 ± 0.007
    assert not rep.published_directions(pub.VEEGAN_TABLE1)  # no error bars: no direction


def test_direction_checks_report_sign_and_significance(schema):
    study = table1_study(schema, steps=3000)
    matches = rep.match_table(pub.PACGAN_TABLE1, study_data=study["data"], runs=rep.study_settings(study))
    tests = make_tests_table(
        [
            {
                "dataset": "ring8",
                "variant": "pacgan-2",
                "baseline": "gan-ns",
                "family": "variants",
                "metric": MODES_COVERED,
                "mean_difference": 1.5,
                "p_holm": 0.012,
                "min_p": 0.004,
                "significant": True,
            },
            {
                "dataset": "ring8",
                "variant": "pacgan-2",
                "baseline": "gan-ns",
                "family": "variants",
                "metric": REVERSE_KL,
                "mean_difference": 0.2,
                "p_holm": 0.4,
                "min_p": 0.004,
                "significant": False,
            },
            {
                "dataset": "ring8",
                "variant": "pacgan-3",
                "baseline": "gan-ns",
                "family": "variants",
                "metric": MODES_COVERED,
                "mean_difference": 1.0,
                "p_holm": 0.6,
                "min_p": 0.2,
                "significant": False,
            },
        ]
    )
    checks = {
        (c.direction.group, c.direction.model, c.direction.metric): c
        for c in rep.check_directions(rep.published_directions(pub.PACGAN_TABLE1), matches, tests)
    }
    first = checks["ring8", "PacGAN2", MODES_COVERED]
    assert (first.sign, first.significance, first.p_holm, first.settings) == (
        rep.SAME,
        rep.SIGNIFICANT,
        0.012,
        rep.OTHER_SETTING,
    )
    second = checks["ring8", "PacGAN2", REVERSE_KL]
    assert (second.sign, second.significance) == (rep.OPPOSITE, rep.NOT_SIGNIFICANT)
    third = checks["ring8", "PacGAN3", MODES_COVERED]
    assert (third.sign, third.significance) == (rep.SAME, rep.UNREACHABLE)
    assert checks["grid25", "PacGAN2", MODES_COVERED].significance == rep.UNTESTED  # no such test row
    sentence = direction_item(pub.PACGAN_TABLE1.title, [third])
    assert "cannot reach significance" in sentence and "0.2" in sentence and "another setting" in sentence
    both = direction_item("T", [first, second])
    assert both.startswith(
        r"ring8, PacGAN2 against GAN (T); ours \texttt{pacgan-2} against \texttt{gan-ns} (another setting): "
    )
    assert r"modes covered higher in the paper, ours same direction, significant ($p_{\mathrm{Holm}}=0.012$)" in both
    assert "reverse KL lower in the paper, ours opposite direction, not significant" in both


def test_a_direction_whose_row_is_matched_to_a_sweep_point_is_tested_on_the_base_variants(schema):
    # PacGAN's GAN row trains at lr 1e-4: with the study at 1e-3 and a sweep point at 1e-4, the
    # sweep point is the row's nearest run, but the study tests pacgan-2 only against gan-ns
    config = yaml.safe_load((REPO / "config" / "pacgan-table1.yaml").read_text())
    config["train"].update(steps=3000, lr=0.001)
    config["sweeps"] = {"gan-ns": {"lr": [0.0001]}}
    study = validate_config(config, schema=schema)
    matches = rep.match_table(pub.PACGAN_TABLE1, study_data=study["data"], runs=rep.study_settings(study))
    assert {(m.row.dataset, m.row.model): m.run for m in matches}["ring8", "GAN"] == "gan-ns@lr=0.0001"
    tests = make_tests_table(
        [
            {
                "dataset": "ring8",
                "variant": "pacgan-2",
                "baseline": "gan-ns",
                "family": "variants",
                "metric": MODES_COVERED,
                "mean_difference": 1.5,
                "p_holm": 0.012,
                "min_p": 0.004,
                "significant": True,
            },
        ]
    )
    checks = {
        (c.direction.group, c.direction.model, c.direction.metric): c
        for c in rep.check_directions(rep.published_directions(pub.PACGAN_TABLE1), matches, tests)
    }
    check = checks["ring8", "PacGAN2", MODES_COVERED]
    assert (check.run, check.baseline_run, check.sign, check.significance) == (
        "pacgan-2",
        "gan-ns",
        rep.SAME,
        rep.SIGNIFICANT,
    )


def test_published_numbers_keep_their_printed_decimals():
    assert published_cell((0.10, 0.02), scale=1.0, digits=2, trials=10) == stacked([r"0.10 $\pm$ 0.02", "(n=10)"])
    assert r"}4.50 $\pm$ 0.127\\" in published_cell((4.50, 0.127), scale=1.0, digits=2, trials=10)
    assert r"}95.6 $\pm$ 2.0\\" in published_cell((0.956, 0.020), scale=100.0, digits=1, trials=10)
    assert published_cell((1.0, None), scale=1.0, digits=1, trials=5) == stacked(["1.0", "(n=5)"])


def test_the_ali_row_stands_beside_the_studys_ali_run_with_a_verdict(schema):
    study = table1_study(schema)  # config/pacgan-table1.yaml, which trains ali
    summary = summary_table([summary_row("ring8", "ali", MODES_COVERED, [8.0] * 10)])
    matches = rep.match_table(pub.PACGAN_TABLE1, study_data=study["data"], runs=rep.study_settings(study))
    ali = next(m for m in matches if m.row.model == "ALI" and m.row.dataset == "ring8")
    assert (ali.status, ali.run) == (rep.MATCHED, "ali")
    text = replication_table(pub.PACGAN_TABLE1, matches=matches, summary=by_key(summary))
    line = next(line for line in text.splitlines() if "& ALI" in line and "ali" in line)
    assert r"\textbf{higher}" in line  # 8.0 ± 0 against ALI's published 6.6 ± 0.3
    assert "does not implement" not in text


def test_without_a_published_error_bar_our_spread_gives_the_verdict():
    # 5 seeds with sd 0.5 (se 0.5/√5) against a mean of 5 runs: the band is 2 · 0.5 · √(1/5 + 1/5) = 0.632
    base = {"ours_se": 0.5 / math.sqrt(5), "ours_n": 5, "published_se": None, "published_n": 5}
    assert rep.verdict(ours=24.0, published=24.6, **base) == rep.AGREES
    assert rep.verdict(ours=23.9, published=24.6, **base) == rep.LOWER
    assert rep.verdict(ours=25.3, published=24.6, **base) == rep.HIGHER
    # a single published run: a prediction interval, 2 · 0.5 · √(1/5 + 1) = 1.095
    assert rep.verdict(ours=23.6, published=24.6, **{**base, "published_n": 1}) == rep.AGREES
    # every seed the same value: only equality agrees, shown as it is
    same = {**base, "ours_se": 0.0}
    assert rep.verdict(ours=25.0, published=25.0, **same) == rep.AGREES
    assert rep.verdict(ours=25.0, published=24.8, **same) == rep.HIGHER
    # without the runs behind the mean there is no rule
    assert rep.verdict(ours=24.0, published=24.6, **{**base, "published_n": None}) is None
    assert rep.verdict_rule(published_se=0.1, published_n=5) == rep.SE_RULE
    assert rep.verdict_rule(published_se=None, published_n=5) == rep.SPREAD_RULE


def test_a_spread_verdict_is_marked_in_its_cell_and_the_rule_stated_in_the_text(schema):
    row = pub.PublishedRow(
        model="VEEGAN", dataset="grid25", settings={"loss": "veegan"}, numbers={MODES_COVERED: (24.6, None)}
    )
    table = pub.PublishedTable(
        id="t", title="T", cite="veegan", source="s", trials=5, data={}, metrics=(MODES_COVERED,), rows=(row,)
    )
    match = rep.Match(row=row, status=rep.MATCHED, run="veegan")
    summary = summary_table([summary_row("grid25", "veegan", MODES_COVERED, [24.0, 25.0, 24.0, 25.0, 25.0])])
    text = replication_table(table, matches=[match], summary=by_key(summary))
    line = next(line for line in text.splitlines() if "VEEGAN" in line)
    assert "agrees$^\\dagger$" in line  # 24.6 against 24.6 within 2 · 0.548 · √(2/5)
    from modecollapse.paper.replication import REPLICATION_INTRO

    assert "1/n_{\\mathrm{pub}}" in REPLICATION_INTRO and "$^\\dagger$" in REPLICATION_INTRO


def _gdpp_reference(schema, *, training_hash, not_run=()):
    from modecollapse.reference import Reference

    study = load_config(REPO / "config" / "gdpp-table1.yaml", schema_path=SCHEMA)
    summary = summary_table(
        [
            summary_row("grid25", "gdpp", MODES_COVERED, [25.0, 24.0, 25.0, 25.0, 24.0]),
            summary_row("ring8-linspace", "gdpp", MODES_COVERED, [5.0, 5.0, 6.0, 5.0, 5.0]),
        ]
    )
    provenance = {"table": "gdpp-table1", "commit": "d86e143abcdef0", "training_source_hash": training_hash,
                  "machine": "AMD EPYC, 2 cores", "wall_time_s": 5400.0}  # fmt: skip
    return Reference(table="gdpp-table1", summary=summary, study=study, provenance=provenance, not_run=not_run)


def test_every_report_sets_the_reference_runs_beside_their_table(schema):
    from modecollapse.paper.replication import reference_part

    text = reference_part([_gdpp_reference(schema, training_hash="abc")], training_hash="abc")
    grid = next(line for line in text.splitlines() if line.startswith("grid25 & GDPP-GAN"))
    ring = next(line for line in text.splitlines() if line.startswith("ring8-linspace & GDPP-GAN"))
    assert "agrees$^\\dagger$" in grid  # 24.6 ± 0.2 against one published run of 24.8
    assert "\\textbf{lower}$^\\dagger$" in ring  # 5.2 against 8.0
    assert "1.5 h on AMD EPYC, 2 cores" in text and "d86e143abcde" in text
    assert "predate the current code" not in text
    assert "No reference runs are shipped yet" in reference_part([], training_hash="abc")
    # the study record lists wgan-gp, but no rows of it were shipped: its rows have no run
    wgan = [line for line in text.splitlines() if "& WGAN-GP [G] &" in line]
    assert len(wgan) == 2 and all("no run" in line and "wgan-gp" not in line for line in wgan)


def test_a_reference_made_in_parts_names_each_parts_rows_time_and_commit(schema):
    from modecollapse.paper.replication import reference_part

    ref = _gdpp_reference(schema, training_hash="h")
    machine = "AMD EPYC, 2 cores"
    both = ["ring8-linspace", "grid25"]
    ref.provenance["parts"] = [
        {"runs": {"gdpp": both}, "commit": "0037c5848346aa", "machine": machine, "wall_time_s": 4571.0},
        {"runs": {"wgan-gp": both, "gan-ns": ["grid25"]}, "commit": "c2f22c8abcdef1", "machine": machine,
         "wall_time_s": 5400.0},
    ]  # fmt: skip
    text = " ".join(reference_part([ref], training_hash="h").split())
    assert (
        r"\texttt{gdpp} in 1.3 h, commit \texttt{0037c5848346}; \texttt{wgan-gp}, \texttt{gan-ns} (grid25) in 1.5 h"
        in text
    )  # a part that ran some of the datasets names them
    assert "commit \\texttt{c2f22c8abcde}; all on AMD EPYC, 2 cores." in text
    ref.provenance["parts"][1]["machine"] = "one H200"
    text = " ".join(reference_part([ref], training_hash="h").split())
    assert "1.3 h on AMD EPYC, 2 cores, commit" in text and "1.5 h on one H200" in text and "all on" not in text
    ref.provenance["parts"][1]["commit"] = "c2f22c8abcdef1-dirty"  # tracked files differed from the commit
    assert "c2f22c8abcde-dirty" in reference_part([ref], training_hash="h")


def test_reference_runs_of_older_training_code_are_noted(schema):
    from modecollapse.paper.replication import reference_part

    text = reference_part([_gdpp_reference(schema, training_hash="old")], training_hash="new")
    assert "predate the current code" in text and r"\texttt{replicate} \texttt{TABLE=gdpp-table1}" in text


def test_rows_a_reference_study_left_out_are_named(schema):
    from modecollapse.paper.replication import reference_part

    not_run = (("wgan-gp", ()), ("unrolled-5", ("ring8-linspace",)))  # () : on none of the datasets
    text = reference_part([_gdpp_reference(schema, training_hash="h", not_run=not_run)], training_hash="h")
    assert r"Not run at full protocol yet: \texttt{wgan-gp}, \texttt{unrolled-5} (ring8-linspace) (" in text
    assert "Not run at full protocol" not in reference_part([_gdpp_reference(schema, training_hash="h")],
                                                            training_hash="h")  # fmt: skip


def test_load_references_lists_the_runs_of_the_tables_config_it_lacks(tmp_path):
    from modecollapse.io import write_json
    from modecollapse.reference import PROVENANCE, load_references, reference_files

    folder, configs = tmp_path / "reference" / "gdpp-table1", tmp_path / "config"
    folder.mkdir(parents=True), configs.mkdir()
    study = yaml.safe_load((REPO / "config" / "gdpp-table1.yaml").read_text())
    (configs / "gdpp-table1.yaml").write_text(yaml.safe_dump(study, sort_keys=False))
    study["variants"] = {"gdpp": {}}
    (folder / "study.yaml").write_text(yaml.safe_dump(study))
    summary_table([summary_row("grid25", "gdpp", MODES_COVERED, [25.0, 24.0])]).to_parquet(folder / "summary.parquet")
    write_json({"table": "gdpp-table1", "training_source_hash": "h"}, folder / PROVENANCE)
    (reference,) = load_references(folder.parent, configs=configs)
    assert reference.not_run == (("gdpp", ("ring8-linspace",)), ("gan-ns", ()), ("wgan-gp", ()), ("unrolled-5", ()))
    assert str(configs / "gdpp-table1.yaml") in reference_files(folder.parent, configs=configs)
