"""A study's cost before it starts: job time and memory from recorded step costs, and the projection printed."""

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

from modecollapse import cost
from modecollapse.config import TrainSettings, load_study

GIB = 2**30


def _pacgan_table2_job():
    """PacGAN Table 2's job: 10 members of the 28x28 stacked-MNIST setting (config/pacgan-table2.yaml)."""
    study = load_study(REPO / "config" / "pacgan-table2.yaml")
    dataset = study.datasets[0]
    settings = next(iter(study.runs[dataset].values()))
    return settings, cost.image_shape(dataset), 10


def test_a_pacgan_table2_job_asks_for_the_snapshots_it_holds():
    settings, shape, members = _pacgan_table2_job()
    assert shape == (3, 28, 28) and settings.snapshot_samples == 26_000
    one_snapshot = members * settings.snapshot_samples * 2352 * 4  # float32, every member: 2.28 GiB
    assert one_snapshot / GIB == pytest.approx(2.28, abs=0.01)
    # The job holds one snapshot of every member while it is taken, and one member's samples table
    # (all its snapshots) while it writes them; the earlier snapshots wait on disk.
    member_table = cost.snapshots(settings) * settings.snapshot_samples * 2352 * 2  # float16 pixels
    asked = cost.mem_mb(settings, image_shape=shape, members=members) * 2**20
    assert asked > one_snapshot + 3 * member_table  # its arrays, the DataFrame and the Arrow table
    assert asked < 2 * (one_snapshot + 3 * member_table) + 8 * GIB  # no more than that and the nets
    # all snapshots held in float32, as before: more than the request of the old rule, 7.5 GiB
    assert cost.snapshots(settings) * one_snapshot / GIB == pytest.approx(18.2, abs=0.1)


def test_snapshots_are_counted_every_interval_and_at_the_last_step():
    assert cost.snapshots(TrainSettings(steps=2000, snapshot_every=500)) == 4
    assert cost.snapshots(TrainSettings(steps=2100, snapshot_every=500)) == 5


def test_runtime_counts_snapshots_and_the_deterministic_kernels_of_cuda():
    plain = TrainSettings(steps=10_000, snapshot_every=10_000, snapshot_samples=100)
    sampled = dataclasses.replace(plain, snapshot_every=100, snapshot_samples=100_000)
    for device in ("cpu", "cuda"):
        assert cost.train_seconds(sampled, image=False, members=4, device=device) > cost.train_seconds(
            plain, image=False, members=4, device=device
        )
    # on CUDA a small job costs its launch-bound floor per step, times the allowance
    floor = cost.STEP_COST["cuda"]["2d"]["floor"]
    seconds = cost.train_seconds(plain, image=False, members=1, device="cuda")
    assert seconds == pytest.approx(cost.DETERMINISTIC_ALLOWANCE * floor * (10_000 + 1 / 3), rel=1e-9)


def test_the_paper_nets_on_the_cpu_cost_the_recorded_step():
    # 368 ms a step for 10 members of PacGAN's 2D nets, recorded; the projection must give that back
    paper = TrainSettings(steps=1, g_width=400, d_width=200, batch_size=100, snapshot_samples=1, snapshot_every=1)
    per_step = cost.train_seconds(paper, image=False, members=10, device="cpu")
    assert per_step == pytest.approx(
        0.368 * (1 + 1 / 3), rel=1e-6
    )  # a step and a snapshot: a forward pass of one batch


def test_pacgan_table1_warns_of_hours_of_cpu_work_and_gives_the_gpu_time():
    lines = cost.projection_lines(
        cost.project(cost.study_jobs(load_study(REPO / "config" / "pacgan-table1.yaml")), cores=2)
    )
    assert len(lines) == 3 and lines[2].startswith("warning: ")
    assert " h of CPU work" in lines[0] and "H100/H200: about " in lines[1] and "recorded" in lines[1]


def test_check_config_prints_the_projection_without_asking(tmp_path):
    result = subprocess.run(
        [str(Path(sys.executable).parent / "modecollapse"), "check-config", "config/smoke.yaml", "--cores", "2"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout.splitlines()
    assert out[0] == "config/smoke.yaml: valid"
    assert out[1].startswith("projected training: 20 jobs") and "2 jobs at a time" in out[1]
    assert out[2].startswith("projected training on one H100/H200") and not any(
        line.startswith("warning") for line in out
    )


def test_every_workflow_run_starts_by_printing_the_projection(tmp_path):
    """`onstart` in the Snakefile: before the first job, whatever is asked for (here one dataset)."""
    snakemake = Path(sys.executable).parent / "snakemake"
    result = subprocess.run(
        [str(snakemake), "--cores", "1", "--configfile", "config/pacgan-table1.yaml", "--directory", str(tmp_path),
         "data/ring8.npz"], cwd=REPO, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "modecollapse: projected training: 10 jobs, " in result.stderr and "1 jobs at a time" in result.stderr
    assert "modecollapse: warning: this study is about " in result.stderr


def test_cpu_2d_steps_cost_an_overhead_plus_the_batch_times_the_weights():
    # the line through the two recorded points gives both back
    for point, member_step in cost.CPU_2D_POINTS:
        settings = TrainSettings(steps=1, snapshot_every=1, snapshot_samples=1, **point)
        assert cost.train_seconds(settings, image=False, members=1, device="cpu") == pytest.approx(
            member_step * (1 + 1 / 3), rel=1e-9
        )
    assert 0 < cost.CPU_2D_OVERHEAD < 0.003 and cost.CPU_2D_PER_WEIGHT > 0
    # and comes within a factor 1.5 of a job it was not fitted on: GDPP Table 1's gan-ns, 128-unit
    # tanh nets at batch 512, 5 members, recorded at 92.6 ms a step (BENCHMARKS.md)
    gdpp_nets = TrainSettings(
        steps=1, snapshot_every=1, snapshot_samples=1, batch_size=512, z_dim=256, g_width=128, g_depth=2,
        d_width=128, d_depth=2, d_maxout=1,
    )  # fmt: skip
    projected = cost.train_seconds(gdpp_nets, image=False, members=5, device="cpu") / (1 + 1 / 3)
    assert 0.0926 / 1.5 < projected < 0.0926 * 1.5
    # GDPP adds about a constant time to each member-step on the CPU, not a factor: its job at
    # GDPP Table 1's nets (102.1 ms a step) and its 1.9x at the default study's nets both come within 15%
    with_gdpp = dataclasses.replace(gdpp_nets, gdpp=True)
    projected = cost.train_seconds(with_gdpp, image=False, members=5, device="cpu") / (1 + 1 / 3)
    assert 0.1021 / 1.15 < projected < 0.1021 * 1.15
    default = TrainSettings(steps=1, snapshot_every=1, snapshot_samples=1, **cost.CPU_2D_POINTS[0][0])
    ratio = cost.train_seconds(dataclasses.replace(default, gdpp=True), image=False, members=10, device="cpu") / (
        cost.train_seconds(default, image=False, members=10, device="cpu")
    )
    assert 1.9 / 1.15 < ratio < 1.9 * 1.15
