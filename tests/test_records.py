"""A training run's record (records.run_record, run.json) and the runs table read from it, and the
training script that writes both the record and the samples in their formats."""

import dataclasses
import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from conftest import REPO

from modecollapse.config import TrainSettings
from modecollapse.data import write_dataset
from modecollapse.io import read_json, read_parquet, write_json
from modecollapse.records import RUNS_COLUMNS, run_record, runs_table
from modecollapse.samples import sample_columns

PROVENANCE = {"versions": {"modecollapse": "0"}, "python": "3.11.7", "git_commit": "abc123"}


def record(seed: int, **overrides) -> dict:
    return run_record(
        **{
            "dataset": "ring8",
            "variant": "gan-ns@lr=0.0001",
            "seed": seed,
            "settings": {"lr": 1e-4, "steps": 40},
            "status": "ok",
            "diverged_step": None,
            "device": "cpu",
            "tf32": False,
            "cuda_graphs": False,
            "threads": 1,
            "ensemble_seeds": [0, 1, 2],
            "resumed_from_step": None,
            "ensemble_wall_time_s": 10.0,
            "provenance": PROVENANCE,
            **overrides,
        }
    )


def test_a_run_record_survives_its_file_and_fills_its_runs_table_row(tmp_path):
    records = [record(0), record(1, status="diverged", diverged_step=30), record(2, resumed_from_step=500)]
    for r in records:
        write_json(r, tmp_path / f"seed{r['seed']}.json")
    back = [read_json(tmp_path / f"seed{seed}.json") for seed in (0, 1, 2)]
    assert back == records
    assert back[0]["wall_time_s"] == 3.333 and back[0]["ensemble_wall_time_s"] == 10.0  # the ensemble's time, shared
    assert back[0]["git_commit"] == "abc123" and back[2]["resumed_from_step"] == 500
    table = runs_table(back)
    assert list(table.columns) == list(RUNS_COLUMNS) and len(table) == 3
    assert table.loc[1, ["seed", "status", "diverged_step"]].tolist() == [1, "diverged", 30]
    assert pd.isna(table.loc[0, "diverged_step"])
    assert set(table["variant"]) == {"gan-ns@lr=0.0001"} and set(table["git_commit"]) == {"abc123"}


def test_a_run_record_knows_how_a_run_can_end():
    with pytest.raises(ValueError, match="one of ok, diverged, not 'crashed'"):
        record(0, status="crashed")


def test_the_training_script_writes_samples_curves_and_the_record_the_runs_table_reads(tmp_path):
    """The train rule's script on a tiny 2D run, in a fresh interpreter as Snakemake runs it."""
    write_dataset("ring8", n=500, seed=0, path=tmp_path / "ring8.npz")
    settings = dataclasses.asdict(
        TrainSettings(steps=6, snapshot_every=3, log_every=3, snapshot_samples=10, g_width=4, d_width=4, batch_size=8)
    )
    outputs = {
        f"{kind}_{seed}": str(tmp_path / f"seed{seed}" / f"{kind}.{ext}")
        for seed in (3, 4)
        for kind, ext in (
            ("samples", "parquet"),
            ("curves", "parquet"),
            ("probes", "parquet"),
            ("surface", "parquet"),
            ("run", "json"),
        )  # fmt: skip
    }
    code = textwrap.dedent(f"""
        import runpy
        from types import SimpleNamespace

        snakemake = SimpleNamespace(  # what the rule hands the script (its outputs by name)
            log=[{str(tmp_path / "train.log")!r}], threads=1,
            input=SimpleNamespace(data={str(tmp_path / "ring8.npz")!r}),
            output={outputs!r}, wildcards=SimpleNamespace(dataset="ring8", run="gan-ns"),
            params=SimpleNamespace(settings={settings!r}, seeds=[3, 4], device="cpu", tf32=False, cuda_graphs=False,
                                   checkpoint_dir={str(tmp_path / "ckpt")!r},
                                   checkpoint_every=500),
        )
        runpy.run_path({str(REPO / "workflow" / "scripts" / "train.py")!r}, init_globals={{"snakemake": snakemake}})
    """)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=os.environ | {"PYTHONPATH": str(REPO / "src")}
    )
    log = (tmp_path / "train.log").read_text() if (tmp_path / "train.log").exists() else ""
    assert result.returncode == 0, result.stdout + result.stderr + log
    records = [read_json(outputs[f"run_{seed}"]) for seed in (3, 4)]
    assert [(r["dataset"], r["variant"], r["seed"], r["status"]) for r in records] == [
        ("ring8", "gan-ns", 3, "ok"),
        ("ring8", "gan-ns", 4, "ok"),
    ]
    assert records[0]["settings"] == settings and records[0]["ensemble_seeds"] == [3, 4]
    expected = set(record(0)) - set(PROVENANCE) | {"versions", "python", "git_commit"}
    assert expected <= set(records[0])  # every key of run_record's, provenance's included
    assert runs_table(records)["seed"].tolist() == [3, 4]
    samples = read_parquet(outputs["samples_3"])
    assert list(samples.columns) == ["step", *sample_columns(2, None)] and sorted(set(samples["step"])) == [3, 6]
    assert samples["x"].dtype == np.float32
    assert read_parquet(outputs["curves_4"])["step"].tolist() == [3, 6]
