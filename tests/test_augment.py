"""DiffAugment (modecollapse.augment): known answers on constructed images, gradients, policy parsing."""

from __future__ import annotations

import pytest
import torch

from modecollapse.augment import (
    AUGMENTATIONS,
    color,
    cutout,
    cutout_size,
    diff_augment,
    draws_per_sample,
    parse_policy,
    translation,
    translation_bound,
)


def uniform_for(value: int, low: int, count: int) -> float:
    """The uniform in the middle of the interval that maps to integer `value` (floor(u·count) + low)."""
    return (value - low + 0.5) / count


def shift_uniform(shift: int, side: int) -> float:
    bound = translation_bound(side)
    return uniform_for(shift, -bound, 2 * bound + 1)


def offset_uniform(offset: int, side: int) -> float:
    size = cutout_size(side)
    return uniform_for(offset, 0, side + (1 - size % 2))


def reference_shift(image: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """out[i, j] = image[i + dy, j + dx] where in range, else 0, pixel by pixel."""
    out = torch.zeros_like(image)
    height, width = image.shape[-2:]
    for i in range(height):
        for j in range(width):
            if 0 <= i + dy < height and 0 <= j + dx < width:
                out[..., i, j] = image[..., i + dy, j + dx]
    return out


# --- the interface ----------------------------------------------------------------------------------------------


def test_augmentations_and_draws() -> None:
    assert AUGMENTATIONS == {"color": 3, "translation": 2, "cutout": 2}
    assert list(AUGMENTATIONS) == ["color", "translation", "cutout"]
    assert draws_per_sample(()) == 0
    assert draws_per_sample(("color", "translation", "cutout")) == 7
    assert draws_per_sample(("translation", "cutout")) == 4
    assert draws_per_sample(("cutout",)) == 2


def test_parse_policy() -> None:
    assert parse_policy("color,translation,cutout") == ("color", "translation", "cutout")
    assert parse_policy("cutout,color") == ("cutout", "color")  # the order written
    assert parse_policy("translation") == ("translation",)
    assert parse_policy("") == ()


@pytest.mark.parametrize(
    ("policy", "bad"),
    [
        ("color,,cutout", "empty part (number 2)"),
        ("color,", "empty part (number 2)"),
        (",color", "empty part (number 1)"),
        ("color,zoom", "'zoom'"),
        ("color, cutout", "' cutout'"),
        ("Color", "'Color'"),
        ("cutout,color,cutout", "'cutout' is repeated"),
    ],
)
def test_parse_policy_refusals_name_the_part_and_the_allowed_ones(policy: str, bad: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_policy(policy)
    message = str(caught.value)
    assert bad in message
    assert "color, translation, cutout" in message
    assert repr(policy) in message


def test_bad_policy_tuples_and_uniform_shapes_are_refused() -> None:
    images = torch.zeros(2, 3, 8, 8)
    with pytest.raises(ValueError, match="'zoom'"):
        draws_per_sample(("zoom",))
    with pytest.raises(ValueError, match="repeated"):
        diff_augment(images, ("color", "color"), torch.zeros(2, 6))
    with pytest.raises(ValueError, match=r"\(N, 7\)"):
        diff_augment(images, ("color", "translation", "cutout"), torch.zeros(2, 6))
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        translation(images, torch.zeros(3, 2))  # one row of draws per image
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        cutout(torch.zeros(3, 8, 8), torch.zeros(3, 2))
    with pytest.raises(ValueError, match="floating point"):
        color(torch.zeros(2, 3, 8, 8, dtype=torch.int64), torch.zeros(2, 3))


def test_empty_policy_returns_the_images_unchanged() -> None:
    images = torch.randn(3, 2, 8, 8)
    assert diff_augment(images, (), torch.zeros(3, 0)) is images


def test_parts_apply_in_the_order_written_consuming_draws_in_that_order() -> None:
    generator = torch.Generator().manual_seed(0)
    images = torch.rand(4, 3, 16, 16, generator=generator)
    uniforms = torch.rand(4, 7, generator=generator)
    full = diff_augment(images, ("color", "translation", "cutout"), uniforms)
    expected = cutout(translation(color(images, uniforms[:, :3]), uniforms[:, 3:5]), uniforms[:, 5:7])
    assert torch.equal(full, expected)
    reversed_order = diff_augment(images, ("cutout", "translation", "color"), uniforms)
    expected = color(translation(cutout(images, uniforms[:, :2]), uniforms[:, 2:4]), uniforms[:, 4:7])
    assert torch.equal(reversed_order, expected)
    assert not torch.allclose(full, reversed_order)
    assert full.dtype == torch.float32 and full.shape == images.shape


# --- translation ----------------------------------------------------------------------------------------------


def test_translation_bounds() -> None:
    assert translation_bound(32) == 4
    assert translation_bound(8) == 1
    assert translation_bound(28) == 4  # 3.5 + 0.5
    assert translation_bound(4) == 1  # 0.5 + 0.5
    assert translation_bound(3) == 0


def test_translation_moves_a_bright_pixel_with_zeros_shifted_in() -> None:
    image = torch.zeros(1, 1, 8, 8)
    image[0, 0, 3, 4] = 5.0
    # dy = +1, dx = −1: output[i, j] = input[i + 1, j − 1], so the pixel lands at (2, 5).
    uniforms = torch.tensor([[shift_uniform(1, 8), shift_uniform(-1, 8)]])
    out = translation(image, uniforms)
    expected = torch.zeros(1, 1, 8, 8)
    expected[0, 0, 2, 5] = 5.0
    assert torch.equal(out, expected)


def test_translation_of_an_arange_image_matches_the_definition() -> None:
    image = torch.arange(1.0, 1 + 2 * 8 * 8).reshape(1, 2, 8, 8)  # no zero pixels: zeros come only from outside
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            out = translation(image, torch.tensor([[shift_uniform(dy, 8), shift_uniform(dx, 8)]]))
            assert torch.equal(out, reference_shift(image, dy, dx)), (dy, dx)
    # dy = −1 explicitly: row 0 is shifted in from outside (zeros), row i shows input row i − 1.
    out = translation(image, torch.tensor([[shift_uniform(-1, 8), 0.5]]))
    assert torch.equal(out[0, :, 0], torch.zeros(2, 8))
    assert torch.equal(out[0, :, 1:], image[0, :, :-1])


def test_translation_at_the_middle_uniform_is_the_identity() -> None:
    images = torch.randn(3, 3, 32, 32)
    assert torch.equal(translation(images, torch.full((3, 2), 0.5)), images)


def test_translation_per_sample_shifts_differ() -> None:
    image = torch.arange(1.0, 1 + 32 * 32).reshape(1, 1, 32, 32)
    images = image.repeat(2, 1, 1, 1)
    uniforms = torch.tensor([[shift_uniform(3, 32), shift_uniform(-4, 32)], [shift_uniform(-2, 32), 0.5]])
    out = translation(images, uniforms)
    assert torch.equal(out[0], reference_shift(image[0], 3, -4))
    assert torch.equal(out[1], reference_shift(image[0], -2, 0))


def observed_shifts(height: int, width: int, uniforms: torch.Tensor) -> tuple[set[int], set[int]]:
    """The (dy, dx) each sample's draws give, read off where a single centre pixel lands."""
    n = uniforms.shape[0]
    images = torch.zeros(n, 1, height, width)
    images[:, 0, height // 2, width // 2] = 1.0
    out = translation(images, uniforms)
    flat = out.reshape(n, -1).argmax(dim=1)
    assert torch.equal(out.reshape(n, -1).sum(dim=1), torch.ones(n))  # the pixel never leaves the image here
    rows, columns = flat // width, flat % width
    return set((height // 2 - rows).tolist()), set((width // 2 - columns).tolist())


def test_translation_reaches_every_shift_in_the_bound_and_no_other() -> None:
    # Rows use H (32: s = 4), columns W (8: s = 1); u = 1 (outside the contract) clamps to the last shift.
    grid = torch.cat([torch.linspace(0, 1, 1001)[:-1], torch.tensor([1 - 2**-24, 1.0])])
    uniforms = torch.stack([grid, grid], dim=1)
    rows, columns = observed_shifts(32, 8, uniforms)
    assert rows == set(range(-4, 5))
    assert columns == {-1, 0, 1}
    rows, columns = observed_shifts(8, 32, uniforms)
    assert rows == {-1, 0, 1}
    assert columns == set(range(-4, 5))
    # The ends: u = 0 gives −s, u → 1 gives +s.
    assert observed_shifts(32, 32, torch.tensor([[0.0, 0.0]])) == ({-4}, {-4})
    assert observed_shifts(32, 32, torch.tensor([[1 - 2**-24, 1.0]])) == ({4}, {4})


# --- cutout ---------------------------------------------------------------------------------------------------


def test_cutout_sizes() -> None:
    assert cutout_size(32) == 16
    assert cutout_size(8) == 4
    assert cutout_size(5) == 3  # 2.5 + 0.5
    assert cutout_size(6) == 3


def test_cutout_zeroes_the_expected_square() -> None:
    images = torch.ones(1, 2, 8, 8)
    # size 4, offsets in [0, 9): offset (5, 3) covers rows 3..6 and columns 1..4.
    out = cutout(images, torch.tensor([[offset_uniform(5, 8), offset_uniform(3, 8)]]))
    expected = torch.ones(1, 2, 8, 8)
    expected[:, :, 3:7, 1:5] = 0.0
    assert torch.equal(out, expected)
    assert int((out == 0).sum()) == 2 * 4 * 4


def test_cutout_is_clipped_at_the_border() -> None:
    images = torch.ones(1, 1, 8, 8)
    # Offset 0 covers rows −2..1: rows 0..1 only. Offset 8 (the last) covers columns 6..9: columns 6..7.
    out = cutout(images, torch.tensor([[0.0, 1 - 2**-24]]))
    expected = torch.ones(1, 1, 8, 8)
    expected[:, :, 0:2, 6:8] = 0.0
    assert torch.equal(out, expected)


def test_cutout_of_an_odd_size_square() -> None:
    images = torch.ones(1, 1, 6, 5)
    # H 6: size 3, offsets [0, 6), offset 2 -> rows 1..3. W 5: size 3, offsets [0, 5), offset 4 -> columns 3..5 -> 3..4.
    assert offset_uniform(2, 6) == pytest.approx(2.5 / 6)
    assert offset_uniform(4, 5) == pytest.approx(4.5 / 5)
    out = cutout(images, torch.tensor([[offset_uniform(2, 6), offset_uniform(4, 5)]]))
    expected = torch.ones(1, 1, 6, 5)
    expected[:, :, 1:4, 3:5] = 0.0
    assert torch.equal(out, expected)


def test_cutout_offsets_reach_their_whole_range() -> None:
    # 8: offsets 0..8 (count 9, size even), so the square's first row runs from −2 to 6.
    grid = torch.linspace(0, 1, 901)
    n = grid.shape[0]
    out = cutout(torch.ones(n, 1, 8, 1), torch.stack([grid, torch.zeros(n)], dim=1))
    # column width 1: size 1, offsets [0, 1 + 0) = {0}: always the single column; rows show the square.
    zero_rows = [tuple(torch.nonzero(out[k, 0, :, 0] == 0).flatten().tolist()) for k in range(n)]
    assert set(zero_rows) == {(0, 1), (0, 1, 2), *{tuple(range(s, s + 4)) for s in range(0, 5)}, (5, 6, 7), (6, 7)}


def test_cutout_per_sample_squares_differ() -> None:
    images = torch.ones(2, 3, 8, 8)
    uniforms = torch.tensor(
        [[offset_uniform(2, 8), offset_uniform(2, 8)], [offset_uniform(6, 8), offset_uniform(4, 8)]]
    )
    out = cutout(images, uniforms)
    expected = torch.ones(2, 3, 8, 8)
    expected[0, :, 0:4, 0:4] = 0.0
    expected[1, :, 4:8, 2:6] = 0.0
    assert torch.equal(out, expected)


def test_cutout_gives_exact_zeros_even_over_inf_and_nan() -> None:
    images = torch.full((1, 1, 8, 8), float("inf"))
    images[0, 0, 4, 4] = float("nan")
    out = cutout(images, torch.tensor([[offset_uniform(4, 8), offset_uniform(4, 8)]]))
    assert torch.equal(out[0, 0, 2:6, 2:6], torch.zeros(4, 4))


# --- color ----------------------------------------------------------------------------------------------------


def random_images(seed: int, n: int = 4) -> torch.Tensor:
    return torch.rand(n, 3, 8, 8, generator=torch.Generator().manual_seed(seed))


def test_brightness_shifts_every_pixel_by_u_minus_half() -> None:
    images = random_images(1)
    u1 = torch.tensor([0.0, 0.2, 0.7, 0.95])
    uniforms = torch.stack([u1, torch.full((4,), 0.5), torch.full((4,), 0.5)], dim=1)
    out = color(images, uniforms)
    torch.testing.assert_close(out, images + (u1 - 0.5)[:, None, None, None], rtol=0, atol=1e-6)
    torch.testing.assert_close(out.mean(dim=(1, 2, 3)) - images.mean(dim=(1, 2, 3)), u1 - 0.5, rtol=0, atol=1e-6)


def test_neutral_color_is_the_identity() -> None:
    images = random_images(2)
    torch.testing.assert_close(color(images, torch.full((4, 3), 0.5)), images, rtol=0, atol=1e-6)


def test_saturation_at_zero_makes_every_channel_the_channel_mean() -> None:
    images = random_images(3)
    out = color(images, torch.tensor([[0.5, 0.0, 0.5]]).repeat(4, 1))
    channel_mean = images.mean(dim=1, keepdim=True).expand_as(images)
    torch.testing.assert_close(out, channel_mean, rtol=0, atol=1e-6)
    assert float(out.std(dim=1).max()) < 1e-6
    # u2 → 1 doubles each pixel's deviation from its channel mean.
    out = color(images, torch.tensor([[0.5, 1.0, 0.5]]).repeat(4, 1))
    torch.testing.assert_close(out - channel_mean, 2 * (images - channel_mean), rtol=0, atol=1e-6)


def test_contrast_scales_deviations_from_the_image_mean_by_u_plus_half() -> None:
    images = random_images(4)
    mean = images.mean(dim=(1, 2, 3), keepdim=True)
    # u3 = 0: contrast × 0.5 (the factor u3 + 0.5 lies in [0.5, 1.5), it never reaches 0).
    out = color(images, torch.tensor([[0.5, 0.5, 0.0]]).repeat(4, 1))
    torch.testing.assert_close(out - mean, 0.5 * (images - mean), rtol=0, atol=1e-6)
    torch.testing.assert_close(out.mean(dim=(1, 2, 3), keepdim=True), mean, rtol=0, atol=1e-6)
    out = color(images, torch.tensor([[0.5, 0.5, 0.9]]).repeat(4, 1))
    torch.testing.assert_close(out - mean, 1.4 * (images - mean), rtol=0, atol=1e-6)


def test_color_statistics_on_random_images() -> None:
    """All three at random draws: the per-sample mean moves by u1 − 0.5 (saturation and contrast keep
    it); each pixel's channel mean keeps its deviation from the image mean times the contrast
    u3 + 0.5; each channel's deviation from the pixel's channel mean is scaled by 2·u2·(u3 + 0.5)."""
    generator = torch.Generator().manual_seed(5)
    images = torch.rand(16, 3, 8, 8, generator=generator, dtype=torch.float64)
    uniforms = torch.rand(16, 3, generator=generator, dtype=torch.float64)
    out = color(images, uniforms)
    u1, u2, u3 = (uniforms[:, k, None, None, None] for k in range(3))
    mean_in, mean_out = images.mean(dim=(1, 2, 3), keepdim=True), out.mean(dim=(1, 2, 3), keepdim=True)
    torch.testing.assert_close(mean_out - mean_in, u1 - 0.5)
    channel_in, channel_out = images.mean(dim=1, keepdim=True), out.mean(dim=1, keepdim=True)
    torch.testing.assert_close(channel_out - mean_out, (u3 + 0.5) * (channel_in - mean_in))
    torch.testing.assert_close(out - channel_out, 2 * u2 * (u3 + 0.5) * (images - channel_in))


# --- gradients and dtypes -------------------------------------------------------------------------------------


def test_translation_gradient_is_a_shifted_one_hot() -> None:
    images = torch.randn(1, 1, 8, 8, requires_grad=True)
    out = translation(images, torch.tensor([[shift_uniform(1, 8), shift_uniform(-1, 8)]]))
    out[0, 0, 2, 5].backward()  # output (2, 5) reads input (3, 4)
    expected = torch.zeros(1, 1, 8, 8)
    expected[0, 0, 3, 4] = 1.0
    assert torch.equal(images.grad, expected)
    # An output pixel shifted in from outside depends on no input.
    images.grad = None
    out = translation(images, torch.tensor([[shift_uniform(1, 8), shift_uniform(-1, 8)]]))
    out[0, 0, 7, 0].backward()
    assert torch.equal(images.grad, torch.zeros(1, 1, 8, 8))


def test_cutout_gradient_is_zero_inside_the_square() -> None:
    images = torch.randn(2, 3, 8, 8, requires_grad=True)
    uniforms = torch.tensor([[offset_uniform(5, 8), offset_uniform(3, 8)], [0.0, 0.0]])
    cutout(images, uniforms).sum().backward()
    expected = torch.ones(2, 3, 8, 8)
    expected[0, :, 3:7, 1:5] = 0.0
    expected[1, :, 0:2, 0:2] = 0.0
    assert torch.equal(images.grad, expected)


def test_full_policy_gradient_flows_and_passes_gradcheck() -> None:
    generator = torch.Generator().manual_seed(6)
    images = torch.rand(2, 3, 8, 8, generator=generator, dtype=torch.float64, requires_grad=True)
    uniforms = torch.rand(2, 7, generator=generator, dtype=torch.float64)
    policy = ("color", "translation", "cutout")
    diff_augment(images, policy, uniforms).square().sum().backward()
    assert images.grad is not None and float(images.grad.abs().sum()) > 0
    assert torch.autograd.gradcheck(lambda x: diff_augment(x, policy, uniforms), (images,))
    assert torch.autograd.gradcheck(lambda x: diff_augment(x, ("cutout", "color"), uniforms[:, :5]), (images,))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_dtype_and_shape_are_kept(dtype: torch.dtype) -> None:
    images = torch.rand(3, 3, 12, 10, dtype=dtype)
    out = diff_augment(images, ("color", "translation", "cutout"), torch.rand(3, 7))
    assert out.dtype == dtype and out.shape == images.shape


# --- CUDA (skipped without a GPU) -----------------------------------------------------------------------------


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu_without_host_synchronisation_and_in_a_captured_graph() -> None:
    policy = ("color", "translation", "cutout")
    generator = torch.Generator().manual_seed(7)
    images = torch.rand(8, 3, 32, 32, generator=generator)
    uniforms = torch.rand(8, 7, generator=generator)
    expected = diff_augment(images, policy, uniforms)
    static_images, static_uniforms = images.cuda(), uniforms.cuda()
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        eager = diff_augment(static_images, policy, static_uniforms)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    torch.testing.assert_close(eager.cpu(), expected, rtol=0, atol=1e-5)
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        diff_augment(static_images, policy, static_uniforms)  # warm-up outside the capture
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        static_out = diff_augment(static_images, policy, static_uniforms)
    fresh = torch.rand(8, 7, generator=generator)
    static_uniforms.copy_(fresh.cuda())
    graph.replay()
    torch.cuda.synchronize()
    torch.testing.assert_close(static_out.cpu(), diff_augment(images, policy, fresh), rtol=0, atol=1e-5)
