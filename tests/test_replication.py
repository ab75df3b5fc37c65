"""Replication matching: every training setting is accounted for, so a trick run never stands in for a plain row."""

import dataclasses

from modecollapse import published
from modecollapse.config import TrainSettings
from modecollapse.published import MODEL_KEYS, TRAINING_KEYS, PublishedRow
from modecollapse.replication import MATCHED, NO_RUN, match_row


def test_every_train_setting_is_a_model_or_a_training_setting():
    # A new TrainSettings field (a new trick, say) must be placed in one of the two lists: left out, a
    # run with that trick on would match a published plain-GAN row and get a verdict.
    fields = [field.name for field in dataclasses.fields(TrainSettings)]
    assert not set(MODEL_KEYS) & set(TRAINING_KEYS), "a setting is in both lists"
    assert sorted(MODEL_KEYS + TRAINING_KEYS) == sorted(fields)


def test_tricks_off_are_the_defaults():
    defaults = TrainSettings()
    assert published.TRICKS_OFF == {
        **{key: getattr(defaults, key) for key in MODEL_KEYS if key != "loss"},
        "train_size": 0,
    }


def _runs(**changes):
    plain = dataclasses.asdict(TrainSettings(steps=100))
    return {"ring8": {"gan-ns": plain, "trick": {**plain, **changes}}}


def test_a_row_that_leaves_a_trick_unnamed_has_it_off():
    # a row written before a trick existed names neither its setting nor its value
    row = PublishedRow(model="GAN", dataset="ring8", settings={"loss": "gan-ns", "steps": 100}, numbers={})
    only_trick = {"ring8": {"trick": _runs(pack=2)["ring8"]["trick"]}}
    assert match_row(row, table_data={}, study_data={}, runs=only_trick).status == NO_RUN
    both = match_row(row, table_data={}, study_data={}, runs=_runs(pack=2))
    assert (both.status, both.run) == (MATCHED, "gan-ns")
