import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from conftest import REPO
from scipy.spatial.distance import pdist

from modecollapse import metrics as m
from modecollapse.data import DATASETS, sample_mixture, write_dataset
from modecollapse.evaluate import (
    COLLAPSED,
    DIVERGED,
    FORGETTING_EVENTS,
    LEVELLED_OFF,
    MODES_EVER_COVERED,
    SHARE_COLUMNS,
    UNDER_TRAINED,
    evaluate_run,
    evaluate_runs,
    mmd_bandwidth,
    reference_sample,
    under_trained,
)
from modecollapse.io import read_parquet, write_json, write_parquet
from modecollapse.records import run_record
from modecollapse.samples import samples_table
from modecollapse.stats import LONG_COLUMNS, summarise_final


@pytest.fixture(scope="module")
def ring8():
    mixture = DATASETS["ring8"]
    points, _ = sample_mixture(mixture, n=20_000, seed=0)
    return {"points": points, "centers": np.asarray(mixture.centers), "std": np.full(8, mixture.std)}


def snapshots(*frames):
    return pd.concat(
        [pd.DataFrame({"step": step, "x": f[:, 0], "y": f[:, 1]}) for step, f in frames], ignore_index=True
    )


def table(metrics):
    return metrics.pivot(index="step", columns="metric", values="value")


def test_a_generator_that_samples_the_data_scores_as_the_data(ring8):
    fake = sample_mixture(DATASETS["ring8"], n=1000, seed=9)[0]
    values = table(
        evaluate_run(
            samples=snapshots((10, fake), (20, fake)),
            dataset=ring8,
            threshold=3.0,
            collapse_coverage=0.5,
            floors={"reverse_kl_floor": 0.0035},
        )
    )
    final = values.loc[20]
    assert final["modes_covered"] == 8 and final[COLLAPSED] == 0
    assert final["density"] == pytest.approx(1.0, abs=0.15)  # real vs real: E[density] = 1
    assert final["wasserstein_1"] < 0.1 and final["reverse_kl_floor"] == 0.0035
    assert np.isnan(values.loc[10, "wasserstein_1"]) and values.loc[10, "sliced_wasserstein_2"] >= 0


def test_a_generator_alternating_between_two_modes_gives_its_raster_and_forgetting_count(ring8):
    from modecollapse.evaluate import run_evaluation
    from modecollapse.plots import covered_matrix

    centers = ring8["centers"]
    frames = [(100 * (i + 1), np.repeat(centers[[0 if i % 2 == 0 else 3]], 50, axis=0)) for i in range(4)]
    metrics, counts = run_evaluation(samples=snapshots(*frames), dataset=ring8, threshold=3.0, collapse_coverage=0.5)
    covered, steps = covered_matrix(counts)
    assert steps == [100, 200, 300, 400]
    assert covered[0].tolist() == [True, False, True, False] and covered[3].tolist() == [False, True, False, True]
    assert covered.sum() == 4  # one mode a snapshot, no other
    values = table(metrics)
    assert list(values[FORGETTING_EVENTS]) == [0, 1, 1, 1] and list(values[MODES_EVER_COVERED]) == [1, 2, 2, 2]


def test_mode_hopping_and_collapse_are_counted(ring8):
    centers = ring8["centers"]
    first = np.repeat(centers[[0, 1]], 50, axis=0)  # modes 0 and 1
    second = np.repeat(centers[[2]], 100, axis=0)  # hops to mode 2: forgets 0 and 1
    values = table(
        evaluate_run(samples=snapshots((10, first), (20, second)), dataset=ring8, threshold=3.0, collapse_coverage=0.5)
    )
    assert list(values["modes_covered"]) == [2, 1]
    assert list(values[MODES_EVER_COVERED]) == [2, 3]
    assert list(values[FORGETTING_EVENTS]) == [0, 2]
    assert list(values[COLLAPSED]) == [1, 1]  # 2 and 1 of 8 modes: below half


def test_a_diverged_snapshot_has_no_distances_and_counts_as_collapsed(ring8):
    fake = np.full((100, 2), np.nan)
    values = table(evaluate_run(samples=snapshots((10, fake)), dataset=ring8, threshold=3.0, collapse_coverage=0.5))
    assert values.loc[10, COLLAPSED] == 1 and values.loc[10, "modes_covered"] == 0
    assert np.isnan(values.loc[10, "wasserstein_1"]) and np.isnan(values.loc[10, "precision"])


