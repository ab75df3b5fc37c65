"""Atomic file writes, and reads that name the file they fail on.

Every output appears whole under its final name or not at all, with the permissions that the
umask gives a new file. A file that exists but cannot be read (truncated, overwritten, not what
its name says) raises UnreadableFile with its path and what to do; `set_aside_unreadable` finds
such files before a workflow run and renames them, so that Snakemake rebuilds them.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.parquet

UNREADABLE_SUFFIX = ".unreadable"  # a set-aside file: name.unreadable, with its reason in name.unreadable.txt
METADATA_KEY = b"modecollapse.provenance"  # the Arrow schema metadata key of write_parquet's `metadata`


class UnreadableFile(RuntimeError):
    """A file that exists but cannot be read as what its name says it is."""

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path, self.reason = Path(path), reason
        super().__init__(
            f"{path}: cannot be read ({reason}); the file is damaged, truncated or not what its name says. "
            f"Delete it and rerun: the workflow rebuilds it from its inputs (a file you placed by hand: "
            f"place a good copy)."
        )


def _reason(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}".strip().rstrip(":")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it onto `path` only if the block succeeds.

    The temporary file lives in the same directory, so the final `os.replace` is atomic
    on POSIX file systems; a killed process leaves at most a `.tmp` file that no rule trusts.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.fchmod(fd, 0o666 & ~_umask())  # mkstemp creates 0600, and the rename would keep it
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_parquet(frame: pd.DataFrame, path: str | os.PathLike, *, metadata: dict | None = None) -> None:
    """Write `frame` (without its index); `metadata`, when given, goes with it as JSON under
    METADATA_KEY in the Arrow schema metadata, so that what produced a table travels inside it
    (read it back with read_parquet_metadata)."""
    table = pyarrow.Table.from_pandas(frame, preserve_index=False)
    if metadata is not None:
        table = table.replace_schema_metadata(
            {**(table.schema.metadata or {}), METADATA_KEY: json.dumps(metadata, sort_keys=True)}
        )
    with atomic_path(path) as tmp:
        pyarrow.parquet.write_table(table, tmp)


def write_json(obj: Any, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n")


def write_text(text: str, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_npz(path: str | os.PathLike, **arrays: np.ndarray) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:  # a file object stops numpy from appending ".npz"
            np.savez(handle, **arrays)


def read_json(path: str | os.PathLike) -> Any:
    try:
        return json.loads(Path(path).read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UnreadableFile(path, _reason(error)) from None


def read_parquet(path: str | os.PathLike, **options) -> pd.DataFrame:
    try:
        return pd.read_parquet(path, **options)
    except (pyarrow.ArrowException, OSError) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise UnreadableFile(path, _reason(error)) from None


def read_parquet_metadata(path: str | os.PathLike) -> dict:
    """The `metadata` that write_parquet stored in the Parquet file `path` ({} when it has none),
    without reading the data."""
    try:
        stored = (pyarrow.parquet.read_schema(path).metadata or {}).get(METADATA_KEY)
    except (pyarrow.ArrowException, OSError) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise UnreadableFile(path, _reason(error)) from None
    if stored is None:
        return {}
    try:
        return json.loads(stored)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UnreadableFile(path, f"its {METADATA_KEY.decode()} metadata: {_reason(error)}") from None


BENCHMARK_COLUMNS = {"s": "wall_s", "cpu_time": "cpu_s", "max_rss": "max_rss_mb"}  # Snakemake's name -> ours
# The job a benchmark row belongs to, before its BENCHMARK_COLUMNS in results/benchmarks.parquet
BENCHMARK_KEYS = ("stage", "dataset", "variant", "seeds")


def read_benchmark(path: str | os.PathLike) -> dict[str, float]:
    """The last record of a Snakemake `benchmark:` file (tab-separated; a rule benchmarked with
    `repeat` has several): wall-clock seconds, CPU seconds and peak resident memory in MB, NaN
    where Snakemake could not measure it ("NA", e.g. a job too short to sample)."""
    try:
        table = pd.read_csv(path, sep="\t", na_values=["NA", "-"])
        record = table.iloc[-1]
        return {ours: float(record[theirs]) for theirs, ours in BENCHMARK_COLUMNS.items()}
    except FileNotFoundError:
        raise
    except (ValueError, KeyError, IndexError, OSError, UnicodeDecodeError, pd.errors.ParserError) as error:
        raise UnreadableFile(path, f"not a Snakemake benchmark table: {_reason(error)}") from None


def read_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Every array of an .npz archive (no pickled objects)."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except (zipfile.BadZipFile, EOFError, ValueError, OSError) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise UnreadableFile(path, _reason(error)) from None


def check_readable(path: str | os.PathLike) -> None:
    """Raise UnreadableFile when `path` (.parquet, .npz, .pt or .json) is not whole: cheap checks that
    catch truncation and overwriting (a Parquet footer, a zip directory and each member's CRC,
    a JSON parse) without loading the data. Other suffixes are not checked."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    try:
        if path.suffix == ".parquet":
            pyarrow.parquet.read_metadata(path)
        elif path.suffix in (".npz", ".pt"):  # torch.save writes a zip archive too
            with zipfile.ZipFile(path) as archive:
                bad = archive.testzip()
            if bad is not None:
                raise zipfile.BadZipFile(f"member {bad} fails its CRC")
        elif path.suffix == ".json":
            read_json(path)
    except UnreadableFile:
        raise
    except (pyarrow.ArrowException, zipfile.BadZipFile, EOFError, OSError) as error:
        raise UnreadableFile(path, _reason(error)) from None


def set_aside(path: str | os.PathLike, reason: str) -> Path:
    """Rename `path` to path.unreadable (replacing an older one) beside a note of why; returns the new path."""
    path = Path(path)
    aside = path.with_name(path.name + UNREADABLE_SUFFIX)
    write_text(f"{reason}\n", aside.with_name(aside.name + ".txt"))
    os.replace(path, aside)
    return aside


def set_aside_unreadable(paths: Iterable[str | os.PathLike], *, log=sys.stderr) -> list[Path]:
    """Check each existing file of `paths` (check_readable) and set aside the unreadable ones with a
    warning on `log` that names each, so that a workflow run rebuilds them instead of trusting them
    (or failing on them in every later job). Returns the paths set aside."""
    aside = []
    for path in map(Path, paths):
        try:
            check_readable(path)
        except FileNotFoundError:
            continue
        except UnreadableFile as error:
            moved = set_aside(path, error.reason)
            print(
                f"modecollapse: warning: {path} cannot be read ({error.reason}); moved to {moved} and rebuilding it",
                file=log,
            )
            aside.append(path)
    return aside
