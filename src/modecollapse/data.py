"""Datasets of the study, each written once to data/{name}.npz by the workflow.

- 2D Gaussian mixtures (ring8, grid25), generated from a seed (docs/protocol.md §1).
- Handwritten digits as images (docs/protocol.md §2): scikit-learn's bundled 8×8 digits (offline),
  MNIST (downloaded, see download.py), and each with three digits stacked as colour channels
  (1000 modes). Images are stored as uint8 (0-255), n × C × H × W; the networks see them
  flattened and scaled to [-1, 1] (`training_points`).
"""

from __future__ import annotations

import dataclasses
import math
import os

import numpy as np

from .io import read_npz, write_npz

DIGITS_TEST_FRACTION = 0.2  # scikit-learn digits held out for the evaluator classifier's accuracy


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


def _linspace_ring() -> tuple[tuple[float, float], ...]:
    """GDPP's and the Unrolled-GAN demo's ring as their code builds it: thetas = np.linspace(0, 2π, 8),
    x = sin θ, y = cos θ. Both endpoints are listed, so the 8 means sit at 7 locations 2π/7 apart:
    θ = 0 and θ = 2π give (0, 1) and (sin 2π, cos 2π) = (−2.4e-16, 1), which a float64 nearest-mean
    rule tells apart by the sign of x; each listed mean draws 1/8 of the data, (0, 1)'s location 2/8."""
    thetas = np.linspace(0, 2 * np.pi, 8)
    return tuple((float(np.sin(theta)), float(np.cos(theta))) for theta in thetas)


def _grid(values: tuple[float, ...]) -> tuple[tuple[float, float], ...]:
    return tuple((x, y) for x in values for y in values)


@dataclasses.dataclass(frozen=True)
class Digits:
    """Handwritten digits of a `family` (digits: scikit-learn 8×8; mnist: 28×28), one per image,
    or three drawn uniformly with replacement and stacked as colour channels (`stacked`)."""

    family: str  # the base images, and the evaluator classifier trained on them
    stacked: bool
    image_size: int
    description: str
    source: str

    @property
    def n_modes(self) -> int:
        return 1000 if self.stacked else 10

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (3 if self.stacked else 1, self.image_size, self.image_size)