def test_a_generator_with_no_high_quality_sample_scores_total_collapse_and_is_counted(ring8):
    far = np.full((100, 2), 10.0)  # 10 from every mode of the unit ring: 900 stds
    near = np.repeat(ring8["centers"], 25, axis=0)  # every mode equally: KL 0
    runs = [
        evaluate_run(
            samples=snapshots((10, fake), (20, fake)), dataset=ring8, threshold=3.0, collapse_coverage=0.5
        ).assign(dataset="ring8", variant="gan-ns", seed=seed)
        for seed, fake in enumerate((far, near))
    ]
    values = table(runs[0].drop(columns=["dataset", "variant", "seed"]))
    assert list(values[m.REVERSE_KL]) == pytest.approx([np.log(8)] * 2, rel=1e-12)  # rounding only
    assert list(values[m.NO_HIGH_QUALITY]) == [1.0, 1.0]
    summary = summarise_final(pd.concat(runs, ignore_index=True)).set_index("metric")
    assert summary.loc[m.REVERSE_KL, "n"] == 2 and summary.loc[m.REVERSE_KL, "n_runs"] == 2
    assert summary.loc[m.REVERSE_KL, "mean"] == pytest.approx(np.log(8) / 2, rel=1e-9)  # (log 8 + 0) / 2
    assert summary.loc[m.NO_HIGH_QUALITY, "mean"] == 0.5  # one of the two runs


def test_diverged_is_recorded_at_the_final_step_only(ring8):
    fake = np.repeat(ring8["centers"], 10, axis=0)
    for flag in (True, False):
        metrics = evaluate_run(
            samples=snapshots((10, fake), (20, fake)),
            dataset=ring8,
            threshold=3.0,
            collapse_coverage=0.5,
            diverged=flag,
        )
        rows = metrics[metrics["metric"] == DIVERGED]
        assert list(rows["step"]) == [20] and list(rows["value"]) == [float(flag)]


def test_mmd_uses_one_kernel_per_dataset_and_depends_only_on_the_dataset_and_the_samples(ring8):
    fake = sample_mixture(DATASETS["ring8"], n=500, seed=4)[0]
    other = sample_mixture(DATASETS["ring8"], n=500, seed=5)[0] + 0.3
    # The same final samples after different histories (other snapshots, other seeds' runs).
    first = table(
        evaluate_run(samples=snapshots((10, other), (20, fake)), dataset=ring8, threshold=3.0, collapse_coverage=0.5)
    ).loc[20]
    second = table(
        evaluate_run(
            samples=snapshots((5, fake[:100]), (7, other), (20, fake)),
            dataset=ring8,
            threshold=3.0,
            collapse_coverage=0.5,
        )
    ).loc[20]
    third = table(
        evaluate_run(samples=snapshots((20, other)), dataset=ring8, threshold=3.0, collapse_coverage=0.5)
    ).loc[20]
    assert first[m.MMD] == second[m.MMD]  # bit for bit
    width = mmd_bandwidth(training=ring8["points"])
    expected = m.mmd(real=reference_sample(ring8["points"], n=500), fake=fake, bandwidth=width)
    assert first[m.MMD] == expected
    assert first[m.MMD_BANDWIDTH] == third[m.MMD_BANDWIDTH] == width  # whatever the generator did
    # Ring of radius 1: pairs of modes k apart lie 2 sin(πk/8) apart for k = 0..7 equally often;
    # the median falls inside the k = 2 and 6 pairs, √2 apart (the 0.01 std moves it by ~1e-3).
    assert width == pytest.approx(np.sqrt(2), abs=0.01)


def test_mmd_grows_with_a_shift_of_the_data(ring8):
    fake = sample_mixture(DATASETS["ring8"], n=1000, seed=6)[0]
    values = [
        table(
            evaluate_run(samples=snapshots((20, fake + shift)), dataset=ring8, threshold=3.0, collapse_coverage=0.5)
        ).loc[20, m.MMD]
        for shift in (0.1, 3.0, 300.0)
    ]
    assert values[0] < values[1] < values[2]
    # What this guards against: the median of the pooled real + fake distances widens with the
    # shift, and at 300 its kernel is nearly flat, scoring that shift below the shift of 3.
    real = reference_sample(ring8["points"], n=1000)
    pooled = [
        m.mmd(real=real, fake=fake + shift, bandwidth=float(np.median(pdist(np.concatenate([real, fake + shift])))))
        for shift in (3.0, 300.0)
    ]
    assert pooled[1] < pooled[0]


def _on_modes(covered_per_step, centers):
    """Snapshots at steps 100, 200, ... whose samples sit exactly on the first k modes (all high quality)."""
    return snapshots(*[(100 * (i + 1), np.repeat(centers[:k], 10, axis=0)) for i, k in enumerate(covered_per_step)])


