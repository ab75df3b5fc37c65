"""Rule coverage_figure: share of modes covered over training, with the plateau window shaded."""

import sys

from modecollapse.io import read_parquet
from modecollapse.plots import coverage_figure

sys.stderr = open(snakemake.log[0], "w")
coverage_figure(
    metrics=read_parquet(snakemake.input[0]),
    n_modes=snakemake.params.n_modes,
    variants=snakemake.params.variants,
    path=snakemake.output[0],
    plateau_window=snakemake.params.plateau_window,
)
