rule dataset:
    """Generate a 2D Gaussian mixture's training set, deterministically from the data seed."""
    output:
        "data/{dataset}.npz",
    params:
        seed=STUDY["data"]["seed"],
        size=STUDY["data"]["size"],
    log:
        "logs/data/{dataset}.log",
    script:
        "../scripts/make_dataset.py"
