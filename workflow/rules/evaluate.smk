rule evaluate:
    """Mode statistics of every seed of one (dataset, run name) at every snapshot, in long form."""
    input:
        samples=expand(f"{RUN}/samples.parquet", seed=SEEDS, allow_missing=True),
        runs=expand(f"{RUN}/run.json", seed=SEEDS, allow_missing=True),
        data="data/{dataset}.npz",
    output:
        "results/runs/{dataset}/{variant}/metrics.parquet",
    params:
        threshold=STUDY["evaluation"]["threshold"],
        collapse_coverage=STUDY["evaluation"]["collapse_coverage"],
    log:
        "logs/evaluate/{dataset}/{variant}.log",
    script:
        "../scripts/evaluate.py"
