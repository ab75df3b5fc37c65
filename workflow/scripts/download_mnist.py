"""Rule download_mnist: the four MNIST files, SHA-256 checked, from the configured mirrors."""

import logging
import os
import sys

from modecollapse.download import MNIST_FILES, DownloadError, download_files

sys.stderr = open(snakemake.log[0], "w")
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s")
try:
    download_files(files=MNIST_FILES, mirrors=snakemake.params.mirrors, directory=os.path.dirname(snakemake.output[0]))
except DownloadError as error:  # shown on the console too: it says what to fetch and where to put it
    print(f"modecollapse: {error}", file=sys.__stderr__)
    raise
