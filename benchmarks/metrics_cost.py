"""Cost of each distribution metric in seconds at n real vs n fake 2D points (ring8).

    .venv/bin/python benchmarks/metrics_cost.py                        # 1k, 10k and 50k
    .venv/bin/python benchmarks/metrics_cost.py --sizes 1000 10000 --metrics prdc mmd

The fake set is an independent ring8 sample with extra jitter, so every metric does its full work
(nothing degenerate). Prints a Markdown table (for BENCHMARKS.md) and writes it as CSV to
benchmarks/out/. A metric that subsamples above a stated size says so in the note column.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import scipy
import sklearn

from modecollapse import metrics
from modecollapse.data import DATASETS, sample_mixture
from modecollapse.provenance import cpu_name

RING = DATASETS["ring8"]
CENTERS = np.asarray(RING.centers)


def _subsample_note(*, n: int, max_samples: int) -> str:
    return f"subsampled to max_samples={max_samples}" if n > max_samples else ""


# name -> (call on real and fake, note at sample size n); defaults as a pipeline would call them.
METRICS = {
    "mode_stats": (lambda real, fake: metrics.mode_stats(centers=CENTERS, std=RING.std, fake=fake), lambda n: ""),
    "mode_stats_floor": (
        lambda real, fake: metrics.mode_stats_floor(centers=CENTERS, std=RING.std, n=len(fake)),
        lambda n: "20 repeats of sampling and mode_stats",
    ),
    "wasserstein_p1": (
        lambda real, fake: metrics.wasserstein(real=real, fake=fake, p=1),
        lambda n: _subsample_note(n=n, max_samples=2000),
    ),
    "wasserstein_p2": (
        lambda real, fake: metrics.wasserstein(real=real, fake=fake, p=2),
        lambda n: _subsample_note(n=n, max_samples=2000),
    ),
    "sliced_wasserstein": (
        lambda real, fake: metrics.sliced_wasserstein(real=real, fake=fake),
        lambda n: "128 projections",
    ),
    "mmd": (lambda real, fake: metrics.mmd(real=real, fake=fake), lambda n: "all pairs, blocked"),
    "kid": (lambda real, fake: metrics.kid(real=real, fake=fake), lambda n: "10 subsets of 1000"),
    "frechet_distance": (lambda real, fake: metrics.frechet_distance(real=real, fake=fake), lambda n: ""),
    "energy_distance": (
        lambda real, fake: metrics.energy_distance(real=real, fake=fake),
        lambda n: _subsample_note(n=n, max_samples=10_000) or "all pairs, blocked",
    ),
    "prdc": (lambda real, fake: metrics.prdc(real=real, fake=fake, k=5), lambda n: "k=5, all real-fake pairs, blocked"),
    "ndb": (lambda real, fake: metrics.ndb(real=real, fake=fake), lambda n: "100 bins, k-means n_init=10"),
}


def sets(*, n: int) -> tuple[np.ndarray, np.ndarray]:
    real, _ = sample_mixture(RING, n=n, seed=0)
    fake, _ = sample_mixture(RING, n=n, seed=1)
    jitter = 0.5 * RING.std * np.random.default_rng(2).standard_normal(fake.shape)  # a near-perfect generator
    return real.astype(np.float64), fake + jitter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", type=int, default=[1000, 10_000, 50_000])
    parser.add_argument("--metrics", nargs="+", default=list(METRICS), choices=list(METRICS))
    parser.add_argument("--out", default=str(Path(__file__).parent / "out" / "metrics_cost.csv"))
    args = parser.parse_args()
    rows = []
    for n in args.sizes:
        real, fake = sets(n=n)
        for name in args.metrics:
            call, note = METRICS[name]
            start = time.perf_counter()
            call(real, fake)
            seconds = time.perf_counter() - start
            rows.append({"metric": name, "n": n, "seconds": seconds, "note": note(n)})
            print(f"{name} n={n}: {seconds:.2f} s", flush=True)
    table = pd.DataFrame(rows).sort_values(["metric", "n"], kind="stable")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    print(
        f"\n{cpu_name()}; numpy {np.__version__}, scipy {scipy.__version__}, scikit-learn {sklearn.__version__}; "
        "n real vs n fake ring8 points\n"
    )
    print(table.to_markdown(index=False, floatfmt=".2f"))


if __name__ == "__main__":
    main()
