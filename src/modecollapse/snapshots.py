"""Where a training job keeps its members' snapshots until it writes their samples tables: on disk, not in memory."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .io import atomic_path
from .samples import samples_table, stored_dtype


class SnapshotStore:
    """Each member's snapshots, (step, samples n × dim), in the dtype its samples table stores them in
    (samples.stored_dtype: float16 for images, so the table's numbers are the same).

    Without `folder` they stay in memory (short runs, tests). With `folder` each is written there as
    it is taken, one .npy file a member and step, so that a job holds one snapshot at a time, not all
    of them (PacGAN Table 2: 10 members x 8 snapshots x 26,000 x 2,352 values, 18 GiB in float32),
    and a checkpoint records the files' names (`state`), not their contents."""

    def __init__(self, members: int, image_shape: tuple[int, ...] | None, folder: str | os.PathLike | None = None):
        self.image_shape, self.folder = image_shape, Path(folder) if folder is not None else None
        self.entries: list[list[tuple[int, np.ndarray | str]]] = [[] for _ in range(members)]

    def add(self, step: int, samples: np.ndarray, which: Sequence[int]) -> None:
        """Record `samples` (members × n × dim, on the host) of the members `which` at `step`."""
        for m in which:
            points = np.asarray(samples[m]).astype(stored_dtype(self.image_shape), copy=False)
            if self.folder is None:
                self.entries[m].append((step, points))
                continue
            name = f"member{m}-step{step}.npy"
            with atomic_path(self.folder / name) as tmp, open(tmp, "wb") as handle:
                np.save(handle, points, allow_pickle=False)
            self.entries[m].append((step, name))

    def state(self) -> list[list[tuple[int, np.ndarray | str]]]:
        """What a checkpoint keeps: each member's (step, file name) (or its arrays, without a folder)."""
        return [list(entries) for entries in self.entries]

    def load_state(self, state: list[list[tuple[int, np.ndarray | str]]]) -> None:
        self.entries = [[(int(step), value) for step, value in entries] for entries in state]

    def _points(self, value: np.ndarray | str) -> np.ndarray:
        if isinstance(value, str):
            return np.load(self.folder / value, allow_pickle=False)
        return value

    def table(self, member: int) -> pd.DataFrame:
        """One member's samples table (samples.samples_table), read from its snapshots."""
        return samples_table([(step, self._points(value)) for step, value in self.entries[member]], self.image_shape)

    def remove(self) -> None:
        """Delete the snapshot files (once the samples tables are written)."""
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
