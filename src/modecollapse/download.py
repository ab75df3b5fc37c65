"""MNIST files: download from mirrors with pinned SHA-256, and read or write the IDX format."""

from __future__ import annotations

import gzip
import hashlib
import http.client
import logging
import math
import os
import struct
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from .io import atomic_path

LOGGER = logging.getLogger("modecollapse.download")

# SHA-256 of the four .gz files as distributed on LeCun, Cortes & Burges, "THE MNIST DATABASE of
# handwritten digits" (http://yann.lecun.com/exdb/mnist/); the ossci-datasets mirror (torchvision's)
# and the cvdf-datasets mirror (TensorFlow's) serve the same bytes unchanged. Not verified by hashing
# here (the build machine has no internet): cross-checked against many independent public loaders
# that pin the same four values. torchvision pins MD5 for the same files instead.
MNIST_FILES: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

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
    """No mirror delivered a file whose SHA-256 matches the pinned one."""


class _ChecksumMismatch(Exception):
    def __init__(self, actual: str):
        super().__init__(actual)
        self.actual = actual


class _NetworkError(Exception):
    """No HTTP answer, or the connection failed mid-body; local disk errors are not wrapped in it."""


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
) -> list[Path]:
    """Make each file of `files` (name → expected SHA-256 hex) present and verified in `directory`.

    A file already there with the expected SHA-256 is kept without any network access; one with
    another checksum is deleted and fetched again. A missing file is fetched from `mirrors` (base
    URLs, tried in order, `retries_per_mirror` attempts each, `backoff_s` × attempt seconds apart;
    `timeout` is in seconds per connect or read), streamed into a temporary file beside its final
    name while hashed, and renamed onto that name only if the SHA-256 matches. A mismatch or an
    HTTP 404/410 moves on to the next mirror at once; network errors and other HTTP errors are retried.

    Returns the final paths in the order of `files`. Raises DownloadError saying "SHA-256 mismatch"
    with the file name and URL when mirrors served only corrupted copies, and an offline message
    (the missing file names and the absolute directory to place them in) when no mirror could be reached.
    """
    if not mirrors:
        raise ValueError("download_files needs at least one mirror base URL")
    if retries_per_mirror < 1:
        raise ValueError(f"retries_per_mirror must be >= 1, got {retries_per_mirror}")
    directory = Path(directory).resolve()
    for name in files:
        if not name or Path(name).name != name or name in (".", ".."):
            raise ValueError(f"file name {name!r} must be a bare name, without directories")

    missing = []
    for name, expected in files.items():
        target = directory / name
        if not target.is_file():
            missing.append(name)
            continue
        actual = sha256_of(target)
        if actual == expected.lower():
            LOGGER.info("%s is present with the expected SHA-256; not downloading", target)
        else:
            LOGGER.warning("%s has SHA-256 %s, expected %s: deleting it to download again", target, actual, expected)
            target.unlink()
            missing.append(name)

    for position, name in enumerate(missing):
        failures = _download_one(
            name=name,
            expected=files[name].lower(),
            mirrors=mirrors,
            target=directory / name,
            timeout=timeout,
            retries_per_mirror=retries_per_mirror,
            backoff_s=backoff_s,
        )
        if failures is not None:
            still_missing = {other: files[other] for other in missing[position:]}
            raise DownloadError(
                _failure_message(name=name, failures=failures, missing=still_missing, directory=directory, mirrors=mirrors)
            )
    return [directory / name for name in files]


def _download_one(
    *,
    name: str,
    expected: str,
    mirrors: Sequence[str],
    target: Path,
    timeout: float,
    retries_per_mirror: int,
    backoff_s: float,
) -> list[tuple[str, str, str]] | None:
    """Fetch one file; None on success, else (url, kind, detail) per failed attempt, kind ∈ {mismatch, http, network}."""
    failures: list[tuple[str, str, str]] = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + urllib.parse.quote(name)
        for attempt in range(1, retries_per_mirror + 1):
            if attempt > 1:
                time.sleep(backoff_s * (attempt - 1))
            LOGGER.info("downloading %s (attempt %d of %d)", url, attempt, retries_per_mirror)
            try:
                with atomic_path(target) as tmp:
                    actual = _stream(url, tmp, timeout=timeout)
                    if actual != expected:
                        raise _ChecksumMismatch(actual)  # atomic_path deletes tmp; target is untouched
            except _ChecksumMismatch as mismatch:
                LOGGER.warning("SHA-256 mismatch for %s from %s: got %s, expected %s", name, url, mismatch.actual, expected)
                failures.append((url, "mismatch", mismatch.actual))
                break
            except urllib.error.HTTPError as error:
                error.close()
                LOGGER.warning("%s: HTTP %d %s", url, error.code, error.reason)
                failures.append((url, "http", f"HTTP {error.code} {error.reason}"))
                if error.code in _GONE:
                    break
            except _NetworkError as error:
                LOGGER.warning("%s: %s", url, error)
                failures.append((url, "network", str(error)))
            else:
                LOGGER.info("saved %s (SHA-256 verified)", target)
                return None
    return failures


