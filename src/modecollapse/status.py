"""Where a study's training runs stand in its working directory: done, diverged, running, failed
or pending, read from the files the workflow leaves (their paths: modecollapse.layout).

done / diverged: the run's run.json (written last by a training job) says status "ok" / "diverged".
running: Snakemake marked the run's run.json incomplete (its job started and has not finished) and
    a Snakemake process holds the directory's lock.
failed: no run.json, not running, but a training log, a kept checkpoint or an incomplete marker
    left by an interrupted Snakemake shows that its job was started.
pending: none of these: its job has not started yet.
"""

from __future__ import annotations

import base64
import dataclasses
import os
from collections import Counter
from pathlib import Path

from .config import Study
from .io import UnreadableFile, read_json
from .layout import CHECKPOINTS, RUN_RECORD, TRAIN_LOG, seeds_tag

STATES = ("done", "diverged", "running", "failed", "pending")


@dataclasses.dataclass(frozen=True)
class RunStatus:
    """One (dataset, run name, seed) of a study, its state and what to look at (a path, or "")."""

    dataset: str
    run: str
    seed: int
    state: str
    detail: str = ""


def checkpoints(directory: Path, *, dataset: str, run: str, group: tuple[int, ...]) -> list[Path]:
    """The checkpoints a seed group's job keeps to resume from (checkpoints.checkpoint_name)."""
    folder = directory / CHECKPOINTS.format(dataset=dataset, run=run)
    return sorted(folder.glob(f"seeds{seeds_tag(group)}-*.pt"))


def incomplete_outputs(directory: Path) -> set[str]:
    """The outputs Snakemake marked incomplete in `directory` (jobs started and not finished): its
    file backend names each marker by the URL-safe base64 of the output's path, a long name split
    into folders whose names start with "@"."""
    root = directory / ".snakemake" / "incomplete"
    outputs = set()
    for folder, _, files in os.walk(root):
        prefix = "".join(part.lstrip("@") for part in Path(folder).relative_to(root).parts)
        for name in files:
            try:
                outputs.add(base64.urlsafe_b64decode(prefix + name).decode())
            except (ValueError, UnicodeDecodeError):  # "migration_underway" and other bookkeeping
                continue
    return outputs


def snakemake_running(directory: Path) -> bool:
    """Whether a Snakemake process holds `directory`'s lock (a killed one leaves it too, until
    `snakemake --unlock`)."""
    return any((directory / ".snakemake" / "locks").glob("*.lock"))


def _recorded_state(path: Path) -> tuple[str, str] | None:
    """(state, detail) from an existing run.json, None when there is none."""
    if not path.exists():
        return None
    try:
        status = read_json(path).get("status")
    except (UnreadableFile, AttributeError) as error:
        return "failed", f"{path}: cannot be read ({getattr(error, 'reason', 'not a mapping')})"
    return ("diverged", str(path)) if status == "diverged" else ("done", "")


def run_state(
    directory: Path, *, dataset: str, run: str, seed: int, group: tuple[int, ...], incomplete: set[str], locked: bool
) -> RunStatus:
    """The state of one run (see the module's docstring) from the files in `directory`."""
    record = RUN_RECORD.format(dataset=dataset, run=run, seed=seed)
    recorded = _recorded_state(directory / record)
    log = TRAIN_LOG.format(dataset=dataset, run=run, seeds=seeds_tag(group))
    resumable = checkpoints(directory, dataset=dataset, run=run, group=group)
    if recorded is not None:
        state, detail = recorded
    elif record in incomplete and locked:
        state, detail = "running", log
    elif record in incomplete or resumable or (directory / log).exists():
        state, detail = "failed", f"see {log}" + ("; resumes from its checkpoint" if resumable else "")
    else:
        state, detail = "pending", ""
    return RunStatus(dataset=dataset, run=run, seed=seed, state=state, detail=detail)


def study_status(study: Study, directory: str | os.PathLike) -> list[RunStatus]:
    """The state of every run of `study` (dataset, run name, seed) in `directory`."""
    directory = Path(directory)
    incomplete, locked = incomplete_outputs(directory), snakemake_running(directory)
    return [
        run_state(directory, dataset=dataset, run=run, seed=seed, group=group, incomplete=incomplete, locked=locked)
        for dataset in study.datasets
        for run in study.runs[dataset]
        for group in study.seed_groups
        for seed in group
    ]


def format_status(runs: list[RunStatus]) -> str:
    """Counts of each state per dataset, then one line per run that is not done."""
    width = max([len("dataset"), *(len(run.dataset) for run in runs)])
    lines = [f"{'dataset':<{width}}" + "".join(f"  {state:>8}" for state in STATES)]
    for dataset in dict.fromkeys(run.dataset for run in runs):
        counts = Counter(run.state for run in runs if run.dataset == dataset)
        lines.append(f"{dataset:<{width}}" + "".join(f"  {counts[state]:>8}" for state in STATES))
    unfinished = [run for run in runs if run.state != "done"]
    if unfinished:
        name_width = max(len(run.run) for run in unfinished)
        lines += ["", "Not done:"]
        lines += [
            f"  {run.dataset:<{width}}  {run.run:<{name_width}}  seed {run.seed:<3}  {run.state:<8}  "
            f"{run.detail}".rstrip()
            for run in unfinished
        ]
    return "\n".join(lines) + "\n"
