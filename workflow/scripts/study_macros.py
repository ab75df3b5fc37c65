"""Rule study_macros: the study's settings and headline numbers as LaTeX macros."""

import sys

import pandas as pd

from modecollapse.io import write_text
from modecollapse.report import study_macros

sys.stderr = open(snakemake.log[0], "w")
macros = study_macros(
    study=snakemake.params.study, runs=pd.read_parquet(snakemake.input.runs), summary=pd.read_parquet(snakemake.input.summary)
)
write_text(macros, snakemake.output[0])
