"""The real Snakemake workflow, end to end on the smoke study, in a temporary directory."""

import json
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import REPO

from modecollapse.stats import LONG_COLUMNS, SUMMARY_COLUMNS, TEST_COLUMNS

pytestmark = pytest.mark.slow
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")


def snakemake(workdir: Path, config: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SNAKEMAKE, "--cores", "2", "--configfile", str(config), "--directory", str(workdir), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
    )


def planned_jobs(dry_run_output: str) -> list[tuple[str, dict]]:
    """(rule, wildcards) of every job in a dry run's output."""
    jobs = []
    for block in re.split(r"\n(?=\s*(?:local)?rule \S+:)", dry_run_output):  # group members are indented
        rule = re.match(r"(?:local)?rule (\S+):", block.strip())
        if rule:
            found = re.search(r"wildcards: (.*)", block)
            wildcards = dict(item.split("=", 1) for item in found.group(1).split(", ")) if found else {}
            jobs.append((rule.group(1), wildcards))
    return jobs


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("smoke")
    config = workdir / "smoke.yaml"
    shutil.copy(REPO / "config" / "smoke.yaml", config)
    result = snakemake(workdir, config)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return workdir, config


def _is_image(dataset):
    from modecollapse.data import is_image

    return is_image(dataset)


def _runs(study):
    """Run names of a study: its variants and sweep points."""
    from modecollapse.config import load_schema, study_runs, validate_config

    return list(study_runs(validate_config(study, schema=load_schema())))


def test_smoke_study_writes_every_run(smoke):
    workdir, config = smoke
    study = yaml.safe_load(config.read_text())
    runs = _runs(study)
    assert "gan-ns@lr=0.003" in runs and "gan-minimax@lr=1e06" in runs
    for dataset in study["datasets"]:
        for variant in runs:
            for seed in study["seeds"]:
                run_dir = workdir / "results" / "runs" / dataset / variant / f"seed{seed}"
                samples = pd.read_parquet(run_dir / "samples.parquet")
                image = _is_image(dataset)
                pixels = 3 * 64 if dataset.startswith("stacked") else 64
                assert list(samples.columns) == ["step", *([f"p{i}" for i in range(pixels)] if image else ["x", "y"])]
                curves = pd.read_parquet(run_dir / "curves.parquet")
                assert {"step", "d_loss", "g_loss"} <= set(curves.columns)
                run = json.loads((run_dir / "run.json").read_text())
                assert run["seed"] == seed and run["device"] == "cpu" and run["ensemble_seeds"] == study["seeds"]
                assert run["tf32"] is False  # the precision setting, recorded (the default: full float32)
                assert run["cuda_graphs"] is False  # eager steps, recorded
                assert {"torch", "numpy"} <= set(run["versions"]) and run["git_commit"]
                assert run["wall_time_s"] > 0
                if variant == "gan-minimax@lr=1e06" and not image:  # lr 1e6 overflows: counted as diverged
                    assert run["status"] == "diverged" and samples["step"].max() == run["diverged_step"]
                elif run["status"] == "diverged":  # images: tanh keeps G bounded; lr 1e6 need not overflow
                    assert variant == "gan-minimax@lr=1e06" and samples["step"].max() == run["diverged_step"]
                else:
                    steps = study["image_train" if image else "train"]["steps"]
                    assert run["status"] == "ok" and samples["step"].max() == steps
    log = (workdir / "logs" / "train" / "ring8" / "gan-ns" / "seeds0-1.log").read_text()
    assert "train seeds [0, 1]" in log  # the progress bar
    assert not list((workdir / "results" / "checkpoints").rglob("*.pt")), "finished runs remove their checkpoints"


