import dataclasses
import re

import pytest
import yaml
from conftest import REPO

from modecollapse.config import (
    SCHEMA,
    TRAIN_KEYS,
    ConfigError,
    TrainSettings,
    load_config,
    load_schema,
    load_study,
    resolve_settings,
    resolve_study,
    seed_groups,
    study_runs,
    sweep_points,
    validate_config,
)
from modecollapse.configfile import read_config, read_override


def _minimal(**extra):
    return {"datasets": ["ring8"], "seeds": [0], "variants": {"gan-ns": {}}} | extra


def load(path):
    return load_config(REPO / path)


@pytest.mark.parametrize(
    "path",
    [
        "config/config.yaml",
        "config/smoke.yaml",
        "config/causes.yaml",
        "config/paper.yaml",
        *(f"config/pacgan-table{t}.yaml" for t in (1, 2, 3)),
    ],
)
def test_shipped_configs_are_valid(path):
    load(path)


def test_schema_train_keys_match_the_settings_dataclass(schema):
    assert set(schema["$defs"]["train"]["properties"]) == set(TRAIN_KEYS)
    assert schema["$defs"]["train_key"]["enum"] == list(TRAIN_KEYS)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (_minimal(colour="red"), r"unknown key\(s\) 'colour'; allowed: checkpoint_every, cuda_graphs, data, datasets"),
        (_minimal(train={"stepz": 3}), r"config\['train'\]: unknown key\(s\) 'stepz'; allowed: batch_size"),
        (
            {**_minimal(), "datasets": ["ring9"]},
            r"unknown dataset\(s\) 'ring9'; available: digits, grid25, mnist, ring8, ring8-linspace, "
            r"stacked-digits, stacked-mnist",
        ),
        (
            {**_minimal(), "variants": {"gan-nss": {}}},
            r"unknown variant 'gan-nss': 'gan-nss' is neither a loss variant \(gan-ns, gan-minimax",
        ),
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


def test_a_train_size_sweep_puts_all_points_last_and_labels_it_all(schema):
    config = validate_config(
        _minimal(variants={"gan-ns": {}}, sweeps={"gan-ns": {"train_size": [256, 32]}}), schema=schema
    )
    points = [(p["value"], p["label"], p["order"]) for p in sweep_points(config)]
    assert points == [(32, "32", 0), (256, "256", 1), (0, "all", 2)]  # the base trains on every point (0)


def test_a_sweep_of_a_choice_labels_its_values_as_written(schema):
    # paper.yaml sweeps the update rule: a choice, not a number, so no number format applies
    config = validate_config(
        _minimal(
            train={"update": "simultaneous"}, variants={"gan-ns": {}}, sweeps={"gan-ns": {"update": ["alternating"]}}
        ),
        schema=schema,
    )
    points = [(p["value"], p["label"]) for p in sweep_points(config)]
    assert sorted(points) == [("alternating", "alternating"), ("simultaneous", "simultaneous")]


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
    assert points == [
        ("lr", default_lr, "gan-ns"),
        ("lr", 0.01, "gan-ns@lr=0.01"),
        ("lr", 1e6, "gan-ns@lr=1e06"),
        ("d_steps", 1, "gan-ns"),
        ("d_steps", 3, "gan-ns@d_steps=3"),
    ]


