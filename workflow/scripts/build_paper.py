"""Rule paper: compile the repository's paper/main.tex with the study's own generated parts and
figures into paper/main.pdf; a failed build exits with paper.latex.compile_latex's message."""

import sys
from pathlib import Path

from modecollapse.paper.latex import LatexError, compile_latex

main_tex = next(p for p in snakemake.input.sources if Path(p).name == "main.tex")
try:
    overfull = compile_latex(
        main_tex=main_tex,
        search_dirs=[Path(snakemake.output[0]).parent, Path(".")],  # the study's paper/generated/..., figures/...
        pdf=snakemake.output[0],
        log=snakemake.log[0],
    )
except LatexError as error:
    raise SystemExit(f"modecollapse: {error}") from None
for warning in overfull:  # on the terminal too: a line in the margin is a defect of the report
    print(f"modecollapse: warning: {warning} (see {snakemake.log[0]})", file=sys.stderr)
