"""What produced a result: package versions and the git commit of the code."""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path

from . import __version__

PACKAGES = ("torch", "numpy", "pandas", "scipy")


def git_commit(path: Path = Path(__file__).parent) -> str:
    """HEAD of the repository holding `path`, with "-dirty" when tracked files differ; "unknown" outside git."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(path), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("-dirty" if dirty else "")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:  # importable from a source tree without being installed
        return "unknown"


def provenance() -> dict:
    return {
        "versions": {"modecollapse": __version__, **{name: _version(name) for name in PACKAGES}},
        "python": platform.python_version(),
        "git_commit": git_commit(),
    }


def cpu_name() -> str:
    """The processor's model name and core count, for benchmark records."""
    try:
        with open("/proc/cpuinfo") as handle:
            models = [line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")]
        return f"{models[0]} ({len(models)} cores)"
    except (OSError, IndexError):
        return platform.machine()
