"""Rule evaluate: each seed's samples -> its metrics at every snapshot (long form)."""

import sys

import pandas as pd

from modecollapse.data import load_dataset
from modecollapse.evaluate import evaluate_run
from modecollapse.io import read_json, write_parquet
from modecollapse.stats import LONG_COLUMNS

sys.stderr = open(snakemake.log[0], "w")
dataset = load_dataset(snakemake.input.data)
tables = []
for samples_path, run_path in zip(snakemake.input.samples, snakemake.input.runs):
    run = read_json(run_path)
    metrics = evaluate_run(samples=pd.read_parquet(samples_path), dataset=dataset, threshold=snakemake.params.threshold)
    tables.append(metrics.assign(dataset=run["dataset"], variant=run["variant"], seed=run["seed"]))
write_parquet(pd.concat(tables, ignore_index=True)[list(LONG_COLUMNS)], snakemake.output[0])
