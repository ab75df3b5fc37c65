"""Rule samples_figure: final samples per variant (2D points over the real modes, or images
beside real ones), for one dataset."""

import sys

from modecollapse.data import load_dataset, scale_images
from modecollapse.io import read_parquet
from modecollapse.plots import image_grid_figure, samples_figure
from modecollapse.samples import samples_to_images

sys.stderr = open(snakemake.log[0], "w")
params = snakemake.params
dataset = load_dataset(snakemake.input.data)
samples = {variant: read_parquet(path) for variant, path in zip(params.variants, snakemake.input.samples)}
if "image_shape" in dataset:
    shape = tuple(dataset["image_shape"])
    final = {variant: frame[frame["step"] == frame["step"].max()] for variant, frame in samples.items()}
    image_grid_figure(
        samples={"real": scale_images(dataset["images"][:64])}
        | {v: samples_to_images(f, shape) for v, f in final.items()},
        dataset=snakemake.wildcards.dataset,
        seed=params.seed,
        path=snakemake.output[0],
    )
else:
    samples_figure(
        samples=samples,
        centers=dataset["centers"],
        dataset=snakemake.wildcards.dataset,
        seed=params.seed,
        path=snakemake.output[0],
    )
