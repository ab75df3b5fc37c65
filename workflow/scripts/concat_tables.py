"""Rule metrics_table: concatenate the per-run metric tables."""

import sys

import pandas as pd

from modecollapse.io import read_parquet, write_parquet
from modecollapse.stats import LONG_COLUMNS

sys.stderr = open(snakemake.log[0], "w")
frame = pd.concat([read_parquet(path) for path in snakemake.input], ignore_index=True)
write_parquet(frame[list(LONG_COLUMNS)], snakemake.output[0])
