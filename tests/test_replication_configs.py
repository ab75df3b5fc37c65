"""The two full-protocol replication configs against the settings docs/protocol.md §8.1 and §8.2
state for them (nets, optimiser, batch, iterations, data, evaluation): the document's table is
read, not copied here, so the config and the document cannot drift apart unnoticed."""

import re

import pytest
from conftest import REPO, SCHEMA

from modecollapse import replication as rep
from modecollapse.config import load_config
from modecollapse.variants import variant_defaults

PROTOCOL = REPO / "docs" / "protocol.md"


def _expected(section: str) -> dict[str, str]:
    """setting -> value as the table of `section` (e.g. "8.1") in docs/protocol.md states it; a cell
    naming several settings ("`a`, `b`") gives them its comma-separated values in order."""
    text = PROTOCOL.read_text(encoding="utf-8")
    start = text.index(f"\n### {section} ")
    body = text[start : text.find("\n### ", start + 1)]
    rows = re.findall(r"^\| (`[^|]+) \| ([^|]+) \|$", body, flags=re.MULTILINE)
    expected = {}
    for keys, values in rows:
        names = re.findall(r"`([a-z0-9_.]+)`", keys)
        parts = [part.strip() for part in re.sub(r"\s*\(.*\)", "", values).split(",")]
        if len(names) == 1:
            parts = [", ".join(parts)]
        assert len(names) == len(parts), (section, keys, values)
        expected |= dict(zip(names, parts, strict=True))
    return expected


def _value(text: str):
    if text in ("true", "false"):
        return text == "true"
    try:
        return float(text)
    except ValueError:
        return text


@pytest.mark.parametrize(("config", "section"), [("gdpp-table1", "8.1"), ("veegan-table1", "8.2")])
def test_replication_config_holds_the_protocol_setting(config, section):
    expected = _expected(section)
    assert {"steps", "batch_size", "lr", "z_dim", "d_width", "evaluation.nearest"} <= expected.keys()
    study = load_config(REPO / "config" / f"{config}.yaml", schema_path=SCHEMA)
    assert study["datasets"] == expected.pop("datasets").split(", ")
    assert len(study["seeds"]) == int(expected.pop("seeds"))
    for key in [k for k in expected if k.startswith("evaluation.")]:
        assert study["evaluation"][key.split(".", 1)[1]] == _value(expected.pop(key)), key
    for dataset, runs in rep.study_settings(study).items():
        for run, settings in runs.items():
            # a context row's own settings (WGAN-GP's update and Adam betas) are its variant's
            own = {**variant_defaults(run)[1], **(study["variants"][run] or {})}
            settings["g_lr"] = settings["g_lr"] if settings["g_lr"] is not None else settings["lr"]
            for key, value in expected.items():
                if key not in own:
                    assert settings[key] == _value(value), (config, dataset, run, key)
