# params.code: the hash of the modecollapse code a rule's script imports, so that editing it reruns the rule.
from modecollapse.provenance import source_hash


rule metrics_table:
    """Every run's metrics in one long table: dataset, variant, seed, step, metric, value."""
    input:
        every_run_name(RUN_METRICS),
    output:
        METRICS_TABLE,
    log:
        "logs/aggregate/metrics.log",
    conda:
        "../envs/evaluate.yaml"
    params:
        code=source_hash(workflow.source_path("../scripts/concat_tables.py")),
    script:
        "../scripts/concat_tables.py"


rule runs_table:
    """One row per run from its run.json: status, divergence step, device, wall time."""
    input:
        every_run(RUN_RECORD),
    output:
        RUNS_TABLE,
    log:
        "logs/aggregate/runs.log",
    conda:
        "../envs/evaluate.yaml"
    params:
        code=source_hash(workflow.source_path("../scripts/runs_table.py")),
    script:
        "../scripts/runs_table.py"


rule summary:
    """The final step of every run aggregated across seeds: n (finite values), n_runs, n_diverged,
    mean, sem and a seeded 95% bootstrap CI."""
    input:
        METRICS_TABLE,
    output:
        SUMMARY_TABLE,
    log:
        "logs/aggregate/summary.log",
    conda:
        "../envs/evaluate.yaml"
    params:
        code=source_hash(workflow.source_path("../scripts/summary.py")),
    script:
        "../scripts/summary.py"


rule tests:
    """At the final step, per dataset and metric: each base variant against the baseline (one Holm
    family) and each sweep point against its own base variant (another), two-sided Mann-Whitney U
    with an effect size and the smallest p_holm each comparison could reach."""
    input:
        METRICS_TABLE,
    output:
        TESTS_TABLE,
    log:
        "logs/aggregate/tests.log",
    conda:
        "../envs/evaluate.yaml"
    params:
        code=source_hash(workflow.source_path("../scripts/tests.py")),
        baseline=BASELINE,
        variants=BASE_VARIANTS,
        sweeps=STUDY.sweep_bases,
    script:
        "../scripts/tests.py"


# read from the training, evaluation and classifier rules, which are defined by now
BENCHMARK_JOBS = benchmark_jobs()


rule benchmarks_table:
    """What each job cost, from its benchmark file: wall-clock and CPU seconds, peak memory."""
    input:
        [job["path"] for job in BENCHMARK_JOBS],
    output:
        BENCHMARKS_TABLE,
    log:
        "logs/aggregate/benchmarks.log",
    conda:
        "../envs/evaluate.yaml"
    params:
        code=source_hash(workflow.source_path("../scripts/benchmarks_table.py")),
        jobs=[{key: value for key, value in job.items() if key != "path"} for job in BENCHMARK_JOBS],
    script:
        "../scripts/benchmarks_table.py"


rule software_table:
    """What computed each stage's outputs (package versions, Python, GPU, CUDA, code commit), from
    the provenance records of the classifiers, the runs and the evaluations."""
    input:
        classifier=expand(CLASSIFIER_METRICS, family=FAMILIES),
        training=every_run(RUN_RECORD),
        evaluation=every_run_name(RUN_METRICS),
    output:
        SOFTWARE_TABLE,
    log:
        "logs/aggregate/software.log",
    conda:
        "../envs/evaluate.yaml"
    params:
        code=source_hash(workflow.source_path("../scripts/software_table.py")),
    script:
        "../scripts/software_table.py"


rule csv_tables:
    """The summary, the tests, the software and the jobs' costs as CSV: the tables of the Snakemake
    HTML report."""
    input:
        SUMMARY_TABLE,
        TESTS_TABLE,
        SOFTWARE_TABLE,
        BENCHMARKS_TABLE,
    output:
        report(
            "results/summary.csv",
            caption="../report/summary.rst",
            category="Tables",
            labels={"table": "summary across seeds"},
        ),
        report(
            "results/tests.csv",
            caption="../report/tests.rst",
            category="Tables",
            labels={"table": "tests against the baseline"},
        ),
        report(
            "results/software.csv",
            caption="../report/software.rst",
            category="Tables",
            labels={"table": "software of each stage"},
        ),
        report(
            "results/benchmarks.csv",
            caption="../report/benchmarks.rst",
            category="Tables",
            labels={"table": "cost of each job"},
        ),
    log:
        "logs/aggregate/csv_tables.log",
    conda:
        "../envs/evaluate.yaml"
    params:
        code=source_hash(workflow.source_path("../scripts/csv_tables.py")),
    script:
        "../scripts/csv_tables.py"


rule study_config:
    """The study as this run read it, defaults filled in: the report's configuration."""
    output:
        report(STUDY_RECORD, caption="../report/study.rst", category="Configuration"),
    log:
        "logs/aggregate/study_config.log",
    conda:
        "../envs/evaluate.yaml"
    params:
        code=source_hash(workflow.source_path("../scripts/study_config.py")),
        study=STUDY.config,
    script:
        "../scripts/study_config.py"
