# params.code: the hash of the modecollapse code a rule's script imports, so that editing it reruns the rule.
from modecollapse.config import sweep_points
from modecollapse.provenance import source_hash

# Sweep run name -> its base variant, over every dataset (a point whose run is the base variant
# itself is that variant, not a sweep point): each sweep point is tested against its own base.
SWEEP_BASES = {
    point["run"]: point["variant"]
    for dataset in DATASETS
    for point in sweep_points(STUDY, dataset)
    if point["run"] != point["variant"]
}


rule metrics_table:
    """Every run's metrics in one long table: dataset, variant, seed, step, metric, value."""
    input:
        expand("results/runs/{dataset}/{variant}/metrics.parquet", dataset=DATASETS, variant=VARIANTS),
    output:
        "results/metrics.parquet",
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
        every_run("run.json"),
    output:
        "results/runs.parquet",
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
        "results/metrics.parquet",
    output:
        "results/summary.parquet",
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
        "results/metrics.parquet",
    output:
        "results/tests.parquet",
    log:
        "logs/aggregate/tests.log",
    conda:
        "../envs/evaluate.yaml"
    params:
        code=source_hash(workflow.source_path("../scripts/tests.py")),
        baseline=BASELINE,
        variants=BASE_VARIANTS,
        sweeps=SWEEP_BASES,
    script:
        "../scripts/tests.py"


# read from the training, evaluation and classifier rules, which are defined by now
BENCHMARK_JOBS = benchmark_jobs()


rule benchmarks_table:
    """What each job cost, from its benchmark file: wall-clock and CPU seconds, peak memory."""
    input:
        [job["path"] for job in BENCHMARK_JOBS],
    output:
        "results/benchmarks.parquet",
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
        classifier=expand("results/classifiers/{family}/metrics.json", family=FAMILIES),
        training=every_run("run.json"),
        evaluation=expand("results/runs/{dataset}/{variant}/metrics.parquet", dataset=DATASETS, variant=VARIANTS),
    output:
        "results/software.parquet",
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
        "results/summary.parquet",
        "results/tests.parquet",
        "results/software.parquet",
        "results/benchmarks.parquet",
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
        report("results/study.yaml", caption="../report/study.rst", category="Configuration"),
    log:
        "logs/aggregate/study_config.log",
    conda:
        "../envs/evaluate.yaml"
    params:
        code=source_hash(workflow.source_path("../scripts/study_config.py")),
        study=STUDY,
    script:
        "../scripts/study_config.py"
