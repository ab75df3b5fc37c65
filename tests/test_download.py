"""MNIST download and IDX reading, against a real HTTP server on 127.0.0.1 serving tiny test files."""

import gzip
import hashlib
import http.server
import json
import logging
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from conftest import REPO

from modecollapse.download import (
    MNIST_FILES,
    MNIST_SPLITS,
    SIZE_MARGIN_BYTES,
    DownloadError,
    PinnedFile,
    download_files,
    load_mnist,
    read_idx,
    write_idx,
)

# Short enough that the hanging mirror costs little, long enough for a loopback answer on a busy CPU.
TIMEOUT_S = 1.0
ENDLESS_BYTES = 64 << 20  # what an "endless" mirror sends at most, so that a client without a cap still ends
DRIP_INTERVAL_S = 0.05  # a "drip" mirror sends one byte this often: every read answers well within the timeout


class _Handler(http.server.BaseHTTPRequestHandler):
    """GET /<mirror>/<file>: the server's routes say what that mirror does for that file."""

    def do_GET(self):
        server = self.server
        server.requests.append(self.path)
        server.observe()
        mirror, _, name = self.path.lstrip("/").partition("/")
        action = server.routes.get(mirror, {}).get(name, 404)
        if action == "hang":  # never answers within the client's timeout
            server.release.wait(timeout=10)
            return
        if action == "close":  # drops the connection without a status line
            self.close_connection = True
            return
        if action == "endless":  # a 200 without a length, then zeros until the client hangs up
            self.send_response(200)
            self.end_headers()
            self._send_slowly([bytes(1 << 16)] * (ENDLESS_BYTES >> 16), interval=0)
            return
        if isinstance(action, tuple):  # ("drip", body): the full length announced, then one byte at a time
            body = action[1]
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self._send_slowly([body[i : i + 1] for i in range(len(body))], interval=DRIP_INTERVAL_S)
            return
        if isinstance(action, int):
            self.send_error(action)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(action)))
        self.end_headers()
        half = len(action) // 2
        self.wfile.write(action[:half])
        self.wfile.flush()
        server.observe()  # mid-body: the client is still receiving this file
        self.wfile.write(action[half:])

    def _send_slowly(self, pieces, *, interval):
        """Send `pieces` one by one, `interval` seconds apart, until the client hangs up or the test ends."""
        for piece in pieces:
            try:
                self.wfile.write(piece)
                self.wfile.flush()
            except OSError:  # the client hung up
                return
            self.server.streaming.set()
            if interval and self.server.release.wait(interval):
                return

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    """A threaded HTTP server on a free loopback port; `routes[mirror][file]` = bytes, a status, "hang",
    "close", "endless" or ("drip", bytes); `streaming` is set once a slow body has begun."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.routes = {}
    httpd.requests = []
    httpd.release = threading.Event()
    httpd.streaming = threading.Event()
    httpd.observe = lambda: None
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd
    httpd.release.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def mirror_url(httpd, mirror):
    return f"http://127.0.0.1:{httpd.server_address[1]}/{mirror}/"


def closed_port_url():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/mnist/"  # nothing listens there any more: connection refused


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def corrupt(data):
    return data[:-1] + bytes([data[-1] ^ 0xFF])


@pytest.fixture
def mnist_like(tmp_path):
    """Tiny valid MNIST-format files (5 train, 3 test): arrays, gzip bytes per file name, and their pinned table."""
    rng = np.random.default_rng(0)
    arrays = {
        "train_images": rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8),
        "train_labels": np.array([0, 9, 3, 3, 7], dtype=np.uint8),
        "test_images": rng.integers(0, 256, size=(3, 28, 28), dtype=np.uint8),
        "test_labels": np.array([1, 2, 8], dtype=np.uint8),
    }
    source = tmp_path / "source"
    blobs = {}
    for key, name in MNIST_SPLITS.items():
        write_idx(arrays[key], source / name)
        blobs[name] = (source / name).read_bytes()
    table = {name: PinnedFile(sha256(blob), len(blob)) for name, blob in blobs.items()}
    assert set(table) == set(MNIST_FILES)  # same names as the real files, test-only digests
    assert not set(digests(table).values()) & set(digests(MNIST_FILES).values())
    return arrays, blobs, table


def digests(table):
    return {name: pinned.sha256 for name, pinned in table.items()}


def final_files(directory):
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def test_downloads_verifies_and_round_trips(server, mnist_like, tmp_path, caplog):
    arrays, blobs, table = mnist_like
    server.routes["a"] = blobs
    directory = tmp_path / "raw"
    with caplog.at_level(logging.INFO, logger="modecollapse.download"):
        paths = download_files(files=table, mirrors=[mirror_url(server, "a")], directory=directory, timeout=TIMEOUT_S)
    assert paths == [directory.resolve() / name for name in table]
    assert {p.name: sha256(p.read_bytes()) for p in paths} == digests(table)
    assert final_files(directory) == sorted(table)  # no temporary files left beside them
    assert any(r.name == "modecollapse.download" and "a/train-images" in r.getMessage() for r in caplog.records)
    loaded = load_mnist(directory, files=table)
    assert loaded.keys() == arrays.keys()
    for key, expected in arrays.items():
        assert loaded[key].dtype == np.uint8
        np.testing.assert_array_equal(loaded[key], expected)


def test_second_call_uses_no_network(server, mnist_like, tmp_path):
    _, blobs, table = mnist_like
    server.routes["a"] = blobs
    directory = tmp_path / "raw"
    first = download_files(files=table, mirrors=[mirror_url(server, "a")], directory=directory, timeout=TIMEOUT_S)
    assert len(server.requests) == len(table)
    server.routes["a"] = {}  # were the network used again, every file would now be a 404
    second = download_files(files=table, mirrors=[mirror_url(server, "a")], directory=directory, timeout=TIMEOUT_S)
    assert second == first
    assert len(server.requests) == len(table)


def test_corrupt_first_mirror_then_good_second(server, mnist_like, tmp_path):
    _, blobs, table = mnist_like
    server.routes["bad"] = {name: corrupt(blob) for name, blob in blobs.items()}
    server.routes["good"] = blobs
    directory = tmp_path / "raw"
    # At every request and in the middle of every body, whatever sits under a final name must be a good copy.
    seen = []
    server.observe = lambda: seen.extend(
        sha256((directory / n).read_bytes()) for n in table if (directory / n).exists()
    )
    paths = download_files(
        files=table,
        mirrors=[mirror_url(server, "bad"), mirror_url(server, "good")],
        directory=directory,
        timeout=TIMEOUT_S,
        backoff_s=0,
    )
    assert {p.name: sha256(p.read_bytes()) for p in paths} == digests(table)
    assert set(seen) <= set(digests(table).values())
    assert len(seen) > 0  # the observer did look at downloaded files
    assert [path for path in server.requests if path.startswith("/bad/")] == [f"/bad/{n}" for n in table]
    assert final_files(directory) == sorted(table)


def test_corrupt_on_every_mirror_fails_and_leaves_nothing(server, mnist_like, tmp_path):
    _, blobs, table = mnist_like
    urls = [mirror_url(server, "m1"), mirror_url(server, "m2")]
    for mirror in ("m1", "m2"):
        server.routes[mirror] = {name: corrupt(blob) for name, blob in blobs.items()}
    directory = tmp_path / "raw"
    directory.mkdir()
    with pytest.raises(DownloadError) as caught:
        download_files(files=table, mirrors=urls, directory=directory, timeout=TIMEOUT_S, backoff_s=0)
    message = str(caught.value)
    first = next(iter(table))
    assert "SHA-256 mismatch" in message
    assert first in message
    for url in urls:
        assert url + first in message
    assert final_files(directory) == []  # neither the final name nor a temporary file


def test_404_on_first_mirror_falls_through(server, mnist_like, tmp_path):
    _, blobs, table = mnist_like
    server.routes["empty"] = {}
    server.routes["full"] = blobs
    directory = tmp_path / "raw"
    paths = download_files(
        files=table,
        mirrors=[mirror_url(server, "empty"), mirror_url(server, "full")],
        directory=directory,
        timeout=TIMEOUT_S,
        retries_per_mirror=3,
        backoff_s=0,
    )
    assert {p.name: sha256(p.read_bytes()) for p in paths} == digests(table)
    # A 404 is final for that mirror: one request per file, not one per retry.
    assert [path for path in server.requests if path.startswith("/empty/")] == [f"/empty/{n}" for n in table]


def test_unreachable_mirrors_give_offline_message(server, mnist_like, tmp_path):
    _, blobs, table = mnist_like
    server.routes["hang"] = {name: "hang" for name in table}
    server.routes["close"] = {name: "close" for name in table}
    urls = [closed_port_url(), mirror_url(server, "hang"), mirror_url(server, "close")]
    directory = tmp_path / "raw"
    directory.mkdir()
    present, stale, *_ = table
    (directory / present).write_bytes(blobs[present])  # valid: kept, not reported missing
    (directory / stale).write_bytes(corrupt(blobs[stale]))  # wrong checksum: deleted, reported missing
    with pytest.raises(DownloadError) as caught:
        download_files(files=table, mirrors=urls, directory=directory, timeout=0.3, retries_per_mirror=2, backoff_s=0)
    message = str(caught.value)
    assert "offline" in message
    assert f"place these files in {directory.resolve()}:" in message
    for name in table:
        assert (f"{name}  (SHA-256 {table[name].sha256}, {table[name].size} bytes)" in message) == (name != present)
    for url in urls:
        assert url in message
    assert "SHA-256 mismatch" not in message
    assert final_files(directory) == [present]
    # Each answering-but-silent mirror was tried retries_per_mirror times, for the first missing file only.
    assert sorted(server.requests) == sorted([f"/hang/{stale}"] * 2 + [f"/close/{stale}"] * 2)


def test_existing_file_with_wrong_checksum_is_replaced(server, mnist_like, tmp_path):
    _, blobs, table = mnist_like
    server.routes["a"] = blobs
    directory = tmp_path / "raw"
    directory.mkdir()
    for name, blob in blobs.items():
        (directory / name).write_bytes(blob)
    stale = "train-labels-idx1-ubyte.gz"
    (directory / stale).write_bytes(corrupt(blobs[stale]))
    paths = download_files(files=table, mirrors=[mirror_url(server, "a")], directory=directory, timeout=TIMEOUT_S)
    assert {p.name: sha256(p.read_bytes()) for p in paths} == digests(table)
    assert server.requests == [f"/a/{stale}"]


def test_read_idx_known_bytes(tmp_path):
    # Hand-built per the IDX description: magic 0x00000B02 (int16, 2 dims), dims 2 and 2, big-endian data.
    raw = struct.pack(">HBB", 0, 0x0B, 2) + struct.pack(">2I", 2, 2) + struct.pack(">4h", 1, 258, -2, 32767)
    (tmp_path / "plain.idx").write_bytes(raw)
    (tmp_path / "compressed.idx").write_bytes(gzip.compress(raw))  # no .gz suffix: found by magic bytes
    for name in ("plain.idx", "compressed.idx"):
        array = read_idx(tmp_path / name)
        assert array.dtype == np.dtype("int16")
        np.testing.assert_array_equal(array, [[1, 258], [-2, 32767]])
    raw = struct.pack(">HBB", 0, 0x0D, 1) + struct.pack(">I", 2) + struct.pack(">2f", 1.5, -0.25)
    (tmp_path / "float.idx").write_bytes(raw)
    np.testing.assert_array_equal(read_idx(tmp_path / "float.idx"), np.array([1.5, -0.25], dtype=np.float32))


@pytest.mark.parametrize(
    "dtype, type_code",
    [("uint8", 0x08), ("int8", 0x09), ("int16", 0x0B), ("int32", 0x0C), ("float32", 0x0D), ("float64", 0x0E)],
)
def test_write_idx_round_trips_every_type(tmp_path, dtype, type_code):
    array = (np.arange(24).reshape(2, 3, 4) - 7).astype(dtype)
    write_idx(array, tmp_path / "x.idx.gz")
    raw = gzip.decompress((tmp_path / "x.idx.gz").read_bytes())
    assert raw[:16] == bytes([0, 0, type_code, 3]) + struct.pack(">3I", 2, 3, 4)
    back = read_idx(tmp_path / "x.idx.gz")
    assert back.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(back, array)


def test_write_idx_refuses_types_idx_cannot_hold(tmp_path):
    with pytest.raises(ValueError, match="int64"):
        write_idx(np.zeros(3, dtype=np.int64), tmp_path / "x.idx")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "magic",
    [b"\x01\x00\x08\x01", b"\x00\x00\x0a\x01", b"PK\x03\x04"],
    ids=["nonzero-prefix", "unknown-type", "not-idx"],
)
def test_read_idx_rejects_bad_magic(tmp_path, magic):
    (tmp_path / "x.idx").write_bytes(magic + struct.pack(">I", 2) + b"\x01\x02")
    with pytest.raises(ValueError, match="magic number"):
        read_idx(tmp_path / "x.idx")


@pytest.mark.parametrize("cut", ["data", "header", "gzip"])
def test_read_idx_rejects_truncated_file(tmp_path, cut):
    write_idx(np.arange(10, dtype=np.uint8).reshape(2, 5), tmp_path / "x.idx")
    raw = (tmp_path / "x.idx").read_bytes()
    assert len(raw) == 4 + 8 + 10
    truncated = {"data": raw[:-3], "header": raw[:7], "gzip": gzip.compress(raw)[:-6]}[cut]
    (tmp_path / "y.idx").write_bytes(truncated)
    with pytest.raises(ValueError, match="truncated"):
        read_idx(tmp_path / "y.idx")


def test_load_mnist_names_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte.gz"):
        load_mnist(tmp_path)


def test_local_file_error_is_not_reported_as_offline(server, mnist_like, tmp_path):
    _, blobs, table = mnist_like
    server.routes["a"] = blobs
    (tmp_path / "a-file").write_text("not a directory")
    with pytest.raises(OSError) as caught:  # the directory cannot be created under a regular file
        download_files(files=table, mirrors=[mirror_url(server, "a")], directory=tmp_path / "a-file" / "raw")
    assert not isinstance(caught.value, DownloadError)


def test_load_mnist_refuses_files_without_the_pinned_sha256(mnist_like, tmp_path):
    """Well-formed MNIST files placed by hand, but not MNIST's: refused where they are read, with the
    file, both checksums and what to do, and no dataset is built from them."""
    from modecollapse.data import write_dataset

    _, blobs, table = mnist_like
    directory = tmp_path / "downloads" / "mnist"
    directory.mkdir(parents=True)
    for name, blob in blobs.items():
        (directory / name).write_bytes(blob)
    first = next(iter(MNIST_SPLITS.values()))
    with pytest.raises(ValueError) as caught:
        load_mnist(directory)
    message = str(caught.value)
    assert f"SHA-256 mismatch for {(directory / first).resolve()}" in message
    assert MNIST_FILES[first].sha256 in message and table[first].sha256 in message
    assert "Delete it and rerun" in message and "place the right file" in message
    with pytest.raises(ValueError, match="SHA-256 mismatch"):
        write_dataset("mnist", n=0, seed=0, path=tmp_path / "mnist.npz", sources={"mnist": directory})
    assert not (tmp_path / "mnist.npz").exists()


def test_endless_mirror_is_cut_off_at_the_size_cap(server, mnist_like, tmp_path):
    _, _, table = mnist_like
    server.routes["endless"] = {name: "endless" for name in table}
    directory = tmp_path / "raw"
    directory.mkdir()
    handler = signal.getsignal(signal.SIGTERM)
    started = time.monotonic()
    with pytest.raises(DownloadError) as caught:
        download_files(files=table, mirrors=[mirror_url(server, "endless")], directory=directory, timeout=TIMEOUT_S)
    assert time.monotonic() - started < 5  # a client without a cap reads all ENDLESS_BYTES, then finds a mismatch
    first = next(iter(table))
    message = str(caught.value)
    assert (
        f"{mirror_url(server, 'endless')}{first}: sent more than {table[first].size + SIZE_MARGIN_BYTES} bytes"
        in message
    )
    assert "SHA-256 mismatch" not in message
    assert server.requests == [f"/endless/{first}"]  # too large is final for that mirror: no retry
    assert final_files(directory) == []  # no .tmp left
    assert signal.getsignal(signal.SIGTERM) is handler  # the SIGTERM handler of the download is undone


def test_file_mirror_downloads_and_is_refused_when_announcing_too_much(mnist_like, tmp_path):
    """file:// mirrors (the config allows them) work, and a body announced larger than the cap is not read."""
    _, _, table = mnist_like
    mirror = (tmp_path / "source").as_uri() + "/"  # where mnist_like wrote the files
    paths = download_files(files=table, mirrors=[mirror], directory=tmp_path / "raw")
    assert {p.name: sha256(p.read_bytes()) for p in paths} == digests(table)
    (tmp_path / "source" / "big.gz").write_bytes(bytes(2 * SIZE_MARGIN_BYTES))
    with pytest.raises(DownloadError) as caught:
        download_files(files={"big.gz": PinnedFile(sha256(b""), 1)}, mirrors=[mirror], directory=tmp_path / "big")
    assert (
        f"{mirror}big.gz: announced {2 * SIZE_MARGIN_BYTES} bytes, more than the {1 + SIZE_MARGIN_BYTES} allowed"
        in str(caught.value)
    )
    assert final_files(tmp_path / "big") == []


