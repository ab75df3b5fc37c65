"""Where a training job computes: its torch device, its GPU among concurrent jobs, CUDA's precision and determinism."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

import torch


def resolve_device(device: str) -> str:
    """Map the config's `device` (auto|cpu|cuda) to a torch device; auto picks CUDA when present."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("config asks for device: cuda, but torch sees no CUDA device; use auto or cpu")
    return device


def set_float32_precision(*, tf32: bool) -> None:
    """Whether CUDA may compute float32 matrix products and convolutions in TF32 (config `tf32`).
    PyTorch's defaults differ between the two (TF32 allowed for cuDNN convolutions, not for
    matmuls), so a study's precision would otherwise depend on which layers its networks use; set
    both, once per process, before training. No effect on the CPU."""
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32


def use_deterministic_cuda() -> None:
    """Ask for deterministic CUDA kernels before the first CUDA call: cuDNN picks and runs its
    convolutions deterministically (no autotuning; the conv kernels it would otherwise choose made
    image runs differ after 200 steps on an H100), cuBLAS gets a fixed workspace, and any op
    without a deterministic kernel warns in the job's log (torch.use_deterministic_algorithms,
    warn_only). For CUDA jobs only: the CPU path is deterministic already."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # read when cuBLAS starts
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
    torch.use_deterministic_algorithms(True, warn_only=True)
    # deterministic mode also fills every new tensor with NaN (a kernel launch per allocation):
    # a guard against reading memory never written, which no step does (draw buffers are filled
    # before they are read), so it is turned off in a loop bound by launches
    torch.utils.deterministic.fill_uninitialized_memory = False


def claim_gpu(slots: str | os.PathLike, device_count: int) -> tuple[str, IO]:
    """A CUDA device for this job among `device_count`, so that concurrent jobs on one machine
    spread over its GPUs: the job holds the first free slot k (an exclusive lock on
    `slots`/slot{k}.lock, which the system releases when the process ends, a crash included) and
    trains on cuda:{k mod device_count}. With several jobs per GPU (`--resources gpu=N`, N above
    the GPU count) slots k and k + device_count share a device. Returns the device and the open
    lock file, to keep open while training. Under SLURM a job sees only its own GPUs
    (CUDA_VISIBLE_DEVICES), so its device count is its allocation and its device cuda:0 or within it."""
    if device_count < 1:
        raise ValueError(f"no CUDA device to claim (device_count={device_count})")
    folder = Path(slots)
    folder.mkdir(parents=True, exist_ok=True)
    slot = 0
    while True:
        handle = open(folder / f"slot{slot}.lock", "a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return f"cuda:{slot % device_count}", handle
        except BlockingIOError:
            handle.close()
            slot += 1