@pytest.mark.parametrize(
    ("sweeps", "expected"),
    [
        (
            {"gan-ns": {"lrr": [1]}},
            r"config\['sweeps'\]\['gan-ns'\]: key 'lrr' is not allowed; allowed: 'steps', 'batch_size', 'lr'",
        ),
        ({"gan-ns": {"d_steps": [0]}}, r"config\['sweeps'\]\['gan-ns'\]\['d_steps'\]: 0 is less than the minimum of 1"),
        ({"gan-nope": {"lr": [0.1]}}, r"config\['sweeps'\]: unknown variant 'gan-nope'"),
        # two values that print alike would make one run under one name, and the last would win
        (
            {"gan-ns": {"lr": [0.001, 0.0010000001]}},
            r"sweep values 0\.001 and 0\.0010000001 of gan-ns's lr both make "
            r"the run name gan-ns@lr=0\.001; sweep values must differ in their first 6",
        ),
        (
            {"gan-ns": {"lr": [0.1]}, "wgan-gp": {"update": ["simultaneous"]}},
            r"run wgan-gp@update=simultaneous: update: simultaneous takes one D and one G update",
        ),
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


@pytest.mark.parametrize(
    ("size", "groups"), [(0, [(0, 1, 2, 3, 4)]), (2, [(0, 1), (2, 3), (4,)]), (5, [(0, 1, 2, 3, 4)])]
)
def test_seed_groups(schema, size, groups):
    config = validate_config(_minimal(seeds=[0, 1, 2, 3, 4], ensemble_size=size), schema=schema)
    assert seed_groups(config) == groups


def test_image_datasets_train_with_image_train_under_the_variants_own_settings(schema):
    config = validate_config(
        {
            "datasets": ["ring8", "digits"],
            "seeds": [0],
            "train": {"lr": 1e-4, "steps": 100},
            "image_train": {"lr": 2e-3, "beta1": 0.5, "z_dim": 32},
            "variants": {"gan-ns": {}, "wgan-gp": {"steps": 7}},
            "sweeps": {"gan-ns": {"lr": [0.01]}},
        },
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
    with pytest.raises(
        ConfigError, match=r"runs on ring8\): run wgan-gp: update: simultaneous.*d_steps: 1.*got d_steps: 5"
    ):
        validate_config(_minimal(train={"update": "simultaneous"}, variants={"wgan-gp": {}}), schema=schema)


def test_a_study_is_resolved_once_into_its_datasets_runs_seeds_and_sweeps(schema):
    config = validate_config(
        {
            "datasets": ["ring8", "stacked-digits"],
            "seeds": [0, 1, 2],
            "ensemble_size": 2,
            "device": "cpu",
            "image_train": {"z_dim": 32},
            "variants": {"gan-ns": {}, "wgan-gp": {}},
            "sweeps": {"gan-ns": {"lr": [0.01, 1e6]}, "wgan-gp": {"gp_weight": [1.0]}},
        },
        schema=schema,
    )
    study = resolve_study(config)
    assert study.config == config and study.datasets == ["ring8", "stacked-digits"]
    assert study.variants == ["gan-ns", "wgan-gp"]
    assert study.run_names == ["gan-ns", "wgan-gp", "gan-ns@lr=0.01", "gan-ns@lr=1e06", "wgan-gp@gp_weight=1"]
    assert study.runs == {dataset: study_runs(config, dataset) for dataset in config["datasets"]}
    assert study.runs["stacked-digits"]["gan-ns@lr=0.01"].z_dim == 32  # image_train, for image datasets only
    assert study.runs["ring8"]["gan-ns@lr=0.01"].z_dim == 2
    assert study.sweep_points == {dataset: sweep_points(config, dataset) for dataset in config["datasets"]}
    bases = {"gan-ns@lr=0.01": "gan-ns", "gan-ns@lr=1e06": "gan-ns", "wgan-gp@gp_weight=1": "wgan-gp"}
    assert study.sweep_bases == bases  # each sweep point is tested against its own variant
    assert (study.seeds, study.seed_groups) == ([0, 1, 2], [(0, 1), (2,)])
    assert (study.device, study.evaluation, study.data) == ("cpu", config["evaluation"], config["data"])
    assert (study.image_datasets, study.families) == (["stacked-digits"], ["digits"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        study.seeds = [0]


def test_load_study_reads_validates_and_resolves_a_file():
    study = load_study(REPO / "config" / "smoke.yaml")
    assert study.config == load("config/smoke.yaml") and "gan-ns@lr=0.003" in study.run_names


def test_the_schema_ships_inside_the_package():
    """The workflow and the CLI read the schema from the package, so an installed modecollapse has it:
    pyproject.toml's package-data must name it."""
    import fnmatch
    import tomllib

    assert SCHEMA.is_file() and load_schema() == read_config(SCHEMA)
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert any(fnmatch.fnmatch("schemas/config.schema.yaml", p) for p in setuptools["package-data"]["modecollapse"])


def test_table_three_sweeps_discriminator_width_for_half_g(schema):
    config = load("config/pacgan-table3.yaml")
    runs = study_runs(config, "stacked-mnist")
    assert runs["pacgan-2"].d_width == 2 and runs["pacgan-2@d_width=4"].d_width == 4
    assert (runs["gan-ns"].lr, runs["gan-ns"].g_lr, runs["gan-ns"].beta2) == (2e-4, 1e-4, 0.99)


def _config_file(tmp_path, text: str | bytes, name="study.yaml"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def load_file(path):
    return load_config(path)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (
            _minimal(train={"steps": 100.0}),
            r"config\['train'\]\['steps'\]: 100.0 is not an integer; allowed: an integer, written "
            r"without a decimal point or exponent",
        ),
        (_minimal(seeds=[1.0]), r"config\['seeds'\]\[0\]: 1.0 is not an integer"),
        (_minimal(data={"seed": 0.0}), r"config\['data'\]\['seed'\]: 0.0 is not an integer"),
        (_minimal(train={"batch_size": 1e11}), r"config\['train'\]\['batch_size'\]: 100000000000.0 is not an integer"),
        (
            _minimal(sweeps={"gan-ns": {"steps": [100.0]}}),
            r"config\['sweeps'\]\['gan-ns'\]\['steps'\]: 100.0 is not an integer",
        ),
    ],
)
def test_a_float_is_refused_where_an_integer_is_meant(schema, config, expected):
    with pytest.raises(ConfigError, match=expected):
        validate_config(config, schema=schema)


@pytest.mark.parametrize(
    ("config", "where"),
    [
        (_minimal(train={"lr": float("nan")}), r"config\['train'\]\['lr'\]: nan"),
        (_minimal(variants={"gan-ns": {"lr": float("inf")}}), r"config\['variants'\]\['gan-ns'\]\['lr'\]: inf"),
        (_minimal(train={"g_lr": float("-inf")}), r"config\['train'\]\['g_lr'\]: -inf"),
        (_minimal(evaluation={"threshold": float("inf")}), r"config\['evaluation'\]\['threshold'\]: inf"),
        (_minimal(sweeps={"gan-ns": {"lr": [float("nan")]}}), r"config\['sweeps'\]\['gan-ns'\]\['lr'\]: nan"),
    ],
)
def test_non_finite_numbers_are_refused(schema, config, where):
    with pytest.raises(ConfigError, match=where + " is not a finite number; allowed: a finite number"):
        validate_config(config, schema=schema)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (_minimal(seeds=[2**32]), r"config\['seeds'\]\[0\]: 4294967296 is greater than the maximum of 4294967295"),
        (
            _minimal(seeds=[0, 2**64]),
            r"config\['seeds'\]\[1\]: 18446744073709551616 is greater than the maximum of 4294967295",
        ),
        (
            _minimal(data={"seed": 2**32}),
            r"config\['data'\]\['seed'\]: 4294967296 is greater than the maximum of 4294967295",
        ),
        (
            _minimal(train={"batch_size": 10**11}),
            r"config\['train'\]\['batch_size'\]: 100000000000 is greater than the maximum of 65536",
        ),
        (
            _minimal(train={"steps": 10**8 + 1}),
            r"config\['train'\]\['steps'\]: 100000001 is greater than the maximum of 100000000",
        ),
        (
            _minimal(data={"size": 10**7 + 1}),
            r"config\['data'\]\['size'\]: 10000001 is greater than the maximum of 10000000",
        ),
        (
            _minimal(data={"stacked_size": 10**6 + 1}),
            r"config\['data'\]\['stacked_size'\]: 1000001 is greater than the maximum",
        ),
        (
            _minimal(train={"g_width": 10**6}),
            r"config\['train'\]\['g_width'\]: 1000000 is greater than the maximum of 1024",
        ),
        (
            _minimal(train={"train_size": 10**7 + 1}),
            r"config\['train'\]\['train_size'\]: 10000001 is greater than the maximum",
        ),
        (
            _minimal(train={"snapshot_samples": 10**9}),
            r"config\['train'\]\['snapshot_samples'\]: 1000000000 is greater than the maximum",
        ),
    ],
)
def test_values_beyond_what_training_can_meet_are_refused(schema, config, expected):
    with pytest.raises(ConfigError, match=expected):
        validate_config(config, schema=schema)


def test_the_largest_allowed_values_are_valid(schema):
    config = validate_config(
        _minimal(
            seeds=[0, 2**32 - 1],
            data={"seed": 2**32 - 1, "size": 10**7},
            train={"batch_size": 65536, "steps": 10**8, "train_size": 10**7},
        ),
        schema=schema,
    )
    assert config["seeds"] == [0, 2**32 - 1] and config["data"]["size"] == 10**7


def test_every_integer_and_number_setting_has_bounds(schema):
    """Each integer and number a user sets is bounded below, and each integer size above, so that
    nothing passes validation that training cannot allocate."""

    def settings(node, path=()):
        for key, sub in (node.get("properties") or {}).items():
            yield (*path, key), sub
            yield from settings(sub, (*path, key))

    train = {("train", key): sub for key, sub in schema["$defs"]["train"]["properties"].items()}
    for path, sub in [*settings(schema), *train.items()]:
        types = sub.get("type") if isinstance(sub.get("type"), list) else [sub.get("type")]
        if "integer" in types or "number" in types:
            assert "minimum" in sub or "exclusiveMinimum" in sub, path
        if "integer" in types and path[-1] not in ("ensemble_size",):
            assert "maximum" in sub, path


@pytest.mark.parametrize("scale", ["a$b", "x{y}", "a\\b", "a^^5b", "", " leading", "x" * 65, "tab\there"])
def test_an_unsafe_scale_is_refused_with_the_allowed_pattern(schema, scale):
    with pytest.raises(ConfigError, match=r"config\['scale'\]: .* does not match the allowed pattern \^\[A-Za-z0-9\]"):
        validate_config(_minimal(scale=scale), schema=schema)


@pytest.mark.parametrize("scale", ["default", "PacGAN Table 1", "v1.2_run-3"])
def test_a_plain_scale_is_valid(schema, scale):
    assert validate_config(_minimal(scale=scale), schema=schema)["scale"] == scale


def test_a_variant_name_that_is_not_text_is_refused(schema):
    with pytest.raises(ConfigError, match=r"config\['variants'\]: key 1 is an integer; allowed: a string"):
        validate_config(_minimal(variants={1: {}}), schema=schema)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1e-4", 1e-4),
        ("1E5", 1e5),
        (".5e3", 500.0),
        ("-2.5e-3", -2.5e-3),
        ("+1e2", 100.0),
        ("1.0e+5", 1e5),
        ("0.0005", 5e-4),
        ("3", 3),
        ("'1e-4'", "1e-4"),
        ("1e-4x", "1e-4x"),
    ],
)
def test_numbers_in_exponent_notation_are_read_as_numbers(tmp_path, text, value):
    read = read_config(_config_file(tmp_path, f"value: {text}\n"))
    assert read == {"value": value} and type(read["value"]) is type(value)


