"""Rule evaluate: each seed's samples -> its metrics at every snapshot (long form), the digit
shares of its final samples (image datasets; empty for 2D data) and its high-quality samples per
mode at every snapshot (the mode-hopping raster's input)."""

import sys

from modecollapse.data import load_dataset
from modecollapse.evaluate import evaluate_runs
from modecollapse.io import read_json, read_parquet, write_parquet
from modecollapse.provenance import provenance

sys.stderr = open(snakemake.log[0], "w")
params = snakemake.params
classifier = None
if hasattr(snakemake.input, "classifier"):  # image datasets: their family's classifier, and torch with it
    from modecollapse.classifier import load_classifier

    classifier = load_classifier(snakemake.input.classifier)
metrics, shares, mode_counts = evaluate_runs(
    dataset=load_dataset(snakemake.input.data),
    runs=[read_json(path) for path in snakemake.input.runs],
    samples=(read_parquet(path) for path in snakemake.input.samples),  # one seed's samples in memory at a time
    probes=[read_parquet(path) for path in snakemake.input.probes],
    threshold=params.threshold,
    confidence=params.confidence,
    collapse_coverage=params.collapse_coverage,
    nearest=params.nearest,
    inclusive=params.inclusive,
    plateau_window=params.plateau_window,
    plateau_tolerance=params.plateau_tolerance,
    classifier=classifier,
)
# with what computed the numbers (read it back with modecollapse.io.read_parquet_metadata)
write_parquet(metrics, snakemake.output.metrics, metadata=provenance())
write_parquet(shares, snakemake.output.shares)
write_parquet(mode_counts, snakemake.output.mode_counts)
