"""The format of a run's generated samples (samples.parquet), free of torch so that evaluation needs none.

A samples table has one row per generated sample: the snapshot's `step`, then the sample's
coordinates (`sample_columns`): x, y for 2D points, p0 … p{C·H·W−1} for a flattened image.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd


def sample_columns(dim: int, image_shape: tuple[int, ...] | None) -> list[str]:
    """Column names of a sample's coordinates: x, y for 2D points; p0 … p{C·H·W−1} for a
    flattened image (channel-major, as torch lays out C × H × W)."""
    return list("xy"[:dim]) if image_shape is None else [f"p{i}" for i in range(dim)]


def stored_dtype(image_shape: tuple[int, ...] | None) -> type:
    """The dtype a samples table stores its coordinates in: float16 for images, float32 for 2D points."""
    return np.float16 if image_shape else np.float32


def samples_table(
    snapshots: Sequence[tuple[int, np.ndarray]],
    image_shape: tuple[int, int, int] | None,
) -> pd.DataFrame:
    """The samples table of one member from its snapshots, (step, samples n × dim) in training
    order. Images are stored as float16: they need no more precision, and a diverged sample
    stays NaN; 2D points as float32, as trained."""
    steps = np.concatenate([np.full(len(points), step, dtype=np.int64) for step, points in snapshots])
    points = np.concatenate([points for _, points in snapshots]).astype(stored_dtype(image_shape), copy=False)
    columns = sample_columns(points.shape[1], image_shape)
    return pd.concat([pd.DataFrame({"step": steps}), pd.DataFrame(points, columns=columns)], axis=1)


def samples_to_images(samples: pd.DataFrame, image_shape: tuple[int, int, int]) -> np.ndarray:
    """The image columns of a samples table as an (n, C, H, W) float array in [-1, 1]."""
    columns = sample_columns(int(np.prod(image_shape)), image_shape)
    return samples[columns].to_numpy(dtype=np.float32).reshape(len(samples), *image_shape)
