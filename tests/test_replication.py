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


def test_the_ali_and_veegan_rows_find_a_studys_ali_and_veegan_runs():
    from modecollapse.config import resolve_settings
    from modecollapse.replication import NOT_PUBLISHED, OTHER_SETTING, match_table

    study = {"train": {"steps": 100}, "variants": {"gan-ns": {}, "ali": {}, "veegan": {}}}
    runs = {
        dataset: {name: dataclasses.asdict(resolve_settings(study, name, dataset)) for name in study["variants"]}
        for dataset in ("ring8", "grid25")
    }
    pacgan = {m.row.model: m for m in match_table(published.PACGAN_TABLE1, study_data={}, runs=runs)}
    assert (pacgan["ALI"].status, pacgan["ALI"].run) == (OTHER_SETTING, "ali")  # 100 steps, not PacGAN's 400k
    assert "steps" in " ".join(pacgan["ALI"].differs) and "loss" not in " ".join(pacgan["ALI"].differs)
    veegan = {(m.row.model, m.row.dataset): m for m in match_table(published.VEEGAN_TABLE1, study_data={}, runs=runs)}
    assert (veegan[("VEEGAN", "ring8")].status, veegan[("VEEGAN", "ring8")].run) == (NOT_PUBLISHED, "veegan")
    notebook = veegan[("VEEGAN (notebook)", "grid25")]  # the grid row in VEEGAN's notebook setting
    assert (notebook.status, notebook.run) == (OTHER_SETTING, "veegan") and "fresh_data" in notebook.differs
    assert veegan[("ALI", "ring8")].run == "ali" and veegan[("GAN", "ring8")].run == "gan-ns"
    without = {d: {"gan-ns": r["gan-ns"]} for d, r in runs.items()}
    assert match_table(published.PACGAN_TABLE1, study_data={}, runs=without)[1].status == NO_RUN  # no ali run
