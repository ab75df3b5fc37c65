"""Rule tables: the report's generated tables, findings, figure blocks and the replication section."""

import sys

from modecollapse.io import read_json, read_parquet, write_text
from modecollapse.paper.figures import samples_figures, sweeps_section
from modecollapse.paper.findings import findings, scope
from modecollapse.paper.replication import replication_section
from modecollapse.paper.tables import classifier_table, distances_table, results_table
from modecollapse.provenance import source_hash
from modecollapse.reference import load_references
from modecollapse.replication import study_settings

sys.stderr = open(snakemake.log[0], "w")
summary, runs = read_parquet(snakemake.input.summary), read_parquet(snakemake.input.runs)
tests = read_parquet(snakemake.input.tests)
params = snakemake.params
write_text(results_table(summary=summary, runs=runs, tests=tests, variants=params.variants), snakemake.output.results)
write_text(findings(tests) + scope(study=params.study, summary=summary, tests=tests), snakemake.output.findings)
write_text(distances_table(summary=summary, tests=tests, variants=params.variants), snakemake.output.distances)
write_text(
    replication_section(
        study=params.study,
        settings=study_settings(params.study),
        summary=summary,
        tests=tests,
        references=load_references(),  # this checkout's reference/ and config/ (the rule's inputs)
        # the training code now, read when the report is built (not a param: editing it reruns training,
        # whose new results rerun this rule anyway)
        training_hash=source_hash(params.training_script),
    ),
    snakemake.output.replication,
)
write_text(
    sweeps_section(summary=summary, runs=runs, tests=tests, sweep_runs=params.sweep_runs, points=params.points),
    snakemake.output.sweeps,
)
write_text(samples_figures(datasets=params.datasets, seed=params.seed), snakemake.output.samples)
classifiers = {family: read_json(path) for family, path in zip(params.families, snakemake.input.classifiers)}
write_text(classifier_table(classifiers), snakemake.output.classifiers)
