from modecollapse.config import sweep_points
from modecollapse.data import get_dataset

N_MODES = {d: get_dataset(d).n_modes for d in DATASETS}
SWEEP_POINTS = sweep_points(STUDY)


rule samples_figure:
    """Final samples of every variant (first seed) over the real modes, a panel per variant."""
    input:
        samples=expand(f"{RUN}/samples.parquet", variant=BASE_VARIANTS, seed=SEEDS[0], allow_missing=True),
        data="data/{dataset}.npz",
    output:
        "figures/samples_{dataset}.pdf",
    params:
        variants=BASE_VARIANTS,
        seed=SEEDS[0],
    log:
        "logs/figures/samples_{dataset}.log",
    script:
        "../scripts/samples_figure.py"


rule coverage_figure:
    """Share of modes covered over training, mean and 95% CI across seeds, per variant."""
    input:
        "results/metrics.parquet",
    output:
        "figures/coverage.pdf",
    params:
        n_modes=N_MODES,
        variants=BASE_VARIANTS,
    log:
        "logs/figures/coverage.log",
    script:
        "../scripts/coverage_figure.py"


rule sweeps_figure:
    """Final share of modes covered against each swept setting."""
    input:
        "results/metrics.parquet",
    output:
        "figures/sweeps.pdf",
    params:
        n_modes=N_MODES,
        points=SWEEP_POINTS,
    log:
        "logs/figures/sweeps.log",
    script:
        "../scripts/sweeps_figure.py"
