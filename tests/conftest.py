"""Shared fixtures: paths into the repository (read only; tests write under tmp_path)."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"


@pytest.fixture
def schema():
    from modecollapse.config import load_schema

    return load_schema(SCHEMA)
