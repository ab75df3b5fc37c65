"""Rule sweeps_figure: final share of modes covered and D's overfitting gap against each swept setting."""

import sys

from modecollapse.io import read_parquet
from modecollapse.plots import sweeps_figure
from modecollapse.stats import final_step

sys.stderr = open(snakemake.log[0], "w")
sweeps_figure(
    final=final_step(read_parquet(snakemake.input[0])),
    points=snakemake.params.points,
    n_modes=snakemake.params.n_modes,
    path=snakemake.output[0],
)
