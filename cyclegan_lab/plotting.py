"""Figures the notebooks show: a grid of images and the loss curves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from .images import as_uint8

__all__ = ["show_images", "plot_losses"]


def show_images(
    images: Sequence, titles: Sequence[str] | None = None, ncols: int | None = None, size: float = 3.0
) -> plt.Figure:
    """A grid of images, each (h, w, 3) uint8 or float in [-1, 1], with optional titles.

    `ncols` defaults to all images in one row (at most 4 per row).
    """
    images = list(images)
    if not images:
        raise ValueError("show_images needs at least one image")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"got {len(images)} images but {len(titles)} titles")
    ncols = ncols or min(len(images), 4)
    nrows = -(-len(images) // ncols)
    figure, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(images):
            ax.imshow(as_uint8(images[i]))
            if titles is not None:
                ax.set_title(titles[i])
    figure.tight_layout()
    return figure


def plot_losses(history, smooth: int = 20) -> plt.Figure:
    """The four losses against the training step: generators left, discriminators right.

    `history` is a `LossHistory` or its `.steps` dict (name -> list of floats).
    Thin lines are each step's value; thick lines a moving average over
    `smooth` steps, since GAN losses are noisy.
    """
    steps = history if isinstance(history, Mapping) else history.steps
    figure, (gen_ax, disc_ax) = plt.subplots(1, 2, figsize=(11, 3.8))
    for ax, kind in [(gen_ax, "gen"), (disc_ax, "disc")]:
        for name, values in steps.items():
            if f"_{kind}_" not in name or not len(values):
                continue
            x = np.arange(1, len(values) + 1)
            (line,) = ax.plot(x, values, alpha=0.3, linewidth=0.8)
            window = min(smooth, len(values))
            if window > 1:
                average = np.convolve(values, np.ones(window) / window, mode="valid")
                ax.plot(x[window - 1 :], average, color=line.get_color(), linewidth=2, label=name)
            else:
                line.set_alpha(1.0)
                line.set_marker("o")
                line.set_label(name)
        ax.set_xlabel("training step")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("loss")
        ax.legend()
    gen_ax.set_title("Generators: adversarial + cycle + identity")
    disc_ax.set_title("Discriminators: 0.5 x (real + fake) loss")
    figure.tight_layout()
    return figure
