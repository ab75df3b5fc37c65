"""What produced a result: package versions, the code's commit and hash, and the table of what computed each stage."""

from __future__ import annotations

import hashlib
import modulefinder
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from . import __version__

# Every installed distribution that computes or stores a number of the results (POT: optimal transport)
PACKAGES = ("torch", "numpy", "scipy", "scikit-learn", "POT", "pandas", "pyarrow")
# The stages whose outputs carry a provenance record, in the order the data flows
STAGES = ("classifier", "training", "evaluation")
SOFTWARE_COLUMNS = ("stage", "item", "value", "outputs")
PROVENANCE_ITEMS = ("Python", "GPU", "CUDA", "code commit")  # software_table's items beside the packages


def git_commit(path: Path = Path(__file__).parent) -> str:
    """HEAD of the repository holding `path`, with "-dirty" when tracked files differ; "unknown" outside git."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(path), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("-dirty" if dirty else "")


class _PackageFinder(modulefinder.ModuleFinder):
    """A ModuleFinder that follows imports inside this package only: third-party and standard
    modules are neither searched nor scanned (scanning torch's would take minutes)."""

    def import_module(self, partname, fqname, parent):
        if fqname.partition(".")[0] != __package__:
            return None  # as if not found
        return super().import_module(partname, fqname, parent)


def package_sources(script: str | os.PathLike) -> dict[str, Path]:
    """Module name -> source file of every module of this package that `script` imports, directly
    or through other modules, at the top level or inside functions (the package's __init__ too)."""
    finder = _PackageFinder(path=[str(Path(__file__).resolve().parents[1])])
    finder.run_script(os.fspath(script))
    return {
        name: Path(module.__file__) for name, module in finder.modules.items() if name.partition(".")[0] == __package__
    }


def source_hash(script: str | os.PathLike) -> str:
    """SHA-256 over the names and bytes of the package modules `script` uses (package_sources).

    A workflow rule carries it in its params: Snakemake's code trigger sees only the script, so
    without it an edit to, say, metrics.py would leave the old numbers in place. Bytes, not syntax
    trees: a comment-only edit reruns too, which is safe."""
    digest = hashlib.sha256()
    for name, path in sorted(package_sources(script).items()):
        digest.update(f"{name} {hashlib.sha256(path.read_bytes()).hexdigest()}\n".encode())
    return digest.hexdigest()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:  # importable from a source tree without being installed
        return "unknown"


def accelerator(device: str | None) -> dict:
    """The GPU's name and the CUDA version torch was built with, when `device` is a CUDA device;
    {} otherwise (CPU results need no more than the package versions)."""
    if device is None or not str(device).startswith("cuda"):
        return {}
    import torch  # only here: provenance() is cheap for scripts that never touch torch

    return {"gpu": torch.cuda.get_device_name(device), "cuda": torch.version.cuda}


def provenance(*, device: str | None = None) -> dict:
    """What produced a result: the versions of modecollapse and of every package in PACKAGES, the
    Python version, the git commit, and the GPU and CUDA version when `device` is a CUDA device."""
    return {
        "versions": {"modecollapse": __version__, **{name: _version(name) for name in PACKAGES}},
        "python": platform.python_version(),
        "git_commit": git_commit(),
        **accelerator(device),
    }


def cpu_name() -> str:
    """The processor's model name and core count, for benchmark records."""
    try:
        with open("/proc/cpuinfo") as handle:
            models = [line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")]
        return f"{models[0]} ({len(models)} cores)"
    except (OSError, IndexError):
        return platform.machine()


def short_commit(commit: str) -> str:
    """A commit as `git_commit` gives it, shortened for the report: 12 hex digits and any "-dirty"; "unknown" as is."""
    return commit if commit == "unknown" else commit[:12] + ("-dirty" if commit.endswith("-dirty") else "")


def software_table(records: Mapping[str, Sequence[Mapping[str, Any]]]) -> pd.DataFrame:
    """What computed the outputs of each stage, from their provenance records (`provenance`:
    a run.json, a metrics.parquet's metadata, a classifier's metrics.json): one row per stage, item
    (a package, Python, GPU, CUDA, code commit) and value, with how many outputs recorded it, so
    that outputs made with different versions show as two rows, not one."""
    counts: dict[tuple[str, str, str], int] = {}
    for stage, stage_records in records.items():
        for record in stage_records:
            items = {
                **record.get("versions", {}),
                "Python": record.get("python", "unknown"),
                "GPU": record.get("gpu", "none (CPU)"),
                "CUDA": record.get("cuda", "--"),
                "code commit": short_commit(record.get("git_commit", "unknown")),
            }
            for item, value in items.items():
                counts[stage, item, str(value)] = counts.get((stage, item, str(value)), 0) + 1
    rows = [(stage, item, value, n) for (stage, item, value), n in counts.items()]
    return pd.DataFrame(rows, columns=list(SOFTWARE_COLUMNS)).astype({"outputs": np.int64})
