# conda: the environment of these rules under --sdm conda.
# params.code: the hash of the modecollapse code a rule's script imports, so that editing it reruns the rule.
from modecollapse.provenance import source_hash
from modecollapse.reference import reference_files

PAPER_SOURCES = sorted(str(p) for p in (REPO / "paper").glob("*.tex"))
# the sweep points' run names, each sweep in order of value (the sweeps table; the sweeps figure if any)
SWEEP_RUNS = [p["run"] for p in STUDY.sweep_points[DATASETS[0]] if p["run"] not in BASE_VARIANTS]


rule tables:
    """The report's tables and figure blocks: results per variant, the findings (which variants
    differ from the baseline), the replication section (each published table beside the runs of
    its setting), the sweeps, the per-dataset sample figures."""
    input:
        summary=SUMMARY_TABLE,
        runs=RUNS_TABLE,
        tests=TESTS_TABLE,
        classifiers=expand(CLASSIFIER_METRICS, family=FAMILIES),
        # the shipped reference runs (make replicate) and their tables' configs
        references=reference_files(REPO / "reference", configs=REPO / "config"),
    output:
        results="paper/generated/results_table.tex",
        distances="paper/generated/distances_table.tex",
        replication="paper/generated/replication.tex",
        sweeps="paper/generated/sweeps.tex",
        samples="paper/generated/samples_figures.tex",
        classifiers="paper/generated/classifiers.tex",
        findings="paper/generated/findings.tex",
    log:
        "logs/paper/tables.log",
    conda:
        "../envs/report.yaml"
    params:
        code=source_hash(workflow.source_path("../scripts/tables.py")),
        variants=BASE_VARIANTS,
        sweep_runs=SWEEP_RUNS,
        points=STUDY.sweep_points,  # each dataset's sweep points in order of value
        datasets=DATASETS,
        seed=SEEDS[0],
        families=FAMILIES,
        study=STUDY.config,
        training_script=str(REPO / "workflow" / "scripts" / "train.py"),  # hashed when the rule runs (tables.py)
    script:
        "../scripts/tables.py"


rule study_macros:
    """The study's settings and headline numbers as LaTeX macros for the text."""
    input:
        runs=RUNS_TABLE,
        summary=SUMMARY_TABLE,
    output:
        "paper/generated/study.tex",
    log:
        "logs/paper/study.log",
    conda:
        "../envs/report.yaml"
    params:
        code=source_hash(workflow.source_path("../scripts/study_macros.py")),
        study=STUDY.config,
    script:
        "../scripts/study_macros.py"


rule appendix:
    """The appendix's tables: the software that computed each stage, and what the jobs cost."""
    input:
        software=SOFTWARE_TABLE,
        benchmarks=BENCHMARKS_TABLE,
    output:
        software="paper/generated/software_table.tex",
        compute="paper/generated/compute_table.tex",
    log:
        "logs/paper/appendix.log",
    conda:
        "../envs/report.yaml"
    params:
        code=source_hash(workflow.source_path("../scripts/appendix.py")),
    script:
        "../scripts/appendix.py"


rule paper:
    """Compile paper/main.tex with latexmk in a private build directory, then move the PDF in place."""
    input:
        sources=PAPER_SOURCES,
        generated=[*rules.tables.output, *rules.study_macros.output, *rules.appendix.output],
        figures=[
            *expand(rules.samples_figure.output[0], dataset=DATASETS),
            *rules.coverage_figure.output,
            rules.spread_figure.output.pdf,
            *expand(rules.modes_figure.output[0], dataset=IMAGE_DATASETS),
            *expand(rules.mode_hopping_figure.output[0], dataset=RASTER_DATASETS),
            *expand(rules.surface_figure.output[0], dataset=POINT_DATASETS),
            *expand(rules.overfitting_figure.output[0], dataset=DATASETS),
            *(rules.sweeps_figure.output if SWEEP_RUNS else []),
        ],
    output:
        "paper/main.pdf",
    log:
        "logs/paper/latexmk.log",
    conda:
        "../envs/report.yaml"
    params:
        code=source_hash(workflow.source_path("../scripts/build_paper.py")),
    script:
        "../scripts/build_paper.py"
