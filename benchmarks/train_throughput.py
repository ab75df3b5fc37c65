"""Training throughput, in member-steps per second (members × iterations / seconds):

- one vectorised ensemble of N members against a loop that trains the same N members one after
  another (`--loop`);
- eager steps against steps captured as a CUDA graph (`--modes eager cuda-graph`);
- K training processes at once on one device, each an ensemble of N (`--concurrent K ...`): the
  aggregate rate, as `snakemake --resources gpu=K` would run K jobs on one GPU.

Each rate is marginal: a run of 2S iterations minus a run of S, so the set-up, the first steps
and a graph's capture drop out, which is what a 400,000-iteration job sees. The total time of
the S-iteration run is reported too (`s_per_run`).

    .venv/bin/python benchmarks/train_throughput.py                      # CPU, and the GPU if present
    .venv/bin/python benchmarks/train_throughput.py --devices cpu --sizes 1 4 --steps 50 --loop
    python benchmarks/train_throughput.py --devices cuda --archs paper --sizes 10 --modes eager cuda-graph --concurrent 1 4 8

Prints a Markdown table (for BENCHMARKS.md) and writes it as CSV to benchmarks/out/.
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import torch

from modecollapse.config import TrainSettings
from modecollapse.data import DATASETS, sample_mixture
from modecollapse.provenance import cpu_name
from modecollapse.train import STEP_MODES, train, use_deterministic_cuda
from modecollapse.variants import variant_defaults

ARCHITECTURES = {
    # config/config.yaml's networks and PacGAN's 2D networks (docs/protocol.md §1).
    "default": dict(g_width=64, g_depth=3, d_width=32, d_depth=2, d_maxout=5),
    "paper": dict(g_width=400, g_depth=4, d_width=200, d_depth=3, d_maxout=5, batch_size=100, beta1=0.8),
    # conv nets: config/config.yaml's on stacked digits (3x8x8), config/paper.yaml's on Stacked MNIST
    "stacked-digits": dict(g_width=16, d_width=16, z_dim=32, batch_size=64, beta1=0.5, image_shape=(3, 8, 8)),
    "stacked-mnist": dict(g_width=64, d_width=64, z_dim=100, batch_size=64, beta1=0.5, image_shape=(3, 28, 28)),
}


def synchronize(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def training_data(arch: str) -> np.ndarray:
    """Ring8's points, or for a conv architecture uniform noise of its image size (the timing of
    a step does not depend on what the pixels show)."""
    shape = ARCHITECTURES[arch].get("image_shape")
    if shape is None:
        return sample_mixture(DATASETS["ring8"], n=100_000, seed=0)[0]
    return torch.rand(10_000, int(np.prod(shape)), generator=torch.Generator().manual_seed(0)).numpy() * 2 - 1


def timed_train(*, data: np.ndarray, settings: TrainSettings, seeds: list[int], device: str, mode: str,
                image_shape: tuple[int, int, int] | None = None) -> float:
    """Seconds that `train` takes, the device's queued work included."""
    synchronize(device)
    start = time.perf_counter()
    train(data=data, settings=settings, seeds=seeds, device=device, image_shape=image_shape, step_mode=mode)
    synchronize(device)
    return time.perf_counter() - start


def marginal(time_of: Callable[[int], float], *, steps: int) -> tuple[float, float]:
    """(seconds per iteration beyond the first `steps`, seconds of a `steps` run) from
    `time_of(iterations)`, after a 5-iteration warm-up (allocator, kernels, CUDA context)."""
    time_of(5)
    short, long = time_of(steps), time_of(2 * steps)
    return max(long - short, 1e-9) / steps, short


def runner(*, variant: str, arch: str, device: str, mode: str) -> Callable[[int, list[int]], float]:
    """A function of (iterations, seeds) that trains and returns its wall time in seconds."""
    loss, defaults = variant_defaults(variant)
    architecture = dict(ARCHITECTURES[arch])
    image_shape = architecture.pop("image_shape", None)
    data = training_data(arch)

    def run(steps: int, seeds: list[int]) -> float:
        settings = TrainSettings(
            loss=loss, **{**architecture, **defaults, "steps": steps, "snapshot_every": steps, "log_every": 100,
                          "snapshot_samples": 500}
        )
        return timed_train(data=data, settings=settings, seeds=seeds, device=device, mode=mode, image_shape=image_shape)

    return run


