"""Study configuration: reading it, validation against the JSON schema, and the settings each run resolves to.

A config file is read by `read_config` (the CLI's check-config and the workflow both use it), whose
YAML loader differs from PyYAML's safe loader in two ways that make a file mean what its author
wrote: 1e-4 is a number (as in YAML 1.2; YAML 1.1 reads it as text), and a key repeated in a
mapping is refused instead of silently keeping its last value. `validate_config` then checks the
values against the schema with two stricter types than JSON Schema's: an integer is never a
float (100.0 is refused for steps) and a number is finite (nan and inf are refused).
`resolve_study` then turns the validated config into the Study that the workflow's rules and the
CLI use: its datasets, run names and their settings, seeds and sweeps, resolved once.
"""

from __future__ import annotations

import dataclasses
import math
import os
from importlib import resources
from typing import Any, Callable, Mapping

import jsonschema

from .architectures import image_shape_problem
from .augment import parse_policy
from .configfile import TYPE_WORDS, ConfigError, kind_of, read_config
from .data import DATASETS, is_image
from .defaults import EVALUATION_DEFAULTS
from .download import DEFAULT_DEADLINE_S, DEFAULT_MIRRORS
from .losses import LOSSES
from .variants import VariantError, variant_defaults

# The tricks ALI and VEEGAN cannot take, and why (TrainSettings refuses them switched on)
JOINT_REFUSALS = {
    "unrolled_steps": "unrolling a joint D(x, z) through G's and the encoder's step is not defined here",
    "pack": "D judges (x, z) pairs; packing pairs is neither published nor defined here",
    "feature_matching": "feature matching has no published form for a joint D(x, z)",
}


