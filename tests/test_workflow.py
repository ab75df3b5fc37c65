"""The real Snakemake workflow, end to end on the smoke study, in a temporary directory."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import REPO
from modecollapse.stats import LONG_COLUMNS, SUMMARY_COLUMNS

pytestmark = pytest.mark.slow
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")


def snakemake(workdir: Path, config: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SNAKEMAKE, "--cores", "2", "--configfile", str(config), "--directory", str(workdir), *args],
        cwd=REPO, capture_output=True, text=True,
    )


def planned_jobs(dry_run_output: str) -> list[tuple[str, dict]]:
    """(rule, wildcards) of every job in a dry run's output."""
    jobs = []
    for block in re.split(r"\n(?=(?:local)?rule \S+:)", dry_run_output):
        rule = re.match(r"(?:local)?rule (\S+):", block.strip())
        if rule:
            found = re.search(r"wildcards: (.*)", block)
            wildcards = dict(item.split("=", 1) for item in found.group(1).split(", ")) if found else {}
            jobs.append((rule.group(1), wildcards))
    return jobs


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("smoke")
    config = workdir / "smoke.yaml"
    shutil.copy(REPO / "config" / "smoke.yaml", config)
    result = snakemake(workdir, config)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return workdir, config


def test_smoke_study_writes_every_run(smoke):
    workdir, config = smoke
    study = yaml.safe_load(config.read_text())
    for dataset in study["datasets"]:
        for variant in study["variants"]:
            for seed in study["seeds"]:
                run_dir = workdir / "results" / "runs" / dataset / variant / f"seed{seed}"
                samples = pd.read_parquet(run_dir / "samples.parquet")
                assert list(samples.columns) == ["step", "x", "y"]
                assert samples["step"].max() == study["train"]["steps"]
                curves = pd.read_parquet(run_dir / "curves.parquet")
                assert {"step", "d_loss", "g_loss"} <= set(curves.columns)
                run = json.loads((run_dir / "run.json").read_text())
                assert run["status"] == "ok" and run["seed"] == seed and run["device"] == "cpu"
                assert run["settings"]["steps"] == study["train"]["steps"]
                assert {"torch", "numpy"} <= set(run["versions"]) and run["git_commit"]
                assert run["wall_time_s"] > 0
    assert "train" in (workdir / "logs" / "train" / "ring8" / "gan-ns" / "seed0.log").read_text()  # progress bar


def test_smoke_tables(smoke):
    workdir, config = smoke
    study = yaml.safe_load(config.read_text())
    metrics = pd.read_parquet(workdir / "results" / "metrics.parquet")
    assert list(metrics.columns) == list(LONG_COLUMNS)
    assert set(metrics["metric"]) == {"modes_covered", "high_quality_fraction", "reverse_kl"}
    n_snapshots = study["train"]["steps"] // study["train"]["snapshot_every"]
    n_runs = len(study["datasets"]) * len(study["variants"]) * len(study["seeds"])
    assert len(metrics) == n_runs * n_snapshots * 3
    summary = pd.read_parquet(workdir / "results" / "summary.parquet")
    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    assert len(summary) == len(study["datasets"]) * len(study["variants"]) * 3
    assert (summary["n"] <= len(study["seeds"])).all()
    covered = summary[summary["metric"] == "modes_covered"]
    assert ((covered["mean"] >= 0) & (covered["mean"] <= 25)).all()


def test_smoke_report(smoke):
    workdir, _ = smoke
    pdf = workdir / "paper" / "main.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Mode collapse in GANs" in text and "scale: smoke" in text
    for name in ("gan-ns", "gan-minimax", "wgan-gp", "ring8 (8 modes)", "grid25 (25 modes)", "PacGAN"):
        assert name in text
    assert (workdir / "figures" / "samples.pdf").stat().st_size > 0
    assert (workdir / "figures" / "coverage.pdf").stat().st_size > 0
    assert not list(workdir.rglob("*.tmp")), "a temporary file was left behind"


def test_second_run_does_nothing(smoke):
    workdir, config = smoke
    result = snakemake(workdir, config, "-n")
    assert result.returncode == 0
    assert "Nothing to be done" in result.stdout + result.stderr


def test_changing_one_variant_reruns_only_its_jobs(smoke, tmp_path):
    workdir, config = smoke
    study = yaml.safe_load(config.read_text())
    study["variants"]["gan-minimax"] = {"lr": 0.0005}
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump(study))
    result = snakemake(workdir, changed, "-n")
    assert result.returncode == 0, result.stderr
    jobs = planned_jobs(result.stdout)
    per_run = [(rule, w) for rule, w in jobs if "variant" in w]
    n_runs = len(study["datasets"]) * len(study["seeds"])
    assert sorted(rule for rule, _ in per_run) == ["evaluate"] * n_runs + ["train"] * n_runs
    assert {w["variant"] for _, w in per_run} == {"gan-minimax"}
    assert {"metrics_table", "summary", "paper"} <= {rule for rule, _ in jobs}
    assert "dataset" not in {rule for rule, _ in jobs}


def test_bad_config_fails_before_any_job(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("datasets: [ring9]\nseeds: [0]\nvariants: {gan-ns: {lrr: 0.1}}\n")
    result = snakemake(tmp_path / "run", config)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "unknown dataset(s) 'ring9'; available: grid25, ring8" in output
    assert "unknown key(s) 'lrr'" in output
    assert not (tmp_path / "run" / "data").exists()
