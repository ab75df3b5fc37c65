"""Reference folders combined from studies of some of a table's variants and datasets (reference.combine)."""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from modecollapse.reference import FINAL_METRICS, PROVENANCE, combine, load_references, parts

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "reference" / "gdpp-table1"  # real final results in parts: GDPP-GAN, the gan-ns baseline, ...
TABLES = ("summary.parquet", "tests.parquet", "runs.parquet", FINAL_METRICS)
BOTH = ["ring8-linspace", "grid25"]
SHIPPED_STUDY = yaml.safe_load((SHIPPED / "study.yaml").read_text())
SHIPPED_PARTS = [p["runs"] for p in parts(json.loads((SHIPPED / PROVENANCE).read_text()), SHIPPED_STUDY)]
# the variants of the table's config the shipped folder has no rows of: on none of the datasets
NOT_SHIPPED = tuple(
    (variant, ()) for variant in yaml.safe_load((REPO / "config" / "gdpp-table1.yaml").read_text())["variants"]
    if variant not in SHIPPED_STUDY["variants"]
)  # fmt: skip


def _only(folder: Path, runs: dict[str, list[str]]) -> None:
    """Keep the shipped folder's rows, job times and parts of `runs` (variant -> its datasets), as a
    study of those variants on those datasets had shipped them."""
    pairs = {(d, v) for v, ds in runs.items() for d in ds}
    for name in TABLES:
        frame = pd.read_parquet(folder / name)
        keep = [pair in pairs for pair in zip(frame["dataset"], frame["variant"], strict=True)]
        frame[keep].reset_index(drop=True).to_parquet(folder / name)
    study = yaml.safe_load((folder / "study.yaml").read_text())
    record = json.loads((folder / PROVENANCE).read_text())
    record["parts"] = [
        {**p, "runs": left}
        for p in parts(record, study)
        if (left := {v: [d for d in ds if (d, v) in pairs] for v, ds in p["runs"].items() if v in runs})
    ]
    record["wall_time_s"] = sum(p["wall_time_s"] for p in record["parts"])
    record["job_time_s"] = {job: t for job, t in record["job_time_s"].items() if tuple(job.split("/")) in pairs}
    study["variants"] = {variant: study["variants"][variant] for variant in runs}
    study["datasets"] = [d for d in study["datasets"] if any(d in ds for ds in runs.values())]
    (folder / "study.yaml").write_text(yaml.safe_dump(study, sort_keys=False))
    (folder / PROVENANCE).write_text(json.dumps(record))


@pytest.fixture
def folders(tmp_path):
    """The shipped folder split into its parts, each as its own study had shipped it: the first
    (`into`, GDPP-GAN) and the others in the order they were added (the gan-ns baseline first)."""
    into = tmp_path / "reference" / "gdpp-table1"
    shutil.copytree(SHIPPED, into)
    _only(into, SHIPPED_PARTS[0])
    others = []
    for number, runs in enumerate(SHIPPED_PARTS[1:], start=1):
        others.append(tmp_path / f"part{number}" / "gdpp-table1")
        shutil.copytree(SHIPPED, others[-1])
        _only(others[-1], runs)
    return into, others


