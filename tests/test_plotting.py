"""Figures: image grids and loss curves show what they are given."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from cyclegan_lab.callbacks import LossHistory
from cyclegan_lab.cyclegan import LOSS_NAMES
from cyclegan_lab.plotting import plot_losses, show_images


def test_show_images_lays_out_a_grid_with_titles():
    images = [np.zeros((8, 8, 3), np.uint8), np.full((1, 8, 8, 3), 1.0, np.float32), np.full((8, 8, 3), -1.0)]
    figure = show_images(images, titles=["a", "b", "c"], ncols=2)
    shown = [ax for ax in figure.axes if ax.images]
    assert len(figure.axes) == 4 and len(shown) == 3
    assert [ax.get_title() for ax in shown] == ["a", "b", "c"]
    assert shown[1].images[0].get_array().max() == 255  # +1.0 is white
    assert shown[2].images[0].get_array().max() == 0  # -1.0 is black


def test_show_images_refuses_mismatched_titles_and_no_images():
    with pytest.raises(ValueError, match="titles"):
        show_images([np.zeros((4, 4, 3), np.uint8)], titles=["a", "b"])
    with pytest.raises(ValueError, match="at least one"):
        show_images([])


def test_plot_losses_draws_generators_and_discriminators_apart():
    rng = np.random.default_rng(0)
    history = LossHistory(steps={name: list(rng.uniform(0, 1, 50)) for name in LOSS_NAMES})
    figure = plot_losses(history, smooth=10)
    gen_ax, disc_ax = figure.axes
    assert sorted(t.get_text() for t in gen_ax.get_legend().get_texts()) == ["monet_gen_loss", "photo_gen_loss"]
    assert sorted(t.get_text() for t in disc_ax.get_legend().get_texts()) == ["monet_disc_loss", "photo_disc_loss"]
    raw = gen_ax.lines[0].get_ydata()
    np.testing.assert_allclose(raw, history.steps[LOSS_NAMES[0]])
    smoothed = gen_ax.lines[1].get_ydata()
    assert len(smoothed) == 41 and smoothed[0] == pytest.approx(np.mean(raw[:10]))


def test_plot_losses_handles_a_single_step():
    figure = plot_losses({name: [0.5] for name in LOSS_NAMES})
    assert all(ax.get_legend() is not None for ax in figure.axes)
