"""Rule tests: each base variant against the baseline and each sweep point against its own base
variant, at the final step."""

import sys

from modecollapse.io import read_parquet, write_parquet
from modecollapse.stats import compare_with_baseline

sys.stderr = open(snakemake.log[0], "w")
params = snakemake.params
table = compare_with_baseline(
    read_parquet(snakemake.input[0]),
    baseline=params.baseline,
    variants=list(params.variants),
    sweeps=dict(params.sweeps),
)
write_parquet(table, snakemake.output[0])
