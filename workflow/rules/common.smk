# Validated study configuration and the names every rule shares. Nothing here computes science.
import dataclasses
import re

from snakemake.utils import update_config

from modecollapse.config import (
    ConfigError, load_schema, read_config, read_override, seed_groups, study_runs, validate_config,
)
from modecollapse.data import DATASETS as REGISTRY, get_dataset, is_image
from modecollapse.variants import BASELINE


def study_config():
    """The study as `modecollapse check-config` reads it: each --configfile (else DEFAULT_CONFIG)
    reread with modecollapse's loader (Snakemake's reads 1e-4 as text and keeps the last of two
    equal keys), merged in order as Snakemake merges them, then each --config key=value on top."""
    study = {}
    for path in workflow.overwrite_configfiles or [DEFAULT_CONFIG]:
        update_config(study, read_config(path))
    for key, value in map(read_override, workflow.config_settings.config_args or []):
        update_config(study, {key: value})
    return study


try:
    STUDY = validate_config(study_config(), schema=load_schema(workflow.source_path("../schemas/config.schema.yaml")))
except ConfigError as error:
    raise SystemExit(f"modecollapse: {error}") from None

DATASETS = list(STUDY["datasets"])
IMAGE_DATASETS = [d for d in DATASETS if is_image(d)]
FAMILIES = sorted({get_dataset(d).family for d in IMAGE_DATASETS})  # each has an evaluator classifier
# dataset -> run name -> resolved TrainSettings: every variant, then every sweep point
RUNS = {dataset: study_runs(STUDY, dataset) for dataset in DATASETS}
VARIANTS = list(RUNS[DATASETS[0]])
BASE_VARIANTS = list(STUDY["variants"])  # without sweep points (figures show these)
SEEDS = list(STUDY["seeds"])
SEED_GROUPS = seed_groups(STUDY)  # seeds trained together in one job
RUN = "results/runs/{dataset}/{variant}/seed{seed}"


wildcard_constraints:
    dataset="|".join(map(re.escape, DATASETS)),
    variant="|".join(map(re.escape, VARIANTS)),
    seed=r"\d+",


def every_run(pattern):
    """`pattern` (relative to a run directory) for every (dataset, run name, seed) of the study."""
    return expand(f"{RUN}/{pattern}", dataset=DATASETS, variant=VARIANTS, seed=SEEDS)


def train_settings(wildcards):
    return dataclasses.asdict(RUNS[wildcards.dataset][wildcards.variant])


def classifier_of(dataset):
    """The evaluator classifier's files for an image dataset's family."""
    family = get_dataset(dataset).family
    return {
        "classifier": f"results/classifiers/{family}/classifier.pt",
        "classifier_metrics": f"results/classifiers/{family}/metrics.json",
    }
