"""The benchmark scripts run and write their tables (their figures live in BENCHMARKS.md; nothing
here is timed): a GPU session's few minutes should not find one broken."""

import subprocess
import sys

import pandas as pd
import pytest
from conftest import REPO


def _run(script: str, *args: str, tmp_path) -> pd.DataFrame:
    out = tmp_path / "table.csv"
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / script), *args, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return pd.read_csv(out)


def test_the_throughput_benchmark_measures_modes_loops_and_concurrent_jobs(tmp_path):
    table = _run(
        "train_throughput.py",
        "--devices",
        "cpu",
        "--sizes",
        "2",
        "--variants",
        "gan-ns",
        "--steps",
        "40",  # long enough that a loaded machine's noise does not swamp the marginal rate (NaN then)
        "--modes",
        "eager",
        "draw-ahead",
        "--loop",
        "--concurrent",
        "2",
        tmp_path=tmp_path,
    )
    assert list(zip(table["mode"], table["jobs"])) == [("eager", 1), ("eager", 2), ("draw-ahead", 1), ("draw-ahead", 2)]
    assert (table["member_steps_per_s"] > 0).all() and table["ensemble_over_loop"].notna().sum() == 1


def test_the_projection_measures_every_job_of_the_study(tmp_path):
    table = _run(
        "project_study.py",
        "--configfile",
        "config/smoke.yaml",
        "--variants",
        "gan-ns",
        "wgan-gp",
        "--steps",
        "24",  # as above: a marginal cost above the machine's noise
        tmp_path=tmp_path,
    )
    assert sorted(set(table["run"])) == ["gan-ns", "wgan-gp"] and set(table["dataset"]) == {"ring8", "grid25"}
    assert (table["projected_h"] > 0).all() and (table["iterations"] == 300).all()


def test_the_projection_refuses_an_image_dataset_naming_the_2d_ones(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "project_study.py"),
            "--configfile",
            "config/smoke.yaml",
            "--datasets",
            "stacked-digits",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert result.returncode == 1
    assert "stacked-digits not among the study's 2D datasets (ring8, grid25)" in result.stderr


def test_a_failing_concurrent_process_stops_the_measurement_instead_of_hanging(monkeypatch):
    """Processes that die before they report (here on an unknown variant) would leave the
    measurement waiting for their times, and any survivors at the barrier, for ever: it stops
    them all and says so."""
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    import train_throughput

    with pytest.raises(RuntimeError, match=r"a concurrent training process failed \(exit code 1\)"):
        train_throughput.measure_concurrent(
            jobs=2,
            variant="no-such-variant",
            arch="default",
            device="cpu",
            members=1,
            steps=2,
            mode="eager",
            tf32=False,
        )


def test_the_snapshot_benchmark_samples_in_chunks_and_in_one_pass(tmp_path):
    table = _run("snapshot_memory.py", "--device", "cpu", "--members", "1", "--samples", "300", tmp_path=tmp_path)
    assert list(table["chunk"]) == [2500, 300] and (table["seconds"] > 0).all()
    assert set(table["dataset"]) == {"stacked-mnist"} and (table["host_mb"] > 0).all()


def test_the_throughput_benchmark_records_its_kind_of_kernels(tmp_path):
    table = _run(
        "train_throughput.py",
        "--devices",
        "cpu",
        "--sizes",
        "1",
        "--variants",
        "gan-ns",
        "--steps",
        "4",
        "--nondeterministic",
        tmp_path=tmp_path,
    )
    assert list(table["deterministic"]) == [False]
