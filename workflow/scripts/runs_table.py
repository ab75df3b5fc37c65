"""Rule runs_table: one row per run from its run.json."""

import sys

import pandas as pd

from modecollapse.io import read_json, write_parquet

sys.stderr = open(snakemake.log[0], "w")
columns = ["dataset", "variant", "seed", "status", "diverged_step", "device", "wall_time_s", "git_commit"]
runs = [read_json(path) for path in snakemake.input]
write_parquet(pd.DataFrame([{key: run[key] for key in columns} for run in runs], columns=columns), snakemake.output[0])
