"""`modecollapse status`: each run's state read from a study directory built as the workflow leaves it."""

import base64
import subprocess
import sys
from pathlib import Path

import pytest

from modecollapse.cli import main
from modecollapse.io import write_json

STUDY = "datasets: [ring8, grid25]\nseeds: [0, 1, 2, 3]\nensemble_size: 2\nvariants: {gan-ns: {}, wgan-gp: {}}\n"


def run_dir(root: Path, dataset: str, run: str, seed: int) -> Path:
    return root / "results" / "runs" / dataset / run / f"seed{seed}"


def mark_incomplete(root: Path, output: str) -> None:
    """Snakemake's file-backend marker of an output whose job started and has not finished."""
    marker = root / ".snakemake" / "incomplete" / base64.urlsafe_b64encode(output.encode()).decode()
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text('{"external_jobid": null}')


@pytest.fixture
def study(tmp_path):
    """A config and a working directory where, on ring8, gan-ns is done (seed 1 diverged) and
    wgan-gp's seeds 0-1 run under a live Snakemake; on grid25, gan-ns seeds 0-1 failed (a log and a
    checkpoint), seed 2 runs (a marker, no log yet) and the rest has not started."""
    config = tmp_path / "study.yaml"
    config.write_text(STUDY)
    root = tmp_path / "work"
    for seed in range(4):
        write_json(
            {"status": "diverged" if seed == 1 else "ok", "seed": seed},
            run_dir(root, "ring8", "gan-ns", seed) / "run.json",
        )
    (root / ".snakemake" / "locks").mkdir(parents=True)
    (root / ".snakemake" / "locks" / "0.output.lock").write_text("results/runs/ring8/wgan-gp/seed0/run.json\n")
    for seed in (0, 1):
        mark_incomplete(root, f"results/runs/ring8/wgan-gp/seed{seed}/run.json")
    (root / "logs" / "train" / "grid25" / "gan-ns").mkdir(parents=True)
    (root / "logs" / "train" / "grid25" / "gan-ns" / "seeds0-1.log").write_text("RuntimeError: boom\n")
    (root / "results" / "checkpoints" / "grid25" / "gan-ns").mkdir(parents=True)
    (root / "results" / "checkpoints" / "grid25" / "gan-ns" / "seeds0-1-0123456789ab.pt").write_bytes(b"")
    mark_incomplete(root, "results/runs/grid25/gan-ns/seed2/run.json")
    return config, root


def states(runs):
    return {(r.dataset, r.run, r.seed): r.state for r in runs}


def test_each_run_gets_the_state_its_files_show(study):
    from modecollapse.config import load_study
    from modecollapse.status import study_status

    config, root = study
    found = states(study_status(load_study(config), root))
    assert len(found) == 2 * 2 * 4
    assert [found[("ring8", "gan-ns", s)] for s in range(4)] == ["done", "diverged", "done", "done"]
    assert [found[("ring8", "wgan-gp", s)] for s in range(4)] == ["running", "running", "pending", "pending"]
    assert [found[("grid25", "gan-ns", s)] for s in range(4)] == ["failed", "failed", "running", "pending"]
    assert {found[("grid25", "wgan-gp", s)] for s in range(4)} == {"pending"}


def test_without_a_lock_an_incomplete_run_is_failed_not_running(study):
    from modecollapse.config import load_study
    from modecollapse.status import study_status

    config, root = study
    (root / ".snakemake" / "locks" / "0.output.lock").unlink()  # the Snakemake process is gone
    found = states(study_status(load_study(config), root))
    assert found[("ring8", "wgan-gp", 0)] == "failed" and found[("grid25", "gan-ns", 2)] == "failed"
    assert found[("ring8", "wgan-gp", 2)] == "pending"


def test_status_prints_counts_per_dataset_and_the_runs_not_done(study, capsys):
    config, root = study
    assert main(["status", str(root), "--configfile", str(config)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split() == ["dataset", "done", "diverged", "running", "failed", "pending"]
    assert lines[2].split() == ["ring8", "3", "1", "2", "0", "2"]
    assert lines[3].split() == ["grid25", "0", "0", "1", "2", "5"]
    not_done = lines[lines.index("Not done:") + 1 :]
    assert len(not_done) == 16 - 3
    assert any(
        line.split()[:5] == ["grid25", "gan-ns", "seed", "0", "failed"]
        and "see logs/train/grid25/gan-ns/seeds0-1.log; resumes from its checkpoint" in line
        for line in not_done
    )
    assert not any("ring8" in line and "gan-ns" in line and "done" in line for line in not_done)


def test_status_of_a_bad_config_or_directory_is_one_line_naming_it(study, tmp_path, capsys):
    config, root = study
    assert main(["status", str(root), "--configfile", str(tmp_path / "nope.yaml")]) == 1
    assert (
        capsys.readouterr().err
        == f"modecollapse: {tmp_path / 'nope.yaml'}: cannot be read: No such file or directory\n"
    )
    assert main(["status", str(tmp_path / "absent"), "--configfile", str(config)]) == 1
    assert (
        capsys.readouterr().err
        == f"modecollapse: {tmp_path / 'absent'}: no such directory; give the study's working directory\n"
    )


def test_status_console_script_reads_the_default_study(tmp_path):
    result = subprocess.run(
        [str(Path(sys.executable).parent / "modecollapse"), "status"], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert result.stdout.splitlines()[0].endswith("config/config.yaml in .")
    assert "pending" in result.stdout and " done " not in result.stdout.split("Not done:")[1]


def test_status_reads_the_study_the_workflow_recorded_in_the_directory(study, capsys):
    config, root = study
    (root / "results" / "study.yaml").write_text(config.read_text())  # as rule study_config writes it
    assert main(["status", str(root)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{root / 'results' / 'study.yaml'} in {root}"
    assert lines[2].split() == ["ring8", "3", "1", "2", "0", "2"]  # this study's runs, not the default study's