@dataclasses.dataclass(frozen=True)
class TrainSettings:
    """Everything that decides a training run besides its dataset and seed.

    Defaults are PacGAN's 2D networks with alternating updates; the study's `train` and, for
    image datasets, `image_train` override them. Image datasets train the convolutional nets named
    by `image_arch` (architectures.IMAGE_ARCHITECTURES), whose channel counts scale with g_width and
    d_width; the depth and maxout settings below apply to 2D data only. The settings that
    replicate each published table are listed in docs/protocol.md.
    """

    loss: str = "gan-ns"  # set from the variant, never from config
    steps: int = 2000  # training iterations: d_steps D updates then g_steps G updates, or one simultaneous update
    batch_size: int = 100
    lr: float = 1e-4  # learning rate of D, and of G unless g_lr is set (PacGAN 2D: 1e-4 for both)
    beta1: float = 0.8  # Adam β1 of D, and of G unless g_beta1 is set (PacGAN 2D: 0.8)
    beta2: float = 0.999
    g_lr: float | None = None  # G's own learning rate; None = lr (Unrolled-GAN setting: D 2e-4, G 1e-4)
    g_beta1: float | None = None  # G's own Adam β1; None = beta1
    g_beta2: float | None = None  # G's own Adam β2; None = beta2
    # step decay: after this fraction of the steps, D's and G's learning rates drop to lr_drop_factor
    # times their own for the rest of training; 0 = never (a constant learning rate)
    lr_drop: float = 0.0
    lr_drop_factor: float = 0.1
    update: str = "alternating"  # alternating: D steps, then G steps; simultaneous: both from one batch (PacGAN 2D)
    d_steps: int = 1  # discriminator updates per iteration
    g_steps: int = 1  # generator updates per iteration (VEEGAN setting: 2)
    gp_weight: float = 0.0  # λ of the WGAN-GP penalty; 0 = off
    z_dim: int = 2
    z_distribution: str = "normal"  # normal: N(0, I); uniform: U[-1, 1] per coordinate (VEEGAN setting)
    z_reuse: bool = False  # one latent batch per iteration, shared by its D and G updates (PacGAN's Stacked-MNIST code)
    g_width: int = 400
    g_depth: int = 4  # hidden layers of G
    g_batchnorm: bool = True
    g_activation: str = "relu"  # relu | tanh: G's hidden layers (GDPP's 2D G: tanh)
    noise_dim: int = 0  # extra N(0, 1) inputs to G besides z, never reconstructed (VEEGAN's notebook: 1); 0 = none
    bn_momentum: float = 0.1  # BatchNorm running statistics: r <- (1 - m) r + m batch (PacGAN 2D: 0.05)
    d_width: int = 200
    d_depth: int = 3  # hidden maxout layers of D
    d_maxout: int = 5  # pieces per maxout unit; 1 = plain layers of d_activation
    d_activation: str = "relu"  # relu | tanh: D's hidden layers when d_maxout is 1 (GDPP's 2D D: tanh)
    e_width: int = 400  # units per hidden layer of ALI's encoder / VEEGAN's reconstructor (PacGAN's ALI: 400)
    e_depth: int = 2  # its hidden layers (PacGAN's ALI: 2; VEEGAN's notebook: 2)
    e_batchnorm: bool = True  # BatchNorm in its hidden layers (PacGAN's ALI: yes; VEEGAN: no)
    e_noise_dim: int = 2  # ALI: N(0, I) inputs concatenated to x, E(x, ε) (PacGAN's ALI: 2); VEEGAN: 0
    image_arch: str = "dcgan"  # conv nets of image datasets: dcgan | veegan-dcgan | unrolled-gan (architectures)
    init_std: float = 0.02  # weights ~ N(0, init_std), biases 0 (PacGAN 2D); init normal only
    init: str = "normal"  # normal: N(0, init_std); orthogonal (GDPP: gain 1.4) or glorot (VEEGAN) times init_gain
    init_gain: float = 1.0  # gain of orthogonal or glorot initialisation
    snapshot_every: int = 500  # steps between sample snapshots (the last step is always one)
    snapshot_samples: int = 2500  # samples per snapshot, from one fixed z set (PacGAN evaluation)
    log_every: int = 10  # steps between recorded losses
    optimizer: str = "adam"  # adam | rmsprop (WGAN with clipping)
    weight_clip: float = 0.0  # clip every D parameter to [-c, c] after each D step; 0 = off
    r1_gamma: float = 0.0  # R1 weight γ: (γ/2)E‖∇D(x_real)‖²; 0 = off
    spectral_norm: bool = False  # spectral normalisation of D's weights
    unrolled_steps: int = 0  # G's loss through k unrolled D updates; 0 = off
    # against the unrolled D, G minimises its own loss (generator) or, as the Unrolled-GAN demo
    # notebook does, minus the unrolled D's loss on the unrolling batch itself (negated-critic)
    unrolled_objective: str = "generator"
    pack: int = 1  # PacGAN: samples per D input; 1 = off
    minibatch_kernels: int = 0  # minibatch discrimination kernels B; 0 = off
    minibatch_kernel_dim: int = 5  # dims C of each minibatch kernel
    feature_matching: bool = False  # G matches D's mean last-hidden features instead of its loss
    instance_noise: float = 0.0  # initial std of noise on D's inputs, annealed linearly to 0
    gdpp: bool = False  # G minimises ½(its loss + GDPP's DPP loss on D's last hidden features)
    mode_seeking: float = 0.0  # λ of mode seeking: G's loss gains λ / (lz + 1e-5); 0 = off
    diffaugment: str = ""  # DiffAugment policy on every image D sees, e.g. "color,translation,cutout"; "" = off
    train_size: int = 0  # use the first n training points; 0 = all
    fresh_data: bool = False  # 2D: each real batch drawn afresh from the mixture (GDPP's, VEEGAN's code), no fixed set

    def __post_init__(self) -> None:
        if self.update == "simultaneous" and (self.d_steps, self.g_steps) != (1, 1):
            raise ValueError(
                f"update: simultaneous takes one D and one G update from the same batch; it needs d_steps: 1 and "
                f"g_steps: 1, got d_steps: {self.d_steps}, g_steps: {self.g_steps} (use update: alternating)"
            )
        if not 0.0 <= self.lr_drop < 1.0 or not 0.0 < self.lr_drop_factor <= 1.0:
            raise ValueError(
                f"lr_drop is the fraction of the steps after which the learning rates drop, in [0, 1) (0 = never), "
                f"and lr_drop_factor what they are multiplied by, in (0, 1]; got lr_drop: {self.lr_drop}, "
                f"lr_drop_factor: {self.lr_drop_factor}"
            )
        if self.unrolled_steps and self.optimizer != "adam":
            raise ValueError(f"unrolled_steps differentiates through Adam's update; optimizer is {self.optimizer}")
        if self.unrolled_objective != "generator" and not self.unrolled_steps:
            raise ValueError(f"unrolled_objective: {self.unrolled_objective} needs unrolled_steps >= 1 (a D to unroll)")
        if self.unrolled_objective != "generator" and self.feature_matching:
            raise ValueError(
                f"unrolled_objective: {self.unrolled_objective} replaces G's loss, and so does feature_matching: "
                "use one of them"
            )
        if LOSSES[self.loss].joint:
            for key, why in JOINT_REFUSALS.items():  # each setting must stay at its default (off)
                if getattr(self, key) != type(self).__dataclass_fields__[key].default:
                    raise ValueError(f"{self.loss} cannot take {key}: {getattr(self, key)}: {why}")
        if LOSSES[self.loss].joint == "veegan" and self.e_noise_dim:
            raise ValueError(
                f"veegan's reconstructor F(x) takes x alone (its codes are z̃ ~ N(F(x), 1)); e_noise_dim must be 0, "
                f"got {self.e_noise_dim}"
            )
        if self.mode_seeking > 0 and self.batch_size < 2:
            raise ValueError("mode seeking compares the two halves of a batch of fakes; it needs batch_size >= 2")
        if self.diffaugment:
            parse_policy(self.diffaugment)  # an unknown or repeated part is refused, naming the allowed ones


