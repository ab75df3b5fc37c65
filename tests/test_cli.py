import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

from modecollapse.cli import main
from modecollapse.data import DATASETS
from modecollapse.variants import VARIANTS


def test_datasets_lists_every_dataset(capsys):
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in DATASETS) and "PacGAN" in out


def test_variants_lists_every_variant_with_its_source(capsys):
    assert main(["variants"]) == 0
    out = capsys.readouterr().out
    for name, variant in VARIANTS.items():
        assert name in out and variant.source in out


def test_check_config_refuses_a_typo(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("datasets: [ring8]\nseeds: [0]\nvariants: {gan-ns: {lrr: 1}}\n")
    assert main(["check-config", str(bad)]) == 1
    assert "unknown key(s) 'lrr'" in capsys.readouterr().err


def test_console_script_is_installed():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "modecollapse"), "variants"], capture_output=True, text=True, cwd=REPO
    )
    assert result.returncode == 0 and "gan-ns" in result.stdout


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"[1, 2]\n", ":1:1: the file holds a list; a study config is a mapping of keys"),
        (b"just text\n", ":1:1: the file holds a string; a study config is a mapping of keys"),
        (b"scale: caf\xe9\n", ":1:11: not UTF-8 text (byte 0xe9); save the file as UTF-8"),
        (
            b"datasets: [ring8\nseeds: 0\n",
            ":2:6: not valid YAML: expected ',' or ']', but got ':' (while parsing a flow sequence at line 1)",
        ),
        (
            b"datasets: [ring8]\nseeds: [0]\nseeds: [1]\nvariants: {gan-ns: {}}\n",
            ":3:1: duplicate key 'seeds' (first at line 2)",
        ),
    ],
)
def test_check_config_names_file_and_line_of_a_malformed_file(tmp_path, capsys, text, expected):
    path = tmp_path / "study.yaml"
    path.write_bytes(text)
    assert main(["check-config", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith(f"modecollapse: {path}{expected}") and len(captured.err.splitlines()) == 1
    assert captured.out == ""


def test_check_config_of_a_missing_file_says_so(tmp_path, capsys):
    assert main(["check-config", str(tmp_path / "nope.yaml")]) == 1
    assert (
        capsys.readouterr().err
        == f"modecollapse: {tmp_path / 'nope.yaml'}: cannot be read: No such file or directory\n"
    )


def test_check_config_accepts_exponent_notation(tmp_path, capsys):
    path = tmp_path / "study.yaml"
    path.write_text("datasets: [ring8]\nseeds: [0]\ntrain: {lr: 1e-4, steps: 1E3}\nvariants: {gan-ns: {}}\n")
    assert main(["check-config", str(path)]) == 1  # 1E3 is a number, but steps is an integer
    assert (
        "config['train']['steps']: 1000.0 is not an integer; allowed: an integer, written without a "
        "decimal point or exponent" in capsys.readouterr().err
    )
    path.write_text("datasets: [ring8]\nseeds: [0]\ntrain: {lr: 1e-4, steps: 1000}\nvariants: {gan-ns: {}}\n")
    assert main(["check-config", str(path)]) == 0
    assert capsys.readouterr().out.startswith(f"{path}: valid\nprojected training: 1 job, ")


def test_check_config_refuses_an_unsafe_scale(tmp_path, capsys):
    path = tmp_path / "study.yaml"
    path.write_text("scale: ${oops}\ndatasets: [ring8]\nseeds: [0]\nvariants: {gan-ns: {}}\n")
    assert main(["check-config", str(path)]) == 1
    assert "config['scale']: '${oops}' does not match the allowed pattern ^[A-Za-z0-9]" in capsys.readouterr().err


def test_check_config_console_script_gives_no_traceback(tmp_path):
    path = tmp_path / "study.yaml"
    path.write_text("- a list\n")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "modecollapse"), "check-config", str(path)], capture_output=True, text=True
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr == (
        f"modecollapse: {path}:1:1: the file holds a list; a study config is a mapping of keys "
        f"(datasets, seeds, variants, ...)\n"
    )


# --- summary: the results table in the terminal ------------------------------------------------


def _summary_rows(dataset, variant, *, n=8, n_runs=10, n_diverged=2):
    """Realistic summary.parquet rows (stats.SUMMARY_COLUMNS) of one (dataset, variant)."""
    values = {
        "modes_covered": (7.25, 0.25, 6.75, 7.75),
        "high_quality_fraction": (0.8531, 0.012, 0.83, 0.876),
        "reverse_kl": (0.0412, 0.005, 0.031, 0.051),
        "collapsed": (0.125, 0.125, 0.0, 0.375),
        "jsd": (0.1, 0.01, 0.08, 0.12),
    }
    return [
        {
            "dataset": dataset,
            "variant": variant,
            "metric": metric,
            "n": n,
            "n_runs": n_runs,
            "n_diverged": n_diverged,
            "mean": mean,
            "sem": sem,
            "ci_low": low,
            "ci_high": high,
        }
        for metric, (mean, sem, low, high) in values.items()
    ]


