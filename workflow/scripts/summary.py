"""Rule summary: aggregate each run's final step across seeds, counting the runs each cell leaves out."""

import sys

from modecollapse.io import read_parquet, write_parquet
from modecollapse.stats import summarise_final

sys.stderr = open(snakemake.log[0], "w")
write_parquet(summarise_final(read_parquet(snakemake.input[0])), snakemake.output[0])
