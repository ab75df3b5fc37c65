import pytest

from modecollapse.config import TrainSettings
from modecollapse.losses import LOSSES
from modecollapse.variants import BASELINE, TRICKS, VARIANTS, VariantError, describe, parse_variant, variant_defaults

ISSUE_VARIANTS = ["gan-minimax", "gan-ns", "lsgan", "hinge", "wgan-clip", "wgan-gp", "ali", "veegan"]
ISSUE_TRICKS = [
    "r1",
    "sngan",
    "unrolled-1",
    "unrolled-5",
    "unrolled-10",
    "pacgan-2",
    "pacgan-3",
    "pacgan-4",
    "minibatch-disc",
    "feature-matching",
    "instance-noise",
    "gdpp",
    "mode-seeking",
    "diffaugment",
]


def test_registry_holds_every_variant_and_trick_of_the_study():
    assert list(VARIANTS) == ["gan-ns", "gan-minimax", "lsgan", "hinge", "wgan-clip", "wgan-gp", "ali", "veegan"]
    assert set(ISSUE_VARIANTS) == set(VARIANTS) and set(ISSUE_TRICKS) == set(TRICKS)
    for variant in VARIANTS.values():
        assert variant.loss in LOSSES and variant.description and variant.source
    for trick in TRICKS.values():
        assert set(trick.settings) <= set(TrainSettings.__dataclass_fields__)


@pytest.mark.parametrize(
    ("name", "loss", "expected"),
    [
        ("pacgan-2", "gan-ns", {"pack": 2}),
        ("hinge+sngan", "hinge", {"spectral_norm": True}),
        ("wgan-gp+pacgan-3", "wasserstein", {"pack": 3, "gp_weight": 10.0, "d_steps": 5}),
        ("wgan-clip", "wasserstein", {"optimizer": "rmsprop", "lr": 5e-5, "d_steps": 5, "weight_clip": 0.01}),
        ("r1+instance-noise", "gan-ns", {"r1_gamma": 10.0, "instance_noise": 0.1}),
    ],
)
def test_combinations_collect_their_parts_settings(name, loss, expected):
    got_loss, settings = variant_defaults(name)
    assert got_loss == loss
    assert expected.items() <= settings.items()


def test_a_bare_trick_means_the_baseline_loss():
    assert parse_variant("sngan") == (BASELINE, ["sngan"])
    description, source = describe("sngan")
    assert "spectral" in description and "Miyato" in source and "Goodfellow" not in source
    assert "Mao" in describe("lsgan+r1")[1] and "Mescheder" in describe("lsgan+r1")[1]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("gan-nss", "neither a loss variant"),
        ("hinge+sngn", r"unknown trick\(s\) 'sngn'"),
        ("pacgan-2+pacgan-3", "set the same thing twice"),
        ("wgan-clip+unrolled-5", "unrolling differentiates through Adam"),
    ],
)
def test_bad_names_are_refused_with_what_is_allowed(name, message):
    with pytest.raises(VariantError, match=message):
        parse_variant(name)
