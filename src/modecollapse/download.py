"""MNIST files: download from mirrors (pinned SHA-256 and size, a deadline per file), read them
checked against the pinned SHA-256, and read or write the IDX format."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.client
import logging
import math
import os
import signal
import struct
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .io import atomic_path

LOGGER = logging.getLogger("modecollapse.download")


class PinnedFile(NamedTuple):
    """What a file must be: its SHA-256 (hex), which decides, and its size in bytes, which caps a download."""

    sha256: str
    size: int


# SHA-256 and sizes of the four .gz files as distributed on LeCun, Cortes & Burges, "THE MNIST
# DATABASE of handwritten digits" (http://yann.lecun.com/exdb/mnist/; the page states each size);
# the ossci-datasets mirror (torchvision's) and the cvdf-datasets mirror (TensorFlow's) serve the
# same bytes unchanged. Not verified by hashing here (the build machine has no internet):
# cross-checked against many independent public loaders that pin the same four values, and against
# public download logs for the sizes. torchvision pins MD5 for the same files instead.
MNIST_FILES: dict[str, PinnedFile] = {
    "train-images-idx3-ubyte.gz": PinnedFile(
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", 9_912_422
    ),
    "train-labels-idx1-ubyte.gz": PinnedFile(
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", 28_881
    ),
    "t10k-images-idx3-ubyte.gz": PinnedFile(
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", 1_648_877
    ),
    "t10k-labels-idx1-ubyte.gz": PinnedFile("f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", 4_542),
}

# A download is cut off once it passes its pinned size by this much: a mirror streaming without end
# stops early, while a copy only slightly off still arrives whole and is reported by its SHA-256.
SIZE_MARGIN_BYTES = 1 << 16
# Seconds one file may take, all mirrors and retries together (~17 kB/s for the 9.9 MB training images).
DEFAULT_DEADLINE_S = 600.0

# Base URLs tried in order; a config may replace them (e.g. with an institutional mirror).
DEFAULT_MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",  # torchvision's mirror
    "https://storage.googleapis.com/cvdf-datasets/mnist/",  # TensorFlow's mirror
    "http://yann.lecun.com/exdb/mnist/",  # the original page; often refuses scripted downloads
)

# load_mnist's keys → file names.
MNIST_SPLITS: dict[str, str] = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
MNIST_IMAGE_SHAPE = (28, 28)
MNIST_CLASSES = 10

_CHUNK_BYTES = 1 << 16
_GONE = (404, 410)  # HTTP statuses that will not change on a retry: go to the next mirror

# IDX type codes → big-endian dtypes (LeCun et al., "THE MNIST DATABASE", section "THE IDX FILE FORMAT").
_IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


class DownloadError(RuntimeError):
    """No mirror delivered a file whose SHA-256 matches the pinned one within the file's deadline."""


class ChecksumError(ValueError):
    """A file on disk whose SHA-256 is not the pinned one, whoever put it there."""

    def __init__(self, path: Path, *, expected: str, actual: str):
        super().__init__(
            f"SHA-256 mismatch for {path.resolve()}: expected {expected}, found {actual}; the file is damaged, "
            f"truncated or not the pinned one (placed by hand?). Delete it and rerun to download it again, "
            f"or place the right file there."
        )


# What one failed attempt leads to.
_RETRY, _NEXT_MIRROR, _GIVE_UP = "retry", "next mirror", "give up"


class _AttemptFailed(Exception):
    """One download attempt failed: `kind` (network, http, mismatch, too large, deadline) names why for the
    final message, `then` says what comes next; local disk errors are never wrapped in it."""

    def __init__(self, kind: str, detail: str, *, then: str):
        super().__init__(detail)
        self.kind, self.detail, self.then = kind, detail, then


