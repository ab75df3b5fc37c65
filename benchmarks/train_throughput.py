"""Training throughput: one vectorised ensemble of N members against a loop that trains the same
N members one after another, in model-steps per second (members × generator steps / seconds).

    .venv/bin/python benchmarks/train_throughput.py                      # CPU, and the GPU if present
    .venv/bin/python benchmarks/train_throughput.py --devices cpu --sizes 1 4 --steps 50

Prints a Markdown table (for BENCHMARKS.md) and writes it as CSV to benchmarks/out/.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from modecollapse.config import TrainSettings
from modecollapse.data import DATASETS, sample_mixture
from modecollapse.provenance import cpu_name
from modecollapse.train import train
from modecollapse.variants import variant_defaults

ARCHITECTURES = {
    # config/config.yaml's networks and PacGAN's 2D networks (docs/protocol.md §1).
    "default": dict(g_width=64, g_depth=3, d_width=32, d_depth=2, d_maxout=5),
    "paper": dict(g_width=400, g_depth=4, d_width=200, d_depth=3, d_maxout=5),
    # conv nets: config/config.yaml's on stacked digits (3x8x8), config/paper.yaml's on Stacked MNIST
    "stacked-digits": dict(g_width=16, d_width=16, z_dim=32, batch_size=64, beta1=0.5, image_shape=(3, 8, 8)),
    "stacked-mnist": dict(g_width=64, d_width=64, z_dim=100, batch_size=64, beta1=0.5, image_shape=(3, 28, 28)),
}


def timed(fn) -> float:
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    start = time.perf_counter()
    fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - start


def training_data(arch: str):
    """Ring8's points, or for a conv architecture uniform noise of its image size (the timing of
    a step does not depend on what the pixels show)."""
    shape = ARCHITECTURES[arch].get("image_shape")
    if shape is None:
        return sample_mixture(DATASETS["ring8"], n=100_000, seed=0)[0]
    return torch.rand(10_000, int(np.prod(shape)), generator=torch.Generator().manual_seed(0)).numpy() * 2 - 1


def measure(*, variant: str, arch: str, device: str, members: int, steps: int) -> dict:
    loss, defaults = variant_defaults(variant)
    architecture = dict(ARCHITECTURES[arch])
    image_shape = architecture.pop("image_shape", None)
    settings = TrainSettings(
        loss=loss, **{**architecture, **defaults, "steps": steps, "snapshot_every": 10 * steps, "log_every": 50,
                      "snapshot_samples": 500}
    )
    data, seeds = training_data(arch), list(range(members))
    run = lambda s, seeds: train(data=data, settings=s, seeds=seeds, device=device, image_shape=image_shape)  # noqa: E731
    warm = TrainSettings(**{**settings.__dict__, "steps": 5})
    run(warm, seeds)  # allocator, kernels, CUDA context
    ensemble = timed(lambda: run(settings, seeds))
    run(warm, [0])
    loop = timed(lambda: [run(settings, [seed]) for seed in seeds])
    return {
        "device": device, "variant": variant, "arch": arch, "members": members, "steps": steps,
        "ensemble_model_steps_per_s": members * steps / ensemble,
        "loop_model_steps_per_s": members * steps / loop,
        "speedup": loop / ensemble,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", nargs="+", default=["cpu", *(["cuda"] if torch.cuda.is_available() else [])])
    parser.add_argument("--sizes", nargs="+", type=int, default=[1, 4, 16, 64])
    parser.add_argument("--variants", nargs="+", default=["gan-ns", "wgan-gp"])
    parser.add_argument("--archs", nargs="+", default=["default"], choices=sorted(ARCHITECTURES))
    parser.add_argument("--steps", type=int, default=100, help="generator steps per timed run")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (a training job uses 1)")
    parser.add_argument("--out", default=str(Path(__file__).parent / "out" / "train_throughput.csv"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    for device in args.devices:
        for arch in args.archs:
            for variant in args.variants:
                for members in args.sizes:
                    row = measure(variant=variant, arch=arch, device=device, members=members, steps=args.steps)
                    rows.append(row)
                    print(row, flush=True)
    table = pd.DataFrame(rows)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    name = torch.cuda.get_device_name() if torch.cuda.is_available() else cpu_name()
    print(f"\n{name}; torch {torch.__version__}; {args.threads} CPU thread(s); {args.steps} steps per run\n")
    print(table.to_markdown(index=False, floatfmt=".1f"))


if __name__ == "__main__":
    main()
