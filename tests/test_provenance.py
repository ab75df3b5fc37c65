"""The hash of the library code a workflow script runs: which modules it covers, and when it changes."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

from modecollapse.provenance import package_sources, source_hash

PLOTTING_SCRIPT = "import json\nimport numpy as np\n\nfrom modecollapse.plots import coverage_figure\n"


def script(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "script.py"
    path.write_text(text)
    return path


def test_sources_follow_imports_through_modules_but_not_out_of_the_package(tmp_path):
    sources = package_sources(script(tmp_path, PLOTTING_SCRIPT))
    # plots imports io and metrics; json and numpy are not this package's
    assert set(sources) == {"modecollapse", "modecollapse.plots", "modecollapse.io", "modecollapse.metrics"}
    assert sources["modecollapse"] == REPO / "src" / "modecollapse" / "__init__.py"
    assert sources["modecollapse.metrics"] == REPO / "src" / "modecollapse" / "metrics.py"


def test_sources_include_imports_inside_functions_and_relative_ones(tmp_path):
    sources = package_sources(script(tmp_path, "def later():\n    from modecollapse import stats\n"))
    # stats imports .evaluate, which imports `from . import metrics` and, inside a function, .classifier
    assert {"modecollapse.stats", "modecollapse.evaluate", "modecollapse.metrics", "modecollapse.classifier"} <= set(
        sources
    )
    assert "modecollapse.plots" not in sources


def test_workflow_scripts_use_what_they_should(tmp_path):
    scripts = REPO / "workflow" / "scripts"
    assert "modecollapse.metrics" not in package_sources(scripts / "train.py")  # evaluation code never retrains
    assert "modecollapse.plots" in package_sources(scripts / "coverage_figure.py")
    assert "modecollapse.metrics" in package_sources(scripts / "tables.py")  # through paper.tables
    # a subpackage's modules, through its relative imports: compiling the PDF needs the LaTeX driver alone
    paper = package_sources(scripts / "build_paper.py")
    assert {"modecollapse.paper", "modecollapse.paper.latex", "modecollapse.io"} <= set(paper)
    assert "modecollapse.metrics" not in paper


def hash_in(src: Path, script_path: Path) -> str:
    """source_hash computed in a fresh interpreter that imports modecollapse from `src`."""
    return subprocess.run(
        [
            sys.executable,
            "-c",
            f"from modecollapse.provenance import source_hash; print(source_hash({str(script_path)!r}))",
        ],
        env=os.environ | {"PYTHONPATH": str(src)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_hash_is_the_same_in_another_interpreter(tmp_path):
    path = script(tmp_path, PLOTTING_SCRIPT)
    assert source_hash(path) == hash_in(REPO / "src", path)  # no dependence on set order or hash seeds
    assert len(source_hash(path)) == 64


@pytest.fixture
def copy(tmp_path):
    """A copy of the package's source tree, to edit."""
    shutil.copytree(
        REPO / "src" / "modecollapse", tmp_path / "src" / "modecollapse", ignore=shutil.ignore_patterns("__pycache__")
    )
    return tmp_path / "src"


def test_hash_changes_with_the_code_the_script_uses_and_only_with_it(copy, tmp_path):
    path = script(tmp_path, PLOTTING_SCRIPT)
    before = hash_in(copy, path)
    assert before == source_hash(path)  # the copy's source is the repository's
    metrics = copy / "modecollapse" / "metrics.py"
    original = metrics.read_bytes()
    metrics.write_bytes(original + b"# a comment\n")  # used through plots
    assert hash_in(copy, path) != before
    metrics.write_bytes(original)
    assert hash_in(copy, path) == before  # the content counts, not the modification time
    train = copy / "modecollapse" / "train.py"
    train.write_bytes(train.read_bytes() + b"# a comment\n")  # not used by the script
    assert hash_in(copy, path) == before


# --- the record of what computed a result ----------------------------------------------------


def test_provenance_names_every_package_that_computes_a_number():
    from importlib import metadata

    from modecollapse.provenance import provenance

    versions = provenance()["versions"]
    for name in ("torch", "numpy", "scipy", "scikit-learn", "POT", "pandas", "pyarrow"):
        assert versions[name] == metadata.version(name)  # installed, so never "unknown"


def test_a_cpu_run_records_no_gpu_and_a_cuda_run_its_gpu_and_cuda():
    import torch

    from modecollapse.provenance import provenance

    assert "gpu" not in provenance(device="cpu") and "cuda" not in provenance()
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device: the GPU record is checked on a machine with one")
    record = provenance(device="cuda")
    assert record["gpu"] == torch.cuda.get_device_name("cuda") and record["gpu"]
    assert record["cuda"] == torch.version.cuda and record["cuda"]


# --- how to cite and reuse the project ---------------------------------------------------------


def test_citation_file_has_the_required_cff_keys_and_the_package_version():
    import tomllib

    import yaml

    citation = yaml.safe_load((REPO / "CITATION.cff").read_text())
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert citation["cff-version"] == "1.2.0"  # checked with `cffconvert --validate` too
    assert {"message", "title", "authors"} <= set(citation) and all(citation[key] for key in ("message", "title"))
    assert citation["authors"] == [{"name": "The modecollapse authors"}]
    assert citation["version"] == project["version"]
    assert citation["license"] == project["license"]["text"] == "MIT"


def test_license_is_mit_with_the_authors_copyright():
    text = (REPO / "LICENSE").read_text()
    assert text.startswith("MIT License\n\nCopyright (c) 2026 the modecollapse authors\n")
    assert 'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND' in text