TRAIN_KEYS = tuple(f.name for f in dataclasses.fields(TrainSettings) if f.name != "loss")

DEFAULTS: dict[str, Any] = {
    "scale": "default",
    "device": "auto",
    "tf32": False,  # CUDA float32 matmuls and convolutions in TF32 (device.set_float32_precision)
    "cuda_graphs": False,  # CUDA training steps captured as a graph and replayed (stepping.Stepper)
    "ensemble_size": 0,  # seeds per training job; 0 = all seeds of a (dataset, variant) in one job
    "checkpoint_every": 500,
    "sweeps": {},
    "data": {"seed": 0, "size": 100_000, "stacked_size": 128_000, "stack_from": "train"},
    "evaluation": dict(EVALUATION_DEFAULTS),
    "download": {"mirrors": list(DEFAULT_MIRRORS), "deadline_s": DEFAULT_DEADLINE_S},
    "train": {},
    "image_train": {},
}


# The JSON schema of study configs, shipped inside the package (pyproject.toml's package-data) so that an installed
# modecollapse finds it without the repository; the workflow and the CLI read this one.
SCHEMA = resources.files(__package__) / "schemas" / "config.schema.yaml"


def load_schema(path: str | os.PathLike | None = None) -> dict:
    """The JSON schema of study configs (a YAML file, SCHEMA unless `path` is given), read as a config is."""
    if path is not None:
        return read_config(path)
    with resources.as_file(SCHEMA) as packaged:  # a real file even where the package is in a zip archive
        return read_config(packaged)


def _is_integer(_, value: Any) -> bool:
    """JSON Schema's integer without 100.0: a float where a count is meant is a mistake."""
    return isinstance(value, int) and not isinstance(value, bool)


def _is_finite_number(_, value: Any) -> bool:
    """JSON Schema's number without nan and ±inf, which no setting can use."""
    return _is_integer(_, value) or isinstance(value, float) and math.isfinite(value)


