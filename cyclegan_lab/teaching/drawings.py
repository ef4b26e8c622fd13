"""Figures of the networks: the U-Net as boxes and arrows, and a discriminator's verdicts over an image.

- `draw_unet`: the U-Net as boxes (height ~ log2 of the image size, width ~ channels) with skip arrows.
- `show_patch_map` (with `verdict_colormap`): a discriminator's grid of verdicts laid over the image it judged.

The numbers behind them (layer rows, receptive fields) come from `inspect_model.py`.
"""

from __future__ import annotations

import math

import keras
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import FancyArrowPatch, Patch, Rectangle
from matplotlib.path import Path

from ..images import as_uint8
from .inspect_model import layer_rows, receptive_field_steps

__all__ = ["draw_unet", "verdict_colormap", "show_patch_map"]

# --- The U-Net drawing -----------------------------------------------------


def draw_unet(
    model: keras.Model,
    ax: plt.Axes | None = None,
    channel_width: float = 0.004,
    min_width: float = 0.12,
    gap: float = 0.45,
) -> plt.Figure:
    """Draw a U-Net built by `build_generator` as a row of boxes, input on the left.

    Each box is one feature map: its height is 1 + log2(height in pixels)
    (256 -> 9, 1 -> 1), its width grows with the number of channels
    (`channel_width` per channel, at least `min_width`). A decoder box has two
    parts: what its up block made (orange) and the encoder copy the skip
    connection brings (light blue); curved arrows show where each copy comes from.
    """
    rows = layer_rows(model)
    by_name = {row.name: row for row in rows}
    figure = ax.figure if ax is not None else plt.figure(figsize=(14, 4.2))
    ax = ax or figure.add_subplot()
    colours = {"encoder": "#4C72B0", "up": "#DD8452", "skip": "#A6C8E8", "output": "#55A868", "input": "#8C8C8C"}

    def width(channels):
        return max(min_width, channels * channel_width)

    def box(x, row_shape, channels, colour, label=None):
        height = 1 + math.log2(row_shape[0])
        w = width(channels)
        ax.add_patch(Rectangle((x, -height / 2), w, height, facecolor=colour, edgecolor="black", linewidth=0.6))
        if label:
            ax.text(x + w / 2, -height / 2 - 0.25, label, ha="center", va="top", fontsize=7, rotation=90)
        return x + w / 2, height / 2  # top centre

    x = 0.0
    tops = {}  # encoder name -> top centre of its box
    for row in rows:
        size, channels = row.shape[0], row.shape[-1]
        if row.name == "input":
            tops[row.name] = box(x, row.shape, channels, colours["input"], f"{size}x{size}x{channels}")
            x += width(channels) + gap
        elif row.name.startswith("down"):
            tops[row.name] = box(x, row.shape, channels, colours["encoder"], f"{size}x{size}x{channels}")
            x += width(channels) + gap
        elif row.name == "skip":
            up_name, skip_name = row.joins
            up_channels = by_name[up_name].shape[-1]
            skip_channels = channels - up_channels
            box(x, row.shape, up_channels, colours["up"])
            skip_x = x + width(up_channels)
            target = box(skip_x, row.shape, skip_channels, colours["skip"])
            ax.text(
                x + (width(up_channels) + width(skip_channels)) / 2,
                -(1 + math.log2(size)) / 2 - 0.25,
                f"{size}x{size}x{channels}",
                ha="center",
                va="top",
                fontsize=7,
                rotation=90,
            )
            (x0, y0), (x1, y1) = tops[skip_name], target
            over = max(y0, y1) + 0.8  # outer skips start from taller boxes, so their brackets nest
            bracket = Path([(x0, y0), (x0, over), (x1, over), (x1, y1)])
            ax.add_patch(
                FancyArrowPatch(path=bracket, arrowstyle="-|>", mutation_scale=8, color="#555555", linewidth=0.8)
            )
            x = skip_x + width(skip_channels) + gap
        elif row.name == "output":
            box(x, row.shape, channels, colours["output"], f"{size}x{size}x{channels}")
            x += width(channels)
    ax.set_xlim(-gap, x + gap)
    ax.set_ylim(-9.5, 6.2)
    ax.axis("off")
    ax.legend(
        handles=[
            Patch(color=colours[k], label=text)
            for k, text in [
                ("input", "input image"),
                ("encoder", "down block output"),
                ("up", "up block output"),
                ("skip", "copied by a skip connection"),
                ("output", "output image (tanh)"),
            ]
        ],
        loc="lower center",
        ncol=5,
        fontsize=8,
        frameon=False,
    )
    ax.set_title(f"{model.name}: box height = 1 + log2(size), box width ~ channels")
    return figure


# --- The patch map -----------------------------------------------------------


def verdict_colormap(alpha: float = 0.75) -> ListedColormap:
    """Blue (fake) to red (real), see-through in the middle: opacity alpha x sqrt(|2t - 1|) at t in [0, 1]."""
    colours = plt.get_cmap("RdBu_r")(np.linspace(0.0, 1.0, 257))  # odd: one colour for exactly 0
    colours[:, 3] = alpha * np.sqrt(np.abs(np.linspace(-1.0, 1.0, 257)))
    return ListedColormap(colours, name="verdict")


def show_patch_map(
    image,
    logits,
    ax: plt.Axes | None = None,
    title: str | None = None,
    model: keras.Model | None = None,
    limit: float | None = None,
    alpha: float = 0.75,
    colorbar: bool = True,
) -> plt.Axes:
    """Lay a discriminator's verdicts over the image it judged.

    `image` is (h, w, 3) uint8 or float in [-1, 1]; `logits` the discriminator's
    output for it, (rows, cols) or (1, rows, cols, 1). Each cell's logit is
    coloured from blue (-limit: "fake") to red (+limit: "real"), smoothly
    upsampled; the colour fades out towards 0 (undecided), so the image shows
    through where the verdict is weak. `limit` defaults to the largest
    |logit|: pass the same one to figures you compare. With `model`, each
    cell is centred on its own patch (see `patch_box`); without, the grid is
    stretched over the whole image.
    """
    image = as_uint8(image)
    logits = np.asarray(logits, dtype=np.float32).squeeze()
    limit = float(np.abs(logits).max()) if limit is None else float(limit)
    height, width = image.shape[:2]
    extent = (-0.5, width - 0.5, height - 0.5, -0.5)
    if model is not None:
        last = receptive_field_steps(model)[-1]
        first = last.start + (last.field - 1) / 2 - last.jump / 2  # edge of cell 0, half a jump before its centre
        rows, cols = logits.shape
        extent = (first, first + cols * last.jump, first + rows * last.jump, first)
    ax = ax or plt.figure(figsize=(4.5, 4)).add_subplot()
    ax.imshow(image, extent=(-0.5, width - 0.5, height - 0.5, -0.5))
    heat = ax.imshow(
        logits, cmap=verdict_colormap(alpha), vmin=-limit, vmax=limit, extent=extent, interpolation="bilinear"
    )
    ax.set_xlim(-0.5, width - 0.5)
    ax.set_ylim(height - 0.5, -0.5)
    ax.axis("off")
    if title:
        ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(heat, ax=ax, fraction=0.046, pad=0.04, label="logit (> 0: real, < 0: fake)")
    return ax
