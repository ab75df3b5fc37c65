"""Rule tests: each variant against the baseline at the final step."""

import sys

import pandas as pd

from modecollapse.io import write_parquet
from modecollapse.stats import compare_with_baseline

sys.stderr = open(snakemake.log[0], "w")
write_parquet(compare_with_baseline(pd.read_parquet(snakemake.input[0]), baseline=snakemake.params.baseline), snakemake.output[0])
