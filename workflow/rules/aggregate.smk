rule metrics_table:
    """Every run's metrics in one long table: dataset, variant, seed, step, metric, value."""
    input:
        expand("results/runs/{dataset}/{variant}/metrics.parquet", dataset=DATASETS, variant=VARIANTS),
    output:
        "results/metrics.parquet",
    log:
        "logs/aggregate/metrics.log",
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
    script:
        "../scripts/runs_table.py"


rule summary:
    """The final step of every run aggregated across seeds: n, mean, sem and a seeded 95% bootstrap CI."""
    input:
        "results/metrics.parquet",
    output:
        "results/summary.parquet",
    log:
        "logs/aggregate/summary.log",
    script:
        "../scripts/summary.py"


rule tests:
    """Each variant against the baseline at the final step: two-sided Mann-Whitney U per
    dataset and metric, Holm-corrected across variants, with an effect size."""
    input:
        "results/metrics.parquet",
    output:
        "results/tests.parquet",
    params:
        baseline=BASELINE,
    log:
        "logs/aggregate/tests.log",
    script:
        "../scripts/tests.py"
