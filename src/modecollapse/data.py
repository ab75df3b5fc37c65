"""Datasets of the study: 2D Gaussian mixtures, generated deterministically from a seed."""

from __future__ import annotations

import dataclasses
import math
import os

import numpy as np

from .io import write_npz


@dataclasses.dataclass(frozen=True)
class Mixture2D:
    """An isotropic Gaussian mixture in the plane; `std` is per mode, `weights` sum to 1."""

    centers: tuple[tuple[float, float], ...]
    std: float
    description: str
    source: str

    @property
    def n_modes(self) -> int:
        return len(self.centers)

    @property
    def weights(self) -> np.ndarray:
        return np.full(self.n_modes, 1.0 / self.n_modes)  # PacGAN: uniform weights


def _ring(n_modes: int, radius: float) -> tuple[tuple[float, float], ...]:
    return tuple(
        (radius * math.cos(2 * math.pi * i / n_modes), radius * math.sin(2 * math.pi * i / n_modes))
        for i in range(n_modes)
    )


def _grid(values: tuple[float, ...]) -> tuple[tuple[float, float], ...]:
    return tuple((x, y) for x in values for y in values)


DATASETS: dict[str, Mixture2D] = {
    "ring8": Mixture2D(
        centers=_ring(8, radius=1.0),
        std=0.01,
        description="8 Gaussians on a circle of radius 1, std 0.01",
        source="PacGAN (Lin et al. 2018), fjxmlzn/PacGAN synthetic_data_experiments",
    ),
    "grid25": Mixture2D(
        centers=_grid((-4.0, -2.0, 0.0, 2.0, 4.0)),
        std=0.05,
        description="25 Gaussians on a 5x5 grid with spacing 2, std 0.05",
        source="PacGAN (Lin et al. 2018), fjxmlzn/PacGAN synthetic_data_experiments",
    ),
}


def get_dataset(name: str) -> Mixture2D:
    try:
        return DATASETS[name]
    except KeyError:
        raise KeyError(f"unknown dataset {name!r}; available: {', '.join(sorted(DATASETS))}") from None


def sample_mixture(mixture: Mixture2D, *, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Draw `n` points and their mode labels from `mixture` with a local generator seeded by `seed`."""
    rng = np.random.default_rng(seed)
    labels = rng.choice(mixture.n_modes, size=n, p=mixture.weights)
    centers = np.asarray(mixture.centers, dtype=np.float64)
    points = centers[labels] + mixture.std * rng.standard_normal((n, 2))
    return points.astype(np.float32), labels.astype(np.int64)


def write_dataset(name: str, *, n: int, seed: int, path: str | os.PathLike) -> None:
    """Generate dataset `name` and store points, labels and the mixture's parameters as .npz."""
    mixture = get_dataset(name)
    points, labels = sample_mixture(mixture, n=n, seed=seed)
    write_npz(
        path,
        points=points,
        labels=labels,
        centers=np.asarray(mixture.centers, dtype=np.float64),
        std=np.full(mixture.n_modes, mixture.std),
        weights=mixture.weights,
        seed=np.int64(seed),
    )


def load_dataset(path: str | os.PathLike) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files}
