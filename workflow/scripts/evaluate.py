"""Rule evaluate: a run's samples -> its metrics at every snapshot (long form)."""

import sys

import pandas as pd

from modecollapse.data import load_dataset
from modecollapse.evaluate import evaluate_run
from modecollapse.io import read_json, write_parquet

sys.stderr = open(snakemake.log[0], "w")
run = read_json(snakemake.input.run)
metrics = evaluate_run(
    samples=pd.read_parquet(snakemake.input.samples),
    dataset=load_dataset(snakemake.input.data),
    threshold=snakemake.params.threshold,
)
write_parquet(metrics.assign(dataset=run["dataset"], variant=run["variant"], seed=run["seed"]), snakemake.output[0])