def test_slow_drip_mirror_hits_the_deadline(server, mnist_like, tmp_path):
    """Each read gets a byte well within the socket timeout; the file's deadline still ends it."""
    _, blobs, table = mnist_like
    first = next(iter(table))
    server.routes["drip"] = {first: ("drip", blobs[first])}
    server.routes["good"] = blobs
    directory = tmp_path / "raw"
    started = time.monotonic()
    with pytest.raises(DownloadError) as caught:
        download_files(
            files=table,
            mirrors=[mirror_url(server, "drip"), mirror_url(server, "good")],
            directory=directory,
            timeout=TIMEOUT_S,
            deadline_s=1.0,
        )
    assert time.monotonic() - started < 1.0 + TIMEOUT_S + 1.0
    message = str(caught.value)
    assert f"{first} did not arrive within its deadline of 1 s" in message
    assert mirror_url(server, "drip") + first in message
    assert server.requests == [f"/drip/{first}"]  # the deadline covers every mirror: the good one is not tried
    assert final_files(directory) == []


def test_deadline_spans_retries(server, mnist_like, tmp_path):
    _, _, table = mnist_like
    server.routes["hang"] = {name: "hang" for name in table}
    started = time.monotonic()
    with pytest.raises(DownloadError, match="deadline of 1.5 s"):
        download_files(
            files=table,
            mirrors=[mirror_url(server, "hang")],
            directory=tmp_path / "raw",
            timeout=0.4,
            retries_per_mirror=20,
            backoff_s=0,
            deadline_s=1.5,
        )
    assert time.monotonic() - started < 1.5 + 0.4 + 1.0  # 20 attempts of 0.4 s would take 8 s
    assert 2 <= len(server.requests) <= 6
    with pytest.raises(ValueError, match="deadline_s must be a positive number of seconds, got 0"):
        download_files(files=table, mirrors=[mirror_url(server, "hang")], directory=tmp_path / "raw", deadline_s=0)


