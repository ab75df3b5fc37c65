"""Shared fixtures: paths into the repository (read only; tests write under tmp_path), and the
`needs_tex` marker: a test that compiles LaTeX or reads a PDF's text is skipped, naming what is
missing, where TeX is not installed (`make test-fast` runs without it)."""

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "src" / "modecollapse" / "schemas" / "config.schema.yaml"  # modecollapse.config.SCHEMA
# cuBLAS reads its workspace setting once, when it starts: set it before any test touches CUDA, as
# device.use_deterministic_cuda does before a training job's first CUDA call (no effect on the CPU)
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
TEX_PROGRAMS = ("latexmk", "pdflatex", "pdftotext")  # what paper.latex.compile_latex and the PDF checks run


def pytest_runtest_setup(item):
    """Skip a test marked needs_tex when a program of TEX_PROGRAMS is not on PATH."""
    if item.get_closest_marker("needs_tex") is None:
        return
    missing = [program for program in TEX_PROGRAMS if shutil.which(program) is None]
    if missing:
        pytest.skip(
            f"needs TeX: {', '.join(missing)} not on PATH (Debian: apt-get install latexmk "
            f"texlive-latex-recommended poppler-utils)"
        )


@pytest.fixture
def schema():
    from modecollapse.config import load_schema

    return load_schema(SCHEMA)
