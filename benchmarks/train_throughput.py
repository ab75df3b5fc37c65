"""Training throughput, in member-steps per second (members × iterations / seconds):

- one vectorised ensemble of N members against a loop that trains the same N members one after
  another (`--loop`);
- eager steps against steps captured as a CUDA graph (`--modes eager cuda-graph`);
- K training processes at once on one device, each an ensemble of N (`--concurrent K ...`): the
  aggregate rate, as `snakemake --resources gpu=K` would run K jobs on one GPU.

Each rate is marginal: a run of 2S iterations minus a run of S, so the set-up, the first steps
and a graph's capture drop out, which is what a 400,000-iteration job sees (concurrent jobs: the
span of K runs of 2S minus that of K runs of S). The total time of the S-iteration run is
reported too (`s_per_run`). Where the difference is lost in the noise the rate is NaN: raise S.
On CUDA, kernels are those of a training job (device.use_deterministic_cuda) and float32 is full
precision unless `--tf32`, as the config's `tf32`.

    .venv/bin/python benchmarks/train_throughput.py                      # CPU, and the GPU if present
    .venv/bin/python benchmarks/train_throughput.py --devices cpu --sizes 1 4 --steps 50 --loop
    python benchmarks/train_throughput.py --devices cuda --archs paper --sizes 10 --modes eager cuda-graph \\
        --concurrent 1 4 8

Prints a Markdown table (for BENCHMARKS.md) and writes it as CSV to benchmarks/out/.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import queue
import time
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import torch

from modecollapse.config import TrainSettings
from modecollapse.data import DATASETS, sample_mixture
from modecollapse.device import set_float32_precision, use_deterministic_cuda
from modecollapse.provenance import cpu_name
from modecollapse.stepping import GRAPH_WARMUP_STEPS, STEP_MODES
from modecollapse.train import train
from modecollapse.variants import variant_defaults

ARCHITECTURES = {
    # config/config.yaml's networks and PacGAN's 2D networks and step (docs/protocol.md §1; the
    # variants with several critic steps alternate, as in config/paper.yaml)
    "default": dict(g_width=64, g_depth=3, d_width=32, d_depth=2, d_maxout=5),
    "paper": dict(
        g_width=400,
        g_depth=4,
        d_width=200,
        d_depth=3,
        d_maxout=5,
        batch_size=100,
        beta1=0.8,
        update="simultaneous",
        bn_momentum=0.05,
    ),
    # conv nets: config/config.yaml's on stacked digits (3x8x8), config/paper.yaml's on Stacked MNIST
    "stacked-digits": dict(g_width=16, d_width=16, z_dim=32, batch_size=64, beta1=0.5, image_shape=(3, 8, 8)),
    "stacked-mnist": dict(g_width=64, d_width=64, z_dim=100, batch_size=64, beta1=0.5, image_shape=(3, 28, 28)),
}


def synchronize(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize(device)


def as_training_jobs_run(*, cuda: bool, tf32: bool, deterministic: bool = True) -> None:
    """This process's kernels and float32 precision as a training job's (workflow/scripts/train.py);
    `deterministic=False` leaves CUDA's default (fastest, not repeatable) kernels, to measure their cost."""
    set_float32_precision(tf32=tf32)
    if cuda and deterministic:
        use_deterministic_cuda()


def training_data(arch: str) -> np.ndarray:
    """Ring8's points, or for a conv architecture uniform noise of its image size (the timing of
    a step does not depend on what the pixels show)."""
    shape = ARCHITECTURES[arch].get("image_shape")
    if shape is None:
        return sample_mixture(DATASETS["ring8"], n=100_000, seed=0)[0]
    return torch.rand(10_000, int(np.prod(shape)), generator=torch.Generator().manual_seed(0)).numpy() * 2 - 1


def timed_train(
    *,
    data: np.ndarray,
    settings: TrainSettings,
    seeds: list[int],
    device: str,
    mode: str,
    image_shape: tuple[int, int, int] | None = None,
) -> float:
    """Seconds that `train` takes, the device's queued work included."""
    synchronize(device)
    start = time.perf_counter()
    train(data=data, settings=settings, seeds=seeds, device=device, image_shape=image_shape, step_mode=mode)
    synchronize(device)
    return time.perf_counter() - start


