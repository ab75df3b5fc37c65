"""Does `torch.compile` of the training step pay for itself in a training job? Eager steps
against the same ensemble's step compiled, on the CPU, in this one fresh process:

- `compile_s`: the first compiled call (tracing, code generation and the C++ build), minus an
  eager step: what every training job, a fresh process, would pay once;
- the marginal ms per step of each (a run of 2S steps minus a run of S, after a warm-up);
- `break_even_steps`: the steps a job needs before the compiled step has saved its compile time.

The ensemble is built as train.train() builds it (GANEnsemble, one member per seed, data drawn
from the dataset's mixture); the compiled function is GANEnsemble.step with the same live draws.
Training code is unchanged: this only measures.

    .venv/bin/python benchmarks/compile_step.py                    # config/config.yaml's nets, 8 members
    .venv/bin/python benchmarks/compile_step.py --batch 500 --members 6 --steps 200

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
from modecollapse.train import GANEnsemble
from modecollapse.variants import variant_defaults

DEFAULT_NETS = dict(g_width=64, g_depth=3, d_width=32, d_depth=2, d_maxout=5, z_dim=2)  # config/config.yaml


def ensemble(variant: str, *, members: int, batch: int) -> GANEnsemble:
    """A CPU ensemble of `members` seeds of `variant` on ring8 with config/config.yaml's nets."""
    data, _ = sample_mixture(DATASETS["ring8"], n=10_000, seed=0)
    loss, defaults = variant_defaults(variant)
    settings = TrainSettings(loss=loss, **{**defaults, **DEFAULT_NETS, "batch_size": batch, "lr": 5e-4})
    return GANEnsemble(data=data.astype("float32"), settings=settings, seeds=list(range(members)), device="cpu")


def timed(step, model: GANEnsemble, n: int) -> float:
    started = time.perf_counter()
    for i in range(n):
        model.set_step(i + 1)
        step(model.draw)
    return time.perf_counter() - started


def measure(variant: str, *, members: int, batch: int, steps: int) -> dict:
    eager_model = ensemble(variant, members=members, batch=batch)
    first_eager = timed(eager_model.step, eager_model, 1)
    timed(eager_model.step, eager_model, 10)  # warm-up
    eager = (timed(eager_model.step, eager_model, 2 * steps) - timed(eager_model.step, eager_model, steps)) / steps

    compiled_model = ensemble(variant, members=members, batch=batch)
    compiled_step = torch.compile(compiled_model.step)
    first_compiled = timed(compiled_step, compiled_model, 1)
    timed(compiled_step, compiled_model, 10)  # later recompilations, if any, land here
    compiled = (timed(compiled_step, compiled_model, 2 * steps) - timed(compiled_step, compiled_model, steps)) / steps
    compile_s = first_compiled - first_eager
    saving = eager - compiled
    return {
        "variant": variant,
        "members": members,
        "batch": batch,
        "eager_ms_per_step": 1e3 * eager,
        "compiled_ms_per_step": 1e3 * compiled,
        "speed-up": eager / compiled,
        "compile_s": compile_s,
        "break_even_steps": compile_s / saving if saving > 0 else float("inf"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", nargs="+", default=["gan-ns"])
    parser.add_argument("--members", type=int, default=8)
    parser.add_argument("--batch", type=int, nargs="+", default=[100, 500])
    parser.add_argument("--steps", type=int, default=200, help="S: marginal rate from runs of S and 2S steps")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (a training job: 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = [measure(v, members=args.members, batch=b, steps=args.steps) for v in args.variants for b in args.batch]
    table = pd.DataFrame(rows)
    print(f"CPU: {cpu_name()}, {args.threads} thread(s), torch {torch.__version__}")
    print(table.to_markdown(index=False, floatfmt=".3g"))
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    table.to_csv(out / "compile_step.csv", index=False)


if __name__ == "__main__":
    main()
