"""profiles/slurm against a real SLURM cluster (`.ci/slurm-up` starts a one-node one here)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import REPO


def _cluster_answers() -> bool:
    if shutil.which("sinfo") is None:
        return False
    result = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, timeout=20)
    return result.returncode == 0 and any(state in result.stdout for state in ("idle", "mix", "alloc"))


pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not _cluster_answers(), reason="no SLURM cluster answers (run .ci/slurm-up as root)"),
]


def test_the_slurm_profile_runs_the_workflow_through_sbatch(tmp_path):
    study = yaml.safe_load((REPO / "config" / "smoke.yaml").read_text())
    study.update(datasets=["ring8"], variants={"gan-ns": {}, "wgan-gp": {}}, sweeps={})
    study["train"]["steps"] = 100
    config = tmp_path / "study.yaml"
    config.write_text(yaml.safe_dump(study))
    workdir = tmp_path / "run"
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "snakemake"),
            "--profile",
            "profiles/slurm",
            "--configfile",
            str(config),
            "--directory",
            str(workdir),
            "--slurm-status-command",
            "squeue",
            "--slurm-init-seconds-before-status-checks",
            "1",
            "--slurm-keep-successful-logs",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (workdir / "paper" / "main.pdf").read_bytes()[:5] == b"%PDF-"
    # Training went through sbatch, the evaluations together as one group job (group-components
    # in the profile): the executor keeps one SLURM log per submission. The quick rules
    # (localrules in the Snakefile) ran on this machine: no submission for the paper.
    logs = workdir / ".snakemake" / "slurm_logs"
    slurm_logs = {part for p in logs.rglob("*.log") for part in p.relative_to(logs).parts}
    assert "rule_train_seeds_0_1" in slurm_logs
    assert [part for part in slurm_logs if part.startswith("group_evaluate")], slurm_logs  # group_evaluate_evaluate
    assert not {"rule_evaluate", "rule_paper", "rule_tables"} & slurm_logs, slurm_logs
    assert "has been submitted with SLURM jobid" in result.stdout + result.stderr
    # and each training job recorded its time and memory (the benchmark directive)
    assert (
        (workdir / "logs" / "benchmarks" / "train" / "ring8" / "gan-ns" / "seeds0-1.tsv").read_text().startswith("s\t")
    )
    # ... as did each evaluation inside its group job; the report's appendix sums them
    benchmarks = pd.read_parquet(workdir / "results" / "benchmarks.parquet")
    assert sorted(benchmarks["stage"]) == ["evaluation"] * 2 + ["training"] * 2 and (benchmarks["wall_s"] > 0).all()
