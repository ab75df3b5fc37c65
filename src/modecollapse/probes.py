"""What the discriminator says at each snapshot: its surface over the 2D data space, and its mean
output on training reals, held-out reals and generated samples (discriminator overfitting).

Overfitting (Karras et al. 2020, ADA): a D that memorises its training set scores its training
reals above fresh reals of the same distribution; the gap E[D(x_train)] − E[D(x_held-out)] grows,
and r_t = E[sign D(x_train)] tends to 1. Held-out reals are fresh draws of the mixture for 2D data
and the digits' held-out split for images. The surface is D's output on a SURFACE_SIZE² grid over
the data's bounding box, which shows the peaks G's samples chase from mode to mode.

A packed D (PacGAN) judges packs: every probe point goes in as a pack of identical copies. A joint
D (ALI, VEEGAN) judges (x, z) pairs and has no output on x alone: no probes. A stacked dataset drawn
on the fly has no fixed training images to probe, and no held-out split: its training and
held-out means are NaN. Probes draw from their own seeded generator, never from the training
streams, and run D in eval mode without gradients: they change no training number.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch

PROBE_POINTS = 1000  # reals of each set, and fakes, that each probe scores
SURFACE_SIZE = 64  # D's surface: a SURFACE_SIZE × SURFACE_SIZE grid over the data's bounding box
SURFACE_MARGIN = 0.5  # the grid reaches this share of the modes' span beyond them on every side
PROBE_SEED = 20_201  # the probe sets' own generator: independent of every training stream
PROBE_COLUMNS = ("step", "d_train", "d_heldout", "d_fake", "r_t")
SURFACE_COLUMNS = ("step", "x", "y", "d")


def surface_grid(centers: np.ndarray, *, size: int = SURFACE_SIZE, margin: float = SURFACE_MARGIN) -> np.ndarray:
    """The points of D's surface: a size × size grid (x varying fastest) over the bounding box of
    the modes `centers`, widened by `margin` of its span on every side (a square box, so that the
    picture keeps the data's proportions)."""
    low, high = centers.min(axis=0), centers.max(axis=0)
    middle, half = (low + high) / 2, max(float((high - low).max()), 1e-6) * (0.5 + margin)
    axis_x = np.linspace(middle[0] - half, middle[0] + half, size)
    axis_y = np.linspace(middle[1] - half, middle[1] + half, size)
    xs, ys = np.meshgrid(axis_x, axis_y)
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


def overfitting_stats(*, train: torch.Tensor, heldout: torch.Tensor, fake: torch.Tensor) -> np.ndarray:
    """Per member (rows), from D's outputs on each set (members × n): the mean output on training
    reals, on held-out reals and on fakes, and r_t = the mean sign of its outputs on training reals
    (a set with no points gives NaN)."""

    def mean(values: torch.Tensor) -> np.ndarray:
        return values.mean(dim=1).double().numpy() if values.shape[1] else np.full(values.shape[0], math.nan)

    r_t = torch.sign(train).mean(dim=1).double().numpy() if train.shape[1] else np.full(train.shape[0], math.nan)
    return np.stack([mean(train), mean(heldout), mean(fake), r_t], axis=1)


class Probe:
    """The probes of one training ensemble (train.GANEnsemble): built once with its fixed sets,
    called at each snapshot with G's snapshot samples."""

    def __init__(
        self,
        ensemble,
        *,
        mixture: tuple[np.ndarray, np.ndarray] | None = None,
        heldout: np.ndarray | None = None,
        stacked_online: bool = False,
    ) -> None:
        self.ensemble = ensemble
        s, device = ensemble.settings, ensemble.device
        self.enabled = not ensemble.loss.joint
        rng = np.random.default_rng(PROBE_SEED)
        empty = np.zeros((0, ensemble.dim), dtype=np.float32)
        if ensemble.image_shape is None and mixture is not None:
            centers, stds = (np.asarray(a, dtype=np.float64) for a in mixture)
            stds = np.broadcast_to(stds, (len(centers),))

            def draw(n: int) -> np.ndarray:
                modes = rng.integers(len(centers), size=n)
                return centers[modes] + stds[modes, None] * rng.standard_normal((n, centers.shape[1]))

            train = draw(PROBE_POINTS) if s.fresh_data else ensemble.real_data[:PROBE_POINTS].cpu().numpy()
            held = draw(PROBE_POINTS)
            self.grid = surface_grid(centers)
        else:
            train = empty if stacked_online else ensemble.real_data[:PROBE_POINTS].cpu().numpy()
            held = heldout[:PROBE_POINTS] if heldout is not None else empty
            self.grid = None
        self.train, self.heldout = (
            torch.as_tensor(np.asarray(a), dtype=torch.float32, device=device) for a in (train, held)
        )
        self.grid_points = (
            torch.as_tensor(self.grid, dtype=torch.float32, device=device) if self.grid is not None else None
        )

    def _outputs(self, points: torch.Tensor) -> torch.Tensor:
        """D's outputs (members × n) on `points` (n × dim, the same for every member, or members ×
        n × dim), each point a pack of identical copies, in batches of the training batch size (a
        minibatch-discrimination D compares the samples of a batch, as in training); on the CPU."""
        e = self.ensemble
        members, pack, batch = e.members, e.settings.pack, e.settings.batch_size
        x = points if points.dim() == 3 else points.unsqueeze(0).expand(members, -1, -1)
        pieces = [e.D(x[:, i : i + batch].repeat(1, 1, pack))[0].float().cpu() for i in range(0, x.shape[1], batch)]
        return torch.cat(pieces, dim=1) if pieces else torch.zeros(members, 0)

    def __call__(self, samples: torch.Tensor) -> tuple[np.ndarray, np.ndarray | None]:
        """At a snapshot: per member the PROBE_COLUMNS values but the step (members × 4, NaN for a
        joint D), and D's surface on the grid (members × SURFACE_SIZE², 2D data only; None otherwise)."""
        e = self.ensemble
        if not self.enabled:
            return np.full((e.members, 4), math.nan), None
        was_training = e.D.training
        e.D.eval()
        try:
            with torch.no_grad():
                fake = samples[:, :PROBE_POINTS].to(e.device, torch.float32)
                stats = overfitting_stats(
                    train=self._outputs(self.train), heldout=self._outputs(self.heldout), fake=self._outputs(fake)
                )
                surface = self._outputs(self.grid_points).numpy() if self.grid_points is not None else None
        finally:
            e.D.train(was_training)
        return stats, surface


def probes_table(rows: list[tuple[int, float, float, float, float]]) -> pd.DataFrame:
    """One member's probe rows (PROBE_COLUMNS), a row per snapshot."""
    return pd.DataFrame(rows, columns=list(PROBE_COLUMNS)).astype({"step": np.int64})


def surface_table(surfaces: list[tuple[int, np.ndarray]], grid: np.ndarray | None) -> pd.DataFrame:
    """One member's D surfaces in long form (SURFACE_COLUMNS): every grid point at every snapshot
    (float32 values); empty for data without a surface."""
    if grid is None or not surfaces:
        return pd.DataFrame({name: pd.Series(dtype=np.float32) for name in SURFACE_COLUMNS}).astype({"step": np.int64})
    steps = np.concatenate([np.full(len(grid), step, dtype=np.int64) for step, _ in surfaces])
    values = np.concatenate([np.asarray(values, dtype=np.float32) for _, values in surfaces])
    xy = np.tile(grid.astype(np.float32), (len(surfaces), 1))
    return pd.DataFrame({"step": steps, "x": xy[:, 0], "y": xy[:, 1], "d": values})
