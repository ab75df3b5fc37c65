"""Code-aware caching: after a real run of a small study in a copy of the repository, editing a
library module reruns exactly the jobs whose scripts import it, directly or through other modules."""

import contextlib
import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
import yaml
from conftest import REPO
from test_workflow import SNAKEMAKE, planned_jobs

pytestmark = pytest.mark.slow

# Every job of the small study except the datasets, the training and the run table, none of which
# imports modecollapse.metrics (the all rule is planned whenever anything is)
AFTER_METRICS = Counter(
    {
        "evaluate": 2,
        "metrics_table": 1,
        "summary": 1,
        "tests": 1,
        "tables": 1,
        "study_macros": 1,
        "samples_figure": 1,
        "coverage_figure": 1,
        "spread_figure": 1,
        "mode_hopping_figure": 1,  # its counts come from the evaluation
        "surface_figure": 1,  # plots.py imports metrics
        "overfitting_figure": 1,
        "csv_tables": 1,
        "paper": 1,
        "all": 1,
        "benchmarks_table": 1,
        "software_table": 1,
        "appendix": 1,  # the appendix's records of the evaluations
    }
)
AFTER_PLOTS = Counter(
    {
        "samples_figure": 1,
        "coverage_figure": 1,
        "spread_figure": 1,
        "mode_hopping_figure": 1,
        "surface_figure": 1,
        "overfitting_figure": 1,
        "paper": 1,
        "all": 1,
    }
)


def small_study() -> dict:
    """The smoke study cut down to one 2D dataset, two variants, two seeds and a few steps."""
    study = yaml.safe_load((REPO / "config" / "smoke.yaml").read_text())
    study.pop("sweeps")
    return study | {
        "scale": "caching",
        "datasets": ["ring8"],
        "device": "cpu",
        "variants": {"gan-ns": {}, "gan-minimax": {}},
        "train": study["train"] | {"steps": 60, "snapshot_every": 20, "snapshot_samples": 300},
    }


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """A copy of the repository's code (run from its own src/) and a work directory where the small
    study has run once; returns a function running Snakemake there with extra arguments."""
    root = tmp_path_factory.mktemp("caching")
    repo = root / "repo"
    for part in ("workflow", "src", "config", "paper"):
        shutil.copytree(REPO / part, repo / part, ignore=shutil.ignore_patterns("__pycache__", "generated", "*.pdf"))
    config = root / "study.yaml"
    config.write_text(yaml.safe_dump(small_study()))

    def snakemake(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [
                SNAKEMAKE,
                "--snakefile",
                str(repo / "workflow" / "Snakefile"),
                "--cores",
                "2",
                "--configfile",
                str(config),
                "--directory",
                str(root / "run"),
                *args,
            ],
            cwd=repo,
            env=os.environ | {"PYTHONPATH": str(repo / "src")},
            capture_output=True,
            text=True,
        )

    result = snakemake()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return repo, snakemake


@contextlib.contextmanager
def comment_appended(path: Path):
    """`path` with a comment line appended, restored byte for byte afterwards."""
    original = path.read_bytes()
    path.write_bytes(original + b"\n# an edit that changes no behaviour\n")
    try:
        yield
    finally:
        path.write_bytes(original)


def planned_rules(snakemake, *args: str) -> Counter:
    """How many jobs of each rule a dry run (with extra arguments `args`) plans."""
    result = snakemake("-n", *args)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return Counter(rule for rule, _ in planned_jobs(result.stdout))


def test_unchanged_code_plans_nothing(study):
    _, snakemake = study
    assert planned_rules(snakemake) == Counter()


def test_editing_metrics_reruns_evaluation_and_after_but_no_training(study):
    repo, snakemake = study
    with comment_appended(repo / "src" / "modecollapse" / "metrics.py"):
        assert planned_rules(snakemake) == AFTER_METRICS
    assert planned_rules(snakemake) == Counter()  # the hash is of the content: restoring it undoes the change


def test_editing_plots_reruns_only_the_figures_and_the_paper(study):
    repo, snakemake = study
    with comment_appended(repo / "src" / "modecollapse" / "plots.py"):
        assert planned_rules(snakemake) == AFTER_PLOTS
    assert planned_rules(snakemake) == Counter()


def rule_names(snakemake) -> list[str]:
    """Every rule of the workflow (`--list-rules`: a name, then its docstring indented below it)."""
    result = snakemake("--list-rules")
    assert result.returncode == 0, result.stderr[-3000:]
    return re.findall(r"^([A-Za-z_]\w*)", result.stdout, flags=re.MULTILINE)


@pytest.mark.parametrize("module", ["train.py", "stepping.py", "models.py"])
def test_editing_the_training_code_retrains_and_changes_no_other_rules_code(study, module):
    """The training code (the loop, its steps, its nets) is imported by the training script alone.
    Editing it retrains every run; with the runs held as they are (only the other rules allowed to
    run), nothing would rerun: no other rule's code hash changed, the evaluation's included. The
    same dry run does rerun the evaluations when their own code changes (metrics.py)."""
    repo, snakemake = study
    others = [rule for rule in rule_names(snakemake) if not rule.startswith("train_seeds_")]
    assert "evaluate" in others and len(others) > 10
    with comment_appended(repo / "src" / "modecollapse" / module):
        planned = planned_rules(snakemake)
        held = planned_rules(snakemake, "--allowed-rules", *others)
    assert sum(n for rule, n in planned.items() if rule.startswith("train_seeds_")) == 2  # both runs of the study
    assert held == Counter()
    with comment_appended(repo / "src" / "modecollapse" / "metrics.py"):
        assert planned_rules(snakemake, "--allowed-rules", *others)["evaluate"] == 2