def test_smoke_tables(smoke):
    workdir, config = smoke
    study = yaml.safe_load(config.read_text())
    runs = _runs(study)
    metrics = pd.read_parquet(workdir / "results" / "metrics.parquet")
    assert list(metrics.columns) == list(LONG_COLUMNS)
    every_snapshot = {
        "modes_covered",
        "high_quality_fraction",
        "reverse_kl",
        "jsd",
        "collapsed",
        "modes_ever_covered",
        "forgetting_events",
        "no_high_quality",
    }
    # the run as a whole, at its final step, and D's overfitting at its last snapshot (probes.parquet)
    per_run = {"diverged", "levelled_off", "under_trained", "d_overfitting_gap", "d_sign_train"}
    feature_distances = {"frechet_distance", "kid_mean", "kid_std", "precision", "recall", "density", "coverage"}
    final_only = {  # 2D data: every distance on the points
        False: feature_distances
        | per_run
        | {
            "wasserstein_1",
            "mmd2_rbf",
            "mmd_bandwidth",
            "energy_distance",
            "ndb",
            "ndb_over_k",
            "ndb_js",
            "reverse_kl_floor",
            "jsd_floor",
        },
        True: feature_distances | per_run | {"reverse_kl_floor", "jsd_floor", "modes_covered_ceiling"},  # images
    }
    cheap = {False: {"sliced_wasserstein_2"}, True: set()}  # the cheap distance at every 2D snapshot
    ok = metrics[metrics["variant"] == "gan-ns"]
    for (dataset, _, seed), run in ok.groupby(["dataset", "variant", "seed"]):
        image = _is_image(dataset)
        last = run["step"].max()
        at_last = set(run.loc[run["step"] == last, "metric"])
        assert every_snapshot | final_only[image] | cheap[image] == at_last
        earlier = run[run["step"] < last]
        assert set(earlier["metric"]) == every_snapshot | cheap[image]
    assert set(metrics["variant"]) == set(runs)
    summary = pd.read_parquet(workdir / "results" / "summary.parquet")
    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    per_dataset = metrics.groupby("dataset")["metric"].nunique()  # 2D and image datasets have their own distances
    assert len(summary) == len(runs) * per_dataset.sum() and len(per_dataset) == len(study["datasets"])
    assert (summary["n"] <= len(study["seeds"])).all()
    covered = summary[summary["metric"] == "modes_covered"]
    n_modes = covered["dataset"].map({"ring8": 8, "grid25": 25, "digits": 10, "stacked-digits": 1000})
    assert ((covered["mean"] >= 0) & (covered["mean"] <= n_modes)).all()
    assert (covered.loc[covered["dataset"] == "stacked-digits", "mean"] <= 500).all()  # 500 samples per snapshot
    shares = pd.read_parquet(workdir / "results" / "runs" / "stacked-digits" / "gan-ns" / "digit_shares.parquet")
    assert list(shares.columns) == ["seed", "channel", "digit", "share"]
    assert shares.groupby(["seed", "channel"])["share"].sum().to_numpy() == pytest.approx(1.0)
    assert set(shares["channel"]) == {0, 1, 2} and set(shares["seed"]) == set(study["seeds"])
    diverged = covered[(covered["variant"] == "gan-minimax@lr=1e06") & covered["dataset"].isin(["ring8", "grid25"])]
    assert (diverged["mean"] == 0).all()  # a diverged generator's NaN samples cover nothing
    table = pd.read_parquet(workdir / "results" / "runs.parquet")
    points = table[(table["variant"] == "gan-minimax@lr=1e06") & table["dataset"].isin(["ring8", "grid25"])]
    assert set(points["status"]) == {"diverged"}
    collapsed = summary[
        (summary["metric"] == "collapsed")
        & (summary["variant"] == "gan-minimax@lr=1e06")
        & summary["dataset"].isin(["ring8", "grid25"])
    ]
    assert (collapsed["mean"] == 1).all()  # a diverged run counts as collapsed
    tests = pd.read_parquet(workdir / "results" / "tests.parquet")
    assert list(tests.columns) == list(TEST_COLUMNS)
    assert set(tests["variant"]) == set(runs) - {"gan-ns"}
    # base variants against the baseline; each sweep point against its own base variant
    bases = {run: run.split("@")[0] if "@" in run else "gan-ns" for run in set(runs) - {"gan-ns"}}
    assert dict(zip(tests["variant"], tests["baseline"])) == bases
    assert set(tests.loc[tests["variant"].str.contains("@"), "family"]) == {"sweeps"}
    assert (tests["p_holm"].dropna() >= tests.loc[tests["p_holm"].notna(), "min_p"] - 1e-12).all()
    assert tests["p_holm"].dropna().between(0, 1).all()


