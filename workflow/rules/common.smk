# Validated study configuration, the names every rule shares and the input functions and
# resource estimates of the rules (Snakemake's lint wants functions apart from rules).
# Nothing here computes science.
import dataclasses
import itertools
import re

from snakemake.utils import update_config

from modecollapse.config import ConfigError, load_schema, resolve_study, validate_config
from modecollapse.configfile import read_config, read_override
from modecollapse.cost import image_shape, mem_mb as train_mem, project, projection_lines, runtime_minutes, study_jobs
from modecollapse.data import DATASETS as REGISTRY, dataset_sources, get_dataset, is_image
from modecollapse.download import MNIST_FILES
from modecollapse.layout import (
    BENCHMARKS_TABLE,
    CHECKPOINTS,
    CLASSIFIER,
    CLASSIFIER_METRICS,
    DATASET,
    DIGIT_SHARES,
    METRICS_TABLE,
    MNIST_FILE,
    MODE_COUNTS,
    RUN_CURVES,
    RUN_METRICS,
    RUN_PROBES,
    RUN_RECORD,
    RUN_SAMPLES,
    RUN_SURFACE,
    RUNS_TABLE,
    SOFTWARE_TABLE,
    STUDY_RECORD,
    SUMMARY_TABLE,
    TESTS_TABLE,
    TRAIN_LOG,
    seeds_tag,
    train_rule_name,
)
from modecollapse.provenance import source_hash
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
    # checked against the schema shipped in the package (modecollapse.config.SCHEMA), as the CLI checks it
    STUDY = resolve_study(validate_config(study_config(), schema=load_schema()))
except ConfigError as error:
    raise SystemExit(f"modecollapse: {error}") from None
# the checked study, as the HTML report's template (report/workflow.rst) reads it
config.update(STUDY.config)

# The study's wildcard values, resolved once in STUDY (modecollapse.config.Study)
DATASETS = STUDY.datasets
IMAGE_DATASETS = STUDY.image_datasets
FAMILIES = STUDY.families  # each has an evaluator classifier
RUNS = STUDY.run_names  # every run name: each variant, then each sweep point
BASE_VARIANTS = STUDY.variants  # without sweep points (figures show these)
SEEDS = STUDY.seeds
SEED_GROUPS = STUDY.seed_groups  # seeds trained together in one job
# GPUs a training job asks for: one when the study trains on CUDA (device: cuda), none for cpu
# and auto (a cluster job with auto gets whatever its partition gives it)
TRAIN_GPUS = 1 if STUDY.device == "cuda" else 0


wildcard_constraints:
    dataset="|".join(map(re.escape, DATASETS)),
    run="|".join(map(re.escape, RUNS)),
    seed=r"\d+",


def every_run(pattern):
    """A per-run `pattern` (layout: RUN_SAMPLES, RUN_RECORD, ...) for every (dataset, run name, seed) of the study."""
    return expand(pattern, dataset=DATASETS, run=RUNS, seed=SEEDS)


def every_run_name(pattern):
    """A per-run-name `pattern` (layout: RUN_METRICS, DIGIT_SHARES) for every (dataset, run name) of the study."""
    return expand(pattern, dataset=DATASETS, run=RUNS)


def benchmark_jobs():
    """Every benchmarked job of the study (classifiers, training, evaluation): its benchmark file,
    taken from the rule that writes it, with the stage, dataset, run name and seeds it covers
    (the benchmarks table's columns: the run name is its "variant")."""
    jobs = [
        {
            "stage": "classifier",
            "dataset": family,
            "variant": "",
            "seeds": "",
            "path": expand(rules.classifier.benchmark, family=family)[0],
        }
        for family in FAMILIES
    ]
    for dataset in DATASETS:
        for run in RUNS:
            for group in SEED_GROUPS:
                train = getattr(rules, train_rule_name(group))
                path = expand(train.benchmark, dataset=dataset, run=run)[0]
                jobs.append(
                    {
                        "stage": "training",
                        "dataset": dataset,
                        "variant": run,
                        "seeds": " ".join(map(str, group)),
                        "path": path,
                    }
                )
            path = expand(rules.evaluate.benchmark, dataset=dataset, run=run)[0]
            jobs.append({"stage": "evaluation", "dataset": dataset, "variant": run, "seeds": "", "path": path})
    return jobs


