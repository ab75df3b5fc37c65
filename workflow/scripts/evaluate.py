"""Rule evaluate: each seed's samples -> its metrics at every snapshot (long form) and the
digit shares of its final samples (image datasets; empty for 2D data)."""

import sys

import numpy as np
import pandas as pd

from modecollapse.data import load_dataset, scale_images
from modecollapse.evaluate import SHARE_COLUMNS, evaluate_image_run, evaluate_run, reference_sample
from modecollapse.io import read_json, read_parquet, write_parquet
from modecollapse.metrics import class_mode_stats_floor, mode_stats_floor
from modecollapse.provenance import provenance
from modecollapse.stats import LONG_COLUMNS
from modecollapse.train import samples_to_images

sys.stderr = open(snakemake.log[0], "w")
dataset = load_dataset(snakemake.input.data)
params = snakemake.params
image_shape = tuple(dataset["image_shape"]) if "image_shape" in dataset else None
if image_shape:
    from modecollapse.classifier import FEATURES, classify, load_classifier

    classifier = load_classifier(snakemake.input.classifier)
tables, share_tables, floors, real_features = [], [], {}, {}
for samples_path, run_path in zip(snakemake.input.samples, snakemake.input.runs):
    run, samples = read_json(run_path), read_parquet(samples_path)
    n = int((samples["step"] == samples["step"].max()).sum())
    run_level = {  # the run-level metrics of the final step
        "diverged": run["status"] == "diverged", "plateau_window": params.plateau_window,
        "plateau_tolerance": params.plateau_tolerance,
    }
    if n not in floors:  # the perfect generator's KL and JSD at this sample size
        floors[n] = (
            class_mode_stats_floor(reference=dataset["mode_weights"], n=n) if image_shape
            else mode_stats_floor(centers=dataset["centers"], std=dataset["std"], n=n, threshold=params.threshold)
        )
    if image_shape:
        if n not in real_features:  # the same reference sample of training images for every run
            real = scale_images(reference_sample(dataset["images"], n=n))
            real_features[n] = classify(model=classifier, images=real)[FEATURES]
        metrics, shares = evaluate_image_run(
            images_per_step={step: samples_to_images(group, image_shape) for step, group in samples.groupby("step")},
            real_features=real_features[n], classifier=classifier, reference=dataset["mode_weights"], confidence=params.confidence,
            collapse_coverage=params.collapse_coverage, floors=floors[n], **run_level,
        )
        share_tables.append(shares.assign(seed=run["seed"]))
    else:
        metrics = evaluate_run(
            samples=samples, dataset=dataset, threshold=params.threshold,
            collapse_coverage=params.collapse_coverage, floors=floors[n], **run_level,
        )
    tables.append(metrics.assign(dataset=run["dataset"], variant=run["variant"], seed=run["seed"]))
write_parquet(  # with what computed the numbers (read it back with modecollapse.io.read_parquet_metadata)
    pd.concat(tables, ignore_index=True)[list(LONG_COLUMNS)], snakemake.output.metrics, metadata=provenance(),
)
shares = pd.concat(share_tables, ignore_index=True) if share_tables else pd.DataFrame(columns=SHARE_COLUMNS)
write_parquet(shares[list(SHARE_COLUMNS)].astype({"seed": np.int64, "channel": np.int64, "digit": np.int64, "share": float}), snakemake.output.shares)
