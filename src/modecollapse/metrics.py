"""Mode-coverage and distribution metrics as pure functions with arguments named by role.

Metric names in the long table (results/metrics.parquet) are the module constants below.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
from scipy.linalg import sqrtm
from scipy.spatial.distance import cdist, pdist
from scipy.stats import norm
from sklearn.neighbors import NearestNeighbors

MODES_COVERED = "modes_covered"
HIGH_QUALITY_FRACTION = "high_quality_fraction"
REVERSE_KL = "reverse_kl"
MODE_METRICS = (MODES_COVERED, HIGH_QUALITY_FRACTION, REVERSE_KL)
JSD = "jsd"
COUNTS = "counts"
# 1.0 when the mode histogram is empty (2D: no high-quality sample; images: no classified sample),
# so that reverse_kl and jsd hold the total-collapse convention instead of a measurement; else 0.0.
NO_HIGH_QUALITY = "no_high_quality"

REVERSE_KL_FLOOR = "reverse_kl_floor"
MODES_COVERED_CEILING = "modes_covered_ceiling"
JSD_FLOOR = "jsd_floor"
# D's overfitting at the final snapshot (probes.Probe, evaluate.overfitting_values): its mean output
# on training reals minus that on held-out reals, and ADA's r_t = E[sign D(x_train)]; NaN where D
# was not probed (a joint D)
OVERFITTING_GAP = "d_overfitting_gap"
D_SIGN_TRAIN = "d_sign_train"

KID_MEAN = "kid_mean"
KID_STD = "kid_std"

PRECISION = "precision"
RECALL = "recall"
DENSITY = "density"
COVERAGE = "coverage"

NDB = "ndb"
NDB_OVER_K = "ndb_over_k"
NDB_JS = "ndb_js"  # the JS divergence of NDB's bins, named as the long table names it

# Names of the float-valued distances in the long table (the functions return bare floats).
WASSERSTEIN_1 = "wasserstein_1"
SLICED_WASSERSTEIN = "sliced_wasserstein_2"
MMD = "mmd2_rbf"
MMD_BANDWIDTH = "mmd_bandwidth"  # the RBF kernel width that MMD² used (one per dataset)
ENERGY_DISTANCE = "energy_distance"
FRECHET_DISTANCE = "frechet_distance"

# Pairwise sums are taken over row blocks of about this many matrix entries (8 MB of float64), so
# memory stays bounded at 50k × 50k while blocks stay large enough for vectorised speed.
_BLOCK_ENTRIES = 1_000_000
# The median heuristic looks at the pairwise distances of at most this many real points
# (about 2 million pairs): enough to pin the median, cheap at any sample size.
_MEDIAN_HEURISTIC_POINTS = 2000


NEAREST_RULES = ("std", "l2")  # a sample's mode: nearest in units of each mode's std (PacGAN), or by L2


def mode_stats(
    *,
    centers: np.ndarray,
    std: np.ndarray | float,
    fake: np.ndarray,
    threshold: float = 3.0,
    nearest: str = "std",
    inclusive: bool = False,
) -> dict:
    """PacGAN's mode statistics of generated samples against a Gaussian mixture's modes.

    Each sample goes to the mode nearest in units of that mode's std (`nearest="std"`, PacGAN's
    rule) or by plain Euclidean distance (`"l2"`, the rule of GDPP's and VEEGAN's 2D code); the two
    agree when all modes share one std. It is high quality when its distance to that mode is below
    `threshold` of the mode's stds (at most, with `inclusive`, as those codes count: the same
    almost surely for continuous samples). modes_covered = modes with at least one high-quality
    sample; high_quality_fraction = high-quality samples / all samples; reverse_kl =
    KL(p_gen ‖ uniform) = Σ_{p>0} p log(pK) over the histogram of high-quality samples per mode;
    jsd = Jensen-Shannon divergence (natural log) between that histogram and the uniform weights,
    ½KL(p ‖ m) + ½KL(u ‖ m) with m = (p + u)/2 (bounded by log 2, unlike reverse_kl). counts =
    high-quality samples per mode. Non-finite samples are never high quality.

    When no sample is high quality the histogram is empty and p_gen undefined. By convention the
    run then scores as total collapse onto one mode: reverse_kl = log K and jsd = JS(δ_k, uniform)
    (computed, not hard-coded), the largest values either divergence takes over all histograms
    (both are convex in p, so their maximum is at a point mass). A generator with no high-quality
    sample thus never ranks better than one with some, and stays in every mean instead of
    dropping out as NaN; no_high_quality = 1.0 marks such a snapshot (0.0 otherwise) so that
    tables can count it.
    Source: PacGAN (Lin et al. 2018), fjxmlzn/PacGAN pacgan/extensions.py; docs/protocol.md §1.
    """
    if nearest not in NEAREST_RULES:
        raise ValueError(f"nearest must be one of {', '.join(NEAREST_RULES)}; got {nearest!r}")
    centers = np.asarray(centers, dtype=np.float64)
    fake = np.asarray(fake, dtype=np.float64)
    n_modes = len(centers)
    std = np.broadcast_to(np.asarray(std, dtype=np.float64), (n_modes,))
    finite = np.isfinite(fake).all(axis=1)
    distance = np.full((len(fake), n_modes), np.inf)
    distance[finite] = cdist(fake[finite], centers)
    if nearest == "std":
        distance /= std  # in units of each mode's std
    mode = distance.argmin(axis=1)
    in_stds = distance[np.arange(len(fake)), mode] / (1.0 if nearest == "std" else std[mode])
    high_quality = (in_stds <= threshold) if inclusive else (in_stds < threshold)
    counts = np.bincount(mode[high_quality], minlength=n_modes)
    return {
        MODES_COVERED: int((counts > 0).sum()),
        HIGH_QUALITY_FRACTION: float(high_quality.mean()) if len(fake) else float("nan"),
        # PacGAN's modes have uniform weights: KL(p ‖ u) = Σ_{p>0} p log(p / (1/K)) = Σ_{p>0} p log(pK)
        **_count_divergences(counts=counts, reference=np.full(n_modes, 1.0 / n_modes)),
        COUNTS: counts,
    }


def mode_stats_floor(
    *,
    centers: np.ndarray,
    std: np.ndarray | float,
    n: int,
    threshold: float = 3.0,
    nearest: str = "std",
    inclusive: bool = False,
    repeats: int = 20,
    seed: int = 0,
) -> dict:
    """The reverse KL and JSD of `mode_stats` that a perfect generator scores at sample size `n`.

    A finite sample of the true mixture does not hit the uniform weights exactly, so both
    divergences have a positive floor. It is estimated as the mean over `repeats` samples of size
    `n` drawn from the mixture itself (isotropic Gaussians at `centers`, per-mode `std`, uniform
    weights), each scored by `mode_stats` with the same rule (`threshold`, `nearest`, `inclusive`). Asymptotically
    reverse_kl_floor ≈ (K−1)/(2n) (0.0014 for 8 modes, 0.0048 for 25 modes at n = 2,500) and
    jsd_floor ≈ (K−1)/(8n), since KL ≈ χ²/2 and JSD ≈ χ²/8 for small deviations.
    Source: docs/protocol.md §1 ("report the floor beside the value").
    """
    if n < 1 or repeats < 1:
        raise ValueError(f"n and repeats must be positive, got n={n!r}, repeats={repeats!r}")
    centers = np.asarray(centers, dtype=np.float64)
    n_modes, dim = centers.shape
    std = np.broadcast_to(np.asarray(std, dtype=np.float64), (n_modes,))
    rng = np.random.default_rng(seed)
    reverse_kl, jsd = [], []
    for _ in range(repeats):
        labels = rng.integers(n_modes, size=n)  # uniform mixture weights (PacGAN)
        points = centers[labels] + std[labels, None] * rng.standard_normal((n, dim))
        stats = mode_stats(
            centers=centers, std=std, fake=points, threshold=threshold, nearest=nearest, inclusive=inclusive
        )
        reverse_kl.append(stats[REVERSE_KL])
        jsd.append(stats[JSD])
    return {REVERSE_KL_FLOOR: float(np.mean(reverse_kl)), JSD_FLOOR: float(np.mean(jsd))}


def modes_ever_covered(*, counts_per_snapshot: Sequence[np.ndarray]) -> np.ndarray:
    """Number of distinct modes covered at any snapshot up to and including each snapshot.

    A mode is covered at a snapshot when its count (e.g. `mode_stats(...)["counts"]`) is > 0.
    Compared with modes_covered per snapshot, a generator that hops between modes sees this grow
    while its per-snapshot coverage stays flat. Snapshots are in training order.
    Source: this project (mode hopping, cf. Metz et al. 2017, Fig. 1).
    """
    covered = _covered_per_snapshot(counts_per_snapshot=counts_per_snapshot)
    return np.logical_or.accumulate(covered, axis=0).sum(axis=1).astype(np.int64)


def forgetting_events(*, counts_per_snapshot: Sequence[np.ndarray]) -> np.ndarray:
    """Per snapshot, the number of modes covered at the previous snapshot and not at this one.

    A mode is covered when its count is > 0; the first snapshot has no predecessor and scores 0.
    Summed over training it counts how often the generator dropped a mode (mode hopping).
    Source: this project (cf. forgetting events, Toneva et al. 2019, applied to modes).
    """
    covered = _covered_per_snapshot(counts_per_snapshot=counts_per_snapshot)
    forgotten = np.zeros(len(covered), dtype=np.int64)
    forgotten[1:] = (covered[:-1] & ~covered[1:]).sum(axis=1)
    return forgotten


PLATEAU_MIN_SNAPSHOTS = 3  # fewer snapshots in the window cannot show a level curve: undefined
# Ranges are compared with this slack, so that a range equal to the tolerance (1 of 10 modes at
# 0.1, which rounds to 0.1000000000000001 as 0.8 − 0.7) is not lost to rounding.
_PLATEAU_SLACK = 1e-9


def levelled_off(
    *,
    steps: Sequence[int],
    modes_share: Sequence[float],
    high_quality_fraction: Sequence[float],
    window: float,
    tolerance: float,
) -> float:
    """1.0 when a run's mode statistics have levelled off by its last snapshot, 0.0 when they have
    not, NaN when the snapshots cannot tell.

    The window is the last `window` (a fraction) of the run's training: the snapshots at steps
    s ≥ (1 − window)·T, T the last snapshot's step (the run's final step, or its divergence step).
    The run has levelled off when, over the snapshots in that window, both the share of modes
    covered (modes_covered / K, `modes_share`) and the high-quality fraction vary by at most
    `tolerance` (max − min ≤ tolerance). With fewer than 3 snapshots in the window, or a NaN
    value in it, the criterion is undefined and the result is NaN. A collapsed run that has not
    levelled off may be under-trained rather than collapsed: more steps could still change it.
    Source: this project (whether the final step, where collapse is judged, is on a plateau).
    """
    steps = np.asarray(steps, dtype=np.float64)
    share = np.asarray(modes_share, dtype=np.float64)
    quality = np.asarray(high_quality_fraction, dtype=np.float64)
    if steps.ndim != 1 or share.shape != steps.shape or quality.shape != steps.shape:
        raise ValueError(
            f"steps, modes_share and high_quality_fraction must be 1-D of one length, got "
            f"{steps.shape}, {share.shape}, {quality.shape}"
        )
    if not 0 < window <= 1:
        raise ValueError(f"window must be a fraction of training in (0, 1], got {window!r}")
    if not tolerance >= 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance!r}")
    if len(steps) == 0:
        return float("nan")
    last = steps.max()
    inside = steps >= last - window * last
    if inside.sum() < PLATEAU_MIN_SNAPSHOTS:
        return float("nan")
    share, quality = share[inside], quality[inside]
    if not (np.isfinite(share).all() and np.isfinite(quality).all()):
        return float("nan")
    flat = max(np.ptp(share), np.ptp(quality)) <= tolerance + _PLATEAU_SLACK
    return float(flat)


def wasserstein(*, real: np.ndarray, fake: np.ndarray, p: int = 1, max_samples: int = 2000, seed: int = 0) -> float:
    """Exact Wasserstein-p distance between the empirical distributions of `real` and `fake`.

    W_p = (min_π Σ_ij π_ij ‖x_i − y_j‖^p)^{1/p} over couplings π of uniform weights, solved exactly
    by network simplex (POT's `ot.emd2`). Its cost grows faster than cubic in the sample size, so a
    set larger than `max_samples` is replaced by a random subsample of `max_samples` points drawn
    without replacement with `np.random.default_rng(seed)`: beyond that size the result is the
    distance between subsamples, not between the full sets. p is 1 or 2.
    Source: Villani (2009), Def. 6.1; POT (Flamary et al. 2021) ot.emd2.
    """
    if p not in (1, 2):
        raise ValueError(f"p must be 1 or 2, got {p!r}")
    real, fake = _real_and_fake(real=real, fake=fake)
    rng = np.random.default_rng(seed)
    real = _subsample(points=real, max_samples=max_samples, rng=rng)
    fake = _subsample(points=fake, max_samples=max_samples, rng=rng)
    cost = cdist(real, fake, "euclidean" if p == 1 else "sqeuclidean")
    weights_real = np.full(len(real), 1.0 / len(real))
    weights_fake = np.full(len(fake), 1.0 / len(fake))
    # The default iteration cap stops short on a few thousand points and returns an inexact value.
    # POT would load torch for a backend that numpy arrays never use (~2 s, and 2D evaluation jobs
    # run without torch): disabled before POT's first import, which is here for the same reason.
    os.environ.setdefault("POT_BACKEND_DISABLE_PYTORCH", "1")
    import ot

    value, log = ot.emd2(weights_real, weights_fake, cost, numItermax=50_000_000, log=True)
    if log.get("warning"):
        raise RuntimeError(f"optimal transport did not converge: {log['warning']}")
    return float(max(value, 0.0) ** (1.0 / p))


def sliced_wasserstein(
    *, real: np.ndarray, fake: np.ndarray, n_projections: int = 128, p: int = 2, seed: int = 0
) -> float:
    """Sliced Wasserstein-p distance (p = 2 by default) between `real` and `fake`.

    SW_p = (E_θ W_p^p(θᵀX, θᵀY))^{1/p} with θ uniform on the unit sphere, estimated with
    `n_projections` directions drawn from `np.random.default_rng(seed)`. Each 1-D W_p between
    empirical distributions is exact: the integral of |F⁻¹(t) − G⁻¹(t)|^p over t ∈ (0, 1) of the
    two quantile functions (sets may differ in size). In 1-D it equals the exact W_p.
    Source: Rabin et al. (2011), "Wasserstein barycenter and its application to texture mixing";
    Bonneel et al. (2015), "Sliced and Radon Wasserstein barycenters of measures", §2.
    """
    if p not in (1, 2):
        raise ValueError(f"p must be 1 or 2, got {p!r}")
    if n_projections < 1:
        raise ValueError(f"n_projections must be positive, got {n_projections!r}")
    real, fake = _real_and_fake(real=real, fake=fake)
    rng = np.random.default_rng(seed)
    directions = rng.standard_normal((real.shape[1], n_projections))
    directions /= np.linalg.norm(directions, axis=0)  # normalised Gaussians are uniform on the sphere
    real_projected = np.sort(real @ directions, axis=0)
    fake_projected = np.sort(fake @ directions, axis=0)
    power = _quantile_transport_cost(sorted_a=real_projected, sorted_b=fake_projected, p=p)
    return float(np.mean(power) ** (1.0 / p))


def median_bandwidth(*, real: np.ndarray, max_samples: int = _MEDIAN_HEURISTIC_POINTS, seed: int = 0) -> float:
    """The median heuristic for an RBF kernel's width, from the real data alone.

    bw = median pairwise Euclidean distance of `real`, over a random subsample of `max_samples`
    points drawn without replacement with `np.random.default_rng(seed)` when there are more. Taken
    from the real points only, never from generated ones, so one width serves every generator
    scored against the same data and their MMD² values compare (the pooled real + fake median
    of Gretton et al. widens with the generator's error and makes MMD² non-monotone in it).
    Source: Gretton et al. (2012), "A kernel two-sample test", §8 (median heuristic).
    """
    real = np.asarray(real, dtype=np.float64)
    if real.ndim != 2 or len(real) < 2 or not np.isfinite(real).all():
        raise ValueError(f"real must be a finite (n, d) array with n >= 2, got shape {real.shape}")
    points = _subsample(points=real, max_samples=max_samples, rng=np.random.default_rng(seed))
    bandwidth = float(np.median(pdist(points)))
    if bandwidth == 0.0:
        raise ValueError("the median heuristic gave bandwidth 0 (most real points coincide); pass a bandwidth")
    return bandwidth


def mmd(*, real: np.ndarray, fake: np.ndarray, bandwidth: float | None = None, seed: int = 0) -> float:
    """Unbiased squared maximum mean discrepancy MMD²_u with a Gaussian (RBF) kernel.

    k(x, y) = exp(−‖x − y‖² / (2 bw²)); MMD²_u = mean_{i≠i'} k(x_i, x_i') + mean_{j≠j'} k(y_j, y_j')
    − 2 mean_{i,j} k(x_i, y_j) (can be slightly negative when the distributions agree). The width
    bw is `bandwidth` when given (pass one fixed width to compare values across generators);
    with `bandwidth=None` it is `median_bandwidth(real=real, seed=seed)`, the median heuristic on
    the real points only (never on `fake`); `seed` is used for nothing else. Kernel sums run in
    blocks, so memory stays bounded while the cost is O((n + m)²).
    Source: Gretton et al. (2012), "A kernel two-sample test", Lemma 6 (MMD²_u), §8 (median heuristic).
    """
    real, fake = _real_and_fake(real=real, fake=fake)
    _require_pairs(real=real, fake=fake)
    if bandwidth is None:
        bandwidth = median_bandwidth(real=real, seed=seed)
    if not bandwidth > 0:
        raise ValueError(f"bandwidth must be positive, got {bandwidth!r}")
    scale = -1.0 / (2.0 * bandwidth**2)

    def rbf(*, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        values = cdist(a, b, "sqeuclidean")  # exact differences: no cancellation for nearby points
        values *= scale
        return np.exp(values, out=values)

    n, m = len(real), len(fake)
    within_real = _within_sum(points=real, pair_values=rbf) / (n * (n - 1))
    within_fake = _within_sum(points=fake, pair_values=rbf) / (m * (m - 1))
    between = _between_sum(a=real, b=fake, pair_values=rbf) / (n * m)
    return float(within_real + within_fake - 2.0 * between)


def kid(*, real: np.ndarray, fake: np.ndarray, subsets: int = 10, subset_size: int = 1000, seed: int = 0) -> dict:
    """Kernel distance of Bińkowski et al.: unbiased MMD² with a cubic polynomial kernel, over subsets.

    k(x, y) = (xᵀy / d + 1)³ with d the feature dimension. For each of `subsets` rounds,
    `subset_size` real and `subset_size` fake points are drawn without replacement (independently
    per round, `np.random.default_rng(seed)`) and MMD²_u is computed on them; kid_mean and kid_std
    are the mean and the standard deviation (ddof = 0, numpy's default, as the authors report it)
    over rounds. On 2D points or classifier features this is not KID on Inception features.
    Source: Bińkowski et al. (2018), "Demystifying MMD GANs", §3; mbinkowski/MMD-GAN
    gan/compute_scores.py (polynomial_mmd_averages).
    """
    real, fake = _real_and_fake(real=real, fake=fake)
    if subsets < 1 or subset_size < 2:
        raise ValueError(f"need subsets >= 1 and subset_size >= 2, got {subsets!r}, {subset_size!r}")
    if subset_size > min(len(real), len(fake)):
        raise ValueError(f"subset_size {subset_size} exceeds the smaller set ({min(len(real), len(fake))} points)")
    dim = real.shape[1]
    rng = np.random.default_rng(seed)
    m = subset_size
    values = np.empty(subsets)
    for round_ in range(subsets):
        x = real[rng.choice(len(real), size=m, replace=False)]
        y = fake[rng.choice(len(fake), size=m, replace=False)]
        k_xx, k_yy, k_xy = (_cubic_kernel(a @ b.T / dim + 1.0) for a, b in ((x, x), (y, y), (x, y)))
        within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
        values[round_] = within - 2.0 * k_xy.mean()
    return {KID_MEAN: float(values.mean()), KID_STD: float(values.std())}


def _cubic_kernel(gram: np.ndarray) -> np.ndarray:
    """gram³ by multiplication: numpy's `** 3` goes through libm's pow, whose speed depends on the
    values (10x slower on some real data than on uniform noise)."""
    return gram * gram * gram


def frechet_distance(*, real: np.ndarray, fake: np.ndarray) -> float:
    """Fréchet (W2²) distance between Gaussian fits of `real` and `fake`.

    ‖μ_r − μ_f‖² + Tr(Σ_r + Σ_f − 2(Σ_r Σ_f)^{1/2}) with sample means and covariances (ddof = 1).
    The matrix square root (scipy.linalg.sqrtm) keeps only its real part; if it is not finite,
    1e-6 is added to both covariances' diagonals first (as pytorch-fid does), and a result that
    rounding makes negative is returned as 0. On 2D points or our classifier's features this is
    not FID: FID is this formula on Inception-v3 features, and the numbers do not compare.
    Source: Dowson & Landau (1982); Heusel et al. (2017), Eq. 6.
    """
    real, fake = _real_and_fake(real=real, fake=fake)
    _require_pairs(real=real, fake=fake)
    mean_real, mean_fake = real.mean(axis=0), fake.mean(axis=0)
    cov_real = np.atleast_2d(np.cov(real, rowvar=False))
    cov_fake = np.atleast_2d(np.cov(fake, rowvar=False))
    root = sqrtm(cov_real @ cov_fake)
    if not np.isfinite(root).all():
        offset = 1e-6 * np.eye(len(cov_real))  # singular covariances make sqrtm fail
        root = sqrtm((cov_real + offset) @ (cov_fake + offset))
    trace = np.trace(cov_real) + np.trace(cov_fake) - 2.0 * np.trace(np.real(root))
    return float(max(np.sum((mean_real - mean_fake) ** 2) + trace, 0.0))


def energy_distance(*, real: np.ndarray, fake: np.ndarray, max_samples: int = 10_000, seed: int = 0) -> float:
    """Energy distance 2E‖X − Y‖ − E‖X − X'‖ − E‖Y − Y'‖ between `real` and `fake` (not its root).

    The within-set expectations are U-statistics over distinct pairs, so the estimate is unbiased
    and is about 0 (possibly slightly negative) for samples of the same distribution. The cost is
    O((n + m)²) distance evaluations in bounded-memory blocks; a set larger than `max_samples` is
    replaced by a random subsample of `max_samples` points drawn without replacement with
    `np.random.default_rng(seed)`.
    Source: Székely & Rizzo (2013), "Energy statistics", J. Stat. Plan. Inference 143(8), Eq. 2.
    """
    real, fake = _real_and_fake(real=real, fake=fake)
    rng = np.random.default_rng(seed)
    real = _subsample(points=real, max_samples=max_samples, rng=rng)
    fake = _subsample(points=fake, max_samples=max_samples, rng=rng)
    _require_pairs(real=real, fake=fake)

    def euclidean(*, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return cdist(a, b)

    n, m = len(real), len(fake)
    between = _between_sum(a=real, b=fake, pair_values=euclidean) / (n * m)
    within_real = _within_sum(points=real, pair_values=euclidean) / (n * (n - 1))
    within_fake = _within_sum(points=fake, pair_values=euclidean) / (m * (m - 1))
    return float(2.0 * between - within_real - within_fake)


def prdc(*, real: np.ndarray, fake: np.ndarray, k: int = 5) -> dict:
    """Precision, recall, density and coverage of `fake` against `real` (Naeem et al. 2020).

    NND_k(x) is the distance from real x to its k-th nearest other real sample; the real ball of
    x_i is B(x_i, NND_k(x_i)) and fake balls use k-NN distances among the fakes. With N reals and
    M fakes and strict inequalities:
    precision = share of fakes inside at least one real ball;
    recall = share of reals inside at least one fake ball;
    density = (1/(kM)) Σ_j Σ_i 1[y_j ∈ B(x_i, NND_k(x_i))];
    coverage = share of reals whose ball contains at least one fake.
    For two samples of one distribution E[density] = 1 and E[coverage] ≈ 1 − 2^−k.
    Neighbours are found with a tree and the radius recomputed with the same distance routine
    (scipy cdist) as the real–fake distances, which run in blocks: memory stays bounded and a
    point duplicated in both sets meets a ball's boundary exactly as in the reference code.
    Source: Naeem et al. (2020), "Reliable fidelity and diversity metrics for generative
    models", §3; clovaai/generative-evaluation-prdc prdc/prdc.py.
    """
    real, fake = _real_and_fake(real=real, fake=fake)
    if not 1 <= k < min(len(real), len(fake)):
        raise ValueError(f"k must be in [1, {min(len(real), len(fake)) - 1}] for these sets, got {k!r}")
    real_radii = _kth_neighbour_distance(points=real, k=k)
    fake_radii = _kth_neighbour_distance(points=fake, k=k)
    fake_in_real_ball = np.zeros(len(fake), dtype=bool)
    real_ball_holds_fake = np.zeros(len(real), dtype=bool)
    real_in_fake_ball = np.zeros(len(real), dtype=bool)
    fakes_in_real_balls = 0
    rows = _block_rows(n_columns=len(real))
    for start in range(0, len(fake), rows):
        stop = start + rows
        distance = cdist(fake[start:stop], real)  # fakes × reals
        inside_real = distance < real_radii[None, :]
        fake_in_real_ball[start:stop] = inside_real.any(axis=1)
        real_ball_holds_fake |= inside_real.any(axis=0)
        fakes_in_real_balls += int(inside_real.sum())
        real_in_fake_ball |= (distance < fake_radii[start:stop, None]).any(axis=0)
    return {
        PRECISION: float(fake_in_real_ball.mean()),
        RECALL: float(real_in_fake_ball.mean()),
        DENSITY: fakes_in_real_balls / (k * len(fake)),
        COVERAGE: float(real_ball_holds_fake.mean()),
    }


def ndb(*, real: np.ndarray, fake: np.ndarray, bins: int = 100, alpha: float = 0.05, seed: int = 0) -> dict:
    """Number of statistically different bins (NDB) of `fake` against `real`, Richardson & Weiss 2018.

    k-means with `bins` clusters is fitted on the real samples (scikit-learn KMeans, n_init = 10,
    max_iter = 100 as in the reference code, random_state = seed); real and fake samples are
    assigned to their nearest centroid. In each bin the real and fake proportions p_r, p_f are
    compared by a two-sided two-proportion z-test with pooled standard error
    sqrt(p(1 − p)(1/N + 1/M)), p = (N p_r + M p_f)/(N + M). ndb = number of bins with p-value
    < `alpha`; ndb_over_k = ndb / bins; js = Jensen-Shannon divergence (natural log) between the
    real and fake bin proportions. The data are not whitened (the reference code's default).
    Source: Richardson & Weiss (2018), "On GANs and GMMs", §4; eitanrich/gans-n-gmms utils/ndb.py.
    """
    real, fake = _real_and_fake(real=real, fake=fake)
    if not 1 <= bins <= len(real):
        raise ValueError(f"bins must be in [1, {len(real)}] (the number of real samples), got {bins!r}")
    from sklearn.cluster import KMeans  # imported here: only NDB needs it (~0.7 s)

    clusters = KMeans(n_clusters=bins, n_init=10, max_iter=100, random_state=seed).fit(real)
    real_share = np.bincount(clusters.predict(real), minlength=bins) / len(real)
    fake_share = np.bincount(clusters.predict(fake), minlength=bins) / len(fake)
    pooled = (len(real) * real_share + len(fake) * fake_share) / (len(real) + len(fake))
    standard_error = np.sqrt(pooled * (1.0 - pooled) * (1.0 / len(real) + 1.0 / len(fake)))
    # A bin holding all or none of both sets has no variance and no difference: z = 0.
    z = np.divide(real_share - fake_share, standard_error, out=np.zeros(bins), where=standard_error > 0)
    p_values = 2.0 * norm.sf(np.abs(z))
    different = int(np.count_nonzero(p_values < alpha))
    return {
        NDB: different,
        NDB_OVER_K: different / bins,
        NDB_JS: _jensen_shannon(p=real_share, q=fake_share),
    }


def _jensen_shannon(*, p: np.ndarray, q: np.ndarray) -> float:
    """½KL(p ‖ m) + ½KL(q ‖ m), m = (p + q)/2, natural log, for two probability vectors."""
    m = 0.5 * (p + q)
    return float(0.5 * _kl(p=p, q=m) + 0.5 * _kl(p=q, q=m))


def _kl(*, p: np.ndarray, q: np.ndarray) -> float:
    support = p > 0  # 0 log 0 = 0; q > 0 wherever p > 0 because q is a mixture containing p
    return float(np.sum(p[support] * np.log(p[support] / q[support])))


def _covered_per_snapshot(*, counts_per_snapshot: Sequence[np.ndarray]) -> np.ndarray:
    counts = [np.asarray(c) for c in counts_per_snapshot]
    if not counts:
        return np.zeros((0, 0), dtype=bool)
    if len({c.shape for c in counts}) != 1 or counts[0].ndim != 1:
        raise ValueError("counts_per_snapshot must be 1-D count arrays of one length (one entry per mode)")
    return np.stack(counts) > 0


def _real_and_fake(*, real: np.ndarray, fake: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both sets as float64 (n, d) arrays of one dimension d, non-empty and finite."""
    arrays = []
    for role, points in (("real", real), ("fake", fake)):
        points = np.asarray(points, dtype=np.float64)
        if points.ndim != 2 or len(points) == 0:
            raise ValueError(f"{role} must be a non-empty (n, d) array, got shape {points.shape}")
        if not np.isfinite(points).all():
            raise ValueError(f"{role} holds non-finite values; distances between distributions are undefined")
        arrays.append(points)
    if arrays[0].shape[1] != arrays[1].shape[1]:
        raise ValueError(f"real and fake differ in dimension: {arrays[0].shape[1]} vs {arrays[1].shape[1]}")
    return arrays[0], arrays[1]


def _require_pairs(*, real: np.ndarray, fake: np.ndarray) -> None:
    if min(len(real), len(fake)) < 2:
        raise ValueError("real and fake need at least 2 samples each (within-set pairs)")


def _subsample(*, points: np.ndarray, max_samples: int, rng: np.random.Generator) -> np.ndarray:
    if max_samples < 1:
        raise ValueError(f"max_samples must be positive, got {max_samples!r}")
    if len(points) <= max_samples:
        return points
    return points[np.sort(rng.choice(len(points), size=max_samples, replace=False))]


def _block_rows(*, n_columns: int) -> int:
    return max(1, _BLOCK_ENTRIES // max(n_columns, 1))


def _between_sum(*, a: np.ndarray, b: np.ndarray, pair_values) -> float:
    """Σ_i Σ_j f(a_i, b_j) over row blocks; `pair_values(a=a_block, b=b)` returns the block of f."""
    rows = _block_rows(n_columns=len(b))
    return float(sum(pair_values(a=a[start : start + rows], b=b).sum() for start in range(0, len(a), rows)))


def _within_sum(*, points: np.ndarray, pair_values) -> float:
    """Σ_{i≠j} f(x_i, x_j) for a symmetric f, evaluating each unordered pair once."""
    rows = _block_rows(n_columns=len(points))
    total = 0.0
    for start in range(0, len(points), rows):
        stop = min(start + rows, len(points))
        values = pair_values(a=points[start:stop], b=points[start:])  # columns from `start`: upper triangle
        square = values[:, : stop - start]
        total += 2.0 * (np.triu(square, k=1).sum() + values[:, stop - start :].sum())
    return total


def _kth_neighbour_distance(*, points: np.ndarray, k: int) -> np.ndarray:
    """Distance from each point to its k-th nearest other point of the same set."""
    # k + 1 neighbours because each point is its own nearest; the farthest of them is the k-th other.
    neighbours = NearestNeighbors(n_neighbors=k + 1).fit(points).kneighbors(points, return_distance=False)
    kth = neighbours[:, k]
    # Recomputed with cdist so that radii and real–fake distances round identically.
    return np.array([cdist(points[i : i + 1], points[j : j + 1])[0, 0] for i, j in enumerate(kth)])


def _quantile_transport_cost(*, sorted_a: np.ndarray, sorted_b: np.ndarray, p: int) -> np.ndarray:
    """∫₀¹ |F⁻¹(t) − G⁻¹(t)|^p dt per column, for columns of sorted samples with uniform weights."""
    n, m = len(sorted_a), len(sorted_b)
    if n == m:
        return np.mean(np.abs(sorted_a - sorted_b) ** p, axis=0)
    # The quantile functions are step functions; between consecutive jumps of either one the
    # integrand is constant, so the integral is a weighted sum over the merged jump points.
    levels = np.union1d(np.arange(1, n + 1) / n, np.arange(1, m + 1) / m)
    widths = np.diff(levels, prepend=0.0)
    middles = levels - widths / 2
    index_a = np.minimum((middles * n).astype(np.int64), n - 1)
    index_b = np.minimum((middles * m).astype(np.int64), m - 1)
    return widths @ (np.abs(sorted_a[index_a] - sorted_b[index_b]) ** p)


def class_mode_stats(*, classes: np.ndarray, confidence: np.ndarray, reference: np.ndarray, threshold: float) -> dict:
    """Mode statistics of generated images from an evaluator classifier's per-channel predictions.

    `classes` and `confidence` are (n, C) arrays (C = 1 for digits, 3 for stacked digits): the
    predicted digit 0-9 per channel (−1 where the sample could not be classified, e.g. non-finite)
    and its softmax probability. The mode of a sample is the tuple of its channels' digits, indexed
    Σ_c classes[:, c]·10^(C−1−c) (classes (1, 2, 3) → mode 123) among K = 10^C modes.
    counts = samples per mode over the valid samples (class ≥ 0 in every channel), with no
    confidence threshold, as PacGAN and VEEGAN count Stacked MNIST modes; modes_covered = modes
    with at least one sample; reverse_kl = KL(p ‖ reference) = Σ_{p>0} p log(p/q) with p = counts /
    valid samples (Σ_{p>0} p log(1000p) for the uniform reference of stacked digits); jsd =
    Jensen-Shannon divergence (natural log) between p and the reference. When no sample is valid
    the histogram is empty and, by the convention of `mode_stats`, the run scores as total
    collapse onto one mode: the reference's least likely mode k*, reverse_kl = −log q_{k*} (log K,
    log 1000 for stacked digits, with a uniform reference) and jsd = JS(δ_{k*}, reference), the
    largest values either divergence takes over all histograms; no_high_quality = 1.0 then marks
    it (0.0 otherwise; it flags an empty histogram, i.e. no classified sample, not the confidence
    threshold). high_quality_fraction = share of all n samples, invalid ones included, whose
    confidence is ≥ `threshold` in every channel. `reference` is the real data's mode
    distribution (class frequencies for digits, uniform 1/1000 for stacked digits): length 10^C,
    positive everywhere (otherwise reverse_kl could be infinite) and summing to 1.
    Source: PacGAN (Lin et al. 2018), Stacked MNIST experiments, fjxmlzn/PacGAN; VEEGAN
    (Srivastava et al. 2017), Stacked MNIST experiments; docs/protocol.md §2.
    """
    classes = np.asarray(classes)
    confidence = np.asarray(confidence, dtype=np.float64)
    if classes.ndim != 2 or classes.shape[1] < 1 or confidence.shape != classes.shape:
        raise ValueError(
            f"classes and confidence must be (n, C) arrays of one shape, got {classes.shape} and {confidence.shape}"
        )
    if classes.size and not np.issubdtype(classes.dtype, np.integer):
        raise ValueError(f"classes must be integers, got dtype {classes.dtype}")
    classes = classes.astype(np.int64)
    if classes.size and classes.max() > 9:
        raise ValueError(f"classes must be digits 0-9 (or -1 for an unclassified sample), found {classes.max()}")
    channels = classes.shape[1]
    n_modes = 10**channels
    reference = _mode_reference(reference=reference, n_modes=n_modes)
    valid = (classes >= 0).all(axis=1)
    place_values = 10 ** np.arange(channels - 1, -1, -1)  # first channel is the most significant digit
    counts = np.bincount(classes[valid] @ place_values, minlength=n_modes)
    # NaN confidences (unclassified samples) compare False, so they are never high quality.
    high_quality = valid & (confidence >= threshold).all(axis=1)
    return {
        MODES_COVERED: int((counts > 0).sum()),
        HIGH_QUALITY_FRACTION: float(high_quality.mean()) if len(classes) else float("nan"),
        **_count_divergences(counts=counts, reference=reference),
        COUNTS: counts,
    }


def class_mode_stats_floor(*, reference: np.ndarray, n: int, repeats: int = 20, seed: int = 0) -> dict:
    """The reverse KL and JSD of `class_mode_stats` that a perfect generator scores at sample size `n`.

    A generator that samples modes exactly from `reference` still has a histogram that deviates
    from it at finite n, so both divergences have a positive floor. It is the mean over `repeats`
    multinomial draws of n modes from `reference` (np.random.default_rng(seed)), each scored from
    its counts as in `class_mode_stats`. Asymptotically reverse_kl_floor ≈ (K−1)/(2n) and
    jsd_floor ≈ (K−1)/(8n) for K modes (KL ≈ χ²/2n, JSD ≈ χ²/8n with χ² ~ χ²_{K−1}): 0.019 for
    1000 uniform modes at n = 26,000, the sample size of PacGAN's Stacked MNIST evaluation.
    Source: docs/protocol.md §2 ("a perfect generator still scores ≈ 0.019 at 26,000 samples").

    Also modes_covered_ceiling: the modes a perfect generator covers on average, Σ_k 1 − (1 − q_k)^n
    (exact; 918 of 1000 uniform modes at n = 2,500, 999.99 at 26,000).
    """
    if n < 1 or repeats < 1:
        raise ValueError(f"n and repeats must be positive, got n={n!r}, repeats={repeats!r}")
    reference = _mode_reference(reference=reference, n_modes=None)
    rng = np.random.default_rng(seed)
    scores = [_count_divergences(counts=rng.multinomial(n, reference), reference=reference) for _ in range(repeats)]
    return {
        REVERSE_KL_FLOOR: float(np.mean([s[REVERSE_KL] for s in scores])),
        JSD_FLOOR: float(np.mean([s[JSD] for s in scores])),
        MODES_COVERED_CEILING: float(np.sum(-np.expm1(n * np.log1p(-reference)))),
    }


def _mode_reference(*, reference: np.ndarray, n_modes: int | None) -> np.ndarray:
    """`reference` as a float64 probability vector, checked: length n_modes (if given), positive, sum 1."""
    reference = np.asarray(reference, dtype=np.float64)
    if reference.ndim != 1 or (n_modes is not None and len(reference) != n_modes):
        expected = "a 1-D vector" if n_modes is None else f"{n_modes} entries (10^C for C channels)"
        raise ValueError(f"reference must have {expected}, got shape {reference.shape}")
    if len(reference) == 0 or not np.isfinite(reference).all() or (reference <= 0).any():
        raise ValueError("reference must be finite and > 0 for every mode (a zero makes reverse_kl infinite)")
    if not np.isclose(reference.sum(), 1.0, rtol=0.0, atol=1e-6):
        raise ValueError(f"reference must sum to 1, sums to {reference.sum()!r}")
    return reference


def _count_divergences(*, counts: np.ndarray, reference: np.ndarray) -> dict:
    """{REVERSE_KL: KL(p ‖ reference), JSD: JS(p, reference), NO_HIGH_QUALITY: 0.0} for
    p = counts / Σ counts. An empty histogram scores as total collapse onto the reference's least
    likely mode k* (p = δ_{k*}, the maximum of both divergences, which are convex in p) with
    NO_HIGH_QUALITY = 1.0."""
    total = counts.sum()
    if total == 0:
        p = np.zeros(len(reference))
        p[np.argmin(reference)] = 1.0  # any mode when the reference is uniform
        flag = 1.0
    else:
        p = counts / total
        flag = 0.0
    return {REVERSE_KL: _kl(p=p, q=reference), JSD: _jensen_shannon(p=p, q=reference), NO_HIGH_QUALITY: flag}