def test_a_config_with_lr_1e_4_is_valid(tmp_path):
    path = _config_file(
        tmp_path, "datasets: [ring8]\nseeds: [0]\ntrain: {lr: 1e-4, steps: 100}\nvariants: {gan-ns: {}}\n"
    )
    assert resolve_settings(load_file(path), "gan-ns").lr == 1e-4


@pytest.mark.parametrize(
    ("text", "line", "key"),
    [
        ("datasets: [ring8]\nseeds: [0]\nseeds: [1]\nvariants: {gan-ns: {}}\n", 3, "seeds"),
        ("datasets: [ring8]\nseeds: [0]\nvariants:\n  gan-ns:\n    lr: 0.1\n    steps: 5\n    lr: 0.2\n", 7, "lr"),
        ("datasets: [ring8]\nseeds: [0]\nvariants: {gan-ns: {}, gan-ns: {lr: 1}}\n", 3, "gan-ns"),
    ],
)
def test_a_duplicate_key_is_refused_with_file_and_line(tmp_path, text, line, key):
    path = _config_file(tmp_path, text)
    with pytest.raises(
        ConfigError, match=rf"^{re.escape(str(path))}:{line}:\d+: duplicate key '{key}' \(first at line"
    ):
        load_file(path)


def test_merge_keys_override_without_counting_as_duplicates(tmp_path):
    path = _config_file(
        tmp_path,
        "datasets: [ring8]\nseeds: [0]\ntrain: &shared {lr: 0.1, steps: 50}\nimage_train: {<<: *shared, lr: 0.2}\n"
        "variants: {gan-ns: {}}\n",
    )
    config = load_file(path)
    assert config["image_train"] == {"lr": 0.2, "steps": 50}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"[1, 2]\n", r":1:1: the file holds a list; a study config is a mapping of keys"),
        (b"# a comment\n\n42\n", r":3:1: the file holds an integer; a study config is a mapping of keys"),
        (b"datasets: [ring8]\nscale: caf\xe9\n", r":2:11: not UTF-8 text \(byte 0xe9\)"),
        (b"datasets: [ring8]\nseeds: [0\nvariants: {}\n", r":3:\d+: not valid YAML: "),
        (b"datasets: [ring8]\n\tseeds: [0]\n", r":2:1: not valid YAML: "),
        (b"datasets: [ring8]\nscale: a\x07\n", r":2:9: not valid YAML: unacceptable character #x0007"),
        (b"a: !!python/object/apply:os.system [ls]\n", r":1:4: not valid YAML: could not determine a constructor"),
        (b"a: 1\n---\nb: 2\n", r":2:1: not valid YAML: but found another document \(expected a single document"),
    ],
)
def test_a_malformed_file_is_refused_in_one_line_with_file_and_line(tmp_path, text, expected):
    path = _config_file(tmp_path, text)
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(path))}{expected}") as error:
        load_file(path)
    assert "\n" not in str(error.value)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(tmp_path / 'nope.yaml'))}: cannot be read: No such file"):
        load_file(tmp_path / "nope.yaml")


