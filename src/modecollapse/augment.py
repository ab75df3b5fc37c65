"""DiffAugment: differentiable colour, translation and cutout augmentations of image batches, as pure functions.

Source: Zhao, Liu, Lin, Zhu and Han 2020, "Differentiable Augmentation for Data-Efficient GAN
Training" (NeurIPS 2020), whose reference implementation is mit-han-lab/data-efficient-gans
`DiffAugment_pytorch.py`. This module follows its definitions (written anew, not copied), with the
randomness taken out: every random number is an argument, a uniform draw in [0, 1), so that the
caller owns the generator and the functions can run inside a captured CUDA graph.

Images are (N, C, H, W) floating-point tensors (N samples, C channels, H rows, W columns); the
uniforms are (N, k), each sample's k draws, on the images' device. The definitions, per sample:

- color (3 draws u1, u2, u3), in this order: brightness x + (u1 − 0.5); saturation
  (x − m_c)·(2·u2) + m_c, m_c the mean over the channel axis (per pixel); contrast
  (x − m)·(u3 + 0.5) + m, m the mean over channels, rows and columns (per sample).
- translation (2 draws: rows, then columns): integer shifts dy, dx in [−s, s], s = int(side/8 + 0.5)
  with side H for rows and W for columns; output[i, j] = input[i + dy, j + dx] where that pixel is in
  the image, else 0 (zeros shift in).
- cutout (2 draws: rows, then columns): a zeroed square of size_h × size_w, size = int(side/2 + 0.5);
  its centre offset an integer in [0, side + (1 − size % 2)), the square covering rows
  offset − size_h//2 … offset − size_h//2 + size_h − 1 (columns likewise), clipped to the image.

A uniform u becomes an integer in [low, low + count) as floor(u·count) + low, clamped to that range
(u < 1 by contract; the clamp guards u = 1 and rounding). Every function is differentiable with
respect to the images, takes no host synchronisation and makes no data-dependent shapes: integer
draws select among statically shaped candidates by comparison (torch.where), never by indexing, so
the backward passes need no scatter (which deterministic CUDA runs as a sorting index_put_).
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

# Policy part -> uniform draws it takes per sample (DiffAugment's three, in its order).
AUGMENTATIONS: dict[str, int] = {"color": 3, "translation": 2, "cutout": 2}

TRANSLATION_RATIO = 0.125  # DiffAugment's rand_translation default: shifts up to 1/8 of the side
CUTOUT_RATIO = 0.5  # DiffAugment's rand_cutout default: a square of half the side


def _allowed() -> str:
    return ", ".join(AUGMENTATIONS)


def _check_policy(policy: tuple[str, ...]) -> None:
    """Refuse (ValueError) a policy tuple with an unknown or a repeated part."""
    seen: set[str] = set()
    for part in policy:
        if part not in AUGMENTATIONS:
            raise ValueError(f"unknown DiffAugment policy part {part!r}; allowed parts: {_allowed()}")
        if part in seen:
            raise ValueError(f"DiffAugment policy part {part!r} is repeated; each of {_allowed()} may appear once")
        seen.add(part)


def parse_policy(policy: str) -> tuple[str, ...]:
    """The parts of a comma-separated DiffAugment policy string, in the order written (the order
    they are applied, as in DiffAugment): "color,translation,cutout" -> ("color", "translation",
    "cutout"); "" -> () (no augmentation). Refuses (ValueError) an empty part (as in "color,,cutout"
    or "color,"), an unknown part (spelling exact: no whitespace is stripped) or a repeated one, with a
    message naming the bad part and listing the allowed ones."""
    if policy == "":
        return ()
    parts = tuple(policy.split(","))
    for position, part in enumerate(parts):
        if part == "":
            raise ValueError(
                f"empty part (number {position + 1}) in DiffAugment policy {policy!r}; allowed parts: {_allowed()}"
            )
    try:
        _check_policy(parts)
    except ValueError as error:
        raise ValueError(f"{error} (in DiffAugment policy {policy!r})") from None
    return parts


def draws_per_sample(policy: tuple[str, ...]) -> int:
    """Uniform draws per sample that `diff_augment` takes for `policy`: the sum of its parts'
    AUGMENTATIONS counts (color 3, translation 2, cutout 2). Refuses (ValueError) a bad policy."""
    _check_policy(policy)
    return sum(AUGMENTATIONS[part] for part in policy)


def translation_bound(side: int) -> int:
    """Largest shift s of `translation` along an axis of `side` pixels: int(side · 1/8 + 0.5)
    (DiffAugment's rand_translation, ratio 0.125): 4 at 32, 1 at 8."""
    return int(side * TRANSLATION_RATIO + 0.5)


def cutout_size(side: int) -> int:
    """Side of `cutout`'s square along an axis of `side` pixels: int(side · 1/2 + 0.5)
    (DiffAugment's rand_cutout, ratio 0.5): 16 at 32, 3 at 5."""
    return int(side * CUTOUT_RATIO + 0.5)


def _integers(uniforms: torch.Tensor, low: int, count: int) -> torch.Tensor:
    """floor(u · count) + low for each uniform u, clamped to [low, low + count − 1]; int64."""
    steps = torch.clamp(torch.floor(uniforms * count), 0, count - 1)
    return steps.to(torch.int64) + low


def _check_inputs(images: torch.Tensor, uniforms: torch.Tensor, draws: int, name: str) -> None:
    """Refuse (ValueError) inputs of the wrong shape, kind or device; shapes only, no host synchronisation."""
    if images.dim() != 4:
        raise ValueError(f"{name}: images must be (N, C, H, W), got shape {tuple(images.shape)}")
    if not images.is_floating_point():
        raise ValueError(f"{name}: images must be floating point, got {images.dtype}")
    if uniforms.shape != (images.shape[0], draws):
        raise ValueError(
            f"{name}: uniforms must be (N, {draws}) = ({images.shape[0]}, {draws}) for {images.shape[0]} images, "
            f"got shape {tuple(uniforms.shape)}"
        )
    if not uniforms.is_floating_point():
        raise ValueError(f"{name}: uniforms must be floating point in [0, 1), got {uniforms.dtype}")
    if uniforms.device != images.device:
        raise ValueError(f"{name}: uniforms are on {uniforms.device}, images on {images.device}")


def color(images: torch.Tensor, uniforms: torch.Tensor) -> torch.Tensor:
    """DiffAugment's rand_brightness, rand_saturation and rand_contrast, in that order, with
    uniforms (N, 3) = (u1, u2, u3) per sample: x + (u1 − 0.5); then (x − m_c)·(2·u2) + m_c with m_c
    the per-pixel mean over channels; then (x − m)·(u3 + 0.5) + m with m the per-sample mean over
    channels, rows and columns. u2 = 0.5 and u3 = 0.5 leave saturation and contrast at ×1."""
    _check_inputs(images, uniforms, AUGMENTATIONS["color"], "color")
    factors = uniforms.to(images.dtype)[:, :, None, None, None]  # (N, 3, 1, 1, 1)
    brightness, saturation, contrast = factors[:, 0], factors[:, 1], factors[:, 2]
    x = images + (brightness - 0.5)
    channel_mean = x.mean(dim=1, keepdim=True)
    x = (x - channel_mean) * (saturation * 2) + channel_mean
    sample_mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - sample_mean) * (contrast + 0.5) + sample_mean


