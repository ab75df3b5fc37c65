# Validated study configuration and the names every rule shares. Nothing here computes science.
import dataclasses
import re

from modecollapse.config import ConfigError, load_schema, resolve_settings, validate_config

try:
    STUDY = validate_config(config, schema=load_schema(workflow.source_path("../schemas/config.schema.yaml")))
except ConfigError as error:
    raise SystemExit(f"modecollapse: {error}") from None

DATASETS = list(STUDY["datasets"])
VARIANTS = list(STUDY["variants"])
SEEDS = list(STUDY["seeds"])
RUN = "results/runs/{dataset}/{variant}/seed{seed}"


wildcard_constraints:
    dataset="|".join(map(re.escape, DATASETS)),
    variant="|".join(map(re.escape, VARIANTS)),
    seed=r"\d+",


def every_run(pattern):
    """`pattern` (relative to a run directory) for every (dataset, variant, seed) of the study."""
    return expand(f"{RUN}/{pattern}", dataset=DATASETS, variant=VARIANTS, seed=SEEDS)


def train_settings(wildcards):
    return dataclasses.asdict(resolve_settings(STUDY, wildcards.variant))