def test_an_invalid_config_file_names_the_file(tmp_path):
    path = _config_file(tmp_path, "datasets: [ring8]\nseeds: [0]\nvariants: {gan-ns: {lr: .nan}}\n")
    with pytest.raises(
        ConfigError,
        match=rf"^{re.escape(str(path))}: invalid configuration:\n  - config\['variants'\]\['gan-ns'\]\['lr'\]: nan",
    ):
        load_file(path)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("device=cpu", ("device", "cpu")),
        ("seeds=[0, 1]", ("seeds", [0, 1])),
        ("train={lr: 1e-4}", ("train", {"lr": 1e-4})),
        ("scale=", ("scale", None)),
        ("scale=a=b", ("scale", "a=b")),
    ],
)
def test_a_config_override_is_read_as_a_config_file_is(entry, expected):
    assert read_override(entry) == expected


def test_a_malformed_config_override_is_named():
    with pytest.raises(ConfigError, match=r"^--config train:1:\d+: not valid YAML: expected ',' or '}'"):
        read_override("train={lr: 1")


def test_a_fixed_size_conv_architecture_on_images_of_another_size_is_refused_before_any_job(schema):
    """veegan-dcgan and unrolled-gan are 28×28 nets: on 8×8 digits the training job would fail
    after the data were made; check-config names the run, both sizes and the way out."""
    config = _minimal(datasets=["ring8", "stacked-digits", "stacked-mnist"], image_train={"image_arch": "unrolled-gan"})
    with pytest.raises(ConfigError) as error:
        validate_config(config, schema=schema)
    assert str(error.value).splitlines()[1:] == [
        "  - config (runs on stacked-digits): run gan-ns: image_arch unrolled-gan is defined for 28×28 images, "
        "stacked-digits's are 8×8; use image_arch: dcgan"
    ]
