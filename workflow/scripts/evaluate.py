"""Rule evaluate: each seed's samples -> its metrics at every snapshot (long form)."""

import sys

import pandas as pd

from modecollapse.data import load_dataset
from modecollapse.evaluate import evaluate_run
from modecollapse.io import read_json, write_parquet
from modecollapse.metrics import mode_stats_floor
from modecollapse.stats import LONG_COLUMNS

sys.stderr = open(snakemake.log[0], "w")
dataset = load_dataset(snakemake.input.data)
params = snakemake.params
tables, floors = [], {}
for samples_path, run_path in zip(snakemake.input.samples, snakemake.input.runs):
    run, samples = read_json(run_path), pd.read_parquet(samples_path)
    n = int((samples["step"] == samples["step"].max()).sum())
    if n not in floors:  # the perfect generator's KL and JSD at this sample size
        floors[n] = mode_stats_floor(centers=dataset["centers"], std=dataset["std"], n=n, threshold=params.threshold)
    metrics = evaluate_run(
        samples=samples, dataset=dataset, threshold=params.threshold,
        collapse_coverage=params.collapse_coverage, floors=floors[n],
    )
    tables.append(metrics.assign(dataset=run["dataset"], variant=run["variant"], seed=run["seed"]))
write_parquet(pd.concat(tables, ignore_index=True)[list(LONG_COLUMNS)], snakemake.output[0])