def test_smoke_report(smoke):
    workdir, _ = smoke
    pdf = workdir / "paper" / "main.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Mode collapse in GANs" in text and "scale: smoke" in text
    for name in (
        "gan-ns",
        "gan-minimax",
        "wgan-gp",
        "gan-ns@lr=0.003",
        "ring8 (8 modes)",
        "grid25 (25 modes)",
        "PacGAN",
        "digits (10 modes)",
        "stacked-digits (1000 modes)",
        "Test accuracy",
    ):
        assert name in text
    assert "2/2" in text  # the diverged sweep point's seeds are counted in the table
    # the replication section: the verdict rule in its text, PacGAN's rows beside our nearest runs,
    # labelled as another setting (the smoke study is not the paper's), every cell with its n
    assert "Verdict" in text and "rule: beside" in text and "agrees" in text and "other setting" in text
    assert "(n=2" in text
    assert "data.stacked_size = 5,000" in text  # the stacked set's own size, not the 2D one (10,000)
    for figure in (
        "samples_ring8",
        "samples_grid25",
        "coverage",
        "spread",
        "sweeps",
        "samples_digits",
        "samples_stacked-digits",
        "modes_digits",
        "modes_stacked-digits",
    ):
        assert (workdir / "figures" / f"{figure}.pdf").stat().st_size > 0
    classifier = json.loads((workdir / "results" / "classifiers" / "digits" / "metrics.json").read_text())
    assert classifier["test_accuracy"] >= 0.97 and classifier["test_size"] == 360
    assert f"{100 * classifier['test_accuracy']:.1f}" in text  # the accuracy is in the report
    assert not list(workdir.rglob("*.tmp")), "a temporary file was left behind"
    assert "Overfull \\hbox" not in (workdir / "logs" / "paper" / "latexmk.log").read_text()  # no line in the margin


