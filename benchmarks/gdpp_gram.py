"""GDPP's DPP loss through the small Gram matrix (features × features) against the literal batch × batch form.

Times a forward and backward pass of each (regularisers.gdpp_loss, gdpp_loss_literal) on random
features, one torch thread, on the CPU, and prints a Markdown row for BENCHMARKS.md:

    .venv/bin/python benchmarks/gdpp_gram.py --batch 512 --features 128 --members 1 --repeats 5
"""

from __future__ import annotations

import argparse
import time

import torch

from modecollapse.regularisers import gdpp_loss, gdpp_loss_literal


def time_ms(loss, real: torch.Tensor, fake: torch.Tensor, repeats: int) -> float:
    """Median milliseconds of one forward and backward pass of `loss`."""
    times = []
    for _ in range(repeats):
        leaf = fake.detach().clone().requires_grad_(True)
        started = time.perf_counter()
        loss(real_features=real, fake_features=leaf).sum().backward()
        times.append((time.perf_counter() - started) * 1000)
    return sorted(times)[len(times) // 2]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--features", type=int, default=128, help="D's feature width (GDPP's 2D D: 128)")
    parser.add_argument("--members", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(0)
    real, fake = (torch.tanh(torch.randn(args.members, args.batch, args.features, generator=generator)) for _ in "rf")
    gram = time_ms(gdpp_loss, real, fake, args.repeats)
    literal = time_ms(gdpp_loss_literal, real, fake, args.repeats)
    print("| batch | features | members | Gram form (ms) | literal form (ms) | ratio |")
    print("|---|---|---|---|---|---|")
    print(f"| {args.batch} | {args.features} | {args.members} | {gram:.2f} | {literal:.2f} | {literal / gram:.1f}x |")


if __name__ == "__main__":
    main()