StudyValidator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine_many(
        {"integer": _is_integer, "number": _is_finite_number}
    ),
)


def _where(path) -> str:
    return "config" + "".join(f"[{p!r}]" if isinstance(p, str) else f"[{p}]" for p in path)


def _type_problem(value: Any, allowed: str | list[str]) -> str:
    """Why `value` is not of the JSON Schema type(s) `allowed`, and what is."""
    allowed = [allowed] if isinstance(allowed, str) else allowed
    wanted = " or ".join(TYPE_WORDS[t] for t in allowed)
    if isinstance(value, float) and not math.isfinite(value):
        return f"is not a finite number; allowed: {wanted}"
    if isinstance(value, float) and value.is_integer() and "integer" in allowed:
        return f"is not an integer; allowed: {wanted}, written without a decimal point or exponent"
    return f"is {kind_of(value)}; allowed: {wanted}"


def _describe(error: jsonschema.ValidationError, *, prefix: tuple = ()) -> str:
    """One problem as "config[key]...: value, what is wrong; what is allowed". `prefix` is the
    path to the validated object when that is part of a config."""
    where = _where([*prefix, *error.absolute_path])
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted(map(repr, set(error.instance) - set(allowed)))
        return f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}"
    value = ("key " if "propertyNames" in error.absolute_schema_path else "") + repr(error.instance)
    why = f". {error.schema['description'].strip()}" if "description" in error.schema else ""
    if error.validator == "enum":
        return f"{where}: {value} is not allowed; allowed: {', '.join(map(repr, error.validator_value))}"
    if error.validator == "type":
        return f"{where}: {value} {_type_problem(error.instance, error.validator_value)}"
    if error.validator == "pattern":
        return f"{where}: {value} does not match the allowed pattern {error.validator_value}{why}"
    if error.validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"{where}: {error.message}{why}"
    return f"{where}: {error.message}"


def validate_config(config: Mapping[str, Any], *, schema: Mapping[str, Any]) -> dict[str, Any]:
    """Check `config` against `schema` and the registries; return it with defaults filled in.

    Raises ConfigError naming every problem at once, with what is allowed, before any job runs.
    """
    if not isinstance(config, Mapping):
        raise ConfigError(
            f"invalid configuration: the config is {kind_of(config)}; a study config is a mapping of keys"
        )
    validator = StudyValidator(schema)
    problems = [
        _describe(e) for e in sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    ]
    datasets = config.get("datasets") if isinstance(config.get("datasets"), list) else []
    unknown_datasets = [d for d in datasets if isinstance(d, str) and d not in DATASETS]
    if unknown_datasets:
        problems.append(
            f"config['datasets']: unknown dataset(s) {', '.join(map(repr, unknown_datasets))}; "
            f"available: {', '.join(sorted(DATASETS))}"
        )
    variants = config.get("variants") if isinstance(config.get("variants"), dict) else {}
    sweeps = config.get("sweeps") if isinstance(config.get("sweeps"), dict) else {}
    for name in [*variants, *(v for v in sweeps if v not in variants)]:
        if not isinstance(name, str):
            continue  # the schema's propertyNames check already names it
        try:
            variant_defaults(name)
        except VariantError as error:
            where = "variants" if name in variants else "sweeps"
            problems.append(f"config[{where!r}]: {error}")
    problems.extend(_sweep_problems(sweeps, schema))
    if problems:
        raise ConfigError("invalid configuration:\n  - " + "\n  - ".join(problems))
    resolved = _with_defaults(config)
    for dataset in resolved["datasets"]:
        runs, refused = {}, []
        for name in resolved["variants"]:  # each variant on its own, so that every refusal is named at once
            try:
                runs[name] = _named(name, lambda: resolve_settings(resolved, name, dataset))
            except ValueError as error:  # settings that are valid one by one but not together
                refused.append(f"config (runs on {dataset}): {error}")
        if not refused:
            try:
                runs = study_runs(resolved, dataset)  # and the sweep points
            except ValueError as error:
                refused.append(f"config (runs on {dataset}): {error}")
        problems.extend(refused)
        problems.extend(_dataset_kind_problems(dataset, runs))
        if resolved["cuda_graphs"]:  # torch.linalg.eigh on CUDA reads its status back to the host: no capture
            problems += [
                f"config (runs on {dataset}): run {name}: gdpp's eigendecompositions cannot run inside a captured "
                "CUDA graph (cuda_graphs: true); set cuda_graphs: false for this study"
                for name, s in runs.items()
                if s.gdpp
            ]
    if problems:
        raise ConfigError("invalid configuration:\n  - " + "\n  - ".join(dict.fromkeys(problems)))
    return resolved


