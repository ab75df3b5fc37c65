"""What a study costs before it starts: each training job's time and memory from recorded step costs."""

from __future__ import annotations

import dataclasses
import math
from typing import Mapping, Sequence

import numpy as np

from .config import Study, TrainSettings
from .data import get_dataset, is_image
from .losses import LOSSES
from .samples import stored_dtype

# Cost of one training step, recorded (BENCHMARKS.md). "seconds": one ensemble member's step at the
# reference networks (`widths` = g_width x d_width, `batch`); "floor": the least a step takes whatever
# the members. CPU: one thread of the 2-core CPU machine, the default study's networks: 2D 1000
# steps x 10 members ~ 30 s, images 320 steps x 10 members ~ 25 s, no floor. CUDA: one H100, eager
# steps, commit 8876abf, launch-bound: about 10 ms a step from 1 to 16 members of PacGAN's 2D nets
# and 13.5 ms at 64 (4,741 member-steps/s, batch 64); the 28x28 conv nets ~ 358 member-steps/s at
# 10 members. Those CUDA figures predate deterministic kernels (DETERMINISTIC_ALLOWANCE).
STEP_COST = {
    "cpu": {
        "2d": {"seconds": 30 / (1000 * 10), "widths": 64 * 32, "batch": 100, "floor": 0.0},
        "image": {"seconds": 25 / (320 * 10), "widths": 16 * 16, "batch": 32, "floor": 0.0},
    },
    "cuda": {
        "2d": {"seconds": 1 / 4741, "widths": 400 * 200, "batch": 64, "floor": 0.010},
        "image": {"seconds": 1 / 358, "widths": 64 * 64, "batch": 64, "floor": 0.010},
    },
}
# On one CPU thread a 2D member-step costs a fixed overhead (Python, kernel launches) plus a part
# proportional to its arithmetic, the batch times the weights of its nets (G, D and any encoder:
# `mlp_weights`), fitted through two recorded points: the default study's nets above (G 2 -> 64 x 3 -> 2,
# D 2 maxout layers of 32 x 5, batch 100: 3.0 ms) and PacGAN's (G 2 -> 400 x 4 -> 2, D 3 maxout layers
# of 200 x 5, batch 100: 368 ms a step for 10 members). Checked against the replication studies' jobs
# (BENCHMARKS.md): GDPP Table 1's nets (128 wide, batch 512) and VEEGAN's notebook (batch 500).
CPU_2D_POINTS = (
    (dict(z_dim=2, g_width=64, g_depth=3, d_width=32, d_depth=2, d_maxout=5, batch_size=100), 30 / (1000 * 10)),
    (dict(z_dim=2, g_width=400, g_depth=4, d_width=200, d_depth=3, d_maxout=5, batch_size=100), 0.368 / 10),
)


def mlp_weights(settings: TrainSettings, *, dim: int = 2) -> int:
    """Weights of a job's 2D nets (biases and BatchNorm aside): G (z_dim + noise_dim) -> g_width x
    g_depth -> dim, D (dim x pack, and z for a joint D) -> d_depth layers of d_width x d_maxout -> 1,
    and for ALI and VEEGAN the encoder dim -> e_width x e_depth -> z_dim."""
    s = settings
    g = (s.z_dim + s.noise_dim) * s.g_width + (s.g_depth - 1) * s.g_width**2 + s.g_width * dim
    d_in = dim * s.pack + (s.z_dim if LOSSES[s.loss].joint else 0)
    d = (d_in * s.d_width + (s.d_depth - 1) * s.d_width**2) * s.d_maxout + s.d_width
    e = 0
    if LOSSES[s.loss].joint:
        e = (dim + s.e_noise_dim) * s.e_width + (s.e_depth - 1) * s.e_width**2 + s.e_width * s.z_dim
    return g + d + e


def _cpu_2d_line() -> tuple[float, float]:
    """(overhead seconds, seconds per batch-weight) of a CPU 2D member-step, through CPU_2D_POINTS."""
    (first, t1), (second, t2) = CPU_2D_POINTS
    w1, w2 = (mlp_weights(TrainSettings(**p)) * p["batch_size"] for p in (first, second))
    per_weight = (t2 - t1) / (w2 - w1)
    return t1 - per_weight * w1, per_weight


