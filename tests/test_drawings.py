"""cyclegan_lab.teaching.drawings: the U-Net drawing, and the map and colours of a PatchGAN's verdicts."""

import matplotlib
import numpy as np
from matplotlib.patches import FancyArrowPatch, Rectangle

from cyclegan_lab.teaching.drawings import draw_unet, show_patch_map, verdict_colormap

matplotlib.use("Agg")


def test_draw_unet_draws_one_box_per_feature_map_and_one_arrow_per_skip(small_generator):
    figure = draw_unet(small_generator)
    patches = figure.axes[0].patches
    boxes = [p for p in patches if isinstance(p, Rectangle)]
    arrows = [p for p in patches if isinstance(p, FancyArrowPatch)]
    # input + 5 down + 4 decoder maps in two parts (up block, skip copy) + output
    assert len(boxes) == 1 + 5 + 4 * 2 + 1
    assert len(arrows) == 4
    heights = [b.get_height() for b in boxes]  # 1 + log2(size)
    assert heights == [6, 5, 4, 3, 2, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6]
    widths = [round(b.get_width(), 6) for b in boxes]  # 0.004 per channel, at least 0.12
    assert widths == [0.12, 0.12, 0.12, 0.12, 0.128, 0.128, 0.128, 0.128, 0.12, 0.12, 0.12, 0.12, 0.12, 0.12, 0.12]
    matplotlib.pyplot.close(figure)


def test_show_patch_map_shows_the_logits_centred_on_their_patches(discriminator):
    logits = np.linspace(-3, 2, 900, dtype=np.float32).reshape(1, 30, 30, 1)
    image = np.zeros((256, 256, 3), np.uint8)
    ax = show_patch_map(image, logits, model=discriminator, title="t")
    picture, heat = ax.get_images()
    np.testing.assert_array_equal(heat.get_array(), logits[0, :, :, 0])
    assert heat.get_clim() == (-3.0, 3.0)  # symmetric around "undecided", from the largest |logit|
    assert heat.cmap(0.5)[3] < 0.1 and heat.cmap(0.0)[3] == heat.cmap(1.0)[3] == 0.75  # clear where undecided
    assert heat.cmap(0.0)[2] > heat.cmap(0.0)[0] and heat.cmap(1.0)[0] > heat.cmap(1.0)[2]  # blue fake, red real
    # cell i is centred on its patch's centre, -23 + 8i + 34.5, and is 8 pixels wide
    assert heat.get_extent() == [7.5, 247.5, 247.5, 7.5]
    assert picture.get_extent() == [-0.5, 255.5, 255.5, -0.5]
    assert ax.get_title() == "t"
    stretched = show_patch_map(image, logits[0, :, :, 0], limit=0.5, colorbar=False)
    assert stretched.get_images()[1].get_extent() == [-0.5, 255.5, 255.5, -0.5]
    assert stretched.get_images()[1].get_clim() == (-0.5, 0.5)
    matplotlib.pyplot.close("all")


def test_verdict_colormap_fades_to_clear_at_zero():
    colours = verdict_colormap(0.5)(np.linspace(0, 1, 5))
    np.testing.assert_allclose(colours[:, 3], 0.5 * np.sqrt([1, 0.5, 0, 0.5, 1]), atol=1e-6)