def _stream(url: str, destination: Path, *, timeout: float) -> str:
    """Copy the body at `url` into `destination`, returning its SHA-256 computed on the way.

    HTTP error statuses raise urllib.error.HTTPError, network failures _NetworkError; an OSError
    from the local file (disk full, no permission) propagates unchanged, so it is never taken for "offline".
    """
    request = urllib.request.Request(url, headers={"User-Agent": "modecollapse"})
    digest = hashlib.sha256()
    with open(destination, "wb") as out:
        try:
            response = urllib.request.urlopen(request, timeout=timeout)
        except urllib.error.HTTPError:
            raise
        except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
            raise _NetworkError(_describe(error)) from error
        with response:
            while True:
                try:
                    chunk = response.read(_CHUNK_BYTES)
                except (OSError, http.client.HTTPException) as error:
                    raise _NetworkError(_describe(error)) from error
                if not chunk:
                    break
                digest.update(chunk)
                out.write(chunk)
    return digest.hexdigest()


def _describe(error: Exception) -> str:
    reason = getattr(error, "reason", None) or error  # URLError wraps the socket error in .reason
    return f"{type(reason).__name__}: {reason}"


def _failure_message(
    *,
    name: str,
    failures: list[tuple[str, str, str]],
    missing: Mapping[str, str],
    directory: Path,
    mirrors: Sequence[str],
) -> str:
    placement = (
        f"To run offline, place these files in {directory}:\n"
        + "\n".join(f"  {file}  (SHA-256 {digest})" for file, digest in missing.items())
    )
    tried = "Mirrors tried: " + ", ".join(mirrors)
    per_attempt = "\n".join(f"  {url}: {detail}" for url, kind, detail in failures if kind != "mismatch")
    mismatches = [(url, detail) for url, kind, detail in failures if kind == "mismatch"]
    if mismatches:
        served = "\n".join(f"  {url} served SHA-256 {actual}" for url, actual in mismatches)
        return (
            f"SHA-256 mismatch for {name}: no mirror served a copy with the expected SHA-256 {missing[name]}.\n"
            f"{served}\n" + (f"Other failures:\n{per_attempt}\n" if per_attempt else "") + f"{tried}\n{placement}"
        )
    if all(kind == "network" for _, kind, _ in failures):
        return (
            f"No MNIST mirror could be reached (offline?); {len(missing)} file(s) are missing from {directory}: "
            f"{', '.join(missing)}.\n{tried}\nErrors:\n{per_attempt}\n{placement}"
        )
    return f"Could not download {name} from any mirror:\n{per_attempt}\n{tried}\n{placement}"


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (gzip-compressed or not) into an array of its shape and dtype, in native byte order.

    Format (LeCun et al., "THE MNIST DATABASE", section "THE IDX FILE FORMAT"): a 4-byte magic number
    (two zero bytes, a type code: 0x08 ubyte, 0x09 byte, 0x0B short, 0x0C int, 0x0D float, 0x0E double,
    then the number of dimensions), one big-endian uint32 per dimension, then the data, big-endian,
    last index fastest. Compression is detected by the gzip magic bytes, so the suffix does not matter.
    Raises ValueError on a bad magic number, a truncated file or trailing bytes.
    """
    path = Path(path)
    raw = path.read_bytes()
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


def load_mnist(directory: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read the four MNIST files in `directory` (no download, no checksum) into arrays.

    Keys train_images, test_images (uint8, n × 28 × 28) and train_labels, test_labels (uint8, n,
    digits 0-9), as in LeCun et al., "THE MNIST DATABASE". Raises FileNotFoundError for a missing
    file and ValueError when shapes, dtypes or labels are not MNIST's.
    """
    directory = Path(directory)
    absent = [name for name in MNIST_SPLITS.values() if not (directory / name).is_file()]
    if absent:
        raise FileNotFoundError(
            f"MNIST files missing from {directory.resolve()}: {', '.join(absent)} (fetch them with download_files)"
        )
    arrays = {key: read_idx(directory / name) for key, name in MNIST_SPLITS.items()}
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != MNIST_IMAGE_SHAPE:
            raise ValueError(f"{split} images: expected uint8 n×28×28, got {images.dtype} {images.shape}")
        if labels.dtype != np.uint8 or labels.shape != images.shape[:1]:
            raise ValueError(f"{split} labels: expected uint8 of shape {images.shape[:1]}, got {labels.dtype} {labels.shape}")
        if labels.size and labels.max() >= MNIST_CLASSES:
            raise ValueError(f"{split} labels: found {labels.max()}, expected digits 0-9")
    return arrays