def test_smoke_results_without_latex_and_their_provenance(smoke):
    """The terminal's view of the study (modecollapse summary and status) and the appendix's records."""
    workdir, _ = smoke
    cli = str(Path(sys.executable).parent / "modecollapse")
    summary = subprocess.run([cli, "summary", str(workdir)], capture_output=True, text=True)
    assert summary.returncode == 0, summary.stderr
    lines = summary.stdout.splitlines()
    assert lines[0] == "ring8 (8 modes)" and "stacked-digits (1000 modes)" in lines
    assert any(line.split()[:3] == ["gan-ns", "modes", "covered"] and line.endswith("n=2 of 2") for line in lines)
    assert any(line.endswith("2 diverged") for line in lines)  # the diverging sweep point is counted, not dropped
    status = subprocess.run([cli, "status", str(workdir)], capture_output=True, text=True)
    assert status.returncode == 0, status.stderr
    assert status.stdout.splitlines()[0].endswith(
        "results/study.yaml in " + str(workdir)
    )  # the smoke study, not the default
    assert status.stdout.splitlines()[2].split() == ["ring8", "8", "2", "0", "0", "0"]
    # every stage's outputs say what computed them; the appendix lists it and what each job cost
    software = pd.read_parquet(workdir / "results" / "software.parquet")
    assert set(software["stage"]) == {"classifier", "training", "evaluation"}
    assert set(software.loc[software["item"] == "POT", "value"]) == {metadata.version("POT")}
    assert set(software.loc[software["item"] == "GPU", "value"]) == {"none (CPU)"}
    benchmarks = pd.read_parquet(workdir / "results" / "benchmarks.parquet")
    assert benchmarks.groupby("stage").size().to_dict() == {"classifier": 1, "training": 4 * 5, "evaluation": 4 * 5}
    assert (benchmarks["wall_s"] > 0).all()
    text = subprocess.run(
        ["pdftotext", "-layout", str(workdir / "paper" / "main.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Software and compute" in text and re.search(
        rf"scikit-learn\s+{re.escape(metadata.version('scikit-learn'))}\s", text
    )


def test_second_run_does_nothing(smoke):
    workdir, config = smoke
    result = snakemake(workdir, config, "-n")
    assert result.returncode == 0
    assert "Nothing to be done" in result.stdout + result.stderr


def test_unreadable_files_are_set_aside_and_rebuilt(smoke, tmp_path):
    """A truncated dataset and run sample file and a garbage summary: the next run names each,
    sets it aside, rebuilds it and everything after it, and ends with the same numbers."""
    workdir, config = smoke
    study = tmp_path / "study"
    shutil.copytree(workdir, study, symlinks=True)  # copy2: the files keep their times
    metrics = study / "results/runs/ring8/gan-ns/metrics.parquet"
    before = pd.read_parquet(metrics)
    damaged = [study / "data/ring8.npz", study / "results/runs/ring8/gan-ns/seed1/samples.parquet"]
    for path in damaged:
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    summary = study / "results/summary.parquet"
    summary.write_bytes(b"not parquet" * 100)
    result = snakemake(study, study / config.name)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for path in [*damaged, summary]:
        relative = path.relative_to(study)
        assert f"modecollapse: warning: {relative} cannot be read" in result.stderr
        assert (study / f"{relative}.unreadable").exists()
    after = pd.read_parquet(metrics)
    assert sorted(after["seed"].unique()) == sorted(before["seed"].unique())  # no seed went missing
    pd.testing.assert_frame_equal(after, before)  # same machine, same config: bitwise the same
    assert pd.read_parquet(summary).equals(pd.read_parquet(workdir / "results/summary.parquet"))
    assert "Nothing to be done" in snakemake(study, study / config.name, "-n").stdout


def test_every_output_of_every_rule_is_checked_before_planning(tmp_path):
    """Each file the smoke study's jobs write, present but garbage, is set aside when the next run
    plans (rules/integrity.smk), whichever rule declares it: the checked files come from the rules'
    outputs, so an output a rule adds is checked without being listed anywhere else."""
    from modecollapse.io import UnreadableFile, check_readable

    workdir, config = tmp_path / "run", REPO / "config" / "smoke.yaml"
    summary = snakemake(workdir, config, "--summary")  # every planned job's outputs, none there yet
    assert summary.returncode == 0, summary.stderr[-3000:]
    outputs = [line.split("\t")[0] for line in summary.stdout.splitlines()[1:]]
    checkable = []
    for output in outputs:
        path = workdir / output
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"not what this file should hold\n")
        try:
            check_readable(path)
        except UnreadableFile:
            checkable.append(output)
    # every kind of output the study reads back: datasets, classifiers, runs, per-run and study tables
    assert {
        "data/ring8.npz",
        "results/classifiers/digits/classifier.pt",
        "results/runs/ring8/gan-ns/seed0/run.json",
        "results/runs/digits/gan-ns/digit_shares.parquet",
        "results/software.parquet",
    } <= set(checkable)
    result = snakemake(workdir, config, "-n")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    warned = set(re.findall(r"^modecollapse: warning: (\S+) cannot be read", result.stderr, flags=re.MULTILINE))
    assert set(checkable) <= warned, sorted(set(checkable) - warned)
    assert all((workdir / f"{output}.unreadable").exists() for output in checkable)


def test_changing_one_variant_reruns_only_its_jobs(smoke, tmp_path):
    workdir, config = smoke
    study = yaml.safe_load(config.read_text())
    study["variants"]["gan-minimax"] = {"lr": 0.0005}
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump(study))
    result = snakemake(workdir, changed, "-n")
    assert result.returncode == 0, result.stderr
    jobs = planned_jobs(result.stdout)
    per_run = [(rule, w) for rule, w in jobs if "run" in w]
    n_datasets = len(study["datasets"])
    assert sorted(rule for rule, _ in per_run) == ["evaluate"] * n_datasets + ["train_seeds_0_1"] * n_datasets
    assert {w["run"] for _, w in per_run} == {"gan-minimax"}  # not its sweep point, not the others
    assert {"metrics_table", "summary", "paper"} <= {rule for rule, _ in jobs}
    assert "dataset" not in {rule for rule, _ in jobs}


def test_bad_config_fails_before_any_job(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("datasets: [ring9]\nseeds: [0]\nvariants: {gan-ns: {lrr: 0.1}}\n")
    result = snakemake(tmp_path / "run", config)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert (
        "unknown dataset(s) 'ring9'; available: digits, grid25, mnist, ring8, ring8-linspace, "
        "stacked-digits, stacked-mnist" in output
    )
    assert "unknown key(s) 'lrr'" in output
    assert not (tmp_path / "run" / "data").exists()


def test_mnist_without_network_says_which_files_to_place_where(tmp_path):
    """The download rule runs before anything trains on MNIST; with no mirror reachable it fails
    with the offline message naming the files and the directory to put them in."""
    config = tmp_path / "mnist.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "datasets": ["mnist"],
                "seeds": [0],
                "variants": {"gan-ns": {}},
                "download": {"mirrors": ["http://127.0.0.1:9/mnist/"]},  # the discard port: connection refused
            }
        )
    )
    workdir = tmp_path / "run"
    result = snakemake(workdir, config, "data/mnist.npz")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    for name in (
        "train-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
        str((workdir / "data" / "downloads" / "mnist").resolve()),
    ):
        assert name in output
    assert not (workdir / "data" / "mnist.npz").exists()
    assert not list((workdir / "data").rglob("*.gz")), "nothing half-downloaded is left"