_DOWNLOAD_IN_SUBPROCESS = """
import json, sys
from modecollapse.download import PinnedFile, download_files
files, mirror, directory = json.loads(sys.argv[1])
files = {name: PinnedFile(*pinned) for name, pinned in files.items()}
download_files(files=files, mirrors=[mirror], directory=directory, timeout=5.0)
"""


def test_sigterm_mid_download_leaves_no_temporary_file(server, mnist_like, tmp_path):
    """As `timeout` or SLURM stop a job: SIGTERM while a body streams in removes the partial file."""
    _, blobs, table = mnist_like
    first = next(iter(table))
    server.routes["drip"] = {first: ("drip", blobs[first])}
    directory = tmp_path / "raw"
    argument = json.dumps([{first: table[first]}, mirror_url(server, "drip"), str(directory)])
    process = subprocess.Popen(
        [sys.executable, "-c", _DOWNLOAD_IN_SUBPROCESS, argument], cwd=REPO, stderr=subprocess.PIPE, text=True
    )
    try:
        assert server.streaming.wait(timeout=30), "the download never started"
        assert [p.name for p in directory.iterdir() if p.name.endswith(".tmp")]  # mid-stream: a partial file exists
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
    finally:
        process.kill()
    assert final_files(directory) == []
    assert process.returncode == 128 + signal.SIGTERM  # as a shell reports a process that SIGTERM ended
    assert "Traceback" not in stderr


