import io
import os
import re
import stat

import numpy as np
import pandas as pd
import pytest

from modecollapse.io import (
    UnreadableFile,
    atomic_path,
    read_benchmark,
    read_json,
    read_npz,
    read_parquet,
    read_parquet_metadata,
    set_aside_unreadable,
    write_json,
    write_npz,
    write_parquet,
)


def test_failed_write_leaves_nothing(tmp_path):
    target = tmp_path / "out.parquet"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_write_replaces_whole_file(tmp_path):
    target = tmp_path / "t.parquet"
    write_parquet(pd.DataFrame({"a": [1, 2]}), target)
    write_parquet(pd.DataFrame({"a": [3]}), target)
    assert pd.read_parquet(target)["a"].tolist() == [3]
    assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]


# --- metadata: what produced a table travels inside it ---------------------------------------


def test_metadata_round_trips_beside_unchanged_data(tmp_path):
    frame = pd.DataFrame({"metric": ["modes_covered", "reverse_kl"], "value": [7.0, 0.25], "seed": [0, 1]})
    record = {"versions": {"torch": "2.13.0", "POT": "0.9.7.post1"}, "git_commit": "abc", "cuda": None}
    write_parquet(frame, tmp_path / "with.parquet", metadata=record)
    assert read_parquet_metadata(tmp_path / "with.parquet") == record
    pd.testing.assert_frame_equal(read_parquet(tmp_path / "with.parquet"), frame)
    write_parquet(frame, tmp_path / "without.parquet")
    assert read_parquet_metadata(tmp_path / "without.parquet") == {}


def test_metadata_of_an_empty_table_and_of_a_damaged_file(tmp_path):
    write_parquet(pd.DataFrame(columns=["seed", "share"]), tmp_path / "empty.parquet", metadata={"a": 1})
    assert read_parquet_metadata(tmp_path / "empty.parquet") == {"a": 1}
    parquet, _, _ = _damaged(tmp_path)
    with pytest.raises(UnreadableFile, match=rf"^{re.escape(str(parquet))}: cannot be read"):
        read_parquet_metadata(parquet)


# --- permissions: outputs follow the umask, like any new file -------------------------------


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_outputs_follow_the_umask(tmp_path, umask, mode):
    previous = os.umask(umask)
    try:
        write_parquet(pd.DataFrame({"a": [1]}), tmp_path / "t.parquet")
        write_json({"a": 1}, tmp_path / "t.json")
    finally:
        os.umask(previous)
    assert {stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()} == {mode}


# --- unreadable files: errors that name the file, set aside before a run --------------------


def _damaged(tmp_path):
    """A truncated Parquet file, an .npz overwritten in its middle, and a truncated JSON file."""
    write_parquet(pd.DataFrame({"a": range(1000)}), tmp_path / "t.parquet")
    write_npz(tmp_path / "d.npz", x=np.arange(10_000, dtype=np.int64))
    write_json({"status": "ok", "seed": 3}, tmp_path / "r.json")
    for name, damage in (("t.parquet", "truncate"), ("d.npz", "overwrite"), ("r.json", "truncate")):
        path = tmp_path / name
        data = bytearray(path.read_bytes())
        if damage == "truncate":
            data = data[: len(data) // 2]
        else:
            data[len(data) // 3 : len(data) // 3 + 64] = b"\xff" * 64
        path.write_bytes(bytes(data))
    return tmp_path / "t.parquet", tmp_path / "d.npz", tmp_path / "r.json"


def test_reading_an_unreadable_file_names_it(tmp_path):
    parquet, npz, json_file = _damaged(tmp_path)
    for read, path in ((read_parquet, parquet), (read_npz, npz), (read_json, json_file)):
        with pytest.raises(UnreadableFile, match=rf"^{re.escape(str(path))}: cannot be read .*Delete it and rerun"):
            read(path)
    with pytest.raises(FileNotFoundError):  # a missing file stays a missing file
        read_parquet(tmp_path / "missing.parquet")


def test_unreadable_files_are_set_aside_with_their_reason_and_good_ones_kept(tmp_path):
    damaged = _damaged(tmp_path)
    good = tmp_path / "good"
    write_parquet(pd.DataFrame({"a": [1]}), good / "g.parquet")
    write_npz(good / "g.npz", x=np.arange(3))
    write_json({"a": 1}, good / "g.json")
    log = io.StringIO()
    aside = set_aside_unreadable([*damaged, *good.iterdir(), tmp_path / "missing.parquet"], log=log)
    assert aside == list(damaged)
    for path in damaged:
        assert not path.exists() and (tmp_path / (path.name + ".unreadable")).exists()
        assert str(path) in log.getvalue()
        assert (tmp_path / (path.name + ".unreadable.txt")).read_text().strip()
    assert sorted(p.name for p in good.iterdir()) == ["g.json", "g.npz", "g.parquet"]
    assert set_aside_unreadable(good.iterdir(), log=log) == []


def test_read_benchmark_takes_the_last_record_and_reads_na_as_nan(tmp_path):
    path = tmp_path / "job.tsv"
    header = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    path.write_text(
        header
        + "9.81\t0:00:09\t447.71\t2265.76\t333.92\t390.06\t0.68\t0.04\t66.53\t6.77\n"
        + "3.50\t0:00:03\tNA\tNA\tNA\tNA\tNA\tNA\t0.00\t2.25\n"
    )
    record = read_benchmark(path)
    assert record["wall_s"] == 3.5 and record["cpu_s"] == 2.25 and np.isnan(record["max_rss_mb"])
    path.write_text(header)  # a header without a record
    with pytest.raises(UnreadableFile, match=re.escape(f"{path}: cannot be read (not a Snakemake benchmark table")):
        read_benchmark(path)
    path.write_text("not\ta benchmark\n1\t2\n")
    with pytest.raises(UnreadableFile, match="not a Snakemake benchmark table"):
        read_benchmark(path)