def test_parts_add_their_rows_and_the_summary_and_tests_are_recomputed_from_the_final_metrics(folders):
    into, others = folders
    assert SHIPPED_PARTS[:2] == [{"gdpp": BOTH}, {"gan-ns": BOTH}]
    (into / "tests.parquet").unlink(), (into / "summary.parquet").unlink()  # combine rebuilds them
    for part in others:
        combine(part=part, into=into)
    for name in ("summary.parquet", "tests.parquet", FINAL_METRICS, "runs.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(into / name), pd.read_parquet(SHIPPED / name))
    tests = pd.read_parquet(into / "tests.parquet")
    modes = tests[tests["metric"] == "modes_covered"]
    assert (modes["n"] == 5).all() and (modes["n_baseline"] == 5).all()  # tested now: both rows are here
    assert set(tests["variant"]) == set(SHIPPED_STUDY["variants"]) - {"gan-ns"} and set(tests["baseline"]) == {"gan-ns"}
    record, shipped = (json.loads((folder / PROVENANCE).read_text()) for folder in (into, SHIPPED))
    assert record == shipped  # parts in order, job times and the total wall time
    assert record["wall_time_s"] == pytest.approx(sum(p["wall_time_s"] for p in record["parts"]))
    (reference,) = load_references(into.parent)
    assert reference.not_run == NOT_SHIPPED and len(reference.parts) == len(SHIPPED_PARTS)
    software = pd.read_parquet(into / "software.parquet")
    assert not software.duplicated(["stage", "item", "value"]).any()

    before = len(pd.read_parquet(into / FINAL_METRICS))
    combine(part=others[0], into=into)  # the same rows again replace themselves; their part moves last
    assert len(pd.read_parquet(into / FINAL_METRICS)) == before
    assert [p["runs"] for p in json.loads((into / PROVENANCE).read_text())["parts"]] == [
        SHIPPED_PARTS[0], *SHIPPED_PARTS[2:], SHIPPED_PARTS[1]
    ]  # fmt: skip


def test_a_part_of_one_dataset_adds_that_datasets_rows_and_keeps_the_others(tmp_path):
    """A long variant run one job a sitting: gan-ns on grid25 added to a folder that has it on the ring."""
    into, part = tmp_path / "reference" / "gdpp-table1", tmp_path / "part" / "gdpp-table1"
    shutil.copytree(SHIPPED, into), shutil.copytree(SHIPPED, part)
    without = [
        {v: [d for d in ds if (d, v) != ("grid25", "gan-ns")] for v, ds in runs.items()} for runs in SHIPPED_PARTS
    ]
    _only(into, {v: ds for runs in without for v, ds in runs.items()})
    _only(part, {"gan-ns": ["grid25"]})
    assert yaml.safe_load((part / "study.yaml").read_text())["datasets"] == ["grid25"]
    (reference,) = load_references(into.parent)
    assert reference.not_run == (("gan-ns", ("grid25",)), *NOT_SHIPPED)
    (into / "tests.parquet").unlink(), (into / "summary.parquet").unlink()  # combine rebuilds them
    combine(part=part, into=into)
    keys = ["dataset", "variant", "metric"]
    for name in ("summary.parquet", "tests.parquet"):
        ours, shipped = (pd.read_parquet(f / name).sort_values(keys).reset_index(drop=True) for f in (into, SHIPPED))
        pd.testing.assert_frame_equal(ours, shipped)  # as one study of both datasets had given them
    record = json.loads((into / PROVENANCE).read_text())
    assert [p["runs"] for p in record["parts"]] == [*without, {"gan-ns": ["grid25"]}]
    assert without[1] == {"gan-ns": ["ring8-linspace"]}
    assert record["job_time_s"] == json.loads((SHIPPED / PROVENANCE).read_text())["job_time_s"]
    assert yaml.safe_load((into / "study.yaml").read_text())["datasets"] == BOTH
    (reference,) = load_references(into.parent)
    assert reference.not_run == NOT_SHIPPED
    combine(part=part, into=into)  # again: its grid25 rows replace themselves, the ring's stay
    record = json.loads((into / PROVENANCE).read_text())
    assert [p["runs"] for p in record["parts"]] == [*without, {"gan-ns": ["grid25"]}]
    _edit(part / "study.yaml", lambda study: study["variants"].update({"gan-ns": {"lr": 0.01}}))
    with pytest.raises(ValueError, match="set gan-ns differently and .* keeps rows of it"):
        combine(part=part, into=into)  # the ring's gan-ns rows were run with the config's lr


def test_records_of_earlier_forms_read_as_parts_of_every_dataset():
    study = {"datasets": BOTH, "variants": {"gdpp": {}, "gan-ns": {}}}
    one = {"commit": "c", "machine": "m", "wall_time_s": 1.0}
    assert parts(one, study) == [{"runs": {"gdpp": BOTH, "gan-ns": BOTH}, **one}]  # no parts at all
    assert parts({"parts": [{"variants": ["gdpp"], **one}]}, study) == [{"runs": {"gdpp": BOTH}, **one}]


def _edit(path: Path, change) -> None:
    data = json.loads(path.read_text()) if path.suffix == ".json" else yaml.safe_load(path.read_text())
    change(data)
    path.write_text(json.dumps(data) if path.suffix == ".json" else yaml.safe_dump(data))


@pytest.mark.parametrize(
    ("file", "change", "message"),
    [
        (PROVENANCE, lambda r: r.update(training_source_hash="0" * 64), "must share their training code"),
        (PROVENANCE, lambda r: r.update(table="veegan-table1"), "holds reference runs of veegan-table1"),
        ("study.yaml", lambda s: s.update(seeds=[0, 1, 2]), r"different study settings \(seeds\)"),
        ("study.yaml", lambda s: s["train"].update(steps=100), r"different study settings \(train\)"),
    ],
)
def test_parts_that_are_not_one_tables_rows_are_refused_and_nothing_changes(folders, file, change, message):
    into, (part, *_) = folders
    _edit(part / file, change)
    before = {p.name: p.read_bytes() for p in into.iterdir()}
    with pytest.raises(ValueError, match=message):
        combine(part=part, into=into)
    assert {p.name: p.read_bytes() for p in into.iterdir()} == before
    assert sorted(p.name for p in into.parent.iterdir()) == ["gdpp-table1"]  # no temporary folder left


def test_the_command_names_a_folder_that_is_not_a_reference(folders, capsys):
    from modecollapse.cli import main

    into, (part, *_) = folders
    assert main(["combine-reference", str(into.parent / "nothing"), "--into", str(into)]) == 1
    assert "not a reference folder (no provenance.json)" in capsys.readouterr().err
    assert main(["combine-reference", str(part), "--into", str(into)]) == 0
    assert "gan-ns" in yaml.safe_load((into / "study.yaml").read_text())["variants"]
