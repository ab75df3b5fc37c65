"""A training run's record (run.json: what ran, how it ended, what computed it) and the runs table read from it.

A training job writes one record per seed, last (its presence marks a finished run; layout.RUN_RECORD);
the evaluation reads its status, `modecollapse status` its status, the runs table the RUNS_COLUMNS.
Torch-free: the scripts that read records need no torch.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

STATUSES = ("ok", "diverged")  # how a run can end (train.MemberResult.status)
# the runs table's columns, one row per record (git_commit from the record's provenance)
RUNS_COLUMNS = ("dataset", "variant", "seed", "status", "diverged_step", "device", "wall_time_s", "git_commit")


def run_record(
    *,
    dataset: str,
    variant: str,
    seed: int,
    settings: Mapping[str, Any],
    status: str,
    diverged_step: int | None,
    device: str,
    tf32: bool,
    cuda_graphs: bool,
    threads: int,
    ensemble_seeds: Sequence[int],
    resumed_from_step: int | None,
    ensemble_wall_time_s: float,
    provenance: Mapping[str, Any],
) -> dict[str, Any]:
    """The run.json of seed `seed` of run `variant` (its run name) on `dataset`, trained with
    `settings` inside an ensemble of `ensemble_seeds` on `device` (`tf32` and `cuda_graphs` as the
    config set them, `threads` CPU threads), which took `ensemble_wall_time_s` in all, shared
    equally among its seeds as the run's `wall_time_s`; `provenance` is provenance.provenance's
    record of what computed it, merged in."""
    if status not in STATUSES:
        raise ValueError(f"a run's status is one of {', '.join(STATUSES)}, not {status!r}")
    return {
        "dataset": dataset,
        "variant": variant,
        "seed": int(seed),
        "settings": dict(settings),
        "status": status,
        "diverged_step": diverged_step,
        "device": device,
        "tf32": tf32,  # float32 precision on CUDA (config tf32)
        "cuda_graphs": cuda_graphs,  # captured steps on CUDA (config cuda_graphs)
        "threads": threads,
        "ensemble_seeds": list(ensemble_seeds),
        "resumed_from_step": resumed_from_step,
        "wall_time_s": round(ensemble_wall_time_s / len(ensemble_seeds), 3),
        "ensemble_wall_time_s": round(ensemble_wall_time_s, 3),
        **provenance,
    }


def runs_table(records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per run record, its RUNS_COLUMNS."""
    return pd.DataFrame([{key: record[key] for key in RUNS_COLUMNS} for record in records], columns=list(RUNS_COLUMNS))