def sha256_of(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def download_files(
    *,
    files: Mapping[str, str],
    mirrors: Sequence[str],
    directory: str | os.PathLike,
    timeout: float = 30.0,
    retries_per_mirror: int = 2,
    backoff_s: float = 1.0,
    deadline_s: float = DEFAULT_DEADLINE_S,
) -> list[Path]:
    """Make each file of `files` (name → PinnedFile) present and verified in `directory`.

    A file already there with the expected SHA-256 is kept without any network access; one with
    another checksum is deleted and fetched again. A missing file is fetched from `mirrors` (base
    URLs, tried in order, `retries_per_mirror` attempts each, `backoff_s` × attempt seconds apart;
    `timeout` is in seconds per connect or read), streamed into a temporary file beside its final
    name while hashed, and renamed onto that name only if the SHA-256 matches. A mismatch, a body
    longer than the pinned size plus SIZE_MARGIN_BYTES (cut off there) or an HTTP 404/410 moves on to
    the next mirror at once; network errors and other HTTP errors are retried. Each file has
    `deadline_s` seconds, all mirrors and retries together, enforced between reads (so to within one
    `timeout`). SIGTERM, as SIGINT, stops the download with the temporary file removed (exit status
    143); outside the main thread, where no signal handler can be set, SIGTERM keeps its own handler.

    Returns the final paths in the order of `files`. Raises DownloadError saying "SHA-256 mismatch"
    with the file name and URL when mirrors served only corrupted copies, the deadline when it passed,
    and an offline message when no mirror could be reached; each names the missing files and the
    absolute directory to place them in.
    """
    if not mirrors:
        raise ValueError("download_files needs at least one mirror base URL")
    if retries_per_mirror < 1:
        raise ValueError(f"retries_per_mirror must be >= 1, got {retries_per_mirror}")
    if not deadline_s > 0:
        raise ValueError(f"deadline_s must be a positive number of seconds, got {deadline_s}")
    directory = Path(directory).resolve()
    for name in files:
        if not name or Path(name).name != name or name in (".", ".."):
            raise ValueError(f"file name {name!r} must be a bare name, without directories")

    missing = []
    for name, pinned in files.items():
        target = directory / name
        if not target.is_file():
            missing.append(name)
            continue
        actual = sha256_of(target)
        if actual == pinned.sha256.lower():
            LOGGER.info("%s is present with the expected SHA-256; not downloading", target)
        else:
            LOGGER.warning(
                "%s has SHA-256 %s, expected %s: deleting it to download again", target, actual, pinned.sha256
            )
            target.unlink()
            missing.append(name)

    with _sigterm_exits():
        for position, name in enumerate(missing):
            failures = _download_one(
                pinned=files[name],
                mirrors=mirrors,
                target=directory / name,
                timeout=timeout,
                retries_per_mirror=retries_per_mirror,
                backoff_s=backoff_s,
                deadline_s=deadline_s,
            )
            if failures is not None:
                still_missing = {other: files[other] for other in missing[position:]}
                raise DownloadError(
                    _failure_message(
                        name=name,
                        failures=failures,
                        missing=still_missing,
                        directory=directory,
                        mirrors=mirrors,
                        deadline_s=deadline_s,
                    )
                )
    return [directory / name for name in files]


@contextlib.contextmanager
def _sigterm_exits() -> Iterator[None]:
    """Within the block, SIGTERM (from `timeout`, SLURM, a killed Snakemake job) raises SystemExit(143)
    as SIGINT raises KeyboardInterrupt, so that `finally:` blocks remove temporary files; the previous
    handler is restored afterwards. Only the main thread may set handlers: elsewhere, nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)  # None: set outside Python


def _exit_on_signal(signum: int, frame) -> None:
    raise SystemExit(128 + signum)  # the status a shell reports for a process ended by that signal


def _download_one(
    *,
    pinned: PinnedFile,
    mirrors: Sequence[str],
    target: Path,
    timeout: float,
    retries_per_mirror: int,
    backoff_s: float,
    deadline_s: float,
) -> list[tuple[str, str, str]] | None:
    """Fetch one file within `deadline_s`; None on success, else (url, kind, detail) per failed attempt."""
    failures: list[tuple[str, str, str]] = []
    deadline = time.monotonic() + deadline_s
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + urllib.parse.quote(target.name)
        for attempt in range(1, retries_per_mirror + 1):
            if attempt > 1:
                time.sleep(min(backoff_s * (attempt - 1), max(0.0, deadline - time.monotonic())))
            LOGGER.info("downloading %s (attempt %d of %d)", url, attempt, retries_per_mirror)
            try:
                if time.monotonic() >= deadline:
                    raise _AttemptFailed("deadline", "not tried: the deadline had passed", then=_GIVE_UP)
                with atomic_path(target) as tmp:  # on any failure atomic_path deletes tmp; target is untouched
                    actual = _stream(
                        url, tmp, timeout=timeout, max_bytes=pinned.size + SIZE_MARGIN_BYTES, deadline=deadline
                    )
                    if actual != pinned.sha256.lower():
                        raise _AttemptFailed("mismatch", f"served SHA-256 {actual}", then=_NEXT_MIRROR)
            except _AttemptFailed as failure:
                LOGGER.warning("%s: %s", url, failure.detail)
                failures.append((url, failure.kind, failure.detail))
                if failure.then == _GIVE_UP:
                    return failures
                if failure.then == _NEXT_MIRROR:
                    break
            else:
                LOGGER.info("saved %s (SHA-256 verified)", target)
                return None
    return failures


def _stream(url: str, destination: Path, *, timeout: float, max_bytes: int, deadline: float) -> str:
    """Copy the body at `url` into `destination`, returning its SHA-256 computed on the way.

    Stops as soon as the body passes `max_bytes` (or announces more) or time.monotonic() passes
    `deadline`; each read takes what has arrived, so a mirror dripping bytes cannot hold a read past
    the deadline by more than `timeout`. Failures raise _AttemptFailed; an OSError from the local file
    (disk full, no permission) propagates unchanged, so it is never taken for "offline".
    """
    request = urllib.request.Request(url, headers={"User-Agent": "modecollapse"})
    digest, received = hashlib.sha256(), 0
    with open(destination, "wb") as out:
        with _network_errors():
            response = urllib.request.urlopen(request, timeout=timeout)
        with response:
            announced = response.headers.get("Content-Length", "")  # file:// URLs announce it too
            if announced.isdigit() and int(announced) > max_bytes:
                raise _AttemptFailed(
                    "too large",
                    f"announced {announced} bytes, more than the {max_bytes} allowed; not read",
                    then=_NEXT_MIRROR,
                )
            while chunk := _read_some(response):
                received += len(chunk)
                if received > max_bytes:
                    raise _AttemptFailed(
                        "too large",
                        f"sent more than {max_bytes} bytes, the most allowed; stopped reading",
                        then=_NEXT_MIRROR,
                    )
                if time.monotonic() > deadline:
                    raise _AttemptFailed(
                        "deadline", f"still sending at the deadline, after {received} bytes", then=_GIVE_UP
                    )
                digest.update(chunk)
                out.write(chunk)
    return digest.hexdigest()


def _read_some(response: http.client.HTTPResponse) -> bytes:
    """What has arrived of the body, up to _CHUNK_BYTES, waiting at most the socket timeout; b"" at its end."""
    with _network_errors():
        return response.read1(_CHUNK_BYTES)


@contextlib.contextmanager
def _network_errors() -> Iterator[None]:
    """Turn what the network raises in the block into _AttemptFailed: an HTTP error status (final for
    that mirror when 404/410), no answer, or a connection failing mid-body. Only errors from the
    network may run in the block: an OSError from a local file must not be taken for "offline"."""
    try:
        yield
    except urllib.error.HTTPError as error:
        error.close()
        then = _NEXT_MIRROR if error.code in _GONE else _RETRY
        raise _AttemptFailed("http", f"HTTP {error.code} {error.reason}", then=then) from error
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        raise _AttemptFailed("network", _describe(error), then=_RETRY) from error


def _describe(error: Exception) -> str:
    reason = getattr(error, "reason", None) or error  # URLError wraps the socket error in .reason
    return f"{type(reason).__name__}: {reason}"


def _failure_message(
    *,
    name: str,
    failures: list[tuple[str, str, str]],
    missing: Mapping[str, PinnedFile],
    directory: Path,
    mirrors: Sequence[str],
    deadline_s: float,
) -> str:
    """Why `name` could not be fetched (the deadline, corrupted copies, no network, or else), every
    failed attempt, and which files to place where to run offline."""
    kinds = {kind for _, kind, _ in failures}
    if failures[-1][1] == "deadline":
        headline = (
            f"{name} did not arrive within its deadline of {deadline_s:g} s (all mirrors and retries together): "
            f"a slow or stalled mirror? Use a faster mirror, raise the deadline, or place the files by hand."
        )
    elif "mismatch" in kinds:
        headline = (
            f"SHA-256 mismatch for {name}: no mirror served a copy with the expected SHA-256 {missing[name].sha256}."
        )
    elif kinds == {"network"}:
        headline = (
            f"No MNIST mirror could be reached (offline?); {len(missing)} file(s) are missing from {directory}: "
            f"{', '.join(missing)}."
        )
    else:
        headline = f"Could not download {name} from any mirror."
    attempts = "\n".join(f"  {url}: {detail}" for url, _, detail in failures)
    placement = "\n".join(
        f"  {file}  (SHA-256 {pinned.sha256}, {pinned.size} bytes)" for file, pinned in missing.items()
    )
    return (
        f"{headline}\nAttempts:\n{attempts}\nMirrors tried: {', '.join(mirrors)}\n"
        f"To run offline, place these files in {directory}:\n{placement}"
    )


def read_idx(path: str | os.PathLike, *, sha256: str | None = None) -> np.ndarray:
    """Read an IDX file (gzip-compressed or not) into an array of its shape and dtype, in native byte order.

    With `sha256`, the file must have that SHA-256, else ChecksumError: hashed from the very bytes
    that are parsed, so a file is read once and what is checked is what is used.

    Format (LeCun et al., "THE MNIST DATABASE", section "THE IDX FILE FORMAT"): a 4-byte magic number
    (two zero bytes, a type code: 0x08 ubyte, 0x09 byte, 0x0B short, 0x0C int, 0x0D float, 0x0E double,
    then the number of dimensions), one big-endian uint32 per dimension, then the data, big-endian,
    last index fastest. Compression is detected by the gzip magic bytes, so the suffix does not matter.
    Raises ValueError on a bad magic number, a truncated file or trailing bytes.
    """
    path = Path(path)
    raw = path.read_bytes()
    if sha256 is not None and (actual := hashlib.sha256(raw).hexdigest()) != sha256.lower():
        raise ChecksumError(path, expected=sha256.lower(), actual=actual)
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (EOFError, OSError, zlib.error) as error:
            raise ValueError(f"{path}: corrupt or truncated gzip stream ({error})") from error
    if len(raw) < 4:
        raise ValueError(f"{path}: truncated IDX file: {len(raw)} bytes, shorter than the 4-byte magic number")
    zero, type_code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or type_code not in _IDX_DTYPES:
        raise ValueError(
            f"{path}: bad IDX magic number 0x{raw[:4].hex()}: expected 0x0000 then a type code in "
            f"{{{', '.join(f'0x{code:02X}' for code in _IDX_DTYPES)}}} and the number of dimensions"
        )
    header_bytes = 4 + 4 * ndim
    if len(raw) < header_bytes:
        raise ValueError(f"{path}: truncated IDX header: {ndim} dimensions need {header_bytes} bytes, found {len(raw)}")
    shape = struct.unpack(f">{ndim}I", raw[4:header_bytes])
    dtype = _IDX_DTYPES[type_code]
    data_bytes = math.prod(shape) * dtype.itemsize
    found = len(raw) - header_bytes
    if found < data_bytes:
        raise ValueError(f"{path}: truncated IDX data: shape {shape} needs {data_bytes} bytes, found {found}")
    if found > data_bytes:
        raise ValueError(f"{path}: {found - data_bytes} trailing bytes after the IDX data of shape {shape}")
    array = np.frombuffer(raw, dtype=dtype, count=math.prod(shape), offset=header_bytes).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # a writable copy torch.from_numpy accepts


def write_idx(array: np.ndarray, path: str | os.PathLike) -> None:
    """Write `array` as an IDX file (format of read_idx), gzip-compressed when `path` ends in .gz; atomic.

    The dtype must be one IDX can hold (uint8, int8, int16, int32, float32, float64); others are
    refused rather than cast. The gzip header carries no time stamp, so equal arrays give equal bytes.
    """
    array = np.asarray(array)
    codes = {dtype.newbyteorder("="): code for code, dtype in _IDX_DTYPES.items()}
    native = array.dtype.newbyteorder("=")
    if native not in codes:
        raise ValueError(f"IDX cannot hold dtype {array.dtype}; use one of {sorted(str(d) for d in codes)}")
    if array.ndim > 255 or any(size >= 2**32 for size in array.shape):
        raise ValueError(f"IDX cannot hold shape {array.shape}")
    payload = (
        struct.pack(">HBB", 0, codes[native], array.ndim)
        + struct.pack(f">{array.ndim}I", *array.shape)
        + np.ascontiguousarray(array, dtype=native.newbyteorder(">")).tobytes()
    )
    if str(path).endswith(".gz"):
        payload = gzip.compress(payload, mtime=0)
    with atomic_path(path) as tmp:
        tmp.write_bytes(payload)


def load_mnist(directory: str | os.PathLike, *, files: Mapping[str, PinnedFile] = MNIST_FILES) -> dict[str, np.ndarray]:
    """Read the four MNIST files in `directory` (no download) into arrays, each checked against its
    SHA-256 in `files` as it is read, whoever put it there: a file copied by hand is no exception.

    Keys train_images, test_images (uint8, n × 28 × 28) and train_labels, test_labels (uint8, n,
    digits 0-9), as in LeCun et al., "THE MNIST DATABASE". Raises FileNotFoundError for a missing
    file, ChecksumError (a ValueError) for one that is not the pinned file, and ValueError when
    shapes, dtypes or labels are not MNIST's.
    """
    directory = Path(directory)
    absent = [name for name in MNIST_SPLITS.values() if not (directory / name).is_file()]
    if absent:
        raise FileNotFoundError(
            f"MNIST files missing from {directory.resolve()}: {', '.join(absent)} (fetch them with download_files)"
        )
    arrays = {key: read_idx(directory / name, sha256=files[name].sha256) for key, name in MNIST_SPLITS.items()}
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != MNIST_IMAGE_SHAPE:
            raise ValueError(f"{split} images: expected uint8 n×28×28, got {images.dtype} {images.shape}")
        if labels.dtype != np.uint8 or labels.shape != images.shape[:1]:
            raise ValueError(
                f"{split} labels: expected uint8 of shape {images.shape[:1]}, got {labels.dtype} {labels.shape}"
            )
        if labels.size and labels.max() >= MNIST_CLASSES:
            raise ValueError(f"{split} labels: found {labels.max()}, expected digits 0-9")
    return arrays
