"""Checkpoints of a training run: the identity one must match to be resumed, its file name, and refusal of others."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pickle
import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .config import TrainSettings
from .device import float32_precision
from .io import atomic_path, set_aside

CHECKPOINT_FORMAT = 3  # 2: no biases before BatchNorm; 3: snapshots as file names, streams without their chunks


class CheckpointMismatch(RuntimeError):
    """A checkpoint written under other settings: refused, never silently reused."""


def run_identity(*, settings: TrainSettings, seeds: list[int], data: np.ndarray, device: str) -> str:
    """What a checkpoint must match to be resumed: settings, seeds, training data, device, and the
    float32 precision in effect for it (device.float32_precision: a CUDA run resumed under the other
    `tf32` setting would mix two precisions in one run)."""
    return json.dumps(
        {
            "format": CHECKPOINT_FORMAT,
            "settings": dataclasses.asdict(settings),
            "seeds": list(seeds),
            "data_sha256": hashlib.sha256(np.ascontiguousarray(data).tobytes()).hexdigest(),
            "device": torch.device(device).type,
            "float32": float32_precision(device),
        },
        sort_keys=True,
    )


def checkpoint_name(identity: str) -> str:
    """A file name unique to the run's identity, so other settings never meet this checkpoint."""
    seeds = json.loads(identity)["seeds"]
    return f"seeds{'-'.join(map(str, seeds))}-{hashlib.sha256(identity.encode()).hexdigest()[:12]}.pt"


def load_checkpoint(path: str | os.PathLike, *, identity: str) -> dict[str, Any] | None:
    """The checkpoint at `path` if it exists; refuse one written under another identity.

    A checkpoint that cannot be read (truncated, overwritten) is set aside as path.unreadable,
    with its reason beside it, and the run starts from scratch with a warning: the checkpoint is
    only ever a shortcut, and the run's results do not depend on it."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(state, dict) or not isinstance(state.get("identity"), str):
            raise ValueError("not a modecollapse checkpoint")
    except (RuntimeError, EOFError, OSError, ValueError, pickle.UnpicklingError, zipfile.BadZipFile) as error:
        reason = f"{type(error).__name__}: {error}".splitlines()[0]
        aside = set_aside(path, reason)
        warnings.warn(
            f"checkpoint {path} cannot be read ({reason}); moved to {aside}, training starts from scratch", stacklevel=2
        )
        return None
    if state.get("identity") != identity:
        saved, wanted = json.loads(state.get("identity", "{}")), json.loads(identity)
        differs = sorted(
            k
            for k in set(saved.get("settings", {})) | set(wanted["settings"])
            if saved.get("settings", {}).get(k) != wanted["settings"].get(k)
        ) + [k for k in ("format", "seeds", "data_sha256", "device", "float32") if saved.get(k) != wanted[k]]
        raise CheckpointMismatch(
            f"checkpoint {path} was written under different settings (differs in: {', '.join(differs)}); "
            f"refusing to resume from it. Delete it to start this run afresh."
        )
    return state


def save_checkpoint(path: str | os.PathLike, state: dict[str, Any]) -> None:
    """Write `state` (its "identity" included, see `load_checkpoint`) to `path` atomically: a job
    killed while writing leaves the previous checkpoint, never half of one."""
    with atomic_path(path) as tmp:
        torch.save(state, tmp)
