"""Rule study_macros: the study's settings and headline numbers as LaTeX macros."""

import sys

from modecollapse.io import read_parquet, write_text
from modecollapse.paper.macros import study_macros

sys.stderr = open(snakemake.log[0], "w")
macros = study_macros(
    study=snakemake.params.study, runs=read_parquet(snakemake.input.runs), summary=read_parquet(snakemake.input.summary)
)
write_text(macros, snakemake.output[0])
