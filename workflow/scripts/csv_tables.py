"""Rule csv_tables: each Parquet table of the study as CSV, for the Snakemake HTML report and
for reading without Python (a spreadsheet, a text editor)."""

import sys

from modecollapse.io import read_parquet, write_text

sys.stderr = open(snakemake.log[0], "w")
for source, target in zip(snakemake.input, snakemake.output):
    write_text(read_parquet(source).to_csv(index=False), target)
