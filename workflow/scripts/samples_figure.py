"""Rule samples_figure: final samples per variant and dataset over the real modes."""

import sys

import pandas as pd

from modecollapse.data import load_dataset
from modecollapse.plots import samples_figure

sys.stderr = open(snakemake.log[0], "w")
datasets, variants = snakemake.params.datasets, snakemake.params.variants
paths = iter(snakemake.input.samples)  # expand() order: dataset-major, then variant
samples = {(d, v): pd.read_parquet(next(paths)) for d in datasets for v in variants}
centers = {d: load_dataset(path)["centers"] for d, path in zip(datasets, snakemake.input.data)}
samples_figure(samples=samples, centers=centers, seed=snakemake.params.seed, path=snakemake.output[0])