def train_settings(wildcards):
    return dataclasses.asdict(STUDY.runs[wildcards.dataset][wildcards.run])


def classifier_of(dataset):
    """The evaluator classifier's files for an image dataset's family."""
    family = get_dataset(dataset).family
    return {
        "classifier": CLASSIFIER.format(family=family),
        "classifier_metrics": CLASSIFIER_METRICS.format(family=family),
    }


def dataset_inputs(wildcards):
    """What building a dataset reads: nothing for generated data, the MNIST files for mnist, the
    base family's dataset for stacked digits."""
    sources = dataset_sources(wildcards.dataset)
    inputs = {"base": DATASET.format(dataset=sources["base"])} if "base" in sources else {}
    if "mnist" in sources:
        inputs["mnist"] = list(rules.download_mnist.output)
    return inputs


def evaluate_inputs(wildcards):
    """Every seed's samples, D's probes and run record, the dataset, and for images the family's classifier."""
    inputs = {
        "samples": expand(RUN_SAMPLES, dataset=wildcards.dataset, run=wildcards.run, seed=SEEDS),
        "probes": expand(RUN_PROBES, dataset=wildcards.dataset, run=wildcards.run, seed=SEEDS),
        "runs": expand(RUN_RECORD, dataset=wildcards.dataset, run=wildcards.run, seed=SEEDS),
        "data": DATASET.format(dataset=wildcards.dataset),
    }
    return inputs | (classifier_of(wildcards.dataset) if is_image(wildcards.dataset) else {})


def study_outputs():
    """Every file the workflow's rules write for this study, for integrity.smk to check once they
    are all defined: each output pattern expanded over the study's wildcard values, kept where its
    regex (the rule's and the workflow's wildcard constraints) matches: datasets are built for the
    study's datasets and their digits families, digit-share figures drawn for image datasets only.
    An output a new rule declares is checked from then on."""
    values = {"dataset": [*DATASETS, *FAMILIES], "family": FAMILIES, "run": RUNS, "seed": SEEDS}
    outputs = {}  # in order, once each
    for producer in workflow.rules:
        for pattern in producer.output:
            names = sorted(pattern.get_wildcard_names())
            for combination in itertools.product(*(values[name] for name in names)):
                path = str(pattern.apply_wildcards(dict(zip(names, combination))))
                if pattern.match(path):
                    outputs[path] = None
    return list(outputs)


# the device a training job's time is estimated for: a cpu or auto study may train on CPUs
TRAIN_DEVICE = "cuda" if TRAIN_GPUS else "cpu"


def train_runtime(members):
    """The `runtime` resource (minutes) of a training job of `members` seeds (cost.runtime_minutes:
    recorded step costs, snapshots and deterministic kernels), doubled on each retry (`attempt`)."""

    def runtime(wildcards, attempt):
        settings = STUDY.runs[wildcards.dataset][wildcards.run]
        image = is_image(wildcards.dataset)
        return runtime_minutes(settings, image=image, members=members, device=TRAIN_DEVICE, attempt=attempt)

    return runtime


def train_mem_mb(members):
    """The `mem_mb` resource of a training job of `members` seeds (cost.mem_mb: torch, the nets,
    and the snapshots the job holds), doubled on each retry."""

    def mem_mb(wildcards, attempt):
        settings = STUDY.runs[wildcards.dataset][wildcards.run]
        return train_mem(settings, image_shape=image_shape(wildcards.dataset), members=members, attempt=attempt)

    return mem_mb
