"""Figures of the image datasets: the sample mosaics and the per-digit share histograms."""

import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from modecollapse import plots


def _images(*, n, channels, size, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, size=(n, channels, size, size))


def _shares(*, variants, channels, seeds=3, seed=0):
    rng = np.random.default_rng(seed)
    rows = [
        {"variant": variant, "seed": s, "channel": c, "digit": digit, "share": share}
        for variant in variants
        for s in range(seeds)
        for c in channels
        for digit, share in enumerate(rng.dirichlet(np.ones(10)))
    ]
    return pd.DataFrame(rows)


def _reference(*, channels):
    return pd.DataFrame([{"channel": c, "digit": d, "share": 0.1} for c in channels for d in range(10)])


@pytest.fixture
def captured(monkeypatch):
    """Keep the figure a function would save, to inspect what it draws."""
    figures = []
    monkeypatch.setattr(plots, "_save", lambda fig, path: figures.append(fig))
    yield figures
    for fig in figures:
        plt.close(fig)


def _assert_only_pdf(path):
    assert path.read_bytes().startswith(b"%PDF")
    assert list(path.parent.iterdir()) == [path]  # the atomic write left no temporary file


def test_mosaic_tiles_row_by_row_with_separators():
    images = _images(n=5, channels=1, size=3)
    mosaic = plots._mosaic(images, per_panel=4)  # 2 × 2 tiles of 3 × 3 pixels, 1-pixel separators
    assert mosaic.shape == (7, 7, 1)
    assert mosaic[:3, 4:, 0] == pytest.approx((images[1, 0] + 1) / 2)  # second tile: first row, right
    assert mosaic[4:, :3, 0] == pytest.approx((images[2, 0] + 1) / 2)  # third tile: second row, left
    assert (mosaic[3, :, 0] == plots.MOSAIC_SEPARATOR).all()
    assert (mosaic[:, 3, 0] == plots.MOSAIC_SEPARATOR).all()


def test_mosaic_default_panel_is_eight_by_eight_rgb():
    assert plots._mosaic(_images(n=100, channels=3, size=8), per_panel=64).shape == (71, 71, 3)


def test_mosaic_blanks_non_finite_samples_and_clips_for_display_only():
    images = _images(n=4, channels=3, size=2)
    images[1, 2, 0, 1] = np.nan
    images[2, 0, 0, 0] = np.inf
    images[3] = 5.0
    mosaic = plots._mosaic(images, per_panel=4)
    assert (mosaic[:2, 3:] == plots.MOSAIC_BLANK).all()  # NaN in one pixel of one channel
    assert (mosaic[3:, :2] == plots.MOSAIC_BLANK).all()
    assert (mosaic[3:, 3:] == 1.0).all()  # out of range: shown saturated
    assert (images[3] == 5.0).all()  # ... and the samples themselves are untouched


def test_mosaic_leaves_cells_without_samples_empty():
    mosaic = plots._mosaic(_images(n=1, channels=1, size=2), per_panel=4)
    assert (mosaic[3:, :] == plots.MOSAIC_SEPARATOR).all()


def test_panel_title_marks_diverged_runs_only():
    images = _images(n=3, channels=1, size=2)
    assert plots._image_panel_title("hinge", np.full_like(images, np.nan)) == "hinge (diverged)"
    images[:2] = np.nan
    assert plots._image_panel_title("hinge", images) == "hinge"  # one finite sample is not a divergence
    assert plots._image_panel_title("hinge", images[:0]) == "hinge (no samples)"


@pytest.mark.parametrize("channels", [1, 3])
def test_image_grid_figure_writes_one_pdf(tmp_path, channels):
    path = tmp_path / "samples.pdf"
    samples = {
        "real": _images(n=20, channels=channels, size=8),
        "gan-ns": _images(n=20, channels=channels, size=8, seed=1),
        "hinge": np.full((20, channels, 8, 8), np.nan),
    }
    plots.image_grid_figure(samples=samples, dataset="digits", seed=3, path=path, per_panel=16)
    _assert_only_pdf(path)


def test_image_grid_figure_titles_panels_in_order(captured):
    samples = {"real": _images(n=4, channels=1, size=8), "hinge": np.full((4, 1, 8, 8), np.nan)}
    plots.image_grid_figure(samples=samples, dataset="digits", seed=3, path="unused.pdf", per_panel=4)
    (fig,) = captured
    assert [ax.get_title() for ax in fig.axes] == ["real", "hinge (diverged)"]
    assert fig.get_suptitle() == "digits: final samples (seed 3)"