def test_summary_prints_each_dataset_with_mean_se_ci_and_n(tmp_path, capsys):
    import pandas as pd

    from modecollapse.io import write_parquet

    rows = [
        *_summary_rows("ring8", "gan-ns"),
        *_summary_rows("ring8", "wgan-gp", n=10, n_diverged=0),
        *_summary_rows("grid25", "gan-ns"),
    ]
    write_parquet(pd.DataFrame(rows), tmp_path / "results" / "summary.parquet")
    assert main(["summary", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert max(map(len, out.splitlines())) <= 100
    blocks = out.split("\n\n")
    assert [block.splitlines()[0] for block in blocks] == ["ring8 (8 modes)", "grid25 (25 modes)"]
    lines = blocks[0].splitlines()
    assert lines[2].split() == [
        "gan-ns",
        "modes",
        "covered",
        "7.2",
        "±",
        "0.2",
        "[6.8,",
        "7.8]",
        "n=8",
        "of",
        "10;",
        "2",
        "diverged",
    ]
    assert "high quality (%)  85.3 ± 1.2" in lines[3] and "[83.0, 87.6]" in lines[3]
    assert "reverse KL" in lines[4] and "0.04 ± 0.01" in lines[4]
    assert "collapsed (%)" in lines[5] and "12 ± 12" in lines[5] and "[0, 38]" in lines[5]
    assert "wgan-gp" in lines[6] and lines[6].endswith("n=10 of 10")  # nothing diverged: not said
    assert "jsd" not in out


def test_summary_of_a_cell_without_values_shows_a_dash_and_its_n(tmp_path, capsys):
    import pandas as pd

    from modecollapse.io import write_parquet

    rows = _summary_rows("ring8", "gan-ns", n=0, n_diverged=10)
    for row in rows:
        row.update(mean=float("nan"), sem=float("nan"), ci_low=float("nan"), ci_high=float("nan"))
    write_parquet(pd.DataFrame(rows), tmp_path / "results" / "summary.parquet")
    assert main(["summary", str(tmp_path)]) == 0
    line = capsys.readouterr().out.splitlines()[2]
    assert line.split()[3:] == ["--", "n=0", "of", "10;", "10", "diverged"]


def test_summary_without_results_says_to_run_the_workflow(tmp_path, capsys):
    assert main(["summary", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.splitlines()) == 1
    assert captured.err.startswith(
        f"modecollapse: {tmp_path / 'results' / 'summary.parquet'}: no results yet; run the workflow first"
    )


def test_summary_of_an_unreadable_or_foreign_table_names_the_file(tmp_path, capsys):
    import pandas as pd

    from modecollapse.io import write_parquet

    path = tmp_path / "results" / "summary.parquet"
    path.parent.mkdir()
    path.write_bytes(b"PAR1 not really")
    assert main(["summary", str(tmp_path)]) == 1
    assert capsys.readouterr().err.startswith(f"modecollapse: {path}: cannot be read (")
    write_parquet(pd.DataFrame({"dataset": ["ring8"], "value": [1.0]}), path)
    assert main(["summary", str(tmp_path)]) == 1
    assert capsys.readouterr().err.startswith(f"modecollapse: {path}: lacks the column(s) variant, metric, n,")


def test_summary_console_script_runs_in_the_current_directory(tmp_path):
    result = subprocess.run(
        [str(Path(sys.executable).parent / "modecollapse"), "summary"], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("modecollapse: results/summary.parquet: no results yet")


@pytest.mark.parametrize("config", sorted(p.name for p in (REPO / "config").glob("*.yaml")))
def test_check_config_accepts_every_shipped_study(config, capsys):
    assert main(["check-config", str(REPO / "config" / config), "--cores", "2"]) == 0
    assert f"{config}: valid" in capsys.readouterr().out


def test_config_subset_keeps_the_chosen_rows_and_refuses_unknown_ones(tmp_path, capsys):
    from modecollapse.config import load_config

    out = tmp_path / "rows.yaml"
    source = str(REPO / "config" / "gdpp-table1.yaml")
    assert main(["config-subset", source, "--variants", "gdpp unrolled-5", "--out", str(out)]) == 0
    subset, whole = load_config(out), load_config(source)
    assert list(subset["variants"]) == ["gdpp", "unrolled-5"]
    assert subset["variants"]["unrolled-5"] == {"unrolled_objective": "negated-critic"}
    assert {k: v for k, v in subset.items() if k != "variants"} == {k: v for k, v in whole.items() if k != "variants"}
    assert main(["config-subset", source, "--variants", "gdpp,gan-gp", "--out", str(tmp_path / "x.yaml")]) == 1
    assert "variants gan-gp not in the study; it has gdpp, gan-ns, wgan-gp, unrolled-5" in capsys.readouterr().err
    assert not (tmp_path / "x.yaml").exists()


def test_config_subset_keeps_some_datasets_in_the_config_order(tmp_path, capsys):
    from modecollapse.config import load_config

    out = tmp_path / "job.yaml"
    source = str(REPO / "config" / "gdpp-table1.yaml")
    args = ["config-subset", source, "--variants", "unrolled-5", "--out", str(out)]
    assert main([*args, "--datasets", "grid25,ring8-linspace"]) == 0
    assert load_config(out)["datasets"] == ["ring8-linspace", "grid25"]  # as the table lists them
    assert main([*args, "--datasets", "grid25"]) == 0
    subset, whole = load_config(out), load_config(source)
    assert subset["datasets"] == ["grid25"] and list(subset["variants"]) == ["unrolled-5"]
    assert "only its variants unrolled-5 and datasets grid25" in out.read_text().splitlines()[0]
    assert {k: v for k, v in subset.items() if k not in ("variants", "datasets")} == {
        k: v for k, v in whole.items() if k not in ("variants", "datasets")
    }
    assert main([*args, "--datasets", "ring8", "--out", str(tmp_path / "x.yaml")]) == 1
    assert "datasets ring8 not in the study; it has ring8-linspace, grid25" in capsys.readouterr().err
