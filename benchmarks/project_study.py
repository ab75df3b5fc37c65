"""Projected training time of a study, from step costs measured on its own jobs.

For each training job of the study's 2D datasets (every run, variant or sweep point, and every
seed group, with the settings, data and ensemble size the workflow would give it), train S and 2S
iterations on the chosen device and step mode; the job's projected time is the S-iteration run
plus (steps − S) times the marginal cost of an iteration. Summed over jobs, that is the study's
training time run one job after another. Evaluation, checkpoints and job start-up are not in it.

    python benchmarks/project_study.py --configfile config/pacgan-table1.yaml --device cuda --mode cuda-graph
    .venv/bin/python benchmarks/project_study.py --configfile config/paper.yaml --datasets ring8 \\
        --variants gan-ns --steps 5

Prints a Markdown table (for BENCHMARKS.md) and writes it as CSV to benchmarks/out/.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import pandas as pd
import torch
from train_throughput import as_training_jobs_run, marginal, timed_train  # benchmarks/, beside this script

from modecollapse.config import ConfigError, load_config, seed_groups, study_runs
from modecollapse.data import get_dataset, is_image, sample_mixture
from modecollapse.provenance import cpu_name
from modecollapse.stepping import GRAPH_WARMUP_STEPS, STEP_MODES

SCHEMA = Path(__file__).resolve().parents[1] / "src" / "modecollapse" / "schemas" / "config.schema.yaml"


def project(
    *, study: dict, datasets: list[str], variants: list[str] | None, device: str, mode: str, steps: int
) -> pd.DataFrame:
    rows = []
    for dataset in datasets:
        data = sample_mixture(get_dataset(dataset), n=study["data"]["size"], seed=study["data"]["seed"])[0]
        for run, settings in study_runs(study, dataset).items():
            if variants and run not in variants:
                continue
            measured: dict[int, tuple[float, float]] = {}  # members -> (marginal s per iteration, seconds of S)
            for group in seed_groups(study):
                if len(group) not in measured:
                    measured[len(group)] = marginal(
                        lambda n, group=group: timed_train(
                            data=data,
                            settings=dataclasses.replace(
                                settings, steps=n, snapshot_every=max(n, settings.snapshot_every)
                            ),
                            seeds=list(group),
                            device=device,
                            mode=mode,
                        ),
                        steps=steps,
                    )
                per_iteration, short = measured[len(group)]
                rows.append(
                    {
                        "dataset": dataset,
                        "run": run,
                        "seeds": " ".join(map(str, group)),
                        "members": len(group),
                        "iterations": settings.steps,
                        "ms_per_iteration": 1000 * per_iteration,
                        "member_steps_per_s": len(group) / per_iteration,
                        "projected_h": (short + (settings.steps - steps) * per_iteration) / 3600,
                    }
                )
                print(rows[-1], flush=True)
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configfile", required=True)
    parser.add_argument("--datasets", nargs="+", help="default: the study's 2D datasets")
    parser.add_argument("--variants", nargs="+", help="runs to measure (variant or sweep-point names); default: all")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument(
        "--mode",
        choices=STEP_MODES,
        help="how steps run; default: as the study's jobs would (cuda-graph on CUDA with cuda_graphs: true)",
    )
    parser.add_argument("--steps", type=int, default=200, help="S: iterations of the shorter timed run")
    parser.add_argument("--out", default=str(Path(__file__).parent / "out" / "project_study.csv"))
    args = parser.parse_args()
    try:
        study = load_config(args.configfile, schema_path=SCHEMA)
    except ConfigError as error:
        sys.exit(f"project_study: {error}")
    datasets = args.datasets or [d for d in study["datasets"] if not is_image(d)]
    unknown = [d for d in datasets if d not in study["datasets"] or is_image(d)]
    if unknown:
        allowed = ", ".join(d for d in study["datasets"] if not is_image(d))
        sys.exit(f"project_study: {', '.join(unknown)} not among the study's 2D datasets ({allowed})")
    runs = study_runs(study, datasets[0])
    if args.variants and (missing := [v for v in args.variants if v not in runs]):
        sys.exit(f"project_study: {', '.join(missing)} not among the study's runs ({', '.join(runs)})")
    cuda = args.device.startswith("cuda")
    if args.mode == "cuda-graph" and not cuda:
        sys.exit("project_study: --mode cuda-graph needs --device cuda")
    study_mode = "cuda-graph" if cuda and study["cuda_graphs"] else "eager"  # as workflow/scripts/train.py chooses
    args.mode = args.mode or study_mode
    if args.mode == "cuda-graph" and args.steps <= GRAPH_WARMUP_STEPS:
        sys.exit(f"project_study: --mode cuda-graph needs --steps above the {GRAPH_WARMUP_STEPS} eager warm-up steps")
    if args.mode != study_mode:
        print(
            f"note: the study's jobs would run {study_mode} (config cuda_graphs: {str(study['cuda_graphs']).lower()}); "
            f"projecting {args.mode} steps",
            flush=True,
        )
    torch.set_num_threads(1)
    as_training_jobs_run(cuda=cuda, tf32=study["tf32"])
    table = project(
        study=study, datasets=datasets, variants=args.variants, device=args.device, mode=args.mode, steps=args.steps
    )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    name = torch.cuda.get_device_name() if args.device.startswith("cuda") else cpu_name()
    print(
        f"\n{args.configfile} on {name} ({args.device}, {args.mode}, tf32 {str(study['tf32']).lower()}); "
        f"torch {torch.__version__}; S = {args.steps}\n"
    )
    print(table.to_markdown(index=False, floatfmt=".2f"))
    print(
        f"\nprojected training time, one job after another: {table['projected_h'].sum():.1f} h over {len(table)} jobs"
    )


if __name__ == "__main__":
    main()