def _dataset_kind_problems(dataset: str, runs: Mapping[str, TrainSettings]) -> list[str]:
    """Runs whose settings the dataset's kind cannot take: on images a conv architecture not defined
    for them (the nets' own check) or fresh mixture draws; on 2D points DiffAugment."""
    where = f"config (runs on {dataset})"
    if not is_image(dataset):
        return [
            f"{where}: run {name}: diffaugment {s.diffaugment!r} transforms images (colour, shifts, cut squares) "
            f"and {dataset} is 2D points; no 2D analogue is published: train it on an image dataset, or leave "
            "diffaugment empty"
            for name, s in runs.items()
            if s.diffaugment
        ]
    shape = DATASETS[dataset].image_shape
    problems = [
        f"{where}: run {name}: fresh_data draws points from a 2D Gaussian mixture and {dataset} is images; "
        "train on its fixed set (fresh_data: false)"
        for name, s in runs.items()
        if s.fresh_data
    ]
    for name, s in runs.items():
        problem = image_shape_problem(s.image_arch, shape, whose=f"{dataset}'s")
        problems += [f"{where}: run {name}: {problem}"] if problem else []
    return problems


def _with_defaults(config: Mapping[str, Any]) -> dict[str, Any]:
    resolved = {key: value for key, value in DEFAULTS.items()}
    for key, value in config.items():
        if isinstance(value, dict) and isinstance(DEFAULTS.get(key), dict):
            resolved[key] = {**DEFAULTS[key], **value}
        else:
            resolved[key] = value
    resolved["train"] = dict(config.get("train") or {})
    resolved["image_train"] = dict(config.get("image_train") or {})
    resolved["variants"] = {name: dict(overrides or {}) for name, overrides in config["variants"].items()}
    return resolved


