"""Rule mode_hopping_figure: which modes each variant covers at every snapshot, for one seed."""

import sys

from modecollapse.io import read_parquet
from modecollapse.plots import mode_raster_figure

sys.stderr = open(snakemake.log[0], "w")
params = snakemake.params
counts = {}
for variant, path in zip(params.variants, snakemake.input.counts, strict=True):
    frame = read_parquet(path)
    counts[variant] = frame[frame["seed"] == params.seed]
mode_raster_figure(
    counts=counts,
    dataset=snakemake.wildcards.dataset,
    seed=params.seed,
    path=snakemake.output[0],
    mode_labels=[str(digit) for digit in range(10)] if params.digits else None,
)
