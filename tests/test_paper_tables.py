"""The report's results and distances tables: every cell shows its n."""

import math

from paper_inputs import make_study, make_tests_table, runs_table, summary_row, summary_table

from modecollapse.evaluate import LEVELLED_OFF, UNDER_TRAINED
from modecollapse.metrics import ENERGY_DISTANCE, MODES_COVERED, NO_HIGH_QUALITY, REVERSE_KL, WASSERSTEIN_1
from modecollapse.paper.tables import RESULTS_HEADERS, distances_table, n_note, results_table

# --- results and distances tables: every cell shows its n -------------------------------------


def test_results_table_counts_runs_without_high_quality_sample_and_under_trained(schema):
    study = make_study(schema)
    runs = runs_table(study, diverged={("ring8", "pacgan-2")})
    log8 = math.log(8)
    summary = summary_table(
        [
            summary_row("ring8", "gan-ns", MODES_COVERED, [1, 8, 8, 8, 8]),
            summary_row("ring8", "gan-ns", REVERSE_KL, [log8, 0.1, 0.1, 0.2, 0.1]),  # seed 0: no high-quality sample
            summary_row("ring8", "gan-ns", NO_HIGH_QUALITY, [1, 0, 0, 0, 0]),
            summary_row("ring8", "gan-ns", LEVELLED_OFF, [0, 1, 1, 1, math.nan]),
            summary_row("ring8", "gan-ns", UNDER_TRAINED, [1, 0, 0, 0, math.nan]),
            summary_row("ring8", "pacgan-2", MODES_COVERED, [math.nan, math.nan, 8, 7, 8], n_diverged=2),
        ]
    )
    text = results_table(summary=summary, runs=runs, tests=make_tests_table([]), variants=["gan-ns", "pacgan-2"])
    gan = next(line for line in text.splitlines() if line.startswith("gan-ns"))
    cells = [cell.strip() for cell in gan.removesuffix(r"\\[2pt]").split("&")]
    header = [" ".join(lines) for lines in RESULTS_HEADERS]
    assert dict(zip(header, cells))["No HQ sample"] == "1/5"
    assert dict(zip(header, cells))["Levelled off"] == "3/4 (of 5)"
    assert dict(zip(header, cells))["Under- trained"] == "1/4 (of 5)"
    assert dict(zip(header, cells))["Reverse KL"].endswith(r"(n=5)\end{tabular}")  # the log K run stays in
    pacgan = next(line for line in text.splitlines() if "pacgan-2" in line)
    assert "(n=3 of 5; 2 diverged)" in pacgan and "5/5" in pacgan  # the runs table's diverged count


def test_distances_table_gives_each_row_its_n_and_a_cell_its_own_where_it_differs(schema):
    summary = summary_table(
        [
            summary_row("ring8", "gan-ns", WASSERSTEIN_1, [0.1, 0.2, 0.3]),
            summary_row("ring8", "gan-ns", "mmd2_rbf", [0.1, 0.2, math.nan], n_diverged=1),
            summary_row("ring8", "gan-ns", ENERGY_DISTANCE, [0.1, 0.2, 0.6]),
        ]
    )
    text = distances_table(summary=summary, tests=make_tests_table([]), variants=["gan-ns"])
    row = next(line for line in text.splitlines() if line.startswith("ring8 & gan-ns"))
    cells = row.removesuffix(r" \\").split(" & ")
    assert cells[2] == "n=3"  # the row's n, once
    assert "0.200" in cells and "0.300" in cells  # W1 and energy: the row's n
    assert "0.150 (n=2 of 3; 1 diverged)" in cells  # MMD² leaves a run out: its own n
    # scaled down only when wider than the line
    assert (
        text.startswith(r"\sbox0{\begin{tabular}")
        and r"\ifdim\wd0>\linewidth\resizebox{\linewidth}{!}{\usebox0}" in text
    )


def test_n_note():
    assert n_note({"n": 10, "n_runs": 10, "n_diverged": 0}) == "n=10"
    assert n_note({"n": 8, "n_runs": 10, "n_diverged": 2}) == "n=8 of 10; 2 diverged"
    assert n_note({"n": 9, "n_runs": 10, "n_diverged": 0}) == "n=9 of 10"