def _sweep_problems(sweeps: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """Each swept value must be a valid value of its train setting."""
    train_schema = {**schema["$defs"]["train"], "$defs": schema.get("$defs", {})}
    validator = StudyValidator(train_schema)
    problems = []
    for variant, keys in sweeps.items():
        for key, values in (keys or {}).items() if isinstance(keys, dict) else []:
            if key not in train_schema["properties"]:
                continue  # the schema's propertyNames check already names it
            for value in values if isinstance(values, list) else []:
                problems.extend(
                    _describe(error, prefix=("sweeps", variant)) for error in validator.iter_errors({key: value})
                )
    return problems


def load_config(path: str | os.PathLike, *, schema_path: str | os.PathLike | None = None) -> dict[str, Any]:
    """The validated study in the config file `path` (checked against SCHEMA unless `schema_path` is given);
    a ConfigError's message starts with the file."""
    config = read_config(path)
    try:
        return validate_config(config, schema=load_schema(schema_path))
    except ConfigError as error:
        raise ConfigError(f"{path}: {error}") from None


def shared_settings(config: Mapping[str, Any], *, image: bool) -> dict[str, Any]:
    """The settings every variant shares: the study's `train`, overridden by its `image_train`
    for image datasets."""
    return {**config.get("train", {}), **(config.get("image_train", {}) if image else {})}


def resolve_settings(config: Mapping[str, Any], variant: str, dataset: str | None = None) -> TrainSettings:
    """Library defaults < the study's `train` < its `image_train` (image datasets only) < the
    variant's own defaults (its loss's and tricks') < the config's entry for the variant."""
    loss, defaults = variant_defaults(variant)
    shared = shared_settings(config, image=bool(dataset) and is_image(dataset))
    merged = {**shared, **defaults, **(config["variants"].get(variant) or {})}
    return TrainSettings(loss=loss, **merged)


def format_value(value: Any) -> str:
    """A setting's value as it appears in a run name: 0.001, 1e06 (no '+', which joins tricks), true."""
    if isinstance(value, float):
        return f"{value:g}".replace("e+", "e")
    return str(value).lower() if isinstance(value, bool) else str(value)


def base_variant(run: str) -> str:
    """The variant a run name belongs to: "gan-ns@lr=0.0001" -> "gan-ns"; a variant is its own."""
    return run.split("@", 1)[0]


def _named(name: str, make: Callable[[], TrainSettings]) -> TrainSettings:
    """`make()`, with the run's name in front of the message of settings that do not go together."""
    try:
        return make()
    except ValueError as error:
        raise ValueError(f"run {name}: {error}") from None


def _sweep_runs(config: Mapping[str, Any], dataset: str | None):
    """(variant, setting, value, run name, settings) of every sweep point; each point's run name
    (its value to 6 significant digits) must be its own."""
    seen: dict[str, Any] = {}
    for variant, keys in config.get("sweeps", {}).items():
        base = _named(
            variant,
            lambda: resolve_settings(
                {**config, "variants": {variant: config["variants"].get(variant)}}, variant, dataset
            ),
        )
        for key, values in keys.items():
            for value in values:
                name = f"{variant}@{key}={format_value(value)}"
                if name in seen:
                    raise ValueError(
                        f"sweep values {seen[name]!r} and {value!r} of {variant}'s {key} both make the run "
                        f"name {name}; sweep values must differ in their first 6 significant digits"
                    )
                seen[name] = value
                yield variant, key, value, name, _named(name, lambda: dataclasses.replace(base, **{key: value}))


def study_runs(config: Mapping[str, Any], dataset: str | None = None) -> dict[str, TrainSettings]:
    """Every run configuration of the study on `dataset` (None: a 2D dataset), by name: each
    variant, then each sweep point.

    A sweep point of setting `key` at `value` for `variant` is named "variant@key=value"; it is
    the variant's resolved settings with that one setting changed (one-at-a-time sweeps).
    """
    runs = {name: _named(name, lambda: resolve_settings(config, name, dataset)) for name in config["variants"]}
    runs.update({name: settings for _, _, _, name, settings in _sweep_runs(config, dataset)})
    return runs


# Swept values that stand for more than their number: train_size 0 is every training point
ALL_OF = {"train_size": 0}


def sweep_order(key: str, value: Any) -> Any:
    """Where a swept value sits among the others: its number, but train_size 0 (all) after every n."""
    return math.inf if ALL_OF.get(key) == value else value


def is_number(value: Any) -> bool:
    """Whether a swept value is a number (drawn on a numeric axis), not a choice such as an update rule."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def sweep_label(key: str, value: Any) -> str:
    """A swept value as figures and text write it: 0.002, 1e+06, alternating; train_size 0 as "all"."""
    if ALL_OF.get(key) == value:
        return "all"
    return f"{value:g}" if is_number(value) else str(value)


def sweep_points(config: Mapping[str, Any], dataset: str | None = None) -> list[dict[str, Any]]:
    """Every sweep point on `dataset` in order of value (`sweep_order`), with the unswept variant
    (when the study trains it) as the point at its own value of the setting."""
    by_sweep: dict[tuple[str, str], list[tuple[Any, str]]] = {}
    for variant, key, value, name, _ in _sweep_runs(config, dataset):
        by_sweep.setdefault((variant, key), []).append((value, name))
    points = []
    for (variant, key), candidates in by_sweep.items():
        if variant in config["variants"]:
            candidates.append((getattr(resolve_settings(config, variant, dataset), key), variant))
        for order, (value, run) in enumerate(sorted(candidates, key=lambda c: sweep_order(key, c[0]))):
            label = sweep_label(key, value)
            points.append({"variant": variant, "key": key, "value": value, "run": run, "order": order, "label": label})
    return points


def seed_groups(config: Mapping[str, Any]) -> list[tuple[int, ...]]:
    """The seeds split into training jobs of `ensemble_size` members (0 = one job for all)."""
    seeds = list(config["seeds"])
    size = config.get("ensemble_size") or len(seeds)
    return [tuple(seeds[i : i + size]) for i in range(0, len(seeds), size)]


@dataclasses.dataclass(frozen=True)
class Study:
    """A validated study, resolved once (resolve_study) into what the workflow's rules and the CLI use.

    Every dataset trains the same run names: each variant, then each sweep point ("variant@key=value");
    their settings can differ per dataset (image datasets add the study's image_train). Containers
    are plain lists and dicts, as Snakemake's params hand them to the scripts; do not change them.
    """

    config: dict[str, Any]  # the validated config, defaults filled in: results/study.yaml, the HTML report's `config`
    datasets: list[str]
    variants: list[str]  # the base variants, without sweep points (the figures show these)
    run_names: list[str]  # every run name: each variant, then each sweep point
    runs: dict[str, dict[str, TrainSettings]]  # dataset -> run name -> its resolved settings (study_runs)
    sweep_points: dict[str, list[dict[str, Any]]]  # dataset -> its sweep points in order of value (sweep_points)
    sweep_bases: dict[str, str]  # sweep point's run name -> its base variant, which it is tested against
    seeds: list[int]
    seed_groups: list[tuple[int, ...]]  # the seeds each training job trains together (ensemble_size)
    device: str  # auto | cpu | cuda
    tf32: bool
    cuda_graphs: bool
    checkpoint_every: int
    data: dict[str, Any]  # how the datasets are built: seed, sizes, stack_from
    evaluation: dict[str, Any]  # the evaluation's thresholds and plateau window
    download: dict[str, Any]  # MNIST mirrors and deadline

    @property
    def image_datasets(self) -> list[str]:
        return [d for d in self.datasets if is_image(d)]

    @property
    def families(self) -> list[str]:
        """The digits families of the image datasets, each with its evaluator classifier."""
        return sorted({DATASETS[d].family for d in self.image_datasets})


def resolve_study(config: Mapping[str, Any]) -> Study:
    """The Study of a config that validate_config returned (defaults filled in, settings checked)."""
    datasets = list(config["datasets"])
    points = {dataset: sweep_points(config, dataset) for dataset in datasets}
    runs = {dataset: study_runs(config, dataset) for dataset in datasets}
    return Study(
        config=dict(config),
        datasets=datasets,
        variants=list(config["variants"]),
        run_names=list(runs[datasets[0]]),
        runs=runs,
        sweep_points=points,
        # a point whose run is the base variant itself is that variant, not a sweep point
        sweep_bases={p["run"]: p["variant"] for d in datasets for p in points[d] if p["run"] != p["variant"]},
        seeds=list(config["seeds"]),
        seed_groups=seed_groups(config),
        device=config["device"],
        tf32=config["tf32"],
        cuda_graphs=config["cuda_graphs"],
        checkpoint_every=config["checkpoint_every"],
        data=config["data"],
        evaluation=config["evaluation"],
        download=config["download"],
    )


def load_study(path: str | os.PathLike, *, schema_path: str | os.PathLike | None = None) -> Study:
    """The Study of the config file `path` (load_config, then resolve_study)."""
    return resolve_study(load_config(path, schema_path=schema_path))
