# Every figure goes into the Snakemake HTML report (`snakemake --report`) with its caption from
# workflow/report/; conda: the environment of these rules under --sdm conda.
# params.code: the hash of the modecollapse code a rule's script imports, so that editing it reruns the rule.
from modecollapse.evaluate import MAX_COUNTED_MODES
from modecollapse.provenance import source_hash

N_MODES = {d: get_dataset(d).n_modes for d in DATASETS}
# datasets whose evaluation keeps per-mode counts (evaluate.MAX_COUNTED_MODES): the mode-hopping raster
RASTER_DATASETS = [d for d in DATASETS if N_MODES[d] <= MAX_COUNTED_MODES]
POINT_DATASETS = [d for d in DATASETS if not is_image(d)]  # D's surface is drawn over 2D data


rule samples_figure:
    """Final samples of every variant (first seed): 2D points over the real modes, or a grid of
    images beside real ones, a panel per variant."""
    input:
        samples=expand(RUN_SAMPLES, run=BASE_VARIANTS, seed=SEEDS[0], allow_missing=True),
        data=DATASET,
    output:
        report(
            "figures/samples_{dataset}.pdf",
            caption="../report/samples.rst",
            category="Figures",
            subcategory="{dataset}",
        ),
    log:
        "logs/figures/samples_{dataset}.log",
    conda:
        "../envs/report.yaml"
    params:
        code=source_hash(workflow.source_path("../scripts/samples_figure.py")),
        variants=BASE_VARIANTS,
        seed=SEEDS[0],
    script:
        "../scripts/samples_figure.py"


rule modes_figure:
    """Share of each digit (per channel for stacked data) among final samples, per variant,
    beside the real data's shares: the mode histograms of an image dataset."""
    input:
        shares=expand(DIGIT_SHARES, run=BASE_VARIANTS, allow_missing=True),
        data=DATASET,
    output:
        report(
            "figures/modes_{dataset}.pdf", caption="../report/modes.rst", category="Figures", subcategory="{dataset}"
        ),
    log:
        "logs/figures/modes_{dataset}.log",
    wildcard_constraints:
        dataset="|".join(map(re.escape, IMAGE_DATASETS)) or "(?!)",
    conda:
        "../envs/report.yaml"
    params:
        code=source_hash(workflow.source_path("../scripts/modes_figure.py")),
        variants=BASE_VARIANTS,
    script:
        "../scripts/modes_figure.py"


rule mode_hopping_figure:
    """Which modes each variant covers at every snapshot (first seed): a raster of modes x
    snapshots per variant, with its modes ever covered and the modes it dropped over training."""
    input:
        counts=expand(MODE_COUNTS, run=BASE_VARIANTS, allow_missing=True),
    output:
        report(
            "figures/mode_hopping_{dataset}.pdf",
            caption="../report/mode_hopping.rst",
            category="Figures",
            subcategory="{dataset}",
        ),
    log:
        "logs/figures/mode_hopping_{dataset}.log",
    wildcard_constraints:
        dataset="|".join(map(re.escape, RASTER_DATASETS)) or "(?!)",
    conda:
        "../envs/report.yaml"
    params:
        code=source_hash(workflow.source_path("../scripts/mode_hopping_figure.py")),
        variants=BASE_VARIANTS,
        seed=SEEDS[0],
        digits=lambda wildcards: is_image(wildcards.dataset),
    script:
        "../scripts/mode_hopping_figure.py"


rule surface_figure:
    """D's surface over training on a 2D dataset (first seed): a row per variant whose D judges
    points, a column per chosen snapshot, with G's samples and the real modes over it."""
    input:
        surfaces=expand(RUN_SURFACE, run=BASE_VARIANTS, seed=SEEDS[0], allow_missing=True),
        samples=expand(RUN_SAMPLES, run=BASE_VARIANTS, seed=SEEDS[0], allow_missing=True),
        data=DATASET,
    output:
        report(
            "figures/surface_{dataset}.pdf",
            caption="../report/surface.rst",
            category="Figures",
            subcategory="{dataset}",
        ),
    log:
        "logs/figures/surface_{dataset}.log",
    wildcard_constraints:
        dataset="|".join(map(re.escape, POINT_DATASETS)) or "(?!)",
    conda:
        "../envs/report.yaml"
    params:
        code=source_hash(workflow.source_path("../scripts/surface_figure.py")),
        variants=BASE_VARIANTS,
        seed=SEEDS[0],
    script:
        "../scripts/surface_figure.py"


rule overfitting_figure:
    """D's mean output on training reals, held-out reals and generated samples over training, a
    panel per variant (mean over seeds): discriminator overfitting."""
    input:
        probes=expand(RUN_PROBES, run=BASE_VARIANTS, seed=SEEDS, allow_missing=True),
    output:
        report(
            "figures/overfitting_{dataset}.pdf",
            caption="../report/overfitting.rst",
            category="Figures",
            subcategory="{dataset}",
        ),
    log:
        "logs/figures/overfitting_{dataset}.log",
    conda:
        "../envs/report.yaml"
    params:
        code=source_hash(workflow.source_path("../scripts/overfitting_figure.py")),
        variants=BASE_VARIANTS,
        seeds=SEEDS,
    script:
        "../scripts/overfitting_figure.py"


rule coverage_figure:
    """Share of modes covered over training, mean and 95% CI across seeds, per variant, with
    each dataset's plateau window (the last evaluation.plateau_window of training) shaded."""
    input:
        METRICS_TABLE,
    output:
        report("figures/coverage.pdf", caption="../report/coverage.rst", category="Figures", subcategory="All"),
    log:
        "logs/figures/coverage.log",
    conda:
        "../envs/report.yaml"
    params:
        code=source_hash(workflow.source_path("../scripts/coverage_figure.py")),
        n_modes=N_MODES,
        variants=BASE_VARIANTS,
        plateau_window=STUDY.evaluation["plateau_window"],
    script:
        "../scripts/coverage_figure.py"


rule sweeps_figure:
    """Final share of modes covered and D's overfitting gap against each swept setting."""
    input:
        METRICS_TABLE,
    output:
        report("figures/sweeps.pdf", caption="../report/sweeps.rst", category="Figures", subcategory="All"),
    log:
        "logs/figures/sweeps.log",
    conda:
        "../envs/report.yaml"
    params:
        code=source_hash(workflow.source_path("../scripts/sweeps_figure.py")),
        n_modes=N_MODES,
        points=STUDY.sweep_points,  # the unswept value can differ per dataset
    script:
        "../scripts/sweeps_figure.py"


rule spread_figure:
    """Every seed's final share of modes covered and reverse KL per variant (a dot per seed over a
    box plot), a row per dataset: the spread across seeds behind each mean."""
    input:
        METRICS_TABLE,
    output:
        pdf=report("figures/spread.pdf", caption="../report/spread.rst", category="Figures", subcategory="All"),
        png="figures/spread.png",  # the README's picture (`make readme-figure`)
    log:
        "logs/figures/spread.log",
    conda:
        "../envs/report.yaml"
    params:
        code=source_hash(workflow.source_path("../scripts/spread_figure.py")),
        n_modes=N_MODES,
        variants=BASE_VARIANTS,
    script:
        "../scripts/spread_figure.py"
