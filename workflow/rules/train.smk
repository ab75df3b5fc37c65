rule train:
    """Train one (dataset, variant, seed); its resolved settings are params, so changing one
    variant's settings reruns only that variant's runs."""
    input:
        data="data/{dataset}.npz",
    output:
        samples=f"{RUN}/samples.parquet",
        curves=f"{RUN}/curves.parquet",
        run=f"{RUN}/run.json",
    params:
        settings=train_settings,
        device=STUDY["device"],
    threads: 1
    resources:
        mem_mb=2000,
        runtime=120,
    log:
        "logs/train/{dataset}/{variant}/seed{seed}.log",
    script:
        "../scripts/train.py"