CPU_2D_OVERHEAD, CPU_2D_PER_WEIGHT = _cpu_2d_line()
RECORDED = {
    "cpu": "step costs recorded on a 2-core CPU machine, one thread a job",
    "cuda": "step costs recorded on one H100 (eager steps, commit 8876abf)",
}
# CUDA jobs run deterministic kernels (device.use_deterministic_cuda), which the recorded CUDA costs
# did not. Not yet measured on a GPU: an allowance of 1.5x, until benchmarks/gpu_check.sh records it.
DETERMINISTIC_ALLOWANCE = 1.5
# A snapshot runs G forward over its codes: per batch of codes, about this share of a training step
FORWARD_SHARE = 1 / 3
# Steps that do more than a plain one, as measured against gan-ns in the same run (BENCHMARKS.md, CPU, 10
# members): GDPP's eigendecompositions 1.9x at the default study's nets, DiffAugment 3.0x on stacked digits,
# ALI's and VEEGAN's encoder one more net: on 2D points about (1 + e_width / g_width)x (ALI 6.1x with the
# default study's G of 64 units and PacGAN's encoder of 400), on images about one more D (ALI 2.3x).
GDPP_COST, DIFFAUGMENT_COST, JOINT_IMAGE_COST = 1.9, 3.0, 2.3
# On one CPU thread GDPP's eigendecompositions of D's features add about the same time to a 2D
# member-step whatever the nets (overhead-bound, small matrices), not a factor: 2.7 ms at the default
# study's nets (1.9x of 3.0 ms, 10 members) and 1.9 ms at GDPP Table 1's (102.1 against 92.6 ms a
# step of 5 members, batch 512, 128-d features; BENCHMARKS.md). Their mean:
GDPP_CPU_2D_SECONDS = (0.0027 + 0.0019) / 2
SAFETY = 3  # requested time = 3 x the estimate: slower nodes, a loaded machine
MIN_RUNTIME = 10  # minutes: start-up (Python and torch imports) and scheduling slack
# (torch and the dataset, one member's nets, optimiser state and activations at the CPU's reference
# networks), in MB
TRAIN_MEM_MB = {"2d": (1500, 20), "image": (2000, 100)}
FLOAT32_BYTES = 4
CPU_WARN_HOURS = 3.0  # a projection above this on the CPU gets a warning before the study starts


def network_scale(settings: TrainSettings, cost: Mapping[str, float]) -> float:
    """How much bigger a job's networks (width products) and batches are than `cost`'s reference."""
    widths = max(1.0, settings.g_width * settings.d_width / cost["widths"])
    return widths * max(1.0, settings.batch_size / cost["batch"])


def snapshots(settings: TrainSettings) -> int:
    """Snapshots a run takes: every snapshot_every steps, and always the last step."""
    return settings.steps // settings.snapshot_every + (settings.steps % settings.snapshot_every != 0)


def train_seconds(settings: TrainSettings, *, image: bool, members: int, device: str) -> float:
    """Seconds of one training job without the safety factor: steps times the cost of a step on
    `device` ("cpu" or "cuda"), which is the recorded cost of a member-step times the members and
    how much bigger the networks and batches are than the recorded ones, but never below the
    device's floor, times the updates per step relative to one D and one G update (each unrolled D
    step is an update that G's step differentiates through, about two updates' work: unrolled-5 ~
    6x, BENCHMARKS.md), times `pack` (G runs once per pack slot: PacGAN2's job ~ 1.9x GAN's); plus
    the snapshots (G's forward pass over the snapshot codes), and on CUDA the allowance for
    deterministic kernels."""
    kind = "image" if image else "2d"
    cost = STEP_COST[device][kind]
    by_weights = device == "cpu" and not image  # CPU 2D: overhead + batch x weights (CPU_2D_POINTS)
    if by_weights:
        member_step = CPU_2D_OVERHEAD + CPU_2D_PER_WEIGHT * settings.batch_size * mlp_weights(settings)
        member_step += GDPP_CPU_2D_SECONDS if settings.gdpp else 0.0
    else:
        member_step = cost["seconds"] * network_scale(settings, cost)
    per_step = max(cost["floor"], member_step * members)
    updates = (settings.d_steps + settings.g_steps * (1 + 2 * settings.unrolled_steps)) / 2
    sampling = snapshots(settings) * math.ceil(settings.snapshot_samples / settings.batch_size) * FORWARD_SHARE
    work = extra_work(settings, image=image, counted=by_weights)
    seconds = per_step * (settings.steps * updates * settings.pack * work + sampling)
    return seconds * (DETERMINISTIC_ALLOWANCE if device == "cuda" else 1.0)


def extra_work(settings: TrainSettings, *, image: bool, counted: bool = False) -> float:
    """How many plain steps' work a step of these settings does beyond its updates: an encoder (ALI,
    VEEGAN) and GDPP's eigendecompositions, unless `counted` in the step's cost already (the CPU's 2D
    steps: the encoder's weights, GDPP_CPU_2D_SECONDS), and DiffAugment's transforms (measured
    factors above)."""
    factor = 1.0
    if LOSSES[settings.loss].joint and not counted:
        factor *= JOINT_IMAGE_COST if image else 1 + settings.e_width / settings.g_width
    if settings.gdpp and not counted:
        factor *= GDPP_COST
    if settings.diffaugment:
        factor *= DIFFAUGMENT_COST
    return factor


