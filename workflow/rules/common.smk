# Validated study configuration, the names every rule shares and the input functions and
# resource estimates of the rules (Snakemake's lint wants functions apart from rules).
# Nothing here computes science.
import dataclasses
import math
import re

from snakemake.utils import update_config

from modecollapse.config import (
    ConfigError,
    load_schema,
    read_config,
    read_override,
    seed_groups,
    study_runs,
    validate_config,
)
from modecollapse.data import DATASETS as REGISTRY, dataset_sources, get_dataset, is_image
from modecollapse.download import MNIST_FILES
from modecollapse.layout import CHECKPOINTS, RUN, TRAIN_LOG, seeds_tag, train_rule_name
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
    STUDY = validate_config(study_config(), schema=load_schema(workflow.source_path("../schemas/config.schema.yaml")))
except ConfigError as error:
    raise SystemExit(f"modecollapse: {error}") from None
# the checked study, as the HTML report's template (report/workflow.rst) reads it
config.update(STUDY)

DATASETS = list(STUDY["datasets"])
IMAGE_DATASETS = [d for d in DATASETS if is_image(d)]
FAMILIES = sorted({get_dataset(d).family for d in IMAGE_DATASETS})  # each has an evaluator classifier
# dataset -> run name -> resolved TrainSettings: every variant, then every sweep point
RUNS = {dataset: study_runs(STUDY, dataset) for dataset in DATASETS}
VARIANTS = list(RUNS[DATASETS[0]])
BASE_VARIANTS = list(STUDY["variants"])  # without sweep points (figures show these)
SEEDS = list(STUDY["seeds"])
SEED_GROUPS = seed_groups(STUDY)  # seeds trained together in one job
# GPUs a training job asks for: one when the study trains on CUDA (device: cuda), none for cpu
# and auto (a cluster job with auto gets whatever its partition gives it)
TRAIN_GPUS = 1 if STUDY["device"] == "cuda" else 0


wildcard_constraints:
    dataset="|".join(map(re.escape, DATASETS)),
    variant="|".join(map(re.escape, VARIANTS)),
    seed=r"\d+",


def every_run(pattern):
    """`pattern` (relative to a run directory) for every (dataset, run name, seed) of the study."""
    return expand(f"{RUN}/{pattern}", dataset=DATASETS, variant=VARIANTS, seed=SEEDS)


def benchmark_jobs():
    """Every benchmarked job of the study (classifiers, training, evaluation): its benchmark file,
    taken from the rule that writes it, with the stage, dataset, run name and seeds it covers."""
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
        for variant in VARIANTS:
            for group in SEED_GROUPS:
                train = getattr(rules, train_rule_name(group))
                path = expand(train.benchmark, dataset=dataset, variant=variant)[0]
                jobs.append(
                    {
                        "stage": "training",
                        "dataset": dataset,
                        "variant": variant,
                        "seeds": " ".join(map(str, group)),
                        "path": path,
                    }
                )
            path = expand(rules.evaluate.benchmark, dataset=dataset, variant=variant)[0]
            jobs.append({"stage": "evaluation", "dataset": dataset, "variant": variant, "seeds": "", "path": path})
    return jobs


def train_settings(wildcards):
    return dataclasses.asdict(RUNS[wildcards.dataset][wildcards.variant])


def classifier_of(dataset):
    """The evaluator classifier's files for an image dataset's family."""
    family = get_dataset(dataset).family
    return {
        "classifier": f"results/classifiers/{family}/classifier.pt",
        "classifier_metrics": f"results/classifiers/{family}/metrics.json",
    }


def dataset_inputs(wildcards):
    """What building a dataset reads: nothing for generated data, the MNIST files for mnist, the
    base family's dataset for stacked digits."""
    sources = dataset_sources(wildcards.dataset)
    inputs = {"base": f"data/{sources['base']}.npz"} if "base" in sources else {}
    if "mnist" in sources:
        inputs["mnist"] = expand("data/downloads/mnist/{file}", file=MNIST_FILES)
    return inputs


def evaluate_inputs(wildcards):
    """Every seed's samples and run record, the dataset, and for images the family's classifier."""
    run = expand(RUN, seed=SEEDS, dataset=wildcards.dataset, variant=wildcards.variant)
    inputs = {
        "samples": [f"{path}/samples.parquet" for path in run],
        "runs": [f"{path}/run.json" for path in run],
        "data": f"data/{wildcards.dataset}.npz",
    }
    return inputs | (classifier_of(wildcards.dataset) if is_image(wildcards.dataset) else {})


