"""Peak memory and time of one 28×28 snapshot: GANEnsemble.sample in chunks against one pass over every code.

PacGAN Table 2's job (config/pacgan-table2.yaml: 10 members of its Stacked-MNIST nets, 26,000 codes a
snapshot) samples once per snapshot; in one pass its largest activation is about 12 GiB. On CUDA the
peak is torch.cuda.max_memory_allocated over the call; on the CPU only the time is measured (and
`--samples` makes the run small enough for a test).

    python benchmarks/snapshot_memory.py --device cuda --out benchmarks/out/snapshot_memory.csv
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from modecollapse.config import load_study
from modecollapse.data import get_dataset
from modecollapse.train import SAMPLE_CHUNK, GANEnsemble

REPO = Path(__file__).resolve().parents[1]


def measure(*, device: str, members: int, samples: int, chunk: int) -> dict:
    study = load_study(REPO / "config" / "pacgan-table2.yaml")
    dataset = study.datasets[0]
    settings = dataclasses.replace(next(iter(study.runs[dataset].values())), snapshot_samples=samples)
    shape = tuple(get_dataset(dataset).image_shape)
    data = np.zeros((2 * settings.batch_size, int(np.prod(shape))), dtype=np.float32)  # sampling reads no data
    ensemble = GANEnsemble(data=data, settings=settings, seeds=list(range(members)), device=device, image_shape=shape)
    cuda = device.startswith("cuda")
    if cuda:
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        before = torch.cuda.memory_allocated(device)
    started = time.perf_counter()
    out = ensemble.sample(chunk=chunk)
    if cuda:
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - started
    peak = (torch.cuda.max_memory_allocated(device) - before) / 2**20 if cuda else float("nan")
    return {
        "device": device,
        "dataset": dataset,
        "members": members,
        "samples": samples,
        "chunk": chunk,
        "peak_extra_mb": round(peak, 1),
        "seconds": round(seconds, 3),
        "host_mb": round(out.numel() * 4 / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--samples", type=int, default=26_000, help="codes a member (PacGAN Table 2: 26,000)")
    parser.add_argument("--out", default=str(Path(__file__).parent / "out" / "snapshot_memory.csv"))
    args = parser.parse_args()
    rows = []
    for chunk in (SAMPLE_CHUNK, args.samples):  # the training job's chunks, then one pass
        rows.append(measure(device=args.device, members=args.members, samples=args.samples, chunk=chunk))
        print(rows[-1], flush=True)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(rows).to_csv(args.out, index=False)


if __name__ == "__main__":
    main()
