"""Reference runs: a finished replication study's small final results, shipped with their provenance.

`ship` copies what a report needs to set a published table beside a study that was run at its full
protocol (the summary across seeds, each seed's final metrics, the runs, the study record, the
software) from a study's directory into reference/<table>/, and records beside them the commit and
the training code's hash they were made with, the machine and the wall time. No checkpoints and no
sample files: the folder stays well under REFERENCE_LIMIT_BYTES. `make replicate TABLE=...` runs a
study and ships it.

A table's rows need not come from one sitting: `combine` adds a study of some of its variants, on
some of its datasets, to a shipped folder (same table, same training code, same settings apart from
the variants and datasets), and the provenance lists each part (the datasets of each of its
variants, its commit, machine and wall time). Its summary and tests are recomputed from the
combined per-seed final metrics, as the workflow computes them.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import yaml

from .config import base_variant, resolve_study
from .configfile import read_config
from .io import read_json, read_parquet, write_json, write_parquet, write_text
from .layout import METRICS_TABLE, RUNS_TABLE, SOFTWARE_TABLE, STUDY_RECORD, SUMMARY_TABLE, TESTS_TABLE
from .provenance import git_commit, source_hash
from .stats import compare_with_baseline, summarise_final
from .variants import BASELINE

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


def parts(provenance: dict, study: dict) -> list[dict]:
    """The studies a reference folder's rows come from, each {"runs": {variant: [dataset, ...]},
    "commit", "machine", "wall_time_s"}. Earlier records read as one part of every variant of
    `study` (the folder's study record) when they have no parts, and a part listing "variants" as
    those variants on every dataset of `study`."""
    keys = ("commit", "machine", "wall_time_s")
    listed = provenance.get("parts") or [{"variants": list(study["variants"]), **{k: provenance[k] for k in keys}}]

    def runs(part: dict) -> dict[str, list[str]]:
        return part["runs"] if "runs" in part else {v: list(study["datasets"]) for v in part["variants"]}

    return [{"runs": runs(part), **{k: part[k] for k in keys}} for part in listed]


def _row_runs(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """Each row's (dataset, variant), a sweep point as its base variant."""
    return list(zip(frame["dataset"], frame["variant"].map(base_variant), strict=True))


def shipped_runs(final: pd.DataFrame) -> set[tuple[str, str]]:
    """The (dataset, variant) pairs a folder's final metrics (or summary) hold rows of, sweep points
    as their base variant."""
    return set(_row_runs(final))


def _without(runs: dict[str, list[str]], replaced: set[tuple[str, str]]) -> dict[str, list[str]]:
    """A part's runs (variant -> datasets) less the `replaced` (dataset, variant) pairs."""
    left = {variant: [d for d in datasets if (d, variant) not in replaced] for variant, datasets in runs.items()}
    return {variant: datasets for variant, datasets in left.items() if datasets}


def _job_times(runs: pd.DataFrame) -> dict[str, float]:
    """Each training job's time (dataset/run: its seeds' wall times, one ensemble a job)."""
    return {
        f"{dataset}/{run}": round(float(group["wall_time_s"].sum()), 1)
        for (dataset, run), group in runs.groupby(["dataset", "variant"])
    }


def _check_size(folder: Path, table: str) -> None:
    size = sum(path.stat().st_size for path in folder.iterdir())
    if size > REFERENCE_LIMIT_BYTES:
        raise ValueError(f"reference results of {table} are {size / 2**20:.1f} MB, over the 2 MB limit")


def _replace(out: Path, built: Path) -> None:
    """Put the finished folder `built` at `out`, in place of what was there."""
    if out.exists():
        shutil.rmtree(out)
    built.rename(out)


def ship(
    *, study_dir: str | os.PathLike, table: str, out: str | os.PathLike, wall_time_s: float, add: bool = False
) -> Path:
    """Copy study `study_dir`'s final results into `out` (replacing what was there, atomically: built
    in a temporary folder beside it, then renamed), with provenance.json: the table, the training
    code hash, `wall_time_s`, each training job's time, and one part (the study's variants and
    datasets, commit, machine and wall time). With `add`, a shipped `out` keeps its rows of other
    variants or datasets and gains this study's (`combine`). Refuses a study whose results are
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
        wall_time_s = round(float(wall_time_s), 1)
        study = read_config(study_dir / STUDY_RECORD)
        runs_of = {variant: list(study["datasets"]) for variant in study["variants"]}
        part = {"runs": runs_of, "commit": commit, "machine": _machine(), "wall_time_s": wall_time_s}
        write_json(
            {
                "table": table,
                "training_source_hash": source_hash(TRAINING_SCRIPT),
                "wall_time_s": wall_time_s,
                "job_time_s": _job_times(runs),
                "parts": [part],
            },
            building / PROVENANCE,
        )
        _check_size(building, table)
        if add and (out / PROVENANCE).is_file():
            combine(part=building, into=out)
        else:
            _replace(out, building)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return out


def combine(*, part: str | os.PathLike, into: str | os.PathLike) -> Path:
    """Add the reference folder `part` (a study of some of a table's variants on some of its
    datasets, e.g. shipped from another checkout or machine) to the reference folder `into`,
    atomically: `into` keeps its rows of the (dataset, variant) pairs `part` lacks, and takes
    `part`'s rows, runs and job times for the others. The summary and the tests are recomputed from
    the combined final metrics (stats.summarise_final and stats.compare_with_baseline, as the
    workflow's rules compute them), so a variant of one part is tested against the baseline of
    another. Refuses folders of different tables, of different training code (provenance's
    training_source_hash), whose study settings differ in anything but their variants and
    datasets, or that set a variant differently when `into` keeps some of its rows: their rows
    would not be one table's."""
    part, into = Path(part), Path(into)
    records = {folder: read_json(folder / PROVENANCE) for folder in (into, part)}
    studies = {folder: read_config(folder / Path(STUDY_RECORD).name) for folder in (into, part)}
    old, new = records[into], records[part]
    if old["table"] != new["table"]:
        raise ValueError(f"{part} holds reference runs of {new['table']} and {into} of {old['table']}")
    if old["training_source_hash"] != new["training_source_hash"]:
        raise ValueError(
            f"{part} was made with training code {new['training_source_hash'][:12]} and {into} with "
            f"{old['training_source_hash'][:12]}: a table's rows must share their training code; rerun "
            f"the whole table (make replicate TABLE={old['table']})"
        )
    differs = sorted(
        key for key in studies[into].keys() | studies[part].keys()
        if key not in ("variants", "datasets") and studies[into].get(key) != studies[part].get(key)
    )  # fmt: skip
    if differs:
        raise ValueError(
            f"{part} and {into} were run with different study settings ({', '.join(differs)}); only their "
            "variants and datasets may differ"
        )
    finals = {folder: read_parquet(folder / FINAL_METRICS) for folder in (into, part)}
    replaced = shipped_runs(finals[part])
    staying = {variant for _, variant in shipped_runs(finals[into]) - replaced}
    redefined = [
        v for v in studies[part]["variants"]
        if v in staying and studies[part]["variants"][v] != studies[into]["variants"].get(v)
    ]  # fmt: skip
    if redefined:
        raise ValueError(
            f"{part} and {into} set {', '.join(redefined)} differently and {into} keeps rows of it: a variant's "
            "rows must share its settings; run it on every dataset again"
        )
    datasets = [
        *studies[into]["datasets"],
        *(d for d in studies[part]["datasets"] if d not in studies[into]["datasets"]),
    ]
    variants = {**studies[into]["variants"], **studies[part]["variants"]}
    study = {**studies[into], "datasets": datasets, "variants": variants}

    def joined(old_rows: pd.DataFrame, new_rows: pd.DataFrame) -> pd.DataFrame:
        kept = [run not in replaced for run in _row_runs(old_rows)]
        return pd.concat([old_rows[kept], new_rows], ignore_index=True)

    metrics = joined(finals[into], finals[part])
    software = pd.concat(
        [read_parquet(into / Path(SOFTWARE_TABLE).name), read_parquet(part / Path(SOFTWARE_TABLE).name)]
    )
    kept_parts = [{**p, "runs": _without(p["runs"], replaced)} for p in parts(old, studies[into])]
    all_parts = [p for p in kept_parts if p["runs"]] + parts(new, studies[part])
    job_times = {
        job: seconds
        for job, seconds in old["job_time_s"].items()
        if (job.split("/", 1)[0], base_variant(job.split("/", 1)[1])) not in replaced
    }
    building = Path(tempfile.mkdtemp(prefix=f".{into.name}-", dir=into.parent))
    try:
        write_parquet(metrics, building / FINAL_METRICS)
        runs_table = Path(RUNS_TABLE).name
        write_parquet(joined(read_parquet(into / runs_table), read_parquet(part / runs_table)), building / runs_table)
        write_parquet(summarise_final(metrics), building / Path(SUMMARY_TABLE).name)
        tests = compare_with_baseline(
            metrics, baseline=BASELINE, variants=list(study["variants"]), sweeps=resolve_study(study).sweep_bases
        )
        write_parquet(tests, building / Path(TESTS_TABLE).name)
        software = software.groupby(["stage", "item", "value"], sort=False, as_index=False)["outputs"].sum()
        write_parquet(software, building / Path(SOFTWARE_TABLE).name)
        write_text(yaml.safe_dump(study, sort_keys=False), building / Path(STUDY_RECORD).name)
        write_json(
            {
                "table": old["table"],
                "training_source_hash": old["training_source_hash"],
                "wall_time_s": round(sum(p["wall_time_s"] for p in all_parts), 1),
                "job_time_s": {**job_times, **new["job_time_s"]},
                "parts": all_parts,
            },
            building / PROVENANCE,
        )
        _check_size(building, old["table"])
        _replace(into, building)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return into


REFERENCE_DIR = TRAINING_SCRIPT.parents[2] / "reference"  # one folder per published table, committed
CONFIG_DIR = TRAINING_SCRIPT.parents[2] / "config"  # each table's full config: config/<table>.yaml


@dataclasses.dataclass(frozen=True)
class Reference:
    """One shipped reference study: the published table it replicates, its summary across seeds,
    its study record (the config with defaults filled in) and its provenance; `not_run`: the
    variants of the table's config (config/<table>.yaml) that the shipped rows leave out, each with
    the datasets it lacks, () where it lacks all of the config's (`make replicate TABLE=...
    VARIANTS=... [DATASETS=...]` runs some of them)."""

    table: str
    summary: pd.DataFrame
    study: dict
    provenance: dict
    not_run: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def parts(self) -> list[dict]:
        """The studies its rows come from (`parts`), in the order they were shipped."""
        return parts(self.provenance, self.study)

    @property
    def runs(self) -> set[tuple[str, str]]:
        """The (dataset, variant) pairs it has rows of."""
        return shipped_runs(self.summary)


def _not_run(planned: dict, shipped: set[tuple[str, str]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The variants of config `planned` without rows on some of its datasets: (variant, the
    datasets it lacks, or () for all of them)."""
    lacking = []
    for variant in planned.get("variants", {}):
        missing = tuple(d for d in planned["datasets"] if (d, variant) not in shipped)
        if missing:
            lacking.append((variant, () if len(missing) == len(planned["datasets"]) else missing))
    return tuple(lacking)


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
        summary = read_parquet(folder / Path(SUMMARY_TABLE).name)
        planned = read_config(config) if config.is_file() else {}
        references.append(
            Reference(
                table=provenance["table"],
                summary=summary,
                study=study,
                provenance=provenance,
                not_run=_not_run(planned, shipped_runs(summary)),
            )
        )
    return references