def test_a_collapse_still_rising_in_the_last_quarter_is_under_trained(ring8):
    # 8 snapshots, window 0.25 of 800 steps: 600, 700 and 800. Coverage 1, 2, 3 of 8 modes there.
    rising = table(
        evaluate_run(
            samples=_on_modes([1, 1, 1, 1, 1, 1, 2, 3], ring8["centers"]),
            dataset=ring8,
            threshold=3.0,
            collapse_coverage=0.5,
            plateau_window=0.25,
            plateau_tolerance=0.1,
        )
    )
    final = rising.loc[800]
    assert final[COLLAPSED] == 1 and final[LEVELLED_OFF] == 0 and final[UNDER_TRAINED] == 1
    assert rising.loc[700, [LEVELLED_OFF, UNDER_TRAINED]].isna().all()  # final step only


def test_a_flat_collapse_has_levelled_off(ring8):
    flat = table(
        evaluate_run(
            samples=_on_modes([1, 2, 3, 4, 5, 2, 2, 2], ring8["centers"]),
            dataset=ring8,
            threshold=3.0,
            collapse_coverage=0.5,
            plateau_window=0.25,
            plateau_tolerance=0.1,
        )
    ).loc[800]
    assert flat[COLLAPSED] == 1 and flat[LEVELLED_OFF] == 1 and flat[UNDER_TRAINED] == 0
    covering = table(
        evaluate_run(
            samples=_on_modes([1, 2, 4, 6, 8, 8, 8, 8], ring8["centers"]),
            dataset=ring8,
            threshold=3.0,
            collapse_coverage=0.5,
        )
    ).loc[800]
    assert covering[COLLAPSED] == 0 and covering[LEVELLED_OFF] == 1 and covering[UNDER_TRAINED] == 0


def test_levelling_off_is_undefined_with_too_few_snapshots_and_for_diverged_runs(ring8):
    short = table(
        evaluate_run(
            samples=_on_modes([1, 2, 3], ring8["centers"]),
            dataset=ring8,
            threshold=3.0,
            collapse_coverage=0.5,
            plateau_window=0.25,
        )
    ).loc[300]  # window: step 300 only
    assert np.isnan(short[LEVELLED_OFF]) and np.isnan(short[UNDER_TRAINED])
    diverged = table(
        evaluate_run(
            samples=_on_modes([1, 1, 1, 1, 1, 1, 2, 3], ring8["centers"]),
            dataset=ring8,
            threshold=3.0,
            collapse_coverage=0.5,
            diverged=True,
        )
    ).loc[800]
    assert diverged[LEVELLED_OFF] == 0 and np.isnan(diverged[UNDER_TRAINED])


def test_under_trained_truth_table():
    assert under_trained(collapsed=1.0, levelled_off=0.0, diverged=False) == 1.0
    assert under_trained(collapsed=1.0, levelled_off=1.0, diverged=False) == 0.0
    assert under_trained(collapsed=0.0, levelled_off=0.0, diverged=False) == 0.0
    assert np.isnan(under_trained(collapsed=0.0, levelled_off=float("nan"), diverged=False))
    assert np.isnan(under_trained(collapsed=1.0, levelled_off=0.0, diverged=True))


# --- evaluate_runs: every seed of a (dataset, run name), as the evaluate rule runs it -------------

EVALUATION = dict(
    threshold=3.0,
    nearest="std",
    inclusive=False,
    confidence=0.9,
    collapse_coverage=0.5,
    plateau_window=0.5,
    plateau_tolerance=0.1,
)


def _record(seed: int, status: str = "ok") -> dict:
    return run_record(
        dataset="ring8",
        variant="gan-ns",
        seed=seed,
        settings={},
        status=status,
        diverged_step=20 if status != "ok" else None,
        device="cpu",
        tf32=False,
        cuda_graphs=False,
        threads=1,
        ensemble_seeds=[0, 1, 2],
        resumed_from_step=None,
        ensemble_wall_time_s=3.0,
        provenance={},
    )


def test_evaluating_a_run_names_seeds_is_each_seeds_evaluation_with_its_sample_sizes_floors(ring8):
    fake = sample_mixture(DATASETS["ring8"], n=300, seed=9)[0]
    collapsed = np.repeat(ring8["centers"][:1], 300, axis=0)
    runs = [_record(0), _record(1, "diverged"), _record(2)]
    samples = [
        snapshots((10, collapsed), (20, fake)),
        snapshots((10, fake), (20, collapsed)),
        snapshots((20, fake[:200])),
    ]  # another sample size: its own floors
    metrics, shares, _ = evaluate_runs(dataset=ring8, runs=runs, samples=iter(samples), **EVALUATION)
    assert list(metrics.columns) == list(LONG_COLUMNS) and set(metrics["variant"]) == {"gan-ns"}
    assert shares.empty and list(shares.columns) == list(SHARE_COLUMNS)  # 2D data: no digits
    for run, frame in zip(runs, samples):
        n = int((frame["step"] == frame["step"].max()).sum())
        floors = m.mode_stats_floor(centers=ring8["centers"], std=ring8["std"], n=n, threshold=3.0)
        alone = evaluate_run(
            samples=frame,
            dataset=ring8,
            threshold=3.0,
            collapse_coverage=0.5,
            floors=floors,
            diverged=run["status"] == "diverged",
            plateau_window=0.5,
            plateau_tolerance=0.1,
        )
        mine = metrics[metrics["seed"] == run["seed"]]
        pd.testing.assert_frame_equal(mine[["step", "metric", "value"]].reset_index(drop=True), alone)
    final = metrics[metrics["metric"] == DIVERGED].set_index("seed")["value"]
    assert final.to_dict() == {0: 0.0, 1: 1.0, 2: 0.0}