def test_the_new_models_and_remedies_train_and_evaluate_in_the_workflow(tmp_path):
    """ALI, VEEGAN, DiffAugment, GDPP and mode seeking through the real DAG on digits, to the summary
    and the tests against the baseline (their training alone: tests/test_joint_models.py, test_remedies.py)."""
    config = tmp_path / "remedies.yaml"
    study = yaml.safe_load((REPO / "config" / "smoke.yaml").read_text())
    study.update(
        datasets=["digits"],
        variants={"gan-ns": {}, "ali": {}, "veegan": {}, "diffaugment": {}, "gdpp+mode-seeking": {}},
        sweeps={},
    )
    study["image_train"].update(steps=30, snapshot_every=15)
    config.write_text(yaml.safe_dump(study))
    result = snakemake(tmp_path, config, "results/summary.parquet", "results/tests.parquet")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = pd.read_parquet(tmp_path / "results" / "summary.parquet")
    assert set(summary["variant"]) == {"gan-ns", "ali", "veegan", "diffaugment", "gdpp+mode-seeking"}
    from modecollapse.metrics import MODES_COVERED

    modes = summary[summary["metric"] == MODES_COVERED]
    assert modes["mean"].notna().all() and (modes["mean"] >= 1).all()
    record = json.loads((tmp_path / "results" / "runs" / "digits" / "veegan" / "seed0" / "run.json").read_text())
    assert record["settings"]["loss"] == "veegan" and record["settings"]["e_noise_dim"] == 0


