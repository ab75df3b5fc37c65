rule evaluate:
    """Mode statistics of one run at every snapshot, in long form."""
    input:
        samples=f"{RUN}/samples.parquet",
        run=f"{RUN}/run.json",
        data="data/{dataset}.npz",
    output:
        f"{RUN}/metrics.parquet",
    params:
        threshold=STUDY["evaluation"]["threshold"],
    log:
        "logs/evaluate/{dataset}/{variant}/seed{seed}.log",
    script:
        "../scripts/evaluate.py"
