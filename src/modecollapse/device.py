"""Where a training job computes: its torch device, its GPU among concurrent jobs, CUDA's precision and determinism."""

from __future__ import annotations

import fcntl
import os
import re
import tempfile
import warnings
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


def float32_precision(device: str) -> str:
    """The float32 precision a training step on `device` computes in: "tf32" where CUDA may use TF32
    for matrix products or convolutions (set_float32_precision), else "float32" (always on the CPU,
    where the flags have no effect)."""
    cuda = torch.device(device).type == "cuda"
    return "tf32" if cuda and (torch.backends.cuda.matmul.allow_tf32 or torch.backends.cudnn.allow_tf32) else "float32"


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


def gpu_slots_dir() -> Path:
    """Where every study's training jobs on this machine take their GPU slots (claim_gpu): one folder
    per user and set of visible GPUs in the machine's local temporary directory, so that two studies
    spread over the GPUs together (slots in each study's own directory both took GPU 0), and the
    locks live on a local file system, not on a cluster's shared one."""
    visible = re.sub(r"[^0-9A-Za-z,-]", "_", os.environ.get("CUDA_VISIBLE_DEVICES", "all")) or "none"
    return Path(tempfile.gettempdir()) / f"modecollapse-gpu-slots-{os.getuid()}" / visible


def claim_gpu(slots: str | os.PathLike, device_count: int) -> tuple[str, IO | None]:
    """A CUDA device for this job among `device_count`, so that concurrent jobs on one machine
    spread over its GPUs: the job holds the first free slot k (an exclusive lock on
    `slots`/slot{k}.lock, which the system releases when the process ends, a crash included) and
    trains on cuda:{k mod device_count}. With several jobs per GPU (`--resources gpu=N`, N above
    the GPU count) slots k and k + device_count share a device. Returns the device and the open
    lock file (None when no lock was taken), to keep open while training.

    With one visible GPU there is nothing to spread, and no lock is taken: under SLURM a job sees
    only its own GPUs (CUDA_VISIBLE_DEVICES). Where the slots cannot be locked at all (a network file
    system without locking, a read-only folder), the job warns and picks cuda:{pid mod device_count}
    instead of failing: the spread is then by chance, the training the same."""
    if device_count < 1:
        raise ValueError(f"no CUDA device to claim (device_count={device_count})")
    if device_count == 1:
        return "cuda:0", None
    folder = Path(slots)
    slot = 0
    try:
        folder.mkdir(parents=True, exist_ok=True)
        while True:
            handle = open(folder / f"slot{slot}.lock", "a")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return f"cuda:{slot % device_count}", handle
            except BlockingIOError:  # taken by a running job: try the next slot
                handle.close()
                slot += 1
            except OSError:
                handle.close()
                raise
    except OSError as error:
        device = f"cuda:{os.getpid() % device_count}"
        warnings.warn(
            f"GPU slots in {folder} cannot be locked ({type(error).__name__}: {error}); training on {device}, "
            "chosen by process id, so concurrent jobs may share a GPU while another is idle",
            stacklevel=2,
        )
        return device, None