def test_downloads_from_a_thread_other_than_main(server, mnist_like, tmp_path):
    """Signal handlers can only be set in the main thread; elsewhere the download still works."""
    _, blobs, table = mnist_like
    server.routes["a"] = blobs
    outcome = []
    thread = threading.Thread(
        target=lambda: outcome.append(
            download_files(
                files=table, mirrors=[mirror_url(server, "a")], directory=tmp_path / "raw", timeout=TIMEOUT_S
            )
        )
    )
    thread.start()
    thread.join(timeout=30)
    assert len(outcome) == 1 and final_files(tmp_path / "raw") == sorted(table)


@pytest.mark.slow
def test_workflow_refuses_hand_placed_files_with_the_wrong_sha256(mnist_like, tmp_path):
    """The user's case: four well-formed files copied into data/downloads/mnist/ are not MNIST; the
    dataset rule fails naming them instead of building data/mnist.npz from them."""
    _, blobs, _ = mnist_like
    workdir = tmp_path / "run"
    directory = workdir / "data" / "downloads" / "mnist"
    directory.mkdir(parents=True)
    for name, blob in blobs.items():
        (directory / name).write_bytes(blob)
    config = tmp_path / "mnist.yaml"
    config.write_text(json.dumps({"datasets": ["mnist"], "seeds": [0], "variants": {"gan-ns": {}}}))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "--cores",
            "1",
            "--configfile",
            str(config),
            "--directory",
            str(workdir),
            "data/mnist.npz",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert not (workdir / "data" / "mnist.npz").exists()
    first = next(iter(MNIST_SPLITS.values()))
    log = (workdir / "logs" / "data" / "mnist.log").read_text()
    assert f"SHA-256 mismatch for {(directory / first).resolve()}" in log and "Traceback" not in log
    assert f"modecollapse: SHA-256 mismatch for {(directory / first).resolve()}" in result.stderr  # on the terminal too
