"""The workflow at home in the Snakemake ecosystem: `snakemake --lint` and snakefmt are clean,
training asks a cluster for time and memory from its size, `make` keeps each study in its own
directory, and `snakemake --report` gives an HTML report that a real browser renders."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import REPO

BIN = Path(sys.executable).parent


def _small_study(tmp_path, *, variants=("gan-ns", "wgan-gp"), steps=100) -> Path:
    """config/smoke.yaml cut to ring8 and `variants`, no sweeps, `steps` training steps."""
    study = yaml.safe_load((REPO / "config" / "smoke.yaml").read_text())
    study.update(datasets=["ring8"], variants=dict.fromkeys(variants, {}), sweeps={})
    study["train"]["steps"] = steps
    config = tmp_path / "study.yaml"
    config.write_text(yaml.safe_dump(study))
    return config


def _snakemake(*args, cwd=REPO, timeout=600):
    return subprocess.run([str(BIN / "snakemake"), *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def test_snakemake_lint_finds_nothing(tmp_path):
    result = _snakemake("--lint", "--directory", str(tmp_path))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Lints for" not in output and "warning" not in output.lower(), output
    assert "Congratulations, your workflow is in a good condition!" in output


@pytest.mark.parametrize("command", [["format", "--check"], ["check"]], ids=["format", "lint"])
def test_ruff_finds_the_python_code_formatted_and_clean(command):
    """The Python code at the workflow's 120 columns (pyproject.toml [tool.ruff]): formatted, lines
    within 120, imports sorted, no unused names."""
    result = subprocess.run([str(BIN / "ruff"), *command, "."], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_snakefmt_leaves_the_workflow_unchanged():
    result = subprocess.run(
        [str(BIN / "snakefmt"), "--check", "workflow/"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("device", "minutes"),
    [
        # 3 x about 2.7 ms a member-step (cost.py's CPU line: a 2.5 ms overhead and these small nets'
        # batch x weights) x 2 members x (100,000 steps + 2,000 snapshots of 10 batches at a third of a
        # step each) = 28 minutes; unrolled-5 ~ 6x the steps' work, the snapshots the same
        ("auto", {"gan-ns": 28, "unrolled-5": 158}),
        # a GPU step of small nets costs its launch-bound floor, 10 ms, and 1.5x for deterministic kernels:
        # 3 x 1.5 x 10 ms x (100,000 + 6,667) = 80 minutes
        ("cuda", {"gan-ns": 80, "unrolled-5": 455}),
    ],
)
def test_training_asks_for_time_from_steps_members_updates_and_device(tmp_path, device, minutes):
    config = _small_study(tmp_path, variants=("gan-ns", "unrolled-5"), steps=100_000)
    result = _snakemake(
        "-n", "--configfile", str(config), "--config", f"device={device}", "--directory", str(tmp_path / "run")
    )
    assert result.returncode == 0, result.stdout + result.stderr
    training = [job for job in result.stdout.split("\nrule ") if job.startswith("train_seeds_0_1:")]
    jobs = [re.search(r"run=(\S+)\n\s+resources: .*?mem_mb=(\d+).*?runtime=(\d+)", job).groups() for job in training]
    runtime = {run: int(minutes) for run, _, minutes in jobs}
    assert runtime == minutes
    assert all(1500 < int(mem_mb) < 4000 for _, mem_mb, _ in jobs)


def test_a_paper_scale_gpu_job_asks_for_hours_not_the_cpu_estimates_weeks(tmp_path):
    """PacGAN Table 1's GAN job (10 members of PacGAN's 2D nets, 400,000 steps, 20 snapshots of 25
    batches): on the H100's recorded floor, 3 x 1.5 (deterministic kernels) x (400,000 + 167) x 10 ms
    = 301 minutes, where the CPU estimate would ask a cluster for about five days, more than a GPU
    partition allows."""

    def runtimes(device):
        result = _snakemake(
            "-n",
            "--configfile",
            "config/pacgan-table1.yaml",
            "--config",
            f"device={device}",
            "--directory",
            str(tmp_path / device),
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return dict(
            re.findall(
                r"^rule train_seeds\S*:\n(?:    .*\n)*?    wildcards: dataset=ring8, run=(\S+)\n"
                r"    resources: .*?runtime=(\d+)",
                result.stdout,
                flags=re.MULTILINE,
            )
        )

    cuda = runtimes("cuda")
    assert cuda["gan-ns"] == "301" and cuda["pacgan-4"] == "1201"  # G runs once per pack slot
    assert int(runtimes("cpu")["gan-ns"]) > 4 * 24 * 60


@pytest.mark.parametrize(
    ("arguments", "directory"),
    [
        ([], "."),
        (["CONFIG=config/paper.yaml"], "studies/paper"),
        (["CONFIG=config/paper.yaml", "DIR=/tmp/x"], "/tmp/x"),
    ],
)
def test_make_runs_each_study_in_its_own_directory(arguments, directory):
    result = subprocess.run(["make", "-n", "paper", *arguments], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert f"--directory {directory} " in result.stdout


@pytest.mark.parametrize(("device", "gpus"), [("cuda", "1"), ("auto", "0")])
def test_the_slurm_profile_asks_one_gpu_for_every_training_job_of_a_cuda_study(tmp_path, device, gpus):
    """What each job would ask SLURM for, from the profile's dry run: training jobs, whatever
    their seed group, one GPU when the study trains on CUDA (the executor passes gpu=1 as
    --gpus=1) and none otherwise; no other job asks for one."""
    config = _small_study(tmp_path)
    result = _snakemake(
        "-n",
        "--profile",
        "profiles/slurm",
        "--configfile",
        str(config),
        "--config",
        f"device={device}",
        "--directory",
        str(tmp_path / "run"),
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    jobs = re.findall(r"^(?:local)?rule (\S+):\n(?:    .*\n)*?    resources: (.*)$", result.stdout, flags=re.MULTILINE)
    requests = {
        rule: dict(item.split("=", 1) for item in resources.split(", ")).get("gpu", "0") for rule, resources in jobs
    }
    assert {rule for rule in requests if rule.startswith("train_seeds")} == {"train_seeds_0_1"}
    assert all(gpu == (gpus if rule.startswith("train_seeds") else "0") for rule, gpu in requests.items()), requests


def test_make_test_fast_needs_no_tex():
    result = subprocess.run(["make", "-n", "test-fast"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "pytest" in result.stdout and "latexmk" not in result.stdout


def test_the_readme_shows_the_seed_spread_figure_committed_small():
    """README's picture: the default study's figures/spread.png as `make readme-figure` copies it."""
    readme = (REPO / "README.md").read_text()
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme)
    assert pictures == ["docs/images/spread.png"]
    picture = REPO / pictures[0]
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and picture.stat().st_size < 300_000
    assert "cp figures/spread.png docs/images/spread.png" in (REPO / "Makefile").read_text()


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.slow
@pytest.mark.needs_tex
@pytest.mark.skipif(
    _chromium() is None, reason="no chromium on PATH for the screenshot (Debian: apt-get install chromium)"
)
def test_the_html_report_of_a_finished_study_renders_in_a_browser(tmp_path):
    config, run = _small_study(tmp_path), tmp_path / "run"
    result = _snakemake("--cores", "2", "--configfile", str(config), "--directory", str(run))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = run / "report.html"
    result = _snakemake("--configfile", str(config), "--directory", str(run), "--report", str(report))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    html = report.read_text()
    assert "mode collapse across GAN variants and seeds" in html  # workflow.rst
    assert "ring8" in html and "wgan-gp" in html  # filled in from the study
    for name in (
        "summary.csv",
        "tests.csv",
        "software.csv",
        "benchmarks.csv",
        "study.yaml",
    ):  # the tables and the configuration
        assert name in html, name

    screenshot = tmp_path / "report.png"
    result = subprocess.run(
        [
            _chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--screenshot={screenshot}",
            "--window-size=1400,1000",
            report.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert screenshot.is_file(), result.stderr[-3000:]
    import matplotlib.image

    pixels = matplotlib.image.imread(screenshot)
    assert pixels.shape[:2] == (1000, 1400)
    assert np.var(pixels[..., :3]) > 0.01  # text, a sidebar and the graph of jobs, not a blank page
