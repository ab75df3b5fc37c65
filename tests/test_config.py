import dataclasses

import pytest
import yaml

from conftest import REPO
from modecollapse.config import (
    TRAIN_KEYS, ConfigError, TrainSettings, load_config, resolve_settings, seed_groups, study_runs, sweep_points,
    validate_config,
)


def _minimal(**extra):
    return {"datasets": ["ring8"], "seeds": [0], "variants": {"gan-ns": {}}} | extra


def load(path):
    return load_config(REPO / path, schema_path=REPO / "workflow/schemas/config.schema.yaml")


@pytest.mark.parametrize(
    "path", ["config/config.yaml", "config/smoke.yaml", "config/paper.yaml", *(f"config/pacgan-table{t}.yaml" for t in (1, 2, 3))]
)
def test_shipped_configs_are_valid(path):
    load(path)


def test_schema_train_keys_match_the_settings_dataclass(schema):
    assert set(schema["$defs"]["train"]["properties"]) == set(TRAIN_KEYS)
    assert schema["$defs"]["train_key"]["enum"] == list(TRAIN_KEYS)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (_minimal(colour="red"), r"unknown key\(s\) 'colour'; allowed: checkpoint_every, data, datasets"),
        (_minimal(train={"stepz": 3}), r"config\['train'\]: unknown key\(s\) 'stepz'; allowed: batch_size"),
        ({**_minimal(), "datasets": ["ring9"]}, r"unknown dataset\(s\) 'ring9'; available: digits, grid25, mnist, ring8, stacked-digits, stacked-mnist"),
        ({**_minimal(), "variants": {"gan-nss": {}}}, r"unknown variant 'gan-nss': 'gan-nss' is neither a loss variant \(gan-ns, gan-minimax"),
        (_minimal(device="gpu"), r"'gpu' is not allowed; allowed: 'auto', 'cpu', 'cuda'"),
        ({**_minimal(), "variants": {"gan-ns": {"lr": -1}}}, r"config\['variants'\]\['gan-ns'\]\['lr'\]"),
    ],
)
def test_bad_config_is_refused_with_what_is_allowed(schema, config, expected):
    with pytest.raises(ConfigError, match=expected):
        validate_config(config, schema=schema)


def test_every_problem_is_reported_at_once(schema):
    with pytest.raises(ConfigError) as error:
        validate_config({**_minimal(colour=1), "datasets": ["ring9"]}, schema=schema)
    assert "colour" in str(error.value) and "ring9" in str(error.value)


def test_settings_precedence(schema):
    config = validate_config(
        _minimal(train={"lr": 0.01, "d_steps": 2}, variants={"gan-ns": {}, "wgan-gp": {"lr": 0.5}}), schema=schema
    )
    ns, gp = resolve_settings(config, "gan-ns"), resolve_settings(config, "wgan-gp")
    assert (ns.lr, ns.d_steps, ns.loss) == (0.01, 2, "gan-ns")  # the study's train block
    assert (gp.lr, gp.d_steps, gp.gp_weight, gp.loss) == (0.5, 5, 10.0, "wasserstein")  # variant defaults, then config
    assert ns.batch_size == TrainSettings().batch_size  # library default


def test_null_variant_entry_means_defaults(schema):
    config = validate_config(yaml.safe_load("datasets: [ring8]\nseeds: [0]\nvariants:\n  gan-ns:\n"), schema=schema)
    assert resolve_settings(config, "gan-ns") == dataclasses.replace(TrainSettings(), loss="gan-ns")


def test_sweeps_make_named_runs_with_one_setting_changed(schema):
    config = validate_config(
        _minimal(variants={"gan-ns": {}, "wgan-gp": {}}, sweeps={"gan-ns": {"lr": [0.01, 1e6], "d_steps": [3]}}),
        schema=schema,
    )
    runs = study_runs(config)
    assert list(runs) == ["gan-ns", "wgan-gp", "gan-ns@lr=0.01", "gan-ns@lr=1e06", "gan-ns@d_steps=3"]
    assert runs["gan-ns@lr=0.01"] == dataclasses.replace(runs["gan-ns"], lr=0.01)
    assert runs["gan-ns@d_steps=3"] == dataclasses.replace(runs["gan-ns"], d_steps=3)
    points = [(p["key"], p["value"], p["run"]) for p in sweep_points(config)]
    default_lr = TrainSettings().lr
    assert points == [("lr", default_lr, "gan-ns"), ("lr", 0.01, "gan-ns@lr=0.01"), ("lr", 1e6, "gan-ns@lr=1e06"),
                      ("d_steps", 1, "gan-ns"), ("d_steps", 3, "gan-ns@d_steps=3")]


