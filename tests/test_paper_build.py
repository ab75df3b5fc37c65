"""The report compiles: from the study's own directory only, to the same bytes anywhere, with no line in the margin."""

import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import REPO, SCHEMA
from paper_inputs import (
    macro_inputs,
    make_study,
    make_tests_table,
    runs_table,
    summary_row,
    summary_table,
    table1_study,
)

from modecollapse import replication as rep
from modecollapse.metrics import MODES_COVERED, REVERSE_KL
from modecollapse.paper.appendix import compute_appendix, software_appendix
from modecollapse.paper.figures import samples_figures, sweeps_section
from modecollapse.paper.findings import findings
from modecollapse.paper.latex import compile_latex
from modecollapse.paper.macros import study_macros
from modecollapse.paper.replication import replication_section
from modecollapse.paper.tables import classifier_table, distances_table, results_table
from modecollapse.provenance import provenance, software_table

# --- the section compiles ---------------------------------------------------------------------


@pytest.mark.needs_tex
def _reference(schema):
    """Reference runs of GDPP Table 1 as a shipped folder holds them (reference.Reference)."""
    from modecollapse.config import load_config
    from modecollapse.reference import Reference

    summary = summary_table([summary_row("grid25", "gdpp", MODES_COVERED, [25.0, 24.0, 25.0, 25.0, 24.0])])
    provenance = {"table": "gdpp-table1", "commit": "d86e143", "training_source_hash": "older",
                  "machine": "AMD EPYC_7B13 (2 cores) & co", "wall_time_s": 5400.0}  # fmt: skip
    study = load_config(REPO / "config" / "gdpp-table1.yaml", schema_path=SCHEMA)
    return Reference(table="gdpp-table1", summary=summary, study=study, provenance=provenance)


def test_replication_section_and_tables_compile(schema, tmp_path):
    study, runs, summary = macro_inputs(schema)
    study = table1_study(schema, steps=3000) | {"datasets": ["ring8", "grid25"]}
    summary = pd.concat(
        [
            summary,
            summary_table(
                [
                    summary_row("ring8", "gan-ns", MODES_COVERED, [8, 7, 8, 8, 6]),
                    summary_row("ring8", "pacgan-2", REVERSE_KL, [0.1, math.nan, 0.2, 0.1, 0.1], n_diverged=1),
                ]
            ),
        ],
        ignore_index=True,
    )
    runs = runs_table(study)
    tests = make_tests_table(
        [
            {
                "dataset": "ring8",
                "variant": "pacgan-2",
                "baseline": "gan-ns",
                "family": "variants",
                "metric": REVERSE_KL,
                "mean_difference": -0.2,
                "p_holm": 0.03,
                "min_p": 0.01,
                "significant": True,
            }
        ]
    )
    generated = tmp_path / "generated"
    generated.mkdir()
    (generated / "study.tex").write_text(study_macros(study=study, runs=runs, summary=summary))
    (generated / "replication.tex").write_text(
        replication_section(
            study=study,
            settings=rep.study_settings(study),
            summary=summary,
            tests=tests,
            references=[_reference(schema)],
            training_hash="newer",  # the reference's note that it predates the code, compiled too
        )
    )
    (generated / "results_table.tex").write_text(
        results_table(summary=summary, runs=runs, tests=tests, variants=list(study["variants"]))
    )
    (generated / "distances_table.tex").write_text(distances_table(summary=summary, tests=tests, variants=["gan-ns"]))
    main = tmp_path / "doc.tex"
    main.write_text(
        "\n".join(
            [
                r"\documentclass{article}",
                r"\usepackage[T1]{fontenc}",
                r"\usepackage{lmodern}",
                r"\usepackage{amsmath,amssymb}",
                r"\usepackage{booktabs}",
                r"\usepackage{longtable}",
                r"\usepackage{graphicx}",
                r"\usepackage{url}",
                r"\input{generated/study}",
                r"\begin{document}",
                r"\section{Results}\label{sec:results}",
                r"\input{generated/results_table}",
                r"\input{generated/distances_table}",
                r"\StudyStackedSet; \StudyStackFrom; \StudyLogK; \StudyMMDBandwidths; \StudySignificanceReach.",
                r"\input{generated/replication}",
                r"\begin{thebibliography}{9}\bibitem{pacgan} PacGAN.\bibitem{veegan} VEEGAN.\bibitem{gdpp} GDPP."
                r"\end{thebibliography}",
                r"\end{document}",
                "",
            ]
        )
    )
    pdf = tmp_path / "out" / "doc.pdf"
    pdf.parent.mkdir()
    compile_latex(main_tex=main, search_dirs=[tmp_path], pdf=pdf, log=tmp_path / "latexmk.log")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    text = " ".join(text.split())
    assert "other setting (a)" in text and "Other setting (a): differs in steps" in text
    assert "PacGAN (Lin et al. 2018), Table 1" in text
    assert "n=4 of 5; 1 diverged" in text


# --- each study's report from its own directory, byte for byte the same -----------------------


