"""The `modecollapse` command: list datasets and variants, check a config, show a study's results
table and where its runs stand."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

from .config import ConfigError, load_schema, load_study, validate_config
from .cost import project, projection_lines, study_jobs
from .data import DATASETS
from .evaluate import COLLAPSED
from .io import UnreadableFile, read_parquet
from .layout import STUDY_RECORD, SUMMARY_TABLE
from .metrics import HIGH_QUALITY_FRACTION, MODES_COVERED, REVERSE_KL
from .stats import SUMMARY_COLUMNS
from .status import format_status, study_status
from .variants import BASELINE, TRICKS, VARIANTS

REPO = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = REPO / "config" / "config.yaml"  # the workflow's study when no --configfile is given
# The results table's metrics as the terminal shows them: (metric, label, scale, digits)
SUMMARY_METRICS = (
    (MODES_COVERED, "modes covered", 1.0, 1),
    (HIGH_QUALITY_FRACTION, "high quality (%)", 100.0, 1),
    (REVERSE_KL, "reverse KL", 1.0, 2),
    (COLLAPSED, "collapsed (%)", 100.0, 0),
)


def _positive(text: str) -> int:
    """A count of at least 1, for argparse."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


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
    """Read and validate a config as the workflow does; a refused one is named on stderr, exit code 1.
    A valid one is followed by what its training will cost (cost.projection_lines, with `--cores`
    jobs at a time on this machine, as `snakemake --cores N` would run them)."""
    try:
        study = load_study(args.config, schema_path=args.schema)
    except ConfigError as error:  # its message names the file (and the line, for a malformed one)
        print(f"modecollapse: {error}", file=sys.stderr)
        return 1
    print(f"{args.config}: valid")
    for line in projection_lines(project(study_jobs(study), cores=args.cores)):
        print(line)
    return 0


def _names(text: str) -> list[str]:
    """Names given as "a b" or "a,b"."""
    return [name for name in text.replace(",", " ").split() if name]


def _config_subset(args: argparse.Namespace) -> int:
    """Write a config that keeps only some of a study's variants (and, with --datasets, of its
    datasets), the rest of it as it is (make replicate TABLE=... VARIANTS=... [DATASETS=...]: a
    published table's rows run a few at a time)."""
    import yaml

    from .configfile import read_config
    from .io import write_text

    try:
        config = read_config(args.config)
        kept = []
        for key, given in (("variants", args.variants), ("datasets", args.datasets)):
            if given is None:
                continue
            wanted, listed = _names(given), list(config.get(key, {}))
            unknown = [name for name in wanted if name not in listed]
            if not wanted or unknown:
                raise ConfigError(
                    f"{args.config}: {key} {', '.join(unknown) or '(none given)'} not in the study; it has "
                    f"{', '.join(listed) or 'none'}"
                )
            config[key] = (
                {n: config[key][n] for n in wanted} if key == "variants" else [n for n in listed if n in wanted]
            )
            kept.append(f"{key} {', '.join(config[key])}")
        validate_config(config, schema=load_schema(args.schema))
    except ConfigError as error:
        print(f"modecollapse: {error}", file=sys.stderr)
        return 1
    header = f"# {args.config} with only its {' and '.join(kept)} (modecollapse config-subset)\n"
    write_text(header + yaml.safe_dump(config, sort_keys=False), args.out)
    print(f"{args.out}: {args.config} with only its {' and '.join(kept)}")
    return 0


def _summary_cells(row: dict | None, *, scale: float, digits: int) -> tuple[str, str, str]:
    """(mean ± s.e., [95% CI], n) of one summary row, "--" for what it lacks."""
    if row is None:
        return "--", "", ""
    n = f"n={row['n']} of {row['n_runs']}" + (f"; {row['n_diverged']} diverged" if row["n_diverged"] else "")
    if not row["n"]:
        return "--", "", n

    def number(value: float) -> str:
        return f"{value * scale:.{digits}f}" if np.isfinite(value) else "--"

    mean = number(row["mean"]) + (f" ± {number(row['sem'])}" if np.isfinite(row["sem"]) else "")
    ci = f"[{number(row['ci_low'])}, {number(row['ci_high'])}]" if np.isfinite(row["ci_low"]) else ""
    return mean, ci, n


def format_summary(summary) -> str:
    """The results table as text: one block per dataset, per variant a line for each metric of
    SUMMARY_METRICS with its mean ± s.e., 95% CI and n (fits in 100 columns)."""
    rows = {(r["dataset"], r["variant"], r["metric"]): r for r in summary.to_dict("records")}
    variant_width = max([len("variant"), *map(len, summary["variant"])])
    label_width = max(len(label) for _, label, _, _ in SUMMARY_METRICS)
    blocks = []
    for dataset in dict.fromkeys(summary["dataset"]):
        spec = DATASETS.get(dataset)
        lines = [
            f"{dataset} ({spec.n_modes} modes)" if spec else dataset,
            f"  {'variant':<{variant_width}}  {'metric':<{label_width}}  {'mean ± s.e.':<16}  {'95% CI':<18}  n",
        ]
        for variant in dict.fromkeys(summary.loc[summary["dataset"] == dataset, "variant"]):
            for index, (metric, label, scale, digits) in enumerate(SUMMARY_METRICS):
                mean, ci, n = _summary_cells(rows.get((dataset, variant, metric)), scale=scale, digits=digits)
                name = variant if index == 0 else ""
                lines.append(f"  {name:<{variant_width}}  {label:<{label_width}}  {mean:<16}  {ci:<18}  {n}".rstrip())
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _summary(args: argparse.Namespace) -> int:
    """Print the results table of the study in args.directory; a missing or unreadable table is
    named on stderr, exit code 1."""
    path = Path(args.directory) / SUMMARY_TABLE
    try:
        summary = read_parquet(path)
    except FileNotFoundError:
        print(
            f"modecollapse: {path}: no results yet; run the workflow first (snakemake --cores all in {args.directory})",
            file=sys.stderr,
        )
        return 1
    except UnreadableFile as error:
        print(f"modecollapse: {error}", file=sys.stderr)
        return 1
    missing = [column for column in SUMMARY_COLUMNS if column not in summary.columns]
    if missing:
        print(
            f"modecollapse: {path}: lacks the column(s) {', '.join(missing)}; a summary table has "
            f"{', '.join(SUMMARY_COLUMNS)} (rerun the workflow to rebuild it)",
            file=sys.stderr,
        )
        return 1
    print(format_summary(summary), end="")
    return 0