@pytest.mark.parametrize("channels", [[0], [0, 1, 2]])
def test_mode_histogram_figure_writes_one_pdf(tmp_path, channels):
    path = tmp_path / "modes.pdf"
    plots.mode_histogram_figure(
        shares=_shares(variants=["gan-ns", "wgan-gp"], channels=channels),
        reference=_reference(channels=channels),
        dataset="stacked-digits",
        variants=["gan-ns", "wgan-gp", "missing"],
        path=path,
    )
    _assert_only_pdf(path)


def test_mode_histogram_marks_each_bar_and_flags_missing_variants(captured):
    plots.mode_histogram_figure(
        shares=_shares(variants=["gan-ns"], channels=[0, 1, 2], seeds=2),
        reference=_reference(channels=[0, 1, 2]),
        dataset="stacked-digits",
        variants=["gan-ns", "missing"],
        path="unused.pdf",
    )
    (fig,) = captured
    drawn, missing = fig.axes
    assert [drawn.get_title(), missing.get_title()] == ["gan-ns", "missing"]
    bar_centres = sorted(patch.get_x() + patch.get_width() / 2 for patch in drawn.patches)
    (marks,) = drawn.collections[-1:]
    mark_centres = sorted(segment[:, 0].mean() for segment in marks.get_segments())
    assert len(bar_centres) == 30  # 10 digits × 3 channels
    assert mark_centres == pytest.approx(bar_centres)  # float sums of the same offsets
    assert "no samples" in [text.get_text() for text in missing.texts]
    assert not any(text.get_text() == "no samples" for text in drawn.texts)


def _coverage_metrics(*, variants, seeds=3):
    """modes_covered of two datasets trained for different numbers of steps (2D: 600, images: 300)."""
    rng = np.random.default_rng(0)
    rows = [
        {
            "dataset": dataset,
            "variant": variant,
            "seed": seed,
            "step": step,
            "metric": "modes_covered",
            "value": float(rng.integers(0, modes + 1)),
        }
        for dataset, last, modes in (("ring8", 600, 8), ("digits", 300, 10))
        for variant in variants
        for seed in range(seeds)
        for step in range(0, last + 1, 100)
    ]
    return pd.DataFrame(rows)


def test_plateau_spans_are_the_last_share_of_each_datasets_training():
    spans = plots.plateau_spans(_coverage_metrics(variants=["gan-ns"]), window=0.25)
    assert spans == {"ring8": (450.0, 600.0), "digits": (225.0, 300.0)}


def test_coverage_figure_shades_each_datasets_plateau_window(captured):
    variants = ["gan-ns", "hinge"]
    plots.coverage_figure(
        metrics=_coverage_metrics(variants=variants),
        n_modes={"ring8": 8, "digits": 10},
        variants=variants,
        path="unused.pdf",
        plateau_window=0.25,
    )
    (fig,) = captured
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in panels] == variants
    for ax in panels:
        spans = sorted((patch.get_x(), patch.get_x() + patch.get_width()) for patch in ax.patches)
        assert spans == [(225.0, 300.0), (450.0, 600.0)]
    assert "plateau window (last 25% of training)" in fig.get_suptitle()


def test_coverage_figure_without_window_shades_nothing(captured, tmp_path):
    variants = ["gan-ns"]
    plots.coverage_figure(
        metrics=_coverage_metrics(variants=variants),
        n_modes={"ring8": 8, "digits": 10},
        variants=variants,
        path="unused.pdf",
    )
    (fig,) = captured
    assert all(not ax.patches for ax in fig.axes)


def test_the_same_figure_gives_the_same_bytes_whenever_it_is_saved(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)  # the bytes may not depend on the environment's clock
    saved = []
    for name in ("first.pdf", "second.pdf"):
        if saved:
            time.sleep(1.1)  # PDF dates count seconds
        plots.coverage_figure(
            metrics=_coverage_metrics(variants=["gan-ns"]),
            n_modes={"ring8": 8, "digits": 10},
            variants=["gan-ns"],
            path=tmp_path / name,
            plateau_window=0.25,
        )
        saved.append((tmp_path / name).read_bytes())
    assert saved[0] == saved[1]
    assert b"CreationDate" not in saved[0] and b"ModDate" not in saved[0]


# --- print size: every figure is included at its natural size --------------------------------


