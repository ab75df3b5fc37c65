"""The evaluator classifier for handwritten digits: assigns each generated image its mode and features.

A small CNN sees one channel (1 × H × W, H = W = 8 for scikit-learn's digits or 28 for MNIST,
pixel values in [-1, 1]). A stacked image (C channels, one digit each, as in Stacked MNIST) is
classified channel by channel: its mode is the tuple of predicted digits (PacGAN, Lin et al. 2018;
VEEGAN, Srivastava et al. 2017; docs/protocol.md §2), and its feature vector is the concatenation of the
channels' penultimate-layer activations (used for distances between distributions; these are not
Inception features, so distances on them do not compare with FID).
"""

from __future__ import annotations

import math
import os
from typing import TextIO

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .io import atomic_path

# Keys of `classify`'s result.
CLASSES = "classes"
CONFIDENCE = "confidence"
FEATURES = "features"


# Keys of a saved classifier file.
FORMAT = "format"
STATE_DICT = "state_dict"
ARCHITECTURE = "architecture"
METADATA = "metadata"
FILE_FORMAT = "modecollapse-classifier-v1"

N_CLASSES = 10
IMAGE_SIZES = (8, 28)
# Largest random shift (pixels) of the training augmentation: ±1 px at 8×8, where one pixel is an
# eighth of the image, and the customary ±2 px at 28×28.
MAX_SHIFT = {8: 1, 28: 2}
# Pixel value of empty paper: uncovered borders after a shift are filled with it.
BACKGROUND = -1.0


class Classifier(nn.Module):
    """A small CNN for 1 × H × W digits (H in IMAGE_SIZES): two blocks of 3×3 convolution, ReLU and
    2×2 max pooling (widths[0] and widths[1] channels), a ReLU layer of `feature_dim` units (the
    features) and a linear layer to 10 logits.

    Parameters are drawn from `torch.Generator().manual_seed(seed)` with PyTorch's default schemes
    (Kaiming-uniform weights with a = √5, biases uniform in ±1/√fan_in); the global RNG is not
    touched. `forward(x)` returns (logits (n, 10), features (n, feature_dim)).
    """

    def __init__(self, *, image_size: int, widths: tuple[int, int] = (32, 64), feature_dim: int = 64, seed: int = 0):
        super().__init__()
        if image_size not in IMAGE_SIZES:
            raise ValueError(f"image_size must be one of {IMAGE_SIZES}, got {image_size!r}")
        if len(widths) != 2 or min(widths) < 1 or feature_dim < 1:
            raise ValueError(f"need two positive widths and a positive feature_dim, got {widths!r}, {feature_dim!r}")
        self.image_size = int(image_size)
        self.widths = tuple(int(w) for w in widths)
        self.feature_dim = int(feature_dim)
        side = image_size // 4  # two 2×2 poolings (floor): 8 → 2, 28 → 7
        # Building layers runs their default initialisation on the global RNG; fork_rng restores it.
        with torch.random.fork_rng(devices=[]):
            self.conv1 = nn.Conv2d(1, self.widths[0], kernel_size=3, padding=1)
            self.conv2 = nn.Conv2d(self.widths[0], self.widths[1], kernel_size=3, padding=1)
            self.hidden = nn.Linear(self.widths[1] * side * side, self.feature_dim)
            self.out = nn.Linear(self.feature_dim, N_CLASSES)
        generator = torch.Generator().manual_seed(seed)
        for layer in (self.conv1, self.conv2, self.hidden, self.out):
            nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)
            bound = 1.0 / math.sqrt(layer.weight[0].numel())  # 1/√fan_in
            nn.init.uniform_(layer.bias, -bound, bound, generator=generator)

    def architecture(self) -> dict:
        """The constructor arguments that rebuild this network (plain Python types)."""
        return {"image_size": self.image_size, "widths": list(self.widths), "feature_dim": self.feature_dim}

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        features = F.relu(self.hidden(x.flatten(1)))
        return self.out(features), features


