"""The prepared device check (benchmarks/gpu_check.sh): its CPU-runnable parts, argument handling and
the clean stop where no GPU is present (its measurements need a GPU; BENCHMARKS.md, "On a GPU")."""

import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from conftest import REPO

SCRIPT = REPO / "benchmarks" / "gpu_check.sh"


def _check(*args, **env):
    return subprocess.run(
        ["bash", str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "PYTHON": sys.executable, **env},
    )


@pytest.mark.parametrize("args", [[], ["a", "b", "c"], ["--help"]])
def test_wrong_arguments_get_the_usage(args):
    result = _check(*args)
    assert result.returncode == 64
    assert result.stderr == "gpu_check: usage: benchmarks/gpu_check.sh OUT_DIR [WHEELS_DIR]\n"


def test_a_wheels_dir_that_is_not_there_is_named(tmp_path):
    result = _check(str(tmp_path / "out"), str(tmp_path / "no-wheels"))
    assert result.returncode == 64 and f"WHEELS_DIR {tmp_path / 'no-wheels'} is not a directory" in result.stderr


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU: the check would run")
def test_without_a_gpu_it_stops_at_once_with_one_line_and_writes_nothing(tmp_path):
    started = time.monotonic()
    result = _check(str(tmp_path / "out"))
    assert time.monotonic() - started < 30  # seconds: torch's import, nothing measured
    assert result.returncode == 2 and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("gpu_check: no CUDA GPU visible")
    assert not (tmp_path / "out").exists()


def test_its_parts_fit_eight_minutes():
    """The parts' time limits (`part NAME SECONDS ...`, `limit N` scaled by 1) add up to at most 8 minutes
    of the 15 a lent GPU gives, leaving room for a rerun."""
    import re

    text = SCRIPT.read_text()
    limits = [int(n) for n in re.findall(r'^\s*part "[^"]+" "?\$?\(?(?:limit )?(\d+)\)?"?', text, flags=re.MULTILINE)]
    loops = len(re.findall(r"^for kernels in deterministic nondeterministic; do", text, flags=re.MULTILINE))
    assert len(limits) == 5 and loops == 1
    throughput = int(re.search(r'part "member-steps/s[^"]*" "\$\(limit (\d+)\)"', text).group(1))
    assert sum(limits) + throughput <= 8 * 60  # the throughput part runs twice, once per kind of kernels
