"""Reference runs: a finished replication study's small final results, shipped with their provenance.

`ship` copies what a report needs to set a published table beside a study that was run at its full
protocol (the summary across seeds, each seed's final metrics, the runs, the study record, the
software) from a study's directory into reference/<table>/, and records beside them the commit and
the training code's hash they were made with, the machine and the wall time. No checkpoints and no
sample files: the folder stays well under REFERENCE_LIMIT_BYTES. `make replicate TABLE=...` runs a
study and ships it.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from .configfile import read_config
from .io import read_json, read_parquet, write_json, write_parquet
from .layout import METRICS_TABLE, RUNS_TABLE, SOFTWARE_TABLE, STUDY_RECORD, SUMMARY_TABLE, TESTS_TABLE
from .provenance import git_commit, source_hash

REFERENCE_LIMIT_BYTES = 2 * 2**20  # every reference folder together stays under 2 MB
TRAINING_SCRIPT = Path(__file__).resolve().parents[2] / "workflow" / "scripts" / "train.py"
COPIED = (SUMMARY_TABLE, TESTS_TABLE, RUNS_TABLE, SOFTWARE_TABLE, STUDY_RECORD)
FINAL_METRICS = "final_metrics.parquet"  # each seed's metrics at its final snapshot
PROVENANCE = "provenance.json"


def _trained_at(runs: pd.DataFrame) -> str:
    """The one commit a study's runs were trained at (git_commit of each run record, "-dirty" when
    the tracked files differed from it), which must be this checkout's: the training code hash is
    read from this checkout, so it is the runs' own only if they were trained here, at this commit."""
    commits = sorted(set(runs["git_commit"]))
    here = git_commit(TRAINING_SCRIPT.parent)
    if commits != [here]:
        raise ValueError(
            f"the study's runs were trained at commit {', '.join(commits)} and this checkout is at {here}: "
            "its training code hash would not be theirs; ship from a checkout of the runs' commit "
            "(git worktree add DIR COMMIT) or rerun the study here"
        )
    return here


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        names = [line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                 if line.startswith("model name")]  # fmt: skip
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def final_metrics(metrics: pd.DataFrame) -> pd.DataFrame:
    """Each (dataset, run, seed)'s rows at its last snapshot step."""
    last = metrics.groupby(["dataset", "variant", "seed"])["step"].transform("max")
    return metrics[metrics["step"] == last].reset_index(drop=True)


def ship(*, study_dir: str | os.PathLike, table: str, out: str | os.PathLike, wall_time_s: float) -> Path:
    """Copy study `study_dir`'s final results into `out` (replacing what was there, atomically: built
    in a temporary folder beside it, then renamed), with provenance.json: the table, commit, training
    code hash, machine, `wall_time_s` and each training job's time. Refuses a study whose results are
    missing, whose runs were trained at another commit than this checkout's, or a folder that would
    outgrow REFERENCE_LIMIT_BYTES."""
    study_dir, out = Path(study_dir), Path(out)
    missing = [name for name in (*COPIED, METRICS_TABLE) if not (study_dir / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{study_dir} has no finished study: missing {', '.join(missing)}")
    runs = read_parquet(study_dir / RUNS_TABLE)
    commit = _trained_at(runs)
    out.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        for name in COPIED:
            shutil.copy2(study_dir / name, building / Path(name).name)
        write_parquet(final_metrics(read_parquet(study_dir / METRICS_TABLE)), building / FINAL_METRICS)
        write_json(
            {
                "table": table,
                "commit": commit,
                "training_source_hash": source_hash(TRAINING_SCRIPT),
                "machine": _machine(),
                "wall_time_s": round(float(wall_time_s), 1),
                # each training job's time (dataset/run: its seeds' wall times, one ensemble a job)
                "job_time_s": {
                    f"{dataset}/{run}": round(float(group["wall_time_s"].sum()), 1)
                    for (dataset, run), group in runs.groupby(["dataset", "variant"])
                },
            },
            building / PROVENANCE,
        )
        size = sum(path.stat().st_size for path in building.iterdir())
        if size > REFERENCE_LIMIT_BYTES:
            raise ValueError(f"reference results of {table} are {size / 2**20:.1f} MB, over the 2 MB limit")
        if out.exists():
            shutil.rmtree(out)
        building.rename(out)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return out


REFERENCE_DIR = TRAINING_SCRIPT.parents[2] / "reference"  # one folder per published table, committed
CONFIG_DIR = TRAINING_SCRIPT.parents[2] / "config"  # each table's full config: config/<table>.yaml


@dataclasses.dataclass(frozen=True)
class Reference:
    """One shipped reference study: the published table it replicates, its summary across seeds,
    its study record (the config with defaults filled in) and its provenance; `not_run`: the runs
    of the table's config (config/<table>.yaml) that the shipped study left out (`make replicate
    TABLE=... VARIANTS=...` runs some of them)."""

    table: str
    summary: pd.DataFrame
    study: dict
    provenance: dict
    not_run: tuple[str, ...] = ()


def reference_files(root: str | os.PathLike = REFERENCE_DIR, *, configs: str | os.PathLike = CONFIG_DIR) -> list[str]:
    """Every file of every shipped reference folder under `root`, and the config of each one's
    table under `configs` where there is one (the report's inputs: it lists the runs a reference
    study left out)."""
    folders = sorted(p for p in Path(root).glob("*") if (p / PROVENANCE).is_file())
    tables = [Path(configs) / f"{read_json(folder / PROVENANCE)['table']}.yaml" for folder in folders]
    files = [path for folder in folders for path in folder.iterdir() if path.is_file()]
    return sorted(str(path) for path in [*files, *(t for t in tables if t.is_file())])


def load_references(
    root: str | os.PathLike = REFERENCE_DIR, *, configs: str | os.PathLike = CONFIG_DIR
) -> list[Reference]:
    """The reference folders under `root` that hold a provenance record, in order of name, each
    with the runs of its table's config (`configs`/<table>.yaml, where there is one) it lacks."""
    references = []
    for folder in sorted(p for p in Path(root).glob("*") if (p / PROVENANCE).is_file()):
        provenance = read_json(folder / PROVENANCE)
        study = read_config(folder / Path(STUDY_RECORD).name)
        config = Path(configs) / f"{provenance['table']}.yaml"
        planned = read_config(config)["variants"] if config.is_file() else {}
        references.append(
            Reference(
                table=provenance["table"],
                summary=read_parquet(folder / Path(SUMMARY_TABLE).name),
                study=study,
                provenance=provenance,
                not_run=tuple(name for name in planned if name not in study["variants"]),
            )
        )
    return references
