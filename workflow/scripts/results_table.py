"""Rule results_table: the summary as a LaTeX table beside the published numbers."""

import sys

import pandas as pd

from modecollapse.io import write_text
from modecollapse.report import results_table

sys.stderr = open(snakemake.log[0], "w")
table = results_table(summary=pd.read_parquet(snakemake.input.summary), runs=pd.read_parquet(snakemake.input.runs))
write_text(table, snakemake.output[0])
