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

import pandas as pd
import torch

from modecollapse.config import TrainSettings
from modecollapse.data import DATASETS, sample_mixture
from modecollapse.provenance import cpu_name
from modecollapse.train import train
from modecollapse.variants import variant_defaults

ARCHITECTURES = {
    # config/config.yaml's networks and PacGAN's 2D networks (PROTOCOL.md §1).
    "default": dict(g_width=64, g_depth=3, d_width=32, d_depth=2, d_maxout=5),
    "paper": dict(g_width=400, g_depth=4, d_width=200, d_depth=3, d_maxout=5),
}


def timed(fn) -> float:
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    start = time.perf_counter()
    fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - start


def measure(*, variant: str, arch: str, device: str, members: int, steps: int, data) -> dict:
    loss, defaults = variant_defaults(variant)
    settings = TrainSettings(
        loss=loss, **{**ARCHITECTURES[arch], **defaults, "steps": steps, "snapshot_every": 10 * steps, "log_every": 50}
    )
    seeds = list(range(members))
    warm = TrainSettings(**{**settings.__dict__, "steps": 5})
    train(data=data, settings=warm, seeds=seeds, device=device)  # allocator, kernels, CUDA context
    ensemble = timed(lambda: train(data=data, settings=settings, seeds=seeds, device=device))
    train(data=data, settings=warm, seeds=[0], device=device)
    loop = timed(lambda: [train(data=data, settings=settings, seeds=[seed], device=device) for seed in seeds])
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
    data = sample_mixture(DATASETS["ring8"], n=100_000, seed=0)[0]
    rows = []
    for device in args.devices:
        for arch in args.archs:
            for variant in args.variants:
                for members in args.sizes:
                    row = measure(variant=variant, arch=arch, device=device, members=members, steps=args.steps, data=data)
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
