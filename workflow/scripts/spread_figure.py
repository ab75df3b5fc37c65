"""Rule spread_figure: every seed's final share of modes covered and reverse KL per variant."""

import sys

from modecollapse.io import read_parquet
from modecollapse.plots import spread_figure
from modecollapse.stats import final_step

sys.stderr = open(snakemake.log[0], "w")
final = final_step(read_parquet(snakemake.input[0]))
for path in (snakemake.output.pdf, snakemake.output.png):
    spread_figure(final=final, n_modes=snakemake.params.n_modes, variants=snakemake.params.variants, path=path)