def runtime_minutes(settings: TrainSettings, *, image: bool, members: int, device: str, attempt: int = 1) -> int:
    """The `runtime` resource of a training job: SAFETY x the estimate, at least MIN_RUNTIME,
    doubled on each retry."""
    seconds = train_seconds(settings, image=image, members=members, device=device)
    return max(MIN_RUNTIME, math.ceil(SAFETY * seconds / 60)) * attempt


def sample_values(image_shape: Sequence[int] | None) -> int:
    """Values in one sample: the image's pixels, or the 2D point's coordinates."""
    return math.prod(image_shape) if image_shape else 2


def mem_mb(settings: TrainSettings, *, image_shape: Sequence[int] | None, members: int, attempt: int = 1) -> int:
    """The `mem_mb` resource of a training job of `members` seeds: a base for torch and the dataset,
    each member's networks, optimiser state and activations, growing with the square root of the
    network scale against the CPU's reference networks (parameters grow with width, activations
    with width x batch), and the snapshots the job holds: one snapshot of every member in float32
    while it is taken, and the largest member's samples table while the job writes its samples at
    the end (earlier snapshots wait on disk, not in memory: snapshots.SnapshotStore), three times
    over for its arrays, the table and its Parquet encoding; doubled on each retry."""
    kind = "image" if image_shape else "2d"
    base, per_member = TRAIN_MEM_MB[kind]
    scale = network_scale(settings, STEP_COST["cpu"][kind])
    snapshot_mb = members * settings.snapshot_samples * sample_values(image_shape) * FLOAT32_BYTES / 2**20
    stored = np.dtype(stored_dtype(image_shape)).itemsize  # bytes a value in the samples table
    # one member's table as its snapshots' arrays, the DataFrame and the Arrow table written from it
    table_mb = 3 * snapshots(settings) * settings.snapshot_samples * sample_values(image_shape) * stored / 2**20
    return math.ceil(base + per_member * members * math.sqrt(scale) + snapshot_mb + table_mb) * attempt


@dataclasses.dataclass(frozen=True)
class Projection:
    """A study's training time before it starts, on the CPU and on one GPU: the sum of its jobs'
    estimates (`*_job_seconds`), and the CPU's wall time with `cores` jobs at a time."""

    jobs: int
    cpu_job_seconds: float
    gpu_job_seconds: float
    cores: int

    @property
    def cpu_wall_seconds(self) -> float:
        return self.cpu_job_seconds / max(1, min(self.cores, self.jobs))


def image_shape(dataset: str) -> tuple[int, ...] | None:
    """A dataset's image shape (channels, height, width), None for 2D points."""
    return tuple(get_dataset(dataset).image_shape) if is_image(dataset) else None


def study_jobs(study: Study) -> list[tuple[TrainSettings, tuple[int, ...] | None, int]]:
    """Every training job of a study, as (settings, image shape or None, members)."""
    return [
        (settings, image_shape(dataset), len(group))
        for dataset in study.datasets
        for settings in study.runs[dataset].values()
        for group in study.seed_groups
    ]


def project(jobs: Sequence[tuple[TrainSettings, Sequence[int] | None, int]], *, cores: int) -> Projection:
    """The projection of training `jobs`, each (settings, image shape or None, members)."""
    seconds = {
        device: sum(train_seconds(s, image=shape is not None, members=m, device=device) for s, shape, m in jobs)
        for device in ("cpu", "cuda")
    }
    return Projection(jobs=len(jobs), cpu_job_seconds=seconds["cpu"], gpu_job_seconds=seconds["cuda"], cores=cores)


def duration(seconds: float) -> str:
    """Seconds as the reports print a long duration: "2.5 h", or minutes below an hour."""
    hours = seconds / 3600
    return f"{hours:.1f} h" if hours >= 0.95 else f"{max(1, round(seconds / 60))} min"


def projection_lines(projection: Projection) -> list[str]:
    """What check-config and the start of a workflow run print: the CPU and GPU projections, each
    with what it rests on, and a warning when the CPU projection is hours of work."""
    lines = [
        f"projected training: {projection.jobs} job{'s' * (projection.jobs != 1)}, "
        f"{duration(projection.cpu_job_seconds)} of CPU work: about "
        f"{duration(projection.cpu_wall_seconds)} on this machine with {projection.cores} jobs at a time "
        f"({RECORDED['cpu']})",
        f"projected training on one H100/H200: about {duration(projection.gpu_job_seconds)}, one job at a time "
        f"({RECORDED['cuda']}, times {DETERMINISTIC_ALLOWANCE:g} for deterministic kernels; not yet "
        f"measured with them)",
    ]
    if projection.cpu_wall_seconds > CPU_WARN_HOURS * 3600:
        lines.append(
            f"warning: this study is about {duration(projection.cpu_wall_seconds)} of training on this machine's CPUs "
            f"(more than {CPU_WARN_HOURS:g} h); run it on a GPU (config device: cuda) or a cluster "
            "(docs/cluster-and-gpu.md); a study stopped part-way keeps its finished jobs and checkpoints"
        )
    return lines
