"""The `modecollapse` command: list datasets and variants, check a config."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .config import ConfigError, load_config
from .data import DATASETS
from .variants import BASELINE, TRICKS, VARIANTS

DEFAULT_SCHEMA = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"


def _datasets(_: argparse.Namespace) -> int:
    width = max(map(len, DATASETS))
    for name, spec in DATASETS.items():
        print(f"{name:<{width}}  {spec.n_modes:>4} modes  {spec.description}\n{'':<{width}}  source: {spec.source}")
    return 0


def _variants(_: argparse.Namespace) -> int:
    width = max(map(len, [*VARIANTS, *TRICKS]))
    print("Losses (each with its authors' settings):")
    for name, variant in VARIANTS.items():
        print(f"  {name:<{width}}  {variant.description}\n  {'':<{width}}  source: {variant.source}")
    print(f"\nTricks (alone = on the baseline {BASELINE}; combine with a loss as LOSS+TRICK, e.g. hinge+sngan):")
    for name, trick in TRICKS.items():
        print(f"  {name:<{width}}  {trick.description}\n  {'':<{width}}  source: {trick.source}")
    return 0


def _check_config(args: argparse.Namespace) -> int:
    """Read and validate a config as the workflow does; a refused one is named on stderr, exit code 1."""
    try:
        load_config(args.config, schema_path=args.schema)
    except ConfigError as error:  # its message names the file (and the line, for a malformed one)
        print(f"modecollapse: {error}", file=sys.stderr)
        return 1
    print(f"{args.config}: valid")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="modecollapse", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("datasets", help="list the available datasets").set_defaults(run=_datasets)
    commands.add_parser("variants", help="list the loss variants with a description and source").set_defaults(run=_variants)
    check = commands.add_parser("check-config", help="validate a study config without running anything")
    check.add_argument("config")
    check.add_argument("--schema", default=str(DEFAULT_SCHEMA), help="JSON schema (default: the workflow's)")
    check.set_defaults(run=_check_config)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
