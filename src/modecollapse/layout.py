"""Where the workflow keeps a study's training files, relative to the study's working directory:
the patterns the rules declare (workflow/rules/common.smk, train.smk) and `modecollapse status` reads,
and the names of the training rules."""

from __future__ import annotations

from typing import Iterable

RUN = "results/runs/{dataset}/{variant}/seed{seed}"  # one run's samples.parquet, curves.parquet, run.json
RUN_RECORD = RUN + "/run.json"  # written last by a training job: the run is done when it exists
CHECKPOINTS = "results/checkpoints/{dataset}/{variant}"  # kept by a training job that did not finish
TRAIN_LOG = "logs/train/{dataset}/{variant}/seeds{seeds}.log"  # {seeds}: seeds_tag of the job's seed group


def seeds_tag(seeds: Iterable[int]) -> str:
    """A seed group in a file name: (0, 1, 2) -> "0-1-2"."""
    return "-".join(map(str, seeds))


def train_rule_name(seeds: Iterable[int]) -> str:
    """The training rule of a seed group (workflow/rules/train.smk): (0, 1) -> "train_seeds_0_1"."""
    return f"train_seeds_{'_'.join(map(str, seeds))}"