def test_image_runs_are_not_evaluated_without_their_classifier():
    dataset = {"image_shape": np.array([1, 8, 8]), "images": np.zeros((4, 1, 8, 8)), "mode_weights": np.full(10, 0.1)}
    with pytest.raises(ValueError, match="pass classifier"):
        evaluate_runs(dataset=dataset, runs=[_record(0)], samples=[pd.DataFrame({"step": [1]})], **EVALUATION)


def test_a_2d_evaluation_job_never_imports_torch(tmp_path):
    """The evaluate rule's script on a 2D run, every distance included (W1's POT would load it),
    in a fresh interpreter: torch is never imported, so 2D evaluation needs neither torch nor the
    training code (whose edits therefore rerun no evaluation, tests/test_caching.py)."""
    write_dataset("ring8", n=2000, seed=0, path=tmp_path / "ring8.npz")
    fake = sample_mixture(DATASETS["ring8"], n=200, seed=3)[0].astype(np.float32)
    write_parquet(samples_table([(10, fake), (20, fake)], None), tmp_path / "samples.parquet")
    write_json(_record(0), tmp_path / "run.json")
    probes = pd.DataFrame({"step": [10, 20], "d_train": [0.5, 2.0], "d_heldout": [0.4, 0.5], "d_fake": [0.0, -1.0],
                           "r_t": [0.2, 0.9]})  # fmt: skip
    write_parquet(probes, tmp_path / "probes.parquet")
    code = textwrap.dedent(f"""
        import runpy, sys
        from types import SimpleNamespace
        folder = {str(tmp_path)!r}
        snakemake = SimpleNamespace(  # what the rule hands the script
            log=[folder + "/evaluate.log"], params=SimpleNamespace(**{EVALUATION!r}),
            input=SimpleNamespace(data=folder + "/ring8.npz", samples=[folder + "/samples.parquet"],
                                  runs=[folder + "/run.json"], probes=[folder + "/probes.parquet"]),
            output=SimpleNamespace(metrics=folder + "/metrics.parquet", shares=folder + "/shares.parquet",
                                   mode_counts=folder + "/mode_counts.parquet"),
        )
        runpy.run_path({str(REPO / "workflow" / "scripts" / "evaluate.py")!r}, init_globals={{"snakemake": snakemake}})
        print("torch modules:", sorted(name for name in sys.modules if name.partition(".")[0] == "torch"))
    """)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=os.environ | {"PYTHONPATH": str(REPO / "src")}
    )
    log = (tmp_path / "evaluate.log").read_text() if (tmp_path / "evaluate.log").exists() else ""
    assert result.returncode == 0, result.stdout + result.stderr + log
    assert result.stdout.strip().splitlines()[-1] == "torch modules: []"
    metrics = read_parquet(tmp_path / "metrics.parquet")
    assert set(metrics["step"]) == {10, 20} and m.WASSERSTEIN_1 in set(metrics["metric"])
    final = metrics[metrics["step"] == 20].set_index("metric")["value"]
    assert final["d_overfitting_gap"] == 1.5 and final["d_sign_train"] == 0.9  # the final probe's train − held-out
    counts = read_parquet(tmp_path / "mode_counts.parquet")
    assert list(counts.columns) == ["seed", "step", "mode", "count"] and len(counts) == 2 * 8


def test_the_evaluation_defaults_have_one_home():
    """The study's defaults (config.DEFAULTS) and the library functions' defaults are one table."""
    import inspect

    from modecollapse import config, evaluate

    assert config.DEFAULTS["evaluation"] == evaluate.EVALUATION_DEFAULTS
    for function in (evaluate.evaluate_run, evaluate.evaluate_image_run, evaluate.evaluate_runs):
        for name, parameter in inspect.signature(function).parameters.items():
            if name in evaluate.EVALUATION_DEFAULTS and parameter.default is not inspect.Parameter.empty:
                assert parameter.default == evaluate.EVALUATION_DEFAULTS[name], (function.__name__, name)
