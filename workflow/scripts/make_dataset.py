"""Rule dataset: generate data/{dataset}.npz."""

import sys

from modecollapse.data import write_dataset

sys.stderr = open(snakemake.log[0], "w")
write_dataset(snakemake.wildcards.dataset, n=snakemake.params.size, seed=snakemake.params.seed, path=snakemake.output[0])
