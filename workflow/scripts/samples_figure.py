"""Rule samples_figure: final samples per variant over the real modes, for one dataset."""

import sys

import pandas as pd

from modecollapse.data import load_dataset
from modecollapse.plots import samples_figure

sys.stderr = open(snakemake.log[0], "w")
samples = {variant: pd.read_parquet(path) for variant, path in zip(snakemake.params.variants, snakemake.input.samples)}
samples_figure(
    samples=samples,
    centers=load_dataset(snakemake.input.data)["centers"],
    dataset=snakemake.wildcards.dataset,
    seed=snakemake.params.seed,
    path=snakemake.output[0],
)