@pytest.mark.parametrize(
    ("sweeps", "expected"),
    [
        ({"gan-ns": {"lrr": [1]}}, r"config\['sweeps'\]\['gan-ns'\]: 'lrr' is not allowed; allowed: 'steps', 'batch_size', 'lr'"),
        ({"gan-ns": {"d_steps": [0]}}, r"config\['sweeps'\]\['gan-ns'\]\['d_steps'\]: 0 is less than the minimum of 1"),
        ({"gan-nope": {"lr": [0.1]}}, r"config\['sweeps'\]: unknown variant 'gan-nope'"),
    ],
)
def test_bad_sweeps_are_refused(schema, sweeps, expected):
    with pytest.raises(ConfigError, match=expected):
        validate_config(_minimal(sweeps=sweeps), schema=schema)


def test_combinations_and_tricks_are_valid_variant_names(schema):
    config = validate_config(_minimal(variants={"hinge+sngan": {}, "pacgan-2": {"lr": 0.01}}), schema=schema)
    assert resolve_settings(config, "hinge+sngan").spectral_norm is True
    assert (resolve_settings(config, "pacgan-2").pack, resolve_settings(config, "pacgan-2").lr) == (2, 0.01)
    with pytest.raises(ConfigError, match=r"unknown trick\(s\) 'sngn'"):
        validate_config(_minimal(variants={"hinge+sngn": {}}), schema=schema)


@pytest.mark.parametrize(("size", "groups"), [(0, [(0, 1, 2, 3, 4)]), (2, [(0, 1), (2, 3), (4,)]), (5, [(0, 1, 2, 3, 4)])])
def test_seed_groups(schema, size, groups):
    config = validate_config(_minimal(seeds=[0, 1, 2, 3, 4], ensemble_size=size), schema=schema)
    assert seed_groups(config) == groups


def test_image_datasets_train_with_image_train_under_the_variants_own_settings(schema):
    config = validate_config(
        {"datasets": ["ring8", "digits"], "seeds": [0], "train": {"lr": 1e-4, "steps": 100},
         "image_train": {"lr": 2e-3, "beta1": 0.5, "z_dim": 32}, "variants": {"gan-ns": {}, "wgan-gp": {"steps": 7}},
         "sweeps": {"gan-ns": {"lr": [0.01]}}},
        schema=schema,
    )
    assert resolve_settings(config, "gan-ns", "ring8").lr == 1e-4
    image = resolve_settings(config, "gan-ns", "digits")
    assert (image.lr, image.beta1, image.z_dim, image.steps) == (2e-3, 0.5, 32, 100)  # train < image_train
    gp = resolve_settings(config, "wgan-gp", "digits")
    assert (gp.beta1, gp.lr, gp.steps) == (0.5, 2e-3, 7)  # the variant's prescribed betas and its config entry win
    assert study_runs(config, "digits")["gan-ns@lr=0.01"].z_dim == 32
    points = {p["run"]: p["value"] for p in sweep_points(config, "digits")}
    assert points == {"gan-ns": 2e-3, "gan-ns@lr=0.01": 0.01}  # the unswept point at the dataset's own value
    assert config["data"]["stacked_size"] == 128_000 and config["download"]["mirrors"]


def test_bad_mirror_is_refused(schema):
    with pytest.raises(ConfigError, match=r"config\['download'\]\['mirrors'\]\[0\]"):
        validate_config({**_minimal(), "download": {"mirrors": ["ftp.example.org/mnist"]}}, schema=schema)



def test_settings_valid_alone_but_not_together_are_refused_before_any_job(schema):
    with pytest.raises(ConfigError, match=r"runs on ring8.*simultaneous.*d_steps: 1.*got d_steps: 5"):
        validate_config(_minimal(train={"update": "simultaneous"}, variants={"wgan-gp": {}}), schema=schema)


def test_table_three_sweeps_discriminator_width_for_half_g(schema):
    config = load("config/pacgan-table3.yaml")
    runs = study_runs(config, "stacked-mnist")
    assert runs["pacgan-2"].d_width == 2 and runs["pacgan-2@d_width=4"].d_width == 4
    assert (runs["gan-ns"].lr, runs["gan-ns"].g_lr, runs["gan-ns"].beta2) == (2e-4, 1e-4, 0.99)
