"""Where the workflow keeps a study's files, relative to the study's working directory, and the training rules' names.

Each constant is a Snakemake path pattern: {dataset} a dataset, {family} a digits family (its
evaluator classifier), {run} a run name (a variant or a sweep point, e.g. gan-ns@lr=0.0001), {seed}
a seed, {seeds} the seeds_tag of a training job's seed group. The rules declare their outputs with
these (workflow/rules/*.smk) and `modecollapse status` and `summary` read them; a rule's own log
and the outputs that only one later rule reads are declared in the rule that writes them instead.
"""

from __future__ import annotations

from typing import Iterable

# inputs of the datasets
MNIST_FILE = "data/downloads/mnist/{file}"  # the four downloaded MNIST files (download.MNIST_FILES)
DATASET = "data/{dataset}.npz"  # a dataset: generated, split or stacked (data.make_dataset)

# the evaluator classifier of a digits family, trained once
CLASSIFIER = "results/classifiers/{family}/classifier.pt"
CLASSIFIER_METRICS = "results/classifiers/{family}/metrics.json"  # its held-out accuracy and provenance

# one run: a (dataset, run name, seed)
RUN = "results/runs/{dataset}/{run}/seed{seed}"  # its directory
RUN_SAMPLES = RUN + "/samples.parquet"  # the generator's samples at every snapshot
RUN_CURVES = RUN + "/curves.parquet"  # the recorded losses
RUN_PROBES = RUN + "/probes.parquet"  # D's mean output on training, held-out and generated samples at every snapshot
RUN_SURFACE = RUN + "/d_surface.parquet"  # D's output on a grid over the 2D data at every snapshot (empty: images)
RUN_RECORD = RUN + "/run.json"  # written last by a training job: the run is done when it exists
CHECKPOINTS = "results/checkpoints/{dataset}/{run}"  # kept by a training job that did not finish
TRAIN_LOG = "logs/train/{dataset}/{run}/seeds{seeds}.log"  # a training job's log, one per seed group

# every seed of one (dataset, run name), evaluated
RUN_METRICS = "results/runs/{dataset}/{run}/metrics.parquet"  # mode statistics at every snapshot, long form
DIGIT_SHARES = "results/runs/{dataset}/{run}/digit_shares.parquet"  # images: each digit's share of the final samples
MODE_COUNTS = "results/runs/{dataset}/{run}/mode_counts.parquet"  # high-quality samples per mode at every snapshot

# the study's tables
METRICS_TABLE = "results/metrics.parquet"  # every RUN_METRICS in one table
RUNS_TABLE = "results/runs.parquet"  # one row per run from its RUN_RECORD
SUMMARY_TABLE = "results/summary.parquet"  # the final step aggregated across seeds
TESTS_TABLE = "results/tests.parquet"  # each variant against the baseline, each sweep point against its variant
SOFTWARE_TABLE = "results/software.parquet"  # what computed each stage
BENCHMARKS_TABLE = "results/benchmarks.parquet"  # what each job cost
STUDY_RECORD = "results/study.yaml"  # the study as the workflow read it, defaults filled in


def seeds_tag(seeds: Iterable[int]) -> str:
    """A seed group in a file name: (0, 1, 2) -> "0-1-2"."""
    return "-".join(map(str, seeds))


def train_rule_name(seeds: Iterable[int]) -> str:
    """The training rule of a seed group (workflow/rules/train.smk): (0, 1) -> "train_seeds_0_1"."""
    return f"train_seeds_{'_'.join(map(str, seeds))}"