def train_classifier(
    *,
    images: np.ndarray,
    labels: np.ndarray,
    seed: int,
    epochs: int = 30,
    batch_size: int = 64,
    lr: float = 2e-3,
    device: str = "cpu",
    progress: TextIO | None = None,
) -> Classifier:
    """Train a `Classifier` on single-channel digits (n, 1, H, W) in [-1, 1] with labels 0-9.

    Adam (Kingma & Ba 2015) on cross entropy, minibatches of `batch_size` in a fresh random order
    each epoch, for `epochs` epochs; the learning rate falls from `lr` to 0 along a cosine over all
    steps (Loshchilov & Hutter 2017, without restarts), which settles the final weights.
    Augmentation: each image of each batch is translated by a random integer shift in [−s, s]²
    pixels (s = MAX_SHIFT[H]), the uncovered border filled with the background value −1. Initial
    weights come from `torch.Generator().manual_seed(seed)` and the batch order and shifts from one
    seeded with seed + 1, so training is repeatable on CPU for a given seed (and thread count); the
    global RNG is not touched. `progress`, if given, receives one line per epoch (mean loss and
    training accuracy on the augmented batches). Returns the network in eval mode on `device`.
    """
    images_t, labels_t = _images_and_labels(images=images, labels=labels)
    image_size = images_t.shape[-1]
    model = Classifier(image_size=image_size, seed=seed).to(device)
    generator = torch.Generator().manual_seed(seed + 1)  # a different stream from the initialisation's
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    steps_per_epoch = math.ceil(len(images_t) / batch_size)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=epochs * steps_per_epoch)
    n = len(images_t)
    model.train()
    for epoch in range(epochs):
        order = torch.randperm(n, generator=generator)
        total_loss, correct = 0.0, 0
        for start in range(0, n, batch_size):
            index = order[start : start + batch_size]
            batch = _random_shift(images=images_t[index], max_shift=MAX_SHIFT[image_size], generator=generator)
            target = labels_t[index].to(device)
            logits, _ = model(batch.to(device))
            loss = F.cross_entropy(logits, target)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            schedule.step()
            total_loss += loss.item() * len(index)
            correct += int((logits.argmax(dim=1) == target).sum())
        if progress is not None:
            progress.write(f"epoch {epoch + 1}/{epochs} loss {total_loss / n:.4f} train_accuracy {correct / n:.4f}\n")
    return model.eval()


def accuracy(*, model: Classifier, images: np.ndarray, labels: np.ndarray) -> float:
    """Share of single-channel `images` (n, 1, H, W) whose predicted digit equals `labels`."""
    labels = np.asarray(labels)
    predicted = classify(model=model, images=images)[CLASSES][:, 0]
    return float(np.mean(predicted == labels))


def classify(*, model: Classifier, images: np.ndarray, batch_size: int = 1024, device: str = "cpu") -> dict:
    """Per-channel digit, confidence and features of images (n, C, H, W) in [-1, 1].

    Each of the C channels is classified on its own as a 1 × H × W digit. Returns
    CLASSES (n, C) int64: the argmax digit per channel; CONFIDENCE (n, C) float64: its softmax
    probability (the largest); FEATURES (n, C·F) float64: the F penultimate-layer activations of
    channel 0, then channel 1, and so on. A sample holding any non-finite value (a diverged
    generator's output) is not classified: class −1, confidence NaN and NaN features in every
    channel. Runs without gradients in eval mode; the model is moved to `device` (in place, as
    `nn.Module.to` does) and its training flag is restored afterwards.
    Source: PacGAN (Lin et al. 2018), Stacked MNIST modes as per-channel classifier outputs.
    """
    images = torch.as_tensor(np.asarray(images, dtype=np.float32))
    if images.ndim != 4 or images.shape[-2:] != (model.image_size, model.image_size):
        raise ValueError(
            f"images must be (n, C, {model.image_size}, {model.image_size}) for this classifier, "
            f"got {tuple(images.shape)}"
        )
    n, channels, size = images.shape[0], images.shape[1], model.image_size
    classes = np.full((n, channels), -1, dtype=np.int64)
    confidence = np.full((n, channels), np.nan)
    features = np.full((n, channels * model.feature_dim), np.nan)
    finite = torch.isfinite(images.reshape(n, -1)).all(dim=1).numpy()
    rows = np.flatnonzero(finite)
    singles = images[torch.as_tensor(rows)].reshape(-1, 1, size, size)  # sample-major: channels of a sample adjacent
    was_training = model.training
    model.to(device).eval()
    try:
        with torch.no_grad():
            outputs = [
                model(singles[start : start + batch_size].to(device)) for start in range(0, len(singles), batch_size)
            ]
    finally:
        model.train(was_training)
    if outputs:
        logits = torch.cat([o[0] for o in outputs]).cpu().double()
        activations = torch.cat([o[1] for o in outputs]).cpu().double()
        probabilities = torch.softmax(logits, dim=1)
        best, digit = probabilities.max(dim=1)
        classes[rows] = digit.numpy().reshape(len(rows), channels)
        confidence[rows] = best.numpy().reshape(len(rows), channels)
        features[rows] = activations.numpy().reshape(len(rows), channels * model.feature_dim)
    return {CLASSES: classes, CONFIDENCE: confidence, FEATURES: features}


