rule samples_figure:
    """Final samples of each variant (first seed) over the real modes: a panel per variant and dataset."""
    input:
        samples=expand(f"{RUN}/samples.parquet", dataset=DATASETS, variant=VARIANTS, seed=SEEDS[0]),
        data=expand("data/{dataset}.npz", dataset=DATASETS),
    output:
        "figures/samples.pdf",
    params:
        datasets=DATASETS,
        variants=VARIANTS,
        seed=SEEDS[0],
    log:
        "logs/figures/samples.log",
    script:
        "../scripts/samples_figure.py"


rule coverage_figure:
    """Modes covered over training, mean and spread across seeds."""
    input:
        "results/metrics.parquet",
    output:
        "figures/coverage.pdf",
    log:
        "logs/figures/coverage.log",
    script:
        "../scripts/coverage_figure.py"
