"""Rule paper: compile paper/main.tex into paper/main.pdf."""

from pathlib import Path

from modecollapse.report import compile_latex

main_tex = next(p for p in snakemake.input.sources if Path(p).name == "main.tex")
compile_latex(
    main_tex=main_tex,
    search_dirs=[Path(snakemake.output[0]).parent, Path(".")],  # paper/generated/..., figures/...
    pdf=snakemake.output[0],
    log=snakemake.log[0],
)