def _shift(images: torch.Tensor, shifts: torch.Tensor, dim: int, bound: int) -> torch.Tensor:
    """output[.., i, ..] = images[.., i + shift, ..] along `dim` (2 rows, 3 columns) where in range,
    else 0; shifts (N,) int64 in [−bound, bound]. Each of the 2·bound + 1 candidate shifts is a static
    slice of the zero-padded images; torch.where keeps each sample's own (exact, no arithmetic)."""
    if bound == 0:
        return images
    side = images.shape[dim]
    padding = [0, 0, 0, 0]
    padding[2 * (3 - dim)] = padding[2 * (3 - dim) + 1] = bound  # F.pad lists the last dimension first
    padded = F.pad(images, padding)  # padded[bound + r] = images[r]
    shifts = shifts[:, None, None, None]
    out = torch.zeros_like(images)
    for shift in range(-bound, bound + 1):
        candidate = padded.narrow(dim, bound + shift, side)  # candidate[i] = images[i + shift], 0 outside
        out = torch.where(shifts == shift, candidate, out)
    return out


def translation(images: torch.Tensor, uniforms: torch.Tensor) -> torch.Tensor:
    """DiffAugment's rand_translation (ratio 1/8) with uniforms (N, 2) per sample: rows, then
    columns. Shifts dy = floor(u1·(2·s_h + 1)) − s_h and dx likewise, s = int(side/8 + 0.5) (s_h from
    H, s_w from W; translation_bound); output[n, c, i, j] = images[n, c, i + dy, j + dx] where that
    pixel is in the image, else 0. So dy > 0 moves the content up (towards row 0), dx > 0 left; u = 0.5
    gives shift 0, the identity."""
    _check_inputs(images, uniforms, AUGMENTATIONS["translation"], "translation")
    height, width = images.shape[2], images.shape[3]
    bound_h, bound_w = translation_bound(height), translation_bound(width)
    dy = _integers(uniforms[:, 0], -bound_h, 2 * bound_h + 1)
    dx = _integers(uniforms[:, 1], -bound_w, 2 * bound_w + 1)
    return _shift(_shift(images, dy, 2, bound_h), dx, 3, bound_w)