def _final(*, variants, seeds=4, seed=0):
    """Final-step metrics of ring8 and digits runs (modes covered, reverse KL and D's overfitting gap)."""
    rng = np.random.default_rng(seed)
    rows = [
        {"dataset": dataset, "variant": variant, "seed": s, "step": 300, "metric": metric, "value": value}
        for dataset, modes in (("ring8", 8), ("digits", 10))
        for variant in variants
        for s in range(seeds)
        for metric, value in (
            ("modes_covered", float(rng.integers(0, modes + 1))),
            ("reverse_kl", float(rng.uniform(0, 2))),
            ("d_overfitting_gap", float(rng.uniform(-0.1, 0.3))),
        )
    ]
    return pd.DataFrame(rows)


def _assert_print_size(fig):
    """The figure, as saved (tight box), fits the report's text width, and none of its text is
    smaller than MIN_FONT_SIZE points."""
    fig.canvas.draw()
    box = fig.get_tightbbox(fig.canvas.get_renderer())
    assert box.width <= plots.TEXT_WIDTH
    texts = [t for t in fig.findobj(plt.Text) if t.get_visible() and t.get_text().strip()]
    assert texts and min(t.get_fontsize() for t in texts) >= plots.MIN_FONT_SIZE


VARIANTS_16 = [f"variant-{i}" for i in range(16)]


def test_coverage_figure_at_sixteen_variants_prints_at_seven_points_within_the_page(captured):
    plots.coverage_figure(
        metrics=_coverage_metrics(variants=VARIANTS_16, seeds=2),
        n_modes={"ring8": 8, "digits": 10},
        variants=VARIANTS_16,
        path="unused.pdf",
        plateau_window=0.25,
    )
    _assert_print_size(captured[0])


def test_spread_figure_shows_every_seed_per_variant_and_dataset(captured):
    variants = ["gan-ns", "hinge"]
    final = _final(variants=variants)
    plots.spread_figure(final=final, n_modes={"ring8": 8, "digits": 10}, variants=variants, path="unused.pdf")
    (fig,) = captured
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert [(ax.get_title(), ax.get_ylabel()) for ax in panels] == [
        ("ring8", "share of modes covered"),
        ("ring8", "reverse KL"),
        ("digits", "share of modes covered"),
        ("digits", "reverse KL"),
    ]
    dots = sorted(y for c in panels[1].collections for y in c.get_offsets()[:, 1])  # ring8's reverse KL, a dot per seed
    expected = final[(final["dataset"] == "ring8") & (final["metric"] == "reverse_kl")]["value"]
    assert np.allclose(dots, sorted(expected))
    _assert_print_size(fig)


