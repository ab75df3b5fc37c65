"""Rule train: one (dataset, variant, seed) -> samples.parquet, curves.parquet, run.json."""

import sys

import torch

from modecollapse.config import TrainSettings
from modecollapse.data import load_dataset
from modecollapse.io import write_json, write_parquet
from modecollapse.provenance import provenance
from modecollapse.train import resolve_device, train

log = open(snakemake.log[0], "w")
sys.stderr = log
torch.set_num_threads(snakemake.threads)
settings = TrainSettings(**snakemake.params.settings)
seed = int(snakemake.wildcards.seed)
device = resolve_device(snakemake.params.device)
result = train(data=load_dataset(snakemake.input.data)["points"], settings=settings, seed=seed, device=device, progress=log)
write_parquet(result.samples, snakemake.output.samples)
write_parquet(result.curves, snakemake.output.curves)
write_json(  # written last: its presence marks a finished run
    {
        "dataset": snakemake.wildcards.dataset,
        "variant": snakemake.wildcards.variant,
        "seed": seed,
        "settings": snakemake.params.settings,
        "status": result.status,
        "diverged_step": result.diverged_step,
        "device": result.device,
        "threads": snakemake.threads,
        "wall_time_s": round(result.wall_time_s, 3),
        **provenance(),
    },
    snakemake.output.run,
)
