import dataclasses

import pytest
import yaml

from conftest import REPO
from modecollapse.config import TRAIN_KEYS, ConfigError, TrainSettings, load_config, resolve_settings, validate_config


def _minimal(**extra):
    return {"datasets": ["ring8"], "seeds": [0], "variants": {"gan-ns": {}}, **extra}


@pytest.mark.parametrize("path", ["config/config.yaml", "config/smoke.yaml"])
def test_shipped_configs_are_valid(path):
    load_config(REPO / path, schema_path=REPO / "workflow/schemas/config.schema.yaml")


def test_schema_train_keys_match_the_settings_dataclass(schema):
    assert set(schema["$defs"]["train"]["properties"]) == set(TRAIN_KEYS)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (_minimal(colour="red"), r"unknown key\(s\) 'colour'; allowed: data, datasets"),
        (_minimal(train={"stepz": 3}), r"config\['train'\]: unknown key\(s\) 'stepz'; allowed: batch_size"),
        ({**_minimal(), "datasets": ["ring9"]}, r"unknown dataset\(s\) 'ring9'; available: grid25, ring8"),
        ({**_minimal(), "variants": {"gan-nss": {}}}, r"unknown variant\(s\) 'gan-nss'; available: gan-minimax, gan-ns, wgan-gp"),
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
