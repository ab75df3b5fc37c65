"""Rule modes_figure: share of each digit among final samples per variant, beside the real data."""

import sys

import pandas as pd

from modecollapse.data import load_dataset
from modecollapse.evaluate import digit_shares
from modecollapse.io import read_parquet
from modecollapse.plots import mode_histogram_figure

sys.stderr = open(snakemake.log[0], "w")
params = snakemake.params
shares = pd.concat(
    [read_parquet(path).assign(variant=variant) for variant, path in zip(params.variants, snakemake.input.shares)],
    ignore_index=True,
)
labels = load_dataset(snakemake.input.data)["labels"]
mode_histogram_figure(
    shares=shares,
    reference=digit_shares(labels.reshape(len(labels), -1)),
    dataset=snakemake.wildcards.dataset,
    variants=params.variants,
    path=snakemake.output[0],
)