def marginal(time_of: Callable[[int], float], *, steps: int) -> tuple[float, float]:
    """(seconds per iteration beyond the first `steps`, seconds of a `steps` run) from
    `time_of(iterations)`, after a 5-iteration warm-up (allocator, kernels, CUDA context); NaN
    per iteration where the 2S run was not the longer (noise larger than S iterations)."""
    time_of(5)
    short, long = time_of(steps), time_of(2 * steps)
    return seconds_each(long - short, steps=steps), short


def seconds_each(extra_seconds: float, *, steps: int) -> float:
    if extra_seconds <= 0:
        print(
            f"warning: {steps} more iterations took {extra_seconds:.3f} s, lost in the noise: raise --steps", flush=True
        )
        return math.nan
    return extra_seconds / steps


def runner(*, variant: str, arch: str, device: str, mode: str) -> Callable[[int, list[int]], float]:
    """A function of (iterations, seeds) that trains and returns its wall time in seconds."""
    loss, defaults = variant_defaults(variant)
    architecture = dict(ARCHITECTURES[arch])
    image_shape = architecture.pop("image_shape", None)
    data = training_data(arch)

    if architecture.get("update") == "simultaneous" and defaults.get("d_steps", 1) != 1:
        architecture["update"] = "alternating"  # several critic steps need alternating updates

    def run(steps: int, seeds: list[int]) -> float:
        settings = TrainSettings(
            loss=loss,
            **{
                **architecture,
                **defaults,
                "steps": steps,
                "snapshot_every": steps,
                "log_every": 100,
                "snapshot_samples": 500,
            },
        )
        return timed_train(data=data, settings=settings, seeds=seeds, device=device, mode=mode, image_shape=image_shape)

    return run


def measure(*, variant: str, arch: str, device: str, members: int, steps: int, mode: str, loop: bool) -> dict:
    run = runner(variant=variant, arch=arch, device=device, mode=mode)
    seeds = list(range(members))
    each, seconds = marginal(lambda n: run(n, seeds), steps=steps)
    rate = members / each
    row = {
        "device": device,
        "mode": mode,
        "variant": variant,
        "arch": arch,
        "members": members,
        "jobs": 1,
        "steps": steps,
        "member_steps_per_s": rate,
        "s_per_run": seconds,
    }
    if loop:  # each member alone, one after another
        loop_rate = members / sum(marginal(lambda n, seed=seed: run(n, [seed]), steps=steps)[0] for seed in seeds)
        row.update(loop_member_steps_per_s=loop_rate, ensemble_over_loop=rate / loop_rate)
    return row


def _job(barrier, results, spec: dict) -> None:
    """One of the concurrent training processes: warm up, then an S and a 2S run, each started
    together with the other processes' (a barrier before each); reports the four times."""
    torch.set_num_threads(1)
    as_training_jobs_run(cuda=spec["device"].startswith("cuda"), tf32=spec["tf32"])
    run = runner(variant=spec["variant"], arch=spec["arch"], device=spec["device"], mode=spec["mode"])
    seeds = list(range(spec["members"]))
    run(5, seeds)
    times = []
    for steps in (spec["steps"], 2 * spec["steps"]):
        barrier.wait()
        times.append(time.time())
        run(steps, seeds)
        times.append(time.time())
    results.put(times)


