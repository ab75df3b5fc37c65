"""Rule runs_table: one row per run from its run.json."""

import sys

from modecollapse.io import read_json, write_parquet
from modecollapse.records import runs_table

sys.stderr = open(snakemake.log[0], "w")
write_parquet(runs_table(read_json(path) for path in snakemake.input), snakemake.output[0])