def test_a_finished_study_ships_as_reference_runs_with_its_provenance(smoke, tmp_path):
    from modecollapse.cli import main
    from modecollapse.config import base_variant
    from modecollapse.configfile import read_config
    from modecollapse.provenance import source_hash
    from modecollapse.reference import FINAL_METRICS, PROVENANCE, REFERENCE_LIMIT_BYTES, TRAINING_SCRIPT, ship

    workdir, _ = smoke
    out = tmp_path / "reference" / "smoke"
    args = ["ship-reference", str(workdir), "--table", "smoke", "--out", str(out), "--wall-time-s", "12.5"]
    assert main(args) == 0
    assert {p.name for p in out.iterdir()} == {
        "summary.parquet", "tests.parquet", "runs.parquet", "software.parquet", "study.yaml", FINAL_METRICS, PROVENANCE,
    }  # fmt: skip
    assert sum(p.stat().st_size for p in out.iterdir()) < REFERENCE_LIMIT_BYTES  # no checkpoints, no samples
    record = json.loads((out / PROVENANCE).read_text())
    assert record["training_source_hash"] == source_hash(TRAINING_SCRIPT) and record["wall_time_s"] == 12.5
    (part,) = record["parts"]
    assert record["table"] == "smoke" and part["commit"] and "cores" in part["machine"]
    runs = pd.read_parquet(workdir / "results" / "runs.parquet")
    assert part["commit"] == runs["git_commit"].iloc[0]  # the runs' own commit
    study = read_config(workdir / "results" / "study.yaml")
    assert part["runs"] == {variant: study["datasets"] for variant in study["variants"]}  # as configured
    assert set(runs["variant"].map(base_variant)) == set(part["runs"])  # a sweep point counts as its base
    assert set(record["job_time_s"]) == {f"{d}/{v}" for d, v in zip(runs["dataset"], runs["variant"], strict=True)}
    assert all(seconds > 0 for seconds in record["job_time_s"].values())
    final = pd.read_parquet(out / FINAL_METRICS)
    metrics = pd.read_parquet(workdir / "results" / "metrics.parquet")
    assert len(final) < len(metrics) and (final.groupby(["dataset", "variant", "seed"])["step"].nunique() == 1).all()
    assert main([args[0], str(tmp_path / "nothing"), *args[2:]]) == 1  # an unfinished study is refused
    elsewhere = tmp_path / "elsewhere"  # a study trained at another commit: its code hash is not this checkout's
    shutil.copytree(workdir / "results", elsewhere / "results", ignore=shutil.ignore_patterns("checkpoints", "runs"))
    runs.assign(git_commit="0123456789ab").to_parquet(elsewhere / "results" / "runs.parquet")
    with pytest.raises(ValueError, match="trained at commit 0123456789ab and this checkout is at"):
        ship(study_dir=elsewhere, table="smoke", out=out, wall_time_s=1.0)
    assert (out / PROVENANCE).is_file()  # and the shipped folder is left as it was
    from modecollapse.reference import load_references

    (loaded,) = load_references(out.parent)  # as the report reads them
    assert loaded.table == "smoke" and loaded.study["scale"] == "smoke" and len(loaded.summary)
    summary, tests = pd.read_parquet(out / "summary.parquet"), pd.read_parquet(out / "tests.parquet")
    ship(study_dir=workdir, table="smoke", out=out, wall_time_s=3.0, add=True)  # the same rows again
    record = json.loads((out / PROVENANCE).read_text())
    assert [p["wall_time_s"] for p in record["parts"]] == [3.0] and record["wall_time_s"] == 3.0  # replaced
    pd.testing.assert_frame_equal(pd.read_parquet(out / "summary.parquet"), summary)  # recomputed alike
    pd.testing.assert_frame_equal(pd.read_parquet(out / "tests.parquet"), tests)


def test_the_smoke_report_sets_every_shipped_reference_beside_its_table_with_a_verdict(smoke):
    """reference/ holds the full-protocol runs of GDPP Table 1 and VEEGAN Table 1 (make replicate):
    the smoke study's PDF shows each with at least one verdict and the rule that gave it."""
    from modecollapse.reference import load_references

    workdir, _ = smoke
    text = subprocess.run(
        ["pdftotext", str(workdir / "paper" / "main.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(text.split())
    assert {ref.table for ref in load_references()} >= {"gdpp-table1", "veegan-table1"}
    assert "Replicated at full protocol." in flat
    # the published tables' floats are out before the part begins: after it, every table captioned
    # with a paper's table is a reference table
    after = flat.split("Replicated at full protocol.", 1)[1]
    captions = re.findall(r"et al\. \d{4}\), Table \d+ \[\S+\](.{0,20})", after)
    assert captions and all(c.startswith(", reference runs of") for c in captions), captions
    # each reference table's text runs from the previous caption to its own
    pieces = flat.split("reference runs of config/")
    shown = {}
    for before, caption in zip(pieces, pieces[1:]):
        table = caption.split(".yaml", 1)[0]
        shown[table] = re.findall(r"(agrees|higher|lower)†", before[-3000:])  # † : the spread rule gave it
    assert shown.keys() >= {"gdpp-table1", "veegan-table1"} and all(shown.values()), shown
    assert re.search(r"prediction interval for n ?pub = 1\), marked †", flat)  # the rule that gives †, in the text
