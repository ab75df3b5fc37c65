"""Study configuration: validation against the JSON schema, and the settings each run resolves to."""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Mapping

import jsonschema
import yaml

from .data import DATASETS
from .variants import VARIANTS


class ConfigError(ValueError):
    """A config that the study refuses; the message names every problem and what is allowed."""


@dataclasses.dataclass(frozen=True)
class TrainSettings:
    """Everything that decides a training run besides its dataset and seed.

    Defaults are the default (laptop) scale; config/paper.yaml sets PacGAN's paper scale.
    """

    loss: str = "gan-ns"  # set from the variant, never from config
    steps: int = 2000  # generator updates
    batch_size: int = 100
    lr: float = 1e-4  # Adam learning rate, same for D and G (PacGAN 2D)
    beta1: float = 0.8  # PacGAN 2D: Adam β1 = 0.8
    beta2: float = 0.999
    d_steps: int = 1  # discriminator updates per generator update
    gp_weight: float = 0.0  # λ of the WGAN-GP penalty; 0 = off
    z_dim: int = 2
    g_width: int = 400
    g_depth: int = 4  # hidden layers of G
    g_batchnorm: bool = True
    d_width: int = 200
    d_depth: int = 3  # hidden maxout layers of D
    d_maxout: int = 5  # pieces per maxout unit; 1 = plain ReLU layer
    init_std: float = 0.02  # weights ~ N(0, init_std), biases 0 (PacGAN 2D)
    snapshot_every: int = 500  # steps between sample snapshots (the last step is always one)
    snapshot_samples: int = 2500  # samples per snapshot, from one fixed z set (PacGAN evaluation)
    log_every: int = 10  # steps between recorded losses


TRAIN_KEYS = tuple(f.name for f in dataclasses.fields(TrainSettings) if f.name != "loss")

DEFAULTS: dict[str, Any] = {
    "scale": "default",
    "device": "auto",
    "data": {"seed": 0, "size": 100_000},
    "evaluation": {"threshold": 3.0},
    "train": {},
}


def load_schema(path: str | os.PathLike) -> dict:
    with open(path) as handle:
        return yaml.safe_load(handle)


def _where(path) -> str:
    return "config" + "".join(f"[{p!r}]" if isinstance(p, str) else f"[{p}]" for p in path)


def _describe(error: jsonschema.ValidationError) -> str:
    where = _where(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))
        return f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(allowed)}"
    if error.validator == "enum":
        allowed = ", ".join(map(repr, error.validator_value))
        return f"{where}: {error.instance!r} is not allowed; allowed: {allowed}"
    return f"{where}: {error.message}"


def validate_config(config: Mapping[str, Any], *, schema: Mapping[str, Any]) -> dict[str, Any]:
    """Check `config` against `schema` and the registries; return it with defaults filled in.

    Raises ConfigError naming every problem at once, with what is allowed, before any job runs.
    """
    validator = jsonschema.Draft202012Validator(schema)
    problems = [_describe(e) for e in sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))]
    datasets = config.get("datasets") if isinstance(config.get("datasets"), list) else []
    unknown_datasets = [d for d in datasets if isinstance(d, str) and d not in DATASETS]
    if unknown_datasets:
        problems.append(
            f"config['datasets']: unknown dataset(s) {', '.join(map(repr, unknown_datasets))}; "
            f"available: {', '.join(sorted(DATASETS))}"
        )
    variants = config.get("variants") if isinstance(config.get("variants"), dict) else {}
    unknown_variants = [v for v in variants if v not in VARIANTS]
    if unknown_variants:
        problems.append(
            f"config['variants']: unknown variant(s) {', '.join(map(repr, unknown_variants))}; "
            f"available: {', '.join(sorted(VARIANTS))}"
        )
    if problems:
        raise ConfigError("invalid configuration:\n  - " + "\n  - ".join(problems))
    resolved = {key: value for key, value in DEFAULTS.items()}
    for key, value in config.items():
        if isinstance(value, dict) and isinstance(DEFAULTS.get(key), dict):
            resolved[key] = {**DEFAULTS[key], **value}
        else:
            resolved[key] = value
    resolved["train"] = dict(config.get("train") or {})
    resolved["variants"] = {name: dict(overrides or {}) for name, overrides in config["variants"].items()}
    return resolved


def load_config(path: str | os.PathLike, *, schema_path: str | os.PathLike) -> dict[str, Any]:
    with open(path) as handle:
        config = yaml.safe_load(handle) or {}
    return validate_config(config, schema=load_schema(schema_path))


def resolve_settings(config: Mapping[str, Any], variant: str) -> TrainSettings:
    """Library defaults < the study's `train` < the variant's own defaults < the config's variant entry."""
    spec = VARIANTS[variant]
    merged = {**config.get("train", {}), **spec.defaults, **(config["variants"].get(variant) or {})}
    return TrainSettings(loss=spec.loss, **merged)
