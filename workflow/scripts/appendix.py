"""Rule appendix: the report appendix's software and compute tables."""

import sys

from modecollapse.io import read_parquet, write_text
from modecollapse.paper.appendix import compute_appendix, software_appendix

sys.stderr = open(snakemake.log[0], "w")
write_text(software_appendix(read_parquet(snakemake.input.software)), snakemake.output.software)
write_text(compute_appendix(read_parquet(snakemake.input.benchmarks)), snakemake.output.compute)
