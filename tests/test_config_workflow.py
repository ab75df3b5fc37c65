"""The workflow judges a config as `modecollapse check-config` does: real Snakemake dry runs in a
temporary working directory, with and without --configfile, with --config overrides on top."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO
from test_workflow import planned_jobs

pytestmark = pytest.mark.slow
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")
STUDY = "datasets: [ring8]\nseeds: [0]\ntrain: {steps: 20, lr: 1e-4}\nvariants: {gan-ns: {}}\n"


def dry_run(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    """`snakemake -n` of the repository's workflow in `workdir`: plans every job, runs none."""
    return subprocess.run(
        [SNAKEMAKE, "-n", "--cores", "1", "--directory", str(workdir), *args], cwd=REPO, capture_output=True, text=True
    )


def test_config_override_without_configfile_applies_to_the_default_study(tmp_path):
    result = dry_run(tmp_path / "run", "--config", "device=cpu", "seeds=[0, 1]")  # Snakemake alone reads '0', '1'
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    default = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    trained = [(rule, w["dataset"]) for rule, w in planned_jobs(result.stdout) if rule.startswith("train_seeds")]
    assert {dataset for _, dataset in trained} == set(default["datasets"])
    assert {rule for rule, _ in trained} == {"train_seeds_0_1"}  # the two seeds in one job (ensemble_size 0)
    assert not (tmp_path / "run" / "results").exists()


def test_config_override_is_validated_on_top_of_the_default_study(tmp_path):
    result = dry_run(tmp_path / "run", "--config", "device=gpu")
    assert result.returncode != 0
    assert "config['device']: 'gpu' is not allowed; allowed: 'auto', 'cpu', 'cuda'" in result.stderr
    assert "required property" not in result.stderr  # the default study's keys are there


def test_configfile_is_read_with_the_study_loader(tmp_path):
    """Snakemake's own YAML loader reads 1e-4 as text; the workflow rereads the file with ours."""
    config = tmp_path / "study.yaml"
    config.write_text(STUDY)
    result = dry_run(tmp_path / "run", "--configfile", str(config))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert {w.get("dataset") for rule, w in planned_jobs(result.stdout) if rule.startswith("train_seeds")} == {"ring8"}


def test_configfile_with_a_duplicate_key_is_refused_with_file_and_line(tmp_path):
    config = tmp_path / "study.yaml"
    config.write_text(STUDY + "seeds: [1]\n")
    result = dry_run(tmp_path / "run", "--configfile", str(config))
    assert result.returncode != 0
    assert f"modecollapse: {config}:5:1: duplicate key 'seeds' (first at line 2)" in result.stderr
    assert not (tmp_path / "run" / "data").exists()


def test_config_overrides_apply_on_top_of_every_configfile_in_order(tmp_path):
    first, second = tmp_path / "first.yaml", tmp_path / "second.yaml"
    first.write_text(STUDY)
    second.write_text("train: {steps: 30.0}\n")  # merged into first's train block, then refused
    result = dry_run(tmp_path / "run", "--configfile", str(first), str(second), "--config", "scale=a{b}")
    assert result.returncode != 0
    assert "config['scale']: 'a{b}' does not match the allowed pattern" in result.stderr
    assert "config['train']['steps']: 30.0 is not an integer" in result.stderr
    assert "config['train']['lr']" not in result.stderr  # first's lr: 1e-4 survived the merge as a number