# Cost of one training step, measured (BENCHMARKS.md). "seconds": one ensemble member's step at
# the reference networks (`widths` = g_width x d_width, `batch`); "floor": the least a step takes
# whatever the members. CPU, one thread, the default study's networks: 2D 1000 steps x 10 members
# ~ 30 s, images 320 steps x 10 members ~ 25 s, no floor. CUDA (one H100, eager steps, 8876abf):
# launch-bound, about 10 ms a step from 1 to 16 members of PacGAN's 2D nets and 13.5 ms at 64
# (4,741 member-steps/s, batch 64); the 28x28 conv nets ~ 358 member-steps/s at 10 members.
STEP_COST = {
    "cpu": {
        "2d": {"seconds": 30 / (1000 * 10), "widths": 64 * 32, "batch": 100, "floor": 0.0},
        "image": {"seconds": 25 / (320 * 10), "widths": 16 * 16, "batch": 32, "floor": 0.0},
    },
    "cuda": {
        "2d": {"seconds": 1 / 4741, "widths": 400 * 200, "batch": 64, "floor": 0.010},
        "image": {"seconds": 1 / 358, "widths": 64 * 64, "batch": 64, "floor": 0.010},
    },
}
# the device a training job's time is estimated for: a cpu or auto study may train on CPUs
TRAIN_DEVICE = "cuda" if TRAIN_GPUS else "cpu"
SAFETY = 3  # requested time = 3 x the estimate: slower nodes, a loaded machine, snapshots
MIN_RUNTIME = 10  # minutes: start-up (Python and torch imports) and scheduling slack
TRAIN_MEM_MB = {"2d": (1500, 20), "image": (2000, 100)}  # (torch and data, per member at default width)


def network_scale(settings, cost):
    """How much bigger a job's networks (width products) and batches are than `cost`'s reference."""
    return max(1.0, settings.g_width * settings.d_width / cost["widths"]) * max(
        1.0, settings.batch_size / cost["batch"]
    )


def train_estimate(dataset, variant, members):
    """Seconds of one training job without the safety factor: steps times the cost of a
    step on the study's device, which is the measured cost of a member-step times the members and
    how much bigger the networks and batches are than the benchmarked ones, but never below the
    device's floor, times the updates per step relative to one D and one G update: each unrolled
    D step is an update that G's step differentiates through, about two updates' work
    (unrolled-5 ~ 6x, as measured in BENCHMARKS.md), times `pack`: G runs once per pack slot
    (PacGAN2's job projects to 1.9x GAN's, BENCHMARKS.md)."""
    settings = RUNS[dataset][variant]
    cost = STEP_COST[TRAIN_DEVICE]["image" if is_image(dataset) else "2d"]
    per_step = max(cost["floor"], cost["seconds"] * members * network_scale(settings, cost))
    updates = (settings.d_steps + settings.g_steps * (1 + 2 * settings.unrolled_steps)) / 2
    return per_step * settings.steps * updates * settings.pack


def train_runtime(members):
    """The `runtime` resource (minutes) of a training job of `members` seeds: SAFETY x the
    estimate, at least MIN_RUNTIME, doubled on each retry (`attempt`)."""

    def runtime(wildcards, attempt):
        seconds = train_estimate(wildcards.dataset, wildcards.variant, members)
        return max(MIN_RUNTIME, math.ceil(SAFETY * seconds / 60)) * attempt

    return runtime


def train_mem_mb(members):
    """The `mem_mb` resource of a training job of `members` seeds: a base for torch and the
    dataset plus each member's networks, optimiser state and snapshots, growing with the square
    root of the network scale against the CPU's reference networks (parameters grow with width,
    activations with width x batch, the snapshots not at all); doubled on each retry."""

    def mem_mb(wildcards, attempt):
        kind = "image" if is_image(wildcards.dataset) else "2d"
        base, per_member = TRAIN_MEM_MB[kind]
        scale = network_scale(RUNS[wildcards.dataset][wildcards.variant], STEP_COST["cpu"][kind])
        return math.ceil(base + per_member * members * math.sqrt(scale)) * attempt

    return mem_mb
