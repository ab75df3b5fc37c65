"""Synthetic studies and their runs, summary and tests tables, for the tests of the report's generated parts."""

import math
import re

import numpy as np
import pandas as pd
import yaml
from conftest import REPO

from modecollapse import replication as rep
from modecollapse.config import validate_config
from modecollapse.evaluate import LEVELLED_OFF, UNDER_TRAINED
from modecollapse.metrics import MMD_BANDWIDTH, NO_HIGH_QUALITY
from modecollapse.stats import SUMMARY_COLUMNS, TEST_COLUMNS


def make_study(schema, **changes):
    """A small validated study on every kind of dataset: 2D, digits and stacked digits."""
    config = {
        "scale": "test",
        "datasets": ["ring8", "grid25", "stacked-digits"],
        "seeds": [0, 1, 2, 3, 4],
        "data": {"seed": 3, "size": 12_000, "stacked_size": 5_000, "stack_from": "all"},
        "evaluation": {
            "threshold": 2.5,
            "confidence": 0.8,
            "collapse_coverage": 0.4,
            "plateau_window": 0.2,
            "plateau_tolerance": 0.05,
        },
        "train": {"steps": 500, "snapshot_every": 100},
        "variants": {"gan-ns": {}, "pacgan-2": {}, "hinge": {}},
        "sweeps": {"gan-ns": {"lr": [0.003, 0.01]}},
    }
    for key, value in changes.items():
        config[key] = {**config[key], **value} if isinstance(value, dict) and key != "variants" else value
    return validate_config(config, schema=schema)


def table1_study(schema, **train):
    """The study of config/pacgan-table1.yaml, with `train` changed."""
    config = yaml.safe_load((REPO / "config" / "pacgan-table1.yaml").read_text())
    config["train"].update(train)
    return validate_config(config, schema=schema)


def runs_table(study, *, diverged=()):
    """The runs table: one row per (dataset, run name, seed); `diverged` (dataset, run) pairs diverged."""
    names = list(rep.study_settings(study)[study["datasets"][0]])
    rows = [
        {
            "dataset": d,
            "variant": v,
            "seed": s,
            "status": "diverged" if (d, v) in diverged else "ok",
            "diverged_step": 0,
            "device": "cpu",
            "wall_time_s": 36.0,
            "git_commit": "0123456789abcdef",
        }
        for d in study["datasets"]
        for v in names
        for s in study["seeds"]
    ]
    return pd.DataFrame(rows)


def summary_row(dataset, variant, metric, values, *, n_runs=None, n_diverged=0):
    """A summary row of `values` (NaN left out of n, as stats.summarise_final does)."""
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    n = len(finite)
    return {
        "dataset": dataset,
        "variant": variant,
        "metric": metric,
        "n": n,
        "n_runs": len(values) if n_runs is None else n_runs,
        "n_diverged": n_diverged,
        "mean": finite.mean() if n else math.nan,
        "sem": finite.std(ddof=1) / math.sqrt(n) if n > 1 else math.nan,
        "ci_low": finite.min() if n > 1 else math.nan,
        "ci_high": finite.max() if n > 1 else math.nan,
    }


def summary_table(rows):
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


def make_tests_table(rows):
    """A tests table of `rows`, NaN in every column a row leaves out."""
    return pd.DataFrame([{**dict.fromkeys(TEST_COLUMNS, math.nan), **row} for row in rows], columns=list(TEST_COLUMNS))


def macros_of(text):
    """\\newcommand{\\Name}{value} of a generated macros file, as {Name: value}."""
    return dict(re.findall(r"^\\newcommand\{\\(\w+)\}\{(.*)\}$", text, flags=re.MULTILINE))


def number_of(macro):
    """A macro's number: 12{,}000 -> 12000, 20\\% -> 0.2."""
    text = macro.replace("{,}", "")
    return float(text[:-2]) / 100 if text.endswith(r"\%") else float(text)


def macro_inputs(schema, **changes):
    """A study (`make_study` with `changes`), its runs (one sweep point of grid25 diverged) and a summary
    of the numbers the macros count."""
    chosen = make_study(schema, **changes)
    summary = summary_table(
        [
            summary_row("ring8", "gan-ns", MMD_BANDWIDTH, [0.8764] * 5),
            summary_row("grid25", "gan-ns", MMD_BANDWIDTH, [2.5] * 5),
            summary_row("ring8", "gan-ns", NO_HIGH_QUALITY, [1, 1, 0, 0, 0]),
            summary_row("grid25", "hinge", NO_HIGH_QUALITY, [1, 0, 0, 0, 0]),
            summary_row("ring8", "gan-ns", LEVELLED_OFF, [1, 1, 0, 0, math.nan]),
            summary_row("grid25", "hinge", LEVELLED_OFF, [1, 1, 1, 1, 1]),
            summary_row("ring8", "gan-ns", UNDER_TRAINED, [0, 0, 1, 1, math.nan]),
        ]
    )
    return chosen, runs_table(chosen, diverged={("grid25", "gan-ns@lr=0.01")}), summary