def measure_concurrent(
    *, jobs: int, variant: str, arch: str, device: str, members: int, steps: int, mode: str, tf32: bool
) -> dict:
    """`jobs` processes train at once; the aggregate marginal rate is jobs × members × S over the
    span of their 2S runs (first start to last end) minus that of their S runs."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(jobs), context.Queue()
    spec = dict(variant=variant, arch=arch, device=device, members=members, steps=steps, mode=mode, tf32=tf32)
    processes = [context.Process(target=_job, args=(barrier, results, spec)) for _ in range(jobs)]
    for process in processes:
        process.start()
    reports = []
    try:
        while len(reports) < jobs:  # a process that dies would leave the others at the barrier: stop them all
            try:
                reports.append(results.get(timeout=5))
            except queue.Empty:
                if failed := [p.exitcode for p in processes if p.exitcode not in (None, 0)]:
                    raise RuntimeError(f"a concurrent training process failed (exit code {failed[0]})") from None
    finally:
        for process in processes:
            if process.is_alive() and len(reports) < jobs:
                process.terminate()
            process.join()
    span = [max(r[i + 1] for r in reports) - min(r[i] for r in reports) for i in (0, 2)]
    return {
        "device": device,
        "mode": mode,
        "variant": variant,
        "arch": arch,
        "members": members,
        "jobs": jobs,
        "steps": steps,
        "member_steps_per_s": jobs * members / seconds_each(span[1] - span[0], steps=steps),
        "s_per_run": span[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", nargs="+", default=["cpu", *(["cuda"] if torch.cuda.is_available() else [])])
    parser.add_argument("--sizes", nargs="+", type=int, default=[1, 4, 16, 64], help="members per ensemble")
    parser.add_argument("--variants", nargs="+", default=["gan-ns", "wgan-gp"])
    parser.add_argument("--archs", nargs="+", default=["default"], choices=sorted(ARCHITECTURES))
    parser.add_argument(
        "--modes",
        nargs="+",
        default=["eager"],
        choices=STEP_MODES,
        help="how steps run (stepping.Stepper); cuda-graph on CUDA devices only",
    )
    parser.add_argument("--steps", type=int, default=100, help="S: the rate is that of a 2S run beyond an S run")
    parser.add_argument("--loop", action="store_true", help="also train the members one after another (eager only)")
    parser.add_argument(
        "--concurrent",
        nargs="+",
        type=int,
        default=[],
        metavar="K",
        help="also run K training processes at once, each an ensemble of every size",
    )
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (a training job uses 1)")
    parser.add_argument("--tf32", action="store_true", help="TF32 matmuls and convolutions on CUDA (config tf32)")
    parser.add_argument(
        "--nondeterministic",
        action="store_true",
        help="CUDA's default kernels, not a training job's deterministic ones (single-process rows only)",
    )
    parser.add_argument("--out", default=str(Path(__file__).parent / "out" / "train_throughput.csv"))
    args = parser.parse_args()
    if "cuda-graph" in args.modes and args.steps <= GRAPH_WARMUP_STEPS:
        parser.error(f"--modes cuda-graph needs --steps above the {GRAPH_WARMUP_STEPS} eager warm-up steps")
    torch.set_num_threads(args.threads)
    cuda = any(device.startswith("cuda") for device in args.devices)
    as_training_jobs_run(cuda=cuda, tf32=args.tf32, deterministic=not args.nondeterministic)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = []

    def record(row: dict) -> None:  # the CSV grows row by row: a run cut short keeps what it measured
        rows.append({**row, "tf32": args.tf32, "deterministic": not args.nondeterministic})
        print(rows[-1], flush=True)
        pd.DataFrame(rows).to_csv(out, index=False)

    for device in args.devices:
        for mode in args.modes:
            if mode == "cuda-graph" and not device.startswith("cuda"):
                continue
            for arch in args.archs:
                for variant in args.variants:
                    for members in args.sizes:
                        common = dict(
                            variant=variant, arch=arch, device=device, members=members, steps=args.steps, mode=mode
                        )
                        record(measure(**common, loop=args.loop and mode == "eager"))
                        for jobs in args.concurrent:
                            record(measure_concurrent(jobs=jobs, tf32=args.tf32, **common))
    table = pd.DataFrame(rows)
    name = torch.cuda.get_device_name() if cuda else cpu_name()
    print(f"\n{name}; torch {torch.__version__}; {args.threads} CPU thread(s); S = {args.steps}\n")
    print(table.to_markdown(index=False, floatfmt=".1f"))


if __name__ == "__main__":
    main()
