"""Rule overfitting_figure: D's mean output on training, held-out and generated samples over training."""

import sys

import pandas as pd

from modecollapse.io import read_parquet
from modecollapse.plots import overfitting_figure

sys.stderr = open(snakemake.log[0], "w")
params = snakemake.params
# the inputs come variant by variant, each variant's seeds in order (expand's product)
keys = [(variant, seed) for variant in params.variants for seed in params.seeds]
probes = pd.concat(
    [read_parquet(path).assign(variant=v, seed=s) for (v, s), path in zip(keys, snakemake.input.probes, strict=True)],
    ignore_index=True,
)
overfitting_figure(
    probes=probes, dataset=snakemake.wildcards.dataset, variants=params.variants, path=snakemake.output[0]
)