def _status(args: argparse.Namespace) -> int:
    """Print where the runs of the study stand in args.directory: the study of args.configfile, else
    the one the workflow recorded there (results/study.yaml), else the default study."""
    recorded = Path(args.directory) / STUDY_RECORD
    configfile = args.configfile or (recorded if recorded.is_file() else DEFAULT_CONFIG)
    try:
        study = load_study(configfile, schema_path=args.schema)
    except ConfigError as error:
        print(f"modecollapse: {error}", file=sys.stderr)
        return 1
    if not Path(args.directory).is_dir():
        print(f"modecollapse: {args.directory}: no such directory; give the study's working directory", file=sys.stderr)
        return 1
    print(f"{configfile} in {args.directory}")
    print(format_status(study_status(study, args.directory)), end="")
    return 0


def _ship_reference(args: argparse.Namespace) -> int:
    """Ship a finished study's final results as the reference runs of a published table (reference.ship)."""
    from .reference import ship

    try:
        out = ship(study_dir=args.directory, table=args.table, out=args.out, wall_time_s=args.wall_time_s, add=args.add)
    except (FileNotFoundError, ValueError) as error:
        print(f"modecollapse: {error}", file=sys.stderr)
        return 1
    print(f"reference runs of {args.table}: {out}")
    return 0


def _combine_reference(args: argparse.Namespace) -> int:
    """Add one shipped reference folder's rows to another's (reference.combine)."""
    from .reference import PROVENANCE, combine

    for folder in (args.part, args.into):
        if not (Path(folder) / PROVENANCE).is_file():
            print(f"modecollapse: {folder}: not a reference folder (no {PROVENANCE}); ship-reference writes one",
                  file=sys.stderr)  # fmt: skip
            return 1
    try:
        out = combine(part=args.part, into=args.into)
    except (FileNotFoundError, ValueError) as error:
        print(f"modecollapse: {error}", file=sys.stderr)
        return 1
    print(f"reference runs: {out} (with the rows of {args.part})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="modecollapse", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("datasets", help="list the available datasets").set_defaults(run=_datasets)
    commands.add_parser("variants", help="list the loss variants with a description and source").set_defaults(
        run=_variants
    )
    check = commands.add_parser("check-config", help="validate a study config without running anything")
    check.add_argument("config")
    check.add_argument("--schema", help="JSON schema (default: the one shipped in the package, as the workflow's)")
    check.add_argument(
        "--cores",
        type=_positive,
        default=os.cpu_count() or 1,
        help="training jobs at a time for the projection (default: this machine's cores)",
    )
    check.set_defaults(run=_check_config)
    summary = commands.add_parser("summary", help="print a study's results table (results/summary.parquet)")
    summary.add_argument("directory", nargs="?", default=".", help="the study's working directory (default: .)")
    summary.set_defaults(run=_summary)
    status = commands.add_parser("status", help="which runs of a study are done, diverged, running, failed or pending")
    status.add_argument("directory", nargs="?", default=".", help="the study's working directory (default: .)")
    status.add_argument(
        "--configfile",
        help=f"the study's config (default: the one recorded in DIRECTORY/{STUDY_RECORD}, else the workflow's)",
    )
    status.add_argument("--schema", help="JSON schema (default: the one shipped in the package, as the workflow's)")
    status.set_defaults(run=_status)
    ship = commands.add_parser(
        "ship-reference", help="copy a finished study's small final results and provenance into reference/TABLE/"
    )
    ship.add_argument("directory", help="the finished study's working directory")
    ship.add_argument("--table", required=True, help="the published table it replicates, e.g. gdpp-table1")
    ship.add_argument("--out", required=True, help="the reference folder to (re)write, e.g. reference/gdpp-table1")
    ship.add_argument("--wall-time-s", type=float, required=True, help="the study's wall time in seconds")
    ship.add_argument(
        "--add",
        action="store_true",
        help="keep the shipped folder's other rows and add (or replace) this study's (a study of some variants)",
    )
    ship.set_defaults(run=_ship_reference)
    merge = commands.add_parser(
        "combine-reference", help="add one shipped reference folder's rows to another's (same table and code)"
    )
    merge.add_argument("part", help="the reference folder whose rows are added, e.g. one shipped elsewhere")
    merge.add_argument("--into", required=True, help="the reference folder that gains them, e.g. reference/gdpp-table1")
    merge.set_defaults(run=_combine_reference)
    subset = commands.add_parser(
        "config-subset", help="write a study config that keeps only some of its variants (and datasets)"
    )
    subset.add_argument("config")
    subset.add_argument("--variants", required=True, help="the variants to keep, e.g. gdpp or 'gdpp gan-ns'")
    subset.add_argument("--datasets", help="the datasets to keep (default: all), e.g. grid25")
    subset.add_argument("--out", required=True, help="the config file to write")
    subset.add_argument("--schema", help="JSON schema (default: the one shipped in the package)")
    subset.set_defaults(run=_config_subset)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
