"""Rule classifier: train a family's evaluator classifier; save it and its held-out accuracy."""

import sys

import torch

from modecollapse.classifier import accuracy, save_classifier, train_classifier
from modecollapse.data import load_dataset, scale_images
from modecollapse.io import write_json
from modecollapse.provenance import provenance

log = open(snakemake.log[0], "w")
sys.stderr = log
torch.set_num_threads(snakemake.threads)
data = load_dataset(snakemake.input[0])
model = train_classifier(
    images=scale_images(data["images"]), labels=data["labels"], seed=snakemake.params.seed, progress=log
)
metrics = {
    "family": snakemake.wildcards.family,
    "train_size": int(len(data["labels"])),
    "test_size": int(len(data["test_labels"])),
    "test_accuracy": accuracy(model=model, images=scale_images(data["test_images"]), labels=data["test_labels"]),
    "seed": snakemake.params.seed,
    **provenance(),
}
save_classifier(model, snakemake.output.classifier, metadata={"test_accuracy": metrics["test_accuracy"]})
write_json(metrics, snakemake.output.metrics)
