"""The report's figure blocks: what the sweeps show, read from the summary."""

import pandas as pd

from modecollapse.config import sweep_label, sweep_order
from modecollapse.metrics import MODES_COVERED, OVERFITTING_GAP
from modecollapse.paper.figures import sweep_readings


def _summary(cells):
    """A summary with the mean of each (dataset, run, metric) of `cells`."""
    return pd.DataFrame(
        [{"dataset": d, "variant": run, "metric": metric, "mean": mean} for (d, run, metric), mean in cells.items()]
    )


def _points(dataset, key, runs):
    """Sweep points as config.sweep_points gives them: in order of value (train_size 0 last), labelled."""
    ordered = sorted(runs, key=lambda run: sweep_order(key, run[0]))
    return {
        dataset: [
            {"variant": "gan-ns", "key": key, "value": v, "run": r, "label": sweep_label(key, v)} for v, r in ordered
        ]
    }


TRAIN_SIZE_RUNS = ((0, "gan-ns"), (32, "gan-ns@train_size=32"), (256, "gan-ns@train_size=256"))


def test_a_gap_that_shrinks_as_the_training_set_grows_reads_as_growing_when_train_size_falls():
    # train_size 0 is every training point: the largest set, after 256
    gaps = {"gan-ns@train_size=32": 0.40, "gan-ns@train_size=256": 0.10, "gan-ns": 0.02}
    cells = {("digits", run, OVERFITTING_GAP): gap for run, gap in gaps.items()}
    cells |= {("digits", run, MODES_COVERED): 5.0 for run in gaps}
    text = sweep_readings(summary=_summary(cells), points=_points("digits", "train_size", TRAIN_SIZE_RUNS))
    assert r"the gap grows as \texttt{train\_size} falls" in text
    # in order of the setting, "all" last, with the gap and the share of the 10 modes covered
    assert "32: $+0.400$, 50\\%; 256: $+0.100$, 50\\%; all: $+0.020$, 50\\%" in text


def test_a_gap_that_does_not_follow_the_setting_is_said_not_to():
    gaps = {"gan-ns@train_size=32": 0.05, "gan-ns@train_size=256": 0.20, "gan-ns": 0.01}
    cells = {("ring8", run, OVERFITTING_GAP): gap for run, gap in gaps.items()}
    cells |= {("ring8", run, MODES_COVERED): 8.0 for run in gaps}
    text = sweep_readings(summary=_summary(cells), points=_points("ring8", "train_size", TRAIN_SIZE_RUNS))
    assert r"does not change monotonically with \texttt{train\_size}" in text and "grows" not in text


def test_a_learning_rate_sweep_reads_its_direction_and_an_unprobed_sweep_is_left_out():
    runs = ((0.0001, "gan-ns@lr=0.0001"), (0.0005, "gan-ns"), (0.005, "gan-ns@lr=0.005"))
    cells = {("ring8", r, OVERFITTING_GAP): g for (_, r), g in zip(runs, (0.0, 0.01, 0.03))}
    cells |= {("ring8", r, MODES_COVERED): 8.0 for _, r in runs}
    assert r"grows as \texttt{lr} rises" in sweep_readings(summary=_summary(cells), points=_points("ring8", "lr", runs))
    del cells[("ring8", "gan-ns@lr=0.005", OVERFITTING_GAP)]  # a run without a gap: nothing is read
    assert sweep_readings(summary=_summary(cells), points=_points("ring8", "lr", runs)) == ""


def test_a_sweep_of_a_choice_is_read_value_by_value_without_a_direction():
    runs = (("alternating", "gan-ns@update=alternating"), ("simultaneous", "gan-ns"))
    cells = {("ring8", r, OVERFITTING_GAP): g for (_, r), g in zip(runs, (0.02, 0.01))}
    cells |= {("ring8", r, MODES_COVERED): 4.0 for _, r in runs}
    text = sweep_readings(summary=_summary(cells), points=_points("ring8", "update", runs))
    assert r"the gap is set beside each value of \texttt{update}" in text and "rises" not in text
    assert "alternating: $+0.020$, 50\\%; simultaneous: $+0.010$, 50\\%" in text