def measure(*, variant: str, arch: str, device: str, members: int, steps: int, mode: str, loop: bool) -> dict:
    run = runner(variant=variant, arch=arch, device=device, mode=mode)
    seeds = list(range(members))
    per_iteration, seconds = marginal(lambda n: run(n, seeds), steps=steps)
    rate = members / per_iteration
    row = {"device": device, "mode": mode, "variant": variant, "arch": arch, "members": members, "jobs": 1,
           "steps": steps, "member_steps_per_s": rate, "s_per_run": seconds}
    if loop:  # each member alone, one after another
        loop_rate = members / sum(marginal(lambda n, seed=seed: run(n, [seed]), steps=steps)[0] for seed in seeds)
        row.update(loop_member_steps_per_s=loop_rate, ensemble_over_loop=rate / loop_rate)
    return row


def _job(barrier, results, spec: dict) -> None:
    """One of the concurrent training processes: warm up, wait for the others, train, report."""
    torch.set_num_threads(1)
    if spec["device"].startswith("cuda"):
        use_deterministic_cuda()
    run = runner(variant=spec["variant"], arch=spec["arch"], device=spec["device"], mode=spec["mode"])
    seeds = list(range(spec["members"]))
    run(5, seeds)
    barrier.wait()
    start = time.time()
    run(spec["steps"], seeds)
    results.put((start, time.time()))


def measure_concurrent(*, jobs: int, variant: str, arch: str, device: str, members: int, steps: int, mode: str) -> dict:
    """`jobs` processes train at once: the aggregate rate over the span from the first start to
    the last end (each process's set-up is before the barrier, its capture inside the span)."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(jobs), context.Queue()
    spec = dict(variant=variant, arch=arch, device=device, members=members, steps=steps, mode=mode)
    processes = [context.Process(target=_job, args=(barrier, results, spec)) for _ in range(jobs)]
    for process in processes:
        process.start()
    spans = [results.get() for _ in processes]
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise RuntimeError(f"a concurrent training process failed (exit code {process.exitcode})")
    wall = max(end for _, end in spans) - min(start for start, _ in spans)
    return {"device": device, "mode": mode, "variant": variant, "arch": arch, "members": members, "jobs": jobs,
            "steps": steps, "member_steps_per_s": jobs * members * steps / wall, "s_per_run": wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", nargs="+", default=["cpu", *(["cuda"] if torch.cuda.is_available() else [])])
    parser.add_argument("--sizes", nargs="+", type=int, default=[1, 4, 16, 64], help="members per ensemble")
    parser.add_argument("--variants", nargs="+", default=["gan-ns", "wgan-gp"])
    parser.add_argument("--archs", nargs="+", default=["default"], choices=sorted(ARCHITECTURES))
    parser.add_argument("--modes", nargs="+", default=["eager"], choices=STEP_MODES,
                        help="how steps run (train.Stepper); cuda-graph on CUDA devices only")
    parser.add_argument("--steps", type=int, default=100, help="S: the rate is that of a 2S run beyond an S run")
    parser.add_argument("--loop", action="store_true", help="also train the members one after another (eager only)")
    parser.add_argument("--concurrent", nargs="+", type=int, default=[], metavar="K",
                        help="also run K training processes at once, each an ensemble of every size")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (a training job uses 1)")
    parser.add_argument("--out", default=str(Path(__file__).parent / "out" / "train_throughput.csv"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if "cuda" in args.devices:
        use_deterministic_cuda()  # as training jobs run
    rows = []
    for device in args.devices:
        for mode in args.modes:
            if mode == "cuda-graph" and not device.startswith("cuda"):
                continue
            for arch in args.archs:
                for variant in args.variants:
                    for members in args.sizes:
                        common = dict(variant=variant, arch=arch, device=device, members=members, steps=args.steps,
                                      mode=mode)
                        rows.append(measure(**common, loop=args.loop and mode == "eager"))
                        print(rows[-1], flush=True)
                        for jobs in args.concurrent:
                            rows.append(measure_concurrent(jobs=jobs, **common))
                            print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    name = torch.cuda.get_device_name() if "cuda" in args.devices else cpu_name()
    print(f"\n{name}; torch {torch.__version__}; {args.threads} CPU thread(s); S = {args.steps}\n")
    print(table.to_markdown(index=False, floatfmt=".1f"))


if __name__ == "__main__":
    main()
