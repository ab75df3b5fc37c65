"""Mode-coverage metrics as pure functions with arguments named by role.

Metric names in the long table (results/metrics.parquet) are the module constants below.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import cdist

MODES_COVERED = "modes_covered"
HIGH_QUALITY_FRACTION = "high_quality_fraction"
REVERSE_KL = "reverse_kl"
MODE_METRICS = (MODES_COVERED, HIGH_QUALITY_FRACTION, REVERSE_KL)


def mode_stats(*, centers: np.ndarray, std: np.ndarray | float, fake: np.ndarray, threshold: float = 3.0) -> dict:
    """PacGAN's mode statistics of generated samples against a Gaussian mixture's modes.

    Each sample goes to the mode nearest in units of that mode's std; it is high quality when
    that distance is below `threshold` stds. modes_covered = modes with at least one high-quality
    sample; high_quality_fraction = high-quality samples / all samples; reverse_kl =
    KL(p_gen ‖ uniform) = Σ_{p>0} p log(pK) over the histogram of high-quality samples per mode
    (NaN when no sample is high quality). Non-finite samples are never high quality.
    Source: PacGAN (Lin et al. 2018), fjxmlzn/PacGAN pacgan/extensions.py; PROTOCOL.md §1.
    """
    centers = np.asarray(centers, dtype=np.float64)
    fake = np.asarray(fake, dtype=np.float64)
    n_modes = len(centers)
    std = np.broadcast_to(np.asarray(std, dtype=np.float64), (n_modes,))
    finite = np.isfinite(fake).all(axis=1)
    distance = np.full((len(fake), n_modes), np.inf)
    distance[finite] = cdist(fake[finite], centers) / std  # in units of each mode's std
    nearest = distance.argmin(axis=1)
    high_quality = distance[np.arange(len(fake)), nearest] < threshold
    counts = np.bincount(nearest[high_quality], minlength=n_modes)
    total = counts.sum()
    if total > 0:
        p = counts[counts > 0] / total
        reverse_kl = float(np.sum(p * np.log(p * n_modes)))
    else:
        reverse_kl = float("nan")
    return {
        MODES_COVERED: int((counts > 0).sum()),
        HIGH_QUALITY_FRACTION: float(high_quality.mean()) if len(fake) else float("nan"),
        REVERSE_KL: reverse_kl,
        "counts": counts,
    }