DATASETS: dict[str, Mixture2D | Digits] = {
    "ring8": Mixture2D(
        centers=_ring(8, radius=1.0),
        std=0.01,
        description="8 Gaussians on a circle of radius 1, std 0.01",
        source="PacGAN (Lin et al. 2018), fjxmlzn/PacGAN synthetic_data_experiments",
    ),
    "ring8-linspace": Mixture2D(
        centers=_linspace_ring(),
        std=0.01,
        description="GDPP's ring: 8 listed means from linspace(0, 2pi, 8), so 7 locations, one of weight 2/8; std 0.01",
        source="M-Elfeki/GDPP gdppgan_Synthetic.py (sample_ring, evaluate_samples), from poolio/unrolled_gan",
    ),
    "grid25": Mixture2D(
        centers=_grid((-4.0, -2.0, 0.0, 2.0, 4.0)),
        std=0.05,
        description="25 Gaussians on a 5x5 grid with spacing 2, std 0.05",
        source="PacGAN (Lin et al. 2018), fjxmlzn/PacGAN synthetic_data_experiments",
    ),
    "digits": Digits(
        family="digits",
        stacked=False,
        image_size=8,
        description="scikit-learn's 8x8 handwritten digits (offline), 10 classes; 80% train, 20% held out",
        source="UCI optical recognition of handwritten digits, via sklearn.datasets.load_digits",
    ),
    "stacked-digits": Digits(
        family="digits",
        stacked=True,
        image_size=8,
        description="3 training digits stacked as colour channels, 1000 modes (Stacked MNIST at 8x8)",
        source="construction of VEEGAN (Srivastava et al. 2017) and PacGAN on sklearn digits",
    ),
    "mnist": Digits(
        family="mnist",
        stacked=False,
        image_size=28,
        description="MNIST 28x28 handwritten digits, 10 classes (downloaded, SHA-256 checked)",
        source="LeCun et al., THE MNIST DATABASE of handwritten digits",
    ),
    "stacked-mnist": Digits(
        family="mnist",
        stacked=True,
        image_size=28,
        description="3 MNIST digits stacked as colour channels, 1000 modes (downloaded)",
        source="VEEGAN (Srivastava et al. 2017), PacGAN (Lin et al. 2018) stacked_MNIST_experiments",
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


def is_image(name: str) -> bool:
    return isinstance(get_dataset(name), Digits)


def dataset_sources(name: str) -> dict[str, str]:
    """What building dataset `name` reads, by role: nothing for generated data, the MNIST
    download directory for mnist, the base family's dataset file for stacked data."""
    spec = get_dataset(name)
    if not isinstance(spec, Digits):
        return {}
    if spec.stacked:
        return {"base": spec.family}
    return {"mnist": "mnist"} if spec.family == "mnist" else {}


def digits_family(*, seed: int, mnist_directory: str | os.PathLike | None = None) -> dict[str, np.ndarray]:
    """The base images of a family as uint8 n × 1 × H × W with their labels, train and test.

    With `mnist_directory`, MNIST's own split; otherwise scikit-learn's digits (pixel values 0-16,
    rescaled to 0-255) split by a stratified draw of DIGITS_TEST_FRACTION seeded by `seed`.
    """
    if mnist_directory is not None:
        from .download import load_mnist

        arrays = load_mnist(mnist_directory)
        return {key: (value[:, None] if value.ndim == 3 else value.astype(np.int64)) for key, value in arrays.items()}
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = np.rint(digits.images * (255 / 16)).astype(np.uint8)[:, None]
    train_images, test_images, train_labels, test_labels = train_test_split(
        images,
        digits.target.astype(np.int64),
        test_size=DIGITS_TEST_FRACTION,
        stratify=digits.target,
        random_state=seed,
    )
    return {
        "train_images": train_images,
        "train_labels": train_labels,
        "test_images": test_images,
        "test_labels": test_labels,
    }


def stack_digits(*, images: np.ndarray, labels: np.ndarray, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`n` images of three digits drawn uniformly with replacement from `images` (n × 1 × H × W),
    stacked as channels (n × 3 × H × W), and their labels (n × 3): Stacked MNIST (docs/protocol.md §2)."""
    index = np.random.default_rng(seed).integers(len(images), size=(n, 3))
    return images[index, 0], labels[index]


def scale_images(images: np.ndarray) -> np.ndarray:
    """uint8 pixels (0-255) as float32 in [-1, 1], the range of the generators' tanh output."""
    return (images.astype(np.float32) / np.float32(127.5) - np.float32(1.0)).astype(np.float32)


ONLINE_REFERENCE_SIZE = 32_000  # stacked images drawn once for evaluation when training stacks on the fly


def training_points(dataset: dict[str, np.ndarray]) -> np.ndarray:
    """What the networks train on: 2D points as they are, images scaled to [-1, 1] and flattened.

    A stacked set drawn on the fly (`stacked_online`) trains on its base images (n × H·W): the
    training loop stacks three of them afresh for every training image."""
    images = dataset["base_images"] if stacked_online(dataset) else dataset.get("images")
    if images is None:
        return dataset["points"]
    return scale_images(images).reshape(len(images), -1)


def heldout_points(dataset: dict[str, np.ndarray]) -> np.ndarray | None:
    """Held-out reals as `training_points` gives the training ones: an unstacked image family's
    held-out split, scaled and flattened; None for 2D data (fresh draws of the mixture serve) and
    stacked data (no held-out split of stacked images)."""
    images = dataset.get("test_images")
    if images is None or dataset.get("images") is None or images.shape[1:] != dataset["images"].shape[1:]:
        return None
    return scale_images(images).reshape(len(images), -1)


def stacked_online(dataset: dict[str, np.ndarray]) -> bool:
    """Whether a stacked dataset's training images are drawn afresh during training (stacked_size 0)."""
    return "base_images" in dataset


def write_dataset(
    name: str,
    *,
    n: int,
    seed: int,
    path: str | os.PathLike,
    sources: dict[str, str | os.PathLike] | None = None,
    stack_from: str = "train",
) -> None:
    """Build dataset `name` and store it as .npz.

    2D mixtures: `n` points, their labels and the mixture's parameters. Digits: the training
    images and labels, the held-out test split (unstacked data, for the classifier), the image
    shape and `mode_weights`, the reference distribution of modes for the reverse KL (the class
    frequencies of the training images; uniform over 1000 for stacked data, docs/protocol.md §2).
    Stacked data has `n` images built from the base family `sources["base"]`: from its training
    split (`stack_from="train"`) or from all its images, held-out ones included (`"all"`: the
    VEEGAN setting's 70,000 MNIST digits). With n = 0 the training images are stacked on the fly
    (the Unrolled-GAN setting): the file then holds the base images (`base_images`) for training
    and ONLINE_REFERENCE_SIZE stacked images drawn once as the real sample for evaluation.
    Unstacked data has its family's natural size. `sources["mnist"]` is the directory of the
    MNIST files.
    """
    spec, sources = get_dataset(name), sources or {}
    if isinstance(spec, Digits):
        if spec.stacked:
            base = load_dataset(sources["base"])
            pool = {"train": ("images",), "all": ("images", "test_images")}
            if stack_from not in pool:
                raise ValueError(f"stack_from must be one of {', '.join(pool)}, got {stack_from!r}")
            base_images = np.concatenate([base[key] for key in pool[stack_from]])
            base_labels = np.concatenate([base[key.replace("images", "labels")] for key in pool[stack_from]])
            images, labels = stack_digits(
                images=base_images, labels=base_labels, n=n or ONLINE_REFERENCE_SIZE, seed=seed
            )
            arrays = {"images": images, "labels": labels, "mode_weights": np.full(1000, 1 / 1000)}
            if n == 0:
                arrays |= {"base_images": base_images, "base_labels": base_labels}
        else:
            family = digits_family(seed=seed, mnist_directory=sources.get("mnist"))
            labels = family["train_labels"]
            arrays = {
                "images": family["train_images"],
                "labels": labels,
                "test_images": family["test_images"],
                "test_labels": family["test_labels"],
                "mode_weights": np.bincount(labels, minlength=10) / len(labels),
            }
        write_npz(path, **arrays, image_shape=np.asarray(spec.image_shape), seed=np.int64(seed))
        return
    mixture = spec
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
    """Every array of a dataset file; an unreadable one raises io.UnreadableFile naming it."""
    return read_npz(path)