def _figure(path, label):
    """A one-page PDF figure whose text is `label`, the same bytes every time."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(2, 1))
    fig.text(0.1, 0.5, label)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, metadata={"CreationDate": None})
    plt.close(fig)


def _write_study(workdir, schema, *, scale, figure):
    """A study's generated parts (paper/generated/*.tex, from the report's functions) and figures
    (figures/*.pdf, each a copy of one whose text is `figure`) in `workdir`, as the workflow's rules
    leave them."""
    study, runs, summary = macro_inputs(schema, scale=scale)
    tests = make_tests_table([])
    parts = {
        "study": study_macros(study=study, runs=runs, summary=summary),
        "results_table": results_table(summary=summary, runs=runs, tests=tests, variants=list(study["variants"])),
        "distances_table": distances_table(summary=summary, tests=tests, variants=list(study["variants"])),
        "replication": replication_section(
            study=study, settings=rep.study_settings(study), summary=summary, tests=tests
        ),
        "sweeps": sweeps_section(summary=summary, runs=runs, tests=tests, sweep_runs=["gan-ns@lr=0.003"]),
        "samples_figures": samples_figures(datasets=list(study["datasets"]), seed=0),
        "classifiers": classifier_table({}),
        "findings": findings(tests),
        # runs made at several commits (a study extended over time): one line each, within the page
        "software_table": software_appendix(
            software_table(
                {
                    "training": [
                        provenance() | {"git_commit": f"{i:x}" * 40 + "-dirty" * (i % 2)} for i in range(1, 6)
                    ],
                    "evaluation": [provenance()],
                }
            )
        ),
        "compute_table": compute_appendix(
            pd.DataFrame(
                [
                    {
                        "stage": "training",
                        "dataset": "ring8",
                        "variant": "gan-ns",
                        "seeds": "0 1",
                        "wall_s": 61.5,
                        "cpu_s": 60.0,
                        "max_rss_mb": 400.0,
                    },
                ]
            )
        ),
    }
    generated = workdir / "paper" / "generated"
    generated.mkdir(parents=True)
    for name, text in parts.items():
        (generated / f"{name}.tex").write_text(text)
    _figure(workdir / "one_figure.pdf", figure)
    sources = "".join(parts.values()) + (REPO / "paper" / "main.tex").read_text()
    for name in set(re.findall(r"\\includegraphics(?:\[[^]]*\])?\{(figures/[^}]+)\}", sources)):
        (workdir / name).parent.mkdir(exist_ok=True)
        shutil.copyfile(workdir / "one_figure.pdf", workdir / name)


def _text(pdf):
    return " ".join(
        subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout.split()
    )


def _compile_paper(checkout, workdir, study=None):
    """Compile the checkout's paper/main.tex for the study in `workdir` as the paper rule does
    (workflow/scripts/build_paper.py); the PDF's path."""
    pdf = workdir / "paper" / "main.pdf"
    compile_latex(
        main_tex=checkout / "paper" / "main.tex",
        search_dirs=[workdir / "paper", workdir],
        pdf=pdf,
        log=workdir / "latexmk.log",
    )
    return pdf


def _snakemake_paper(checkout, workdir, study):
    """Run the checkout's workflow for `study` in `workdir`, its paper rule alone (the rule's
    inputs are in place); the PDF's path."""
    config = workdir / "study.yaml"
    config.write_text(yaml.safe_dump(study))
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "snakemake"),
            "--cores",
            "1",
            "--snakefile",
            str(checkout / "workflow" / "Snakefile"),
            "--configfile",
            str(config),
            "--directory",
            str(workdir),
            "--allowed-rules",
            "paper",
            "--",
            "paper/main.pdf",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return workdir / "paper" / "main.pdf"


def _checkout(tmp_path, schema):
    """A copy of the repository's workflow and report template whose paper/generated/ and
    paper/figures/ hold a built study's parts and figures (scale "decoy", "DECOY FIGURE"): what
    no study built elsewhere with `--directory` may read."""
    checkout = tmp_path / "checkout"
    shutil.copytree(REPO / "workflow", checkout / "workflow", ignore=shutil.ignore_patterns("__pycache__"))
    (checkout / "paper").mkdir()
    shutil.copy(REPO / "paper" / "main.tex", checkout / "paper" / "main.tex")
    _write_study(checkout, schema, scale="decoy", figure="DECOY FIGURE")
    shutil.copytree(checkout / "figures", checkout / "paper" / "figures")
    return checkout


@pytest.mark.needs_tex
@pytest.mark.parametrize("build", [_compile_paper, pytest.param(_snakemake_paper, marks=pytest.mark.slow)])
def test_each_study_reports_its_own_parts_never_the_checkouts(schema, tmp_path, build):
    checkout = _checkout(tmp_path, schema)
    texts = {}
    for name in ("north", "south"):
        _write_study(tmp_path / name, schema, scale=name, figure=f"FIGURE OF {name.upper()}")
        texts[name] = _text(build(checkout, tmp_path / name, make_study(schema, scale=name)))
    for name, other in (("north", "south"), ("south", "north")):
        assert f"scale: {name}" in texts[name] and f"FIGURE OF {name.upper()}" in texts[name]
        assert "decoy" not in texts[name].lower() and other not in texts[name]


@pytest.mark.needs_tex
def test_no_line_of_the_report_runs_into_the_margin(schema, tmp_path):
    """Every line of the whole report (text, settings, tables) fits the text width: latexmk's log
    has no overfull box."""
    _write_study(tmp_path, schema, scale="north", figure="FIGURE")
    _compile_paper(REPO, tmp_path)
    assert "Overfull \\hbox" not in (tmp_path / "latexmk.log").read_text()


@pytest.mark.needs_tex
def test_the_same_study_gives_the_same_pdf_bytes_wherever_and_whenever_it_is_built(schema, tmp_path):
    checkout = _checkout(tmp_path, schema)
    first, second = tmp_path / "first", tmp_path / "elsewhere" / "second"
    _write_study(first, schema, scale="north", figure="FIGURE")
    shutil.copytree(first, second)
    assert _compile_paper(checkout, first).read_bytes() == _compile_paper(checkout, second).read_bytes()
