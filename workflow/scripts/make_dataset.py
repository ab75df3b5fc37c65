"""Rule dataset: build data/{dataset}.npz (from its sources, when it has any)."""

import os
import sys

from modecollapse.data import write_dataset
from modecollapse.download import ChecksumError

sys.stderr = open(snakemake.log[0], "w")
sources = {}
if hasattr(snakemake.input, "base"):
    sources["base"] = snakemake.input.base
if hasattr(snakemake.input, "mnist"):
    sources["mnist"] = os.path.dirname(snakemake.input.mnist[0])
try:
    write_dataset(
        snakemake.wildcards.dataset,
        n=snakemake.params.size,
        seed=snakemake.params.seed,
        path=snakemake.output[0],
        sources=sources,
        stack_from=snakemake.params.stack_from,
    )
except ChecksumError as error:  # a wrong MNIST file, downloaded or placed by hand: one line, no traceback
    for stream in (sys.stderr, sys.__stderr__):  # the job's log and the terminal
        print(f"modecollapse: {error}", file=stream, flush=True)
    sys.exit(1)
