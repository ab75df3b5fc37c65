import numpy as np
import pandas as pd
import pytest

from modecollapse.data import DATASETS, sample_mixture
from modecollapse.evaluate import COLLAPSED, FORGETTING_EVENTS, MODES_EVER_COVERED, evaluate_run


@pytest.fixture(scope="module")
def ring8():
    mixture = DATASETS["ring8"]
    points, _ = sample_mixture(mixture, n=20_000, seed=0)
    return {"points": points, "centers": np.asarray(mixture.centers), "std": np.full(8, mixture.std)}


def snapshots(*frames):
    return pd.concat([pd.DataFrame({"step": step, "x": f[:, 0], "y": f[:, 1]}) for step, f in frames], ignore_index=True)


def table(metrics):
    return metrics.pivot(index="step", columns="metric", values="value")


def test_a_generator_that_samples_the_data_scores_as_the_data(ring8):
    fake = sample_mixture(DATASETS["ring8"], n=1000, seed=9)[0]
    values = table(evaluate_run(samples=snapshots((10, fake), (20, fake)), dataset=ring8, threshold=3.0,
                                collapse_coverage=0.5, floors={"reverse_kl_floor": 0.0035}))
    final = values.loc[20]
    assert final["modes_covered"] == 8 and final[COLLAPSED] == 0
    assert final["density"] == pytest.approx(1.0, abs=0.15)  # real vs real: E[density] = 1
    assert final["wasserstein_1"] < 0.1 and final["reverse_kl_floor"] == 0.0035
    assert np.isnan(values.loc[10, "wasserstein_1"]) and values.loc[10, "sliced_wasserstein_2"] >= 0


def test_mode_hopping_and_collapse_are_counted(ring8):
    centers = ring8["centers"]
    first = np.repeat(centers[[0, 1]], 50, axis=0)  # modes 0 and 1
    second = np.repeat(centers[[2]], 100, axis=0)  # hops to mode 2: forgets 0 and 1
    values = table(evaluate_run(samples=snapshots((10, first), (20, second)), dataset=ring8, threshold=3.0,
                                collapse_coverage=0.5))
    assert list(values["modes_covered"]) == [2, 1]
    assert list(values[MODES_EVER_COVERED]) == [2, 3]
    assert list(values[FORGETTING_EVENTS]) == [0, 2]
    assert list(values[COLLAPSED]) == [1, 1]  # 2 and 1 of 8 modes: below half


def test_a_diverged_snapshot_has_no_distances_and_counts_as_collapsed(ring8):
    fake = np.full((100, 2), np.nan)
    values = table(evaluate_run(samples=snapshots((10, fake)), dataset=ring8, threshold=3.0, collapse_coverage=0.5))
    assert values.loc[10, COLLAPSED] == 1 and values.loc[10, "modes_covered"] == 0
    assert np.isnan(values.loc[10, "wasserstein_1"]) and np.isnan(values.loc[10, "precision"])