def _cutout_band(offsets: torch.Tensor, side: int, size: int) -> torch.Tensor:
    """(N, side) bool: positions offset − size//2 … offset − size//2 + size − 1 of each sample."""
    positions = torch.arange(side, device=offsets.device)
    start = (offsets - size // 2)[:, None]
    return (positions >= start) & (positions < start + size)


def cutout(images: torch.Tensor, uniforms: torch.Tensor) -> torch.Tensor:
    """DiffAugment's rand_cutout (ratio 1/2) with uniforms (N, 2) per sample: rows, then columns.
    A size_h × size_w square, size = int(side/2 + 0.5) (cutout_size), is set to 0 in every channel;
    its centre offset is floor(u·count) with count = side + (1 − size % 2), an integer in [0, count),
    and it covers rows offset − size_h//2 … offset − size_h//2 + size_h − 1 (columns likewise),
    clipped to the image."""
    _check_inputs(images, uniforms, AUGMENTATIONS["cutout"], "cutout")
    height, width = images.shape[2], images.shape[3]
    size_h, size_w = cutout_size(height), cutout_size(width)
    offset_h = _integers(uniforms[:, 0], 0, height + (1 - size_h % 2))
    offset_w = _integers(uniforms[:, 1], 0, width + (1 - size_w % 2))
    rows = _cutout_band(offset_h, height, size_h)[:, None, :, None]
    columns = _cutout_band(offset_w, width, size_w)[:, None, None, :]
    return torch.where(rows & columns, torch.zeros((), dtype=images.dtype, device=images.device), images)


_FUNCTIONS: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "color": color,
    "translation": translation,
    "cutout": cutout,
}


def diff_augment(images: torch.Tensor, policy: tuple[str, ...], uniforms: torch.Tensor) -> torch.Tensor:
    """DiffAugment (Zhao et al. 2020) of images (N, C, H, W): the policy's parts applied in the
    order written, each consuming its AUGMENTATIONS count of each sample's uniforms (N,
    draws_per_sample(policy)), part by part in policy order: color 3 (brightness, saturation,
    contrast), translation 2 (rows, then columns), cutout 2 (rows, then columns). Same shape and
    dtype out; an empty policy returns `images` itself. Refuses (ValueError) a bad policy or
    uniforms of the wrong shape or device."""
    draws = draws_per_sample(policy)
    if uniforms.dim() != 2 or uniforms.shape[1] != draws:
        raise ValueError(f"uniforms must be (N, {draws}) for policy {policy!r}, got shape {tuple(uniforms.shape)}")
    start = 0
    for part in policy:
        count = AUGMENTATIONS[part]
        images = _FUNCTIONS[part](images, uniforms[:, start : start + count])
        start += count
    return images
