"""Rule benchmarks_table: one row per benchmarked job, from its Snakemake benchmark file."""

import sys

import pandas as pd

from modecollapse.io import BENCHMARK_COLUMNS, BENCHMARK_KEYS, read_benchmark, write_parquet

sys.stderr = open(snakemake.log[0], "w")
rows = [{**job, **read_benchmark(path)} for job, path in zip(snakemake.params.jobs, snakemake.input)]
write_parquet(pd.DataFrame(rows, columns=[*BENCHMARK_KEYS, *BENCHMARK_COLUMNS.values()]), snakemake.output[0])
