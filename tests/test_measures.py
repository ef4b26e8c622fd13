"""cyclegan_lab.judging.measures: the pixel measures of paintings against their photos (chequerboards, copying,
composition, palette) see what they name and nothing else, on real photos (conftest.py's `images`).
"""

import numpy as np
import pytest

from cyclegan_lab.judging.measures import chequerboard_ratio, composition_similarity, copy_distance, palette_distance


def test_chequerboard_ratio_sees_period_two_noise_and_nothing_else(images):
    _, photo = images
    rows, columns = np.indices(photo.shape[1:3])
    checker = np.where((rows + columns) % 2, 6, -6)[None, :, :, None]
    noisy = np.clip(photo.astype(int) + checker, 0, 255).astype(np.uint8)
    assert chequerboard_ratio(photo, photo) == pytest.approx(1.0)
    assert chequerboard_ratio(noisy, photo) > 1.5  # 6 levels of chequerboard on a 0-255 scale
    blurred = ((photo.astype(float) + np.roll(photo, 1, axis=1)) / 2).astype(np.uint8)
    assert chequerboard_ratio(blurred, photo) < 1.0  # smoothing removes period-2 energy
    stripes = np.clip(photo.astype(int) + np.where(rows % 2, 6, -6)[None, :, :, None], 0, 255).astype(np.uint8)
    assert chequerboard_ratio(stripes, photo) > 1.5  # one-pixel stripes are period 2 too


def test_copy_distance_is_zero_for_a_copy():
    rng = np.random.default_rng(0)
    photos = rng.integers(0, 256, (3, 16, 16, 3), dtype=np.uint8)
    assert copy_distance(photos, photos) == 0.0
    assert copy_distance(255 - photos, photos) == pytest.approx(np.mean(np.abs(255 - 2 * photos.astype(float))) / 127.5)


def test_composition_sees_a_lost_layout_where_a_recolouring_keeps_it(images):
    """A recoloured or lightly blurred photo keeps its layout; another photo, or one turned upside
    down, does not: the distinction the copy distance cannot make (all are far from the photo)."""
    _, photo = images
    photo = photo[:20]
    assert composition_similarity(photo, photo) == pytest.approx(1.0)
    recoloured = np.clip(photo.astype(int)[..., ::-1] * 0.7 + 40, 0, 255).astype(np.uint8)  # BGR, darker, lifted
    blurred = ((photo[:, ::2, ::2].astype(int) + photo[:, 1::2, 1::2]) // 2).repeat(2, 1).repeat(2, 2).astype(np.uint8)
    assert composition_similarity(recoloured, photo) > 0.8 and composition_similarity(blurred, photo) > 0.95
    assert composition_similarity(np.roll(photo, 1, axis=0), photo) < 0.5  # each image paired with another
    assert composition_similarity(photo[:, ::-1], photo) < 0.5
    assert copy_distance(recoloured, photo) > copy_distance(np.roll(photo, 1, axis=0), photo) / 4


def test_composition_needs_sides_the_grid_divides(images):
    with pytest.raises(ValueError, match="32 divides"):
        composition_similarity(np.zeros((1, 100, 100, 3), np.uint8), np.zeros((1, 100, 100, 3), np.uint8))


def test_palette_distance_measures_how_far_colours_move(images):
    monet, photo = images
    assert palette_distance(monet, monet) == 0.0
    brighter = (monet.astype(int) + 20).clip(0, 255).astype(np.uint8)
    assert 10 < palette_distance(brighter, monet) <= 20  # every value moved by 20, less where it clipped at 255
    assert palette_distance(monet[:40], monet[40:]) < palette_distance(photo, monet)  # Monet's palette is his own
