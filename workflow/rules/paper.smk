PAPER_SOURCES = sorted(str(p) for p in (REPO / "paper").glob("*.tex"))


rule results_table:
    """LaTeX table of the final-step summary beside the published numbers."""
    input:
        summary="results/summary.parquet",
        runs="results/runs.parquet",
    output:
        "paper/generated/results_table.tex",
    log:
        "logs/paper/results_table.log",
    script:
        "../scripts/results_table.py"


rule study_macros:
    """The study's settings and headline numbers as LaTeX macros for the text."""
    input:
        summary="results/summary.parquet",
        runs="results/runs.parquet",
    output:
        "paper/generated/study.tex",
    params:
        study=STUDY,
    log:
        "logs/paper/study.log",
    script:
        "../scripts/study_macros.py"


rule paper:
    """Compile paper/main.tex with latexmk in a private build directory, then move the PDF in place."""
    input:
        sources=PAPER_SOURCES,
        generated=["paper/generated/results_table.tex", "paper/generated/study.tex"],
        figures=["figures/samples.pdf", "figures/coverage.pdf"],
    output:
        "paper/main.pdf",
    log:
        "logs/paper/latexmk.log",
    script:
        "../scripts/build_paper.py"