def save_classifier(model: Classifier, path: str | os.PathLike, *, metadata: dict) -> None:
    """Write the network's weights, the arguments that rebuild it and `metadata` to `path`, atomically.

    The file is a `torch.save` of a dict of tensors and plain Python types, so `load_classifier`
    reads it with `torch.load(weights_only=True)`; it is read back that way before it takes its
    final name, so metadata holding other types (numpy arrays, paths) is refused with ValueError
    and no file is written.
    """
    payload = {
        FORMAT: FILE_FORMAT,
        ARCHITECTURE: model.architecture(),
        STATE_DICT: {key: value.detach().cpu().clone() for key, value in model.state_dict().items()},
        METADATA: metadata,
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
        try:
            torch.load(tmp, map_location="cpu", weights_only=True)
        except Exception as error:  # the unpickler names the offending type
            raise ValueError(f"metadata must hold only tensors and plain Python types: {error}") from error


def load_classifier(path: str | os.PathLike) -> Classifier:
    """The network saved by `save_classifier` at `path`, on CPU in eval mode (weights_only loading)."""
    payload = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(payload, dict) or payload.get(FORMAT) != FILE_FORMAT:
        raise ValueError(f"{path} is not a classifier written by save_classifier ({FILE_FORMAT})")
    architecture = payload[ARCHITECTURE]
    model = Classifier(
        image_size=architecture["image_size"],
        widths=tuple(architecture["widths"]),
        feature_dim=architecture["feature_dim"],
    )
    model.load_state_dict(payload[STATE_DICT])
    return model.eval()


def load_metadata(path: str | os.PathLike) -> dict:
    """The `metadata` dict stored by `save_classifier` at `path`."""
    return torch.load(path, map_location="cpu", weights_only=True)[METADATA]


def _images_and_labels(*, images: np.ndarray, labels: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    images = torch.as_tensor(np.asarray(images, dtype=np.float32))
    labels = torch.as_tensor(np.asarray(labels, dtype=np.int64))
    if images.ndim != 4 or images.shape[1] != 1 or images.shape[2] != images.shape[3]:
        raise ValueError(f"training images must be (n, 1, H, H), got {tuple(images.shape)}")
    if images.shape[-1] not in IMAGE_SIZES:
        raise ValueError(f"image side must be one of {IMAGE_SIZES}, got {images.shape[-1]}")
    if labels.shape != (len(images),):
        raise ValueError(f"labels must be ({len(images)},), got {tuple(labels.shape)}")
    if len(labels) == 0 or labels.min() < 0 or labels.max() >= N_CLASSES:
        raise ValueError(f"labels must be digits 0-{N_CLASSES - 1} (and at least one)")
    if not torch.isfinite(images).all():
        raise ValueError("training images hold non-finite values")
    return images, labels


def _random_shift(*, images: torch.Tensor, max_shift: int, generator: torch.Generator) -> torch.Tensor:
    """Each image (n, 1, H, W) translated by its own integer shift in [−max_shift, max_shift]²."""
    n, _, height, width = images.shape
    padded = F.pad(images[:, 0], (max_shift, max_shift, max_shift, max_shift), value=BACKGROUND)
    offsets = torch.randint(0, 2 * max_shift + 1, (2, n), generator=generator)  # top-left corner of the crop
    rows = offsets[0, :, None] + torch.arange(height)  # (n, H)
    cols = offsets[1, :, None] + torch.arange(width)  # (n, W)
    return padded[torch.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]].unsqueeze(1)
