"""The registry of variants: each is a loss plus the settings its authors prescribe.

A variant's `defaults` override the study's `train` settings; the config's `variants` entry
overrides both (see `config.resolve_settings`). Adding a variant is one entry here.
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType
from typing import Any, Mapping

from .losses import LOSSES


@dataclasses.dataclass(frozen=True)
class Variant:
    loss: str
    description: str
    source: str
    defaults: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise ValueError(f"variant uses unknown loss {self.loss!r}; known: {', '.join(LOSSES)}")


VARIANTS: dict[str, Variant] = {
    "gan-ns": Variant(
        loss="gan-ns",
        description="non-saturating GAN, G minimises -log D(G(z)): the baseline",
        source="Goodfellow et al. 2014, Generative Adversarial Nets, §3",
    ),
    "gan-minimax": Variant(
        loss="gan-minimax",
        description="original saturating GAN, G minimises log(1 - D(G(z)))",
        source="Goodfellow et al. 2014, Generative Adversarial Nets, eq. 1",
    ),
    "wgan-gp": Variant(
        loss="wasserstein",
        description="Wasserstein critic with gradient penalty λ=10, 5 critic steps, Adam β=(0.5, 0.9)",
        source="Gulrajani et al. 2017, Improved Training of Wasserstein GANs, Algorithm 1",
        defaults=MappingProxyType({"gp_weight": 10.0, "d_steps": 5, "beta1": 0.5, "beta2": 0.9}),
    ),
}

BASELINE = "gan-ns"
