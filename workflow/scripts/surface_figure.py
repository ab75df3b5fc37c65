"""Rule surface_figure: D's output over a 2D dataset at chosen snapshots, for one seed."""

import sys

from modecollapse.data import load_dataset
from modecollapse.io import read_parquet
from modecollapse.plots import surface_figure

sys.stderr = open(snakemake.log[0], "w")
params = snakemake.params
surface_figure(
    surfaces={v: read_parquet(p) for v, p in zip(params.variants, snakemake.input.surfaces, strict=True)},
    samples={v: read_parquet(p) for v, p in zip(params.variants, snakemake.input.samples, strict=True)},
    centers=load_dataset(snakemake.input.data)["centers"],
    dataset=snakemake.wildcards.dataset,
    seed=params.seed,
    path=snakemake.output[0],
)
