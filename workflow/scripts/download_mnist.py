"""Rule download_mnist: the four MNIST files, SHA-256 checked and size capped, from the configured mirrors,
each within its deadline (params.deadline_s, config download.deadline_s). Runs in the job's main thread, so that
SIGTERM (a cancelled or timed-out job) removes the partial file before the job ends."""

import logging
import os
import sys

from modecollapse.download import MNIST_FILES, DownloadError, download_files

sys.stderr = open(snakemake.log[0], "w")
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s")
try:
    download_files(
        files=MNIST_FILES,
        mirrors=snakemake.params.mirrors,
        directory=os.path.dirname(snakemake.output[0]),
        deadline_s=snakemake.params.deadline_s,
    )
except DownloadError as error:  # shown on the console too: it says what to fetch and where to put it
    print(f"modecollapse: {error}", file=sys.__stderr__)
    raise