def test_spread_figure_as_png_for_the_readme(tmp_path):
    path = tmp_path / "spread.png"
    plots.spread_figure(
        final=_final(variants=["gan-ns", "hinge"]),
        n_modes={"ring8": 8, "digits": 10},
        variants=["gan-ns", "hinge"],
        path=path,
    )
    image = plt.imread(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and list(tmp_path.iterdir()) == [path]
    # at RASTER_DPI, not matplotlib's 100 dpi: a figure of at least 4 inches is over 600 pixels wide
    assert image.shape[1] >= 4 * plots.RASTER_DPI["png"]


def test_sweeps_figure_gives_each_dataset_its_own_numeric_axis(captured):
    final = _final(variants=["gan-ns", "gan-ns@lr=0.003", "gan-ns@lr=1000000.0"])
    points = {
        "ring8": [
            {"variant": "gan-ns", "key": "lr", "value": v, "run": r, "label": f"{v:g}"}
            for v, r in ((0.0005, "gan-ns"), (0.003, "gan-ns@lr=0.003"), (1e6, "gan-ns@lr=1000000.0"))
        ],
        "digits": [
            {"variant": "gan-ns", "key": "lr", "value": v, "run": r, "label": f"{v:g}"}
            for v, r in ((0.002, "gan-ns"), (0.003, "gan-ns@lr=0.003"))
        ],
    }
    plots.sweeps_figure(final=final, points=points, n_modes={"ring8": 8, "digits": 10}, path="unused.pdf")
    (fig,) = captured
    # per dataset a column of the share of modes covered and one of D's overfitting gap
    ring8, ring8_gap, digits, digits_gap = (ax for ax in fig.axes if ax.get_title())
    assert ring8.get_title() == ring8_gap.get_title() == "ring8: gan-ns"
    assert ring8.get_xscale() == "log"  # 0.0005 to 1e6
    assert [t.get_text() for t in ring8.get_xticklabels()] == ["0.0005", "0.003", "1e+06"]
    assert digits.get_xscale() == "linear" and [t.get_text() for t in digits.get_xticklabels()] == ["0.002", "0.003"]
    assert ring8.get_ylabel() == "share of modes" and ring8_gap.get_ylabel().startswith("D gap")
    # the gap panel draws the mean gap of each setting's seeds, unscaled
    gaps = final[(final["dataset"] == "ring8") & (final["metric"] == "d_overfitting_gap")]
    means = gaps.groupby("variant")["value"].mean()
    line = ring8_gap.get_lines()[0]
    assert np.allclose(line.get_ydata(), [means["gan-ns"], means["gan-ns@lr=0.003"], means["gan-ns@lr=1000000.0"]])
    _assert_print_size(fig)


def test_sweeps_figure_of_more_datasets_than_four_columns_hold_sets_each_metric_in_its_own_row(captured):
    final = _final(variants=["gan-ns", "gan-ns@lr=0.003"])
    final = pd.concat([final, final.assign(dataset="grid25"), final.assign(dataset="stacked-digits")])
    runs = ((0.0005, "gan-ns"), (0.003, "gan-ns@lr=0.003"))
    point = [{"variant": "gan-ns", "key": "lr", "value": v, "run": r, "label": f"{v:g}"} for v, r in runs]
    datasets = {"ring8": 8, "digits": 10, "grid25": 25, "stacked-digits": 1000}
    plots.sweeps_figure(final=final, points=dict.fromkeys(datasets, point), n_modes=datasets, path="unused.pdf")
    (fig,) = captured
    grid = fig.axes[0].get_subplotspec().get_gridspec()
    assert (grid.nrows, grid.ncols) == (2, 4)  # a column per dataset, the two metrics one above the other
    first_column = [ax for ax in fig.axes if ax.get_subplotspec().colspan.start == 0]
    assert [ax.get_ylabel()[:6] for ax in first_column] == ["share ", "D gap "]
    assert {ax.get_title() for ax in first_column} == {"ring8: gan-ns"}
    _assert_print_size(fig)


def test_a_sweep_of_a_choice_sets_its_values_side_by_side_as_named(captured):
    final = _final(variants=["gan-ns", "gan-ns@update=alternating"])
    runs = (("alternating", "gan-ns@update=alternating"), ("simultaneous", "gan-ns"))
    point = [{"variant": "gan-ns", "key": "update", "value": v, "run": r, "label": v} for v, r in runs]
    plots.sweeps_figure(final=final, points={"ring8": point}, n_modes={"ring8": 8}, path="unused.pdf")
    (fig,) = captured
    share, gap = fig.axes
    assert share.get_xscale() == "linear" and list(share.get_xticks()) == [0.0, 1.0]
    assert [t.get_text() for t in share.get_xticklabels()] == ["alternating", "simultaneous"]
    assert len(gap.get_lines()[0].get_xdata()) == 2


def test_a_sweep_panel_without_values_says_so_instead_of_drawing_an_empty_axis(captured):
    final = _final(variants=["gan-ns", "gan-ns@lr=0.003"])
    final.loc[final["metric"] == "d_overfitting_gap", "value"] = np.nan  # D never probed
    runs = ((0.0005, "gan-ns"), (0.003, "gan-ns@lr=0.003"))
    point = [{"variant": "gan-ns", "key": "lr", "value": v, "run": r, "label": f"{v:g}"} for v, r in runs]
    plots.sweeps_figure(final=final, points={"ring8": point}, n_modes={"ring8": 8}, path="unused.pdf")
    (fig,) = captured
    share, gap = fig.axes
    assert share.get_lines() and not gap.get_lines()
    assert [t.get_text() for t in gap.texts] == ["no values"] and gap.get_title() == "ring8: gan-ns"


def test_sample_and_mode_figures_of_sixteen_variants_print_at_seven_points_within_the_page(captured):
    centres = np.array([[np.cos(a), np.sin(a)] for a in np.linspace(0, 2 * np.pi, 8, endpoint=False)])
    points = pd.DataFrame({"step": 100, "x": np.linspace(-1, 1, 50), "y": np.linspace(1, -1, 50)})
    plots.samples_figure(
        samples={v: points for v in VARIANTS_16}, centers=centres, dataset="ring8", seed=0, path="unused.pdf"
    )
    plots.image_grid_figure(
        samples={v: _images(n=16, channels=3, size=8) for v in ["real", *VARIANTS_16]},
        dataset="stacked-digits",
        seed=0,
        path="unused.pdf",
    )
    plots.mode_histogram_figure(
        shares=_shares(variants=VARIANTS_16, channels=[0, 1, 2], seeds=2),
        reference=_reference(channels=[0, 1, 2]),
        dataset="stacked-digits",
        variants=VARIANTS_16,
        path="unused.pdf",
    )
    assert len(captured) == 3
    for fig in captured:
        _assert_print_size(fig)


def _alternating_counts(*, modes=(0, 3), snapshots=4, n_modes=8):
    """A generator that covers mode modes[0], then modes[1], then modes[0], ... at successive snapshots."""
    return pd.DataFrame(
        [
            {"step": 100 * (i + 1), "mode": mode, "count": 7 if mode == modes[i % 2] else 0}
            for i in range(snapshots)
            for mode in range(n_modes)
        ]
    )


def test_mode_raster_shows_a_generator_alternating_between_two_modes(captured, tmp_path):
    covered, steps = plots.covered_matrix(_alternating_counts())
    assert steps == [100, 200, 300, 400] and covered.shape == (8, 4)
    assert covered[0].tolist() == [True, False, True, False] and covered[3].tolist() == [False, True, False, True]
    assert not covered[[1, 2, 4, 5, 6, 7]].any()
    plots.mode_raster_figure(
        counts={"gan-ns": _alternating_counts(), "empty": _alternating_counts().iloc[:0]},
        dataset="ring8", seed=0, path=tmp_path / "r.pdf",
    )  # fmt: skip
    (fig,) = captured
    drawn = fig.axes[0].images[0].get_array()
    assert np.array_equal(np.asarray(drawn), covered)  # the raster is the coverage matrix itself
    assert fig.axes[0].get_title() == "gan-ns\never 2/8, dropped 3"  # 0 -> 3 -> 0 -> 3 drops a mode each time
    assert fig.axes[1].get_title() == "empty: no snapshots"


def test_chosen_steps_spread_over_training_from_first_to_last():
    assert plots.chosen_steps(list(range(100, 1700, 100))) == [100, 600, 1100, 1600]
    assert plots.chosen_steps([300, 100, 200]) == [100, 200, 300]


def _surface(steps, size=4):
    xs, ys = np.meshgrid(np.linspace(-1, 1, size), np.linspace(-1, 1, size))
    return pd.concat(
        [pd.DataFrame({"step": step, "x": xs.ravel(), "y": ys.ravel(), "d": xs.ravel() * step}) for step in steps],
        ignore_index=True,
    )


def test_surface_figure_draws_a_row_per_probed_variant_and_a_column_per_chosen_snapshot(captured):
    steps = list(range(10, 110, 10))
    samples = pd.DataFrame({"step": 10, "x": [0.0], "y": [0.0]})
    empty = _surface([10]).iloc[:0]
    plots.surface_figure(surfaces={"gan-ns": _surface(steps), "veegan": empty, "pacgan-2": _surface(steps)},
                         samples={"gan-ns": samples}, centers=np.zeros((1, 2)), dataset="ring8", seed=0,
                         path="unused.pdf")  # fmt: skip
    (fig,) = captured
    panels = np.array(fig.axes).reshape(2, 4)  # veegan's joint D has no row
    assert [ax.get_title() for ax in panels[0]] == ["step 10", "step 40", "step 70", "step 100"]
    assert [ax.get_ylabel() for ax in panels[:, 0]] == ["gan-ns", "pacgan-2"]
    image = np.asarray(panels[0, 0].images[0].get_array())
    assert image.shape == (4, 4) and image.min() == 0 and image.max() == 1  # scaled per panel
    assert np.all(np.diff(image, axis=1) > 0)  # D grows with x here: light on the right


def test_overfitting_figure_draws_three_curves_and_marks_an_unprobed_joint_d(captured):
    rows = [
        {"variant": v, "seed": s, "step": step, "d_train": 1.0 + step, "d_heldout": 0.5, "d_fake": -1.0, "r_t": 0.5}
        for v in ("gan-ns", "veegan") for s in (0, 1) for step in (10, 20)
    ]  # fmt: skip
    probes = pd.DataFrame(rows)
    probes.loc[probes["variant"] == "veegan", ["d_train", "d_heldout", "d_fake", "r_t"]] = np.nan
    plots.overfitting_figure(probes=probes, dataset="ring8", variants=["gan-ns", "veegan"], path="unused.pdf")
    (fig,) = captured
    assert len(fig.axes[0].get_lines()) >= 3  # training, held-out and generated
    assert fig.axes[1].texts[0].get_text() == "not probed\n(joint D)"
