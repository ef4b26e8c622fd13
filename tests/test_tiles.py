"""Tests for cyclegan_lab.plumbing.tiles: the sides a generator accepts, and the shapes a picture is resized,
padded and cut to for it.

Only `network_grid` looks at a network (conftest.py's tiny `model`); the rest is NumPy and Pillow.
test_inference.py checks `stylize`, which puts them together.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from cyclegan_lab.models import build_generator
from cyclegan_lab.plumbing.tiles import (
    MAX_PIXELS,
    check_pixels,
    from_tiles,
    network_grid,
    reflect_pad,
    resize_pil,
    resize_shorter,
    shorter_side_to,
    to_tiles,
)


def photo(height: int, width: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


# --------------------------------------------------------------------------- the sides a generator accepts
def test_the_grid_is_the_u_nets_image_size(model):
    assert network_grid(model) == (32, False)
    assert network_grid(build_generator("fixed", image_size=32, filters=4)) == (32, True)


# --------------------------------------------------------------------------- resizing
@pytest.mark.parametrize(
    "height, width, size, expected",
    [(600, 800, 256, (256, 341)), (800, 600, 256, (341, 256)), (32, 32, 64, (64, 64)), (2, 1000, 256, (256, 128000))],
)
def test_the_shorter_side_becomes_size_and_the_aspect_ratio_stays(height, width, size, expected):
    assert shorter_side_to(height, width, size) == expected


def test_a_sliver_keeps_at_least_one_pixel():
    assert shorter_side_to(1000, 1, 16) == (16000, 16)
    assert shorter_side_to(3, 4000, 1) == (1, 1333)


def test_resizing_to_the_size_it_has_is_no_resampling():
    image = Image.fromarray(photo(30, 40))
    assert resize_pil(image, 30) is image
    assert resize_pil(image, 60).size == (80, 60)
    array = photo(30, 40)
    assert np.array_equal(resize_shorter(array, 30), array)
    assert resize_shorter(array, 15).shape == (15, 20, 3)


# --------------------------------------------------------------------------- padding and tiles
def test_reflect_pad_reaches_the_next_multiple_and_says_where_the_picture_sits():
    image = photo(50, 70)
    padded, box = reflect_pad(image, 32)
    assert padded.shape == (64, 96, 3)
    assert box == ((7, 57), (13, 83))  # half the padding before, half after
    (top, bottom), (left, right) = box
    assert np.array_equal(padded[top:bottom, left:right], image)
    assert np.array_equal(padded[top - 1, left:right], image[1]), "mirrored, not repeated or black"


def test_reflect_pad_keeps_a_multiple_and_pads_tiny_images_to_the_smallest_asked():
    image = photo(32, 64)
    padded, box = reflect_pad(image, 32)
    assert np.array_equal(padded, image) and box == ((0, 32), (0, 64))
    padded, box = reflect_pad(photo(3, 3), 4, smallest=8)
    assert padded.shape == (8, 8, 3) and box == ((2, 5), (2, 5))


def test_a_one_pixel_line_is_padded_by_repeating_its_edge():
    line = photo(1, 5)
    padded, ((top, bottom), (left, right)) = reflect_pad(line, 4)
    assert padded.shape == (4, 8, 3)
    assert (padded[:, left:right] == line).all()


def test_tiles_come_apart_row_by_row_and_back_together():
    image = photo(64, 96)
    tiles = to_tiles(image, 32)
    assert len(tiles) == 6 and all(tile.shape == (32, 32, 3) for tile in tiles)
    assert np.array_equal(tiles[1], image[:32, 32:64]) and np.array_equal(tiles[3], image[32:, :32])
    assert np.array_equal(from_tiles(tiles, image.shape), image)


# --------------------------------------------------------------------------- the pixel limit
def test_check_pixels_names_the_picture_and_what_to_do():
    check_pixels(4096, 4096, "photo.jpg", "crop it")  # exactly the limit: fine
    assert MAX_PIXELS == 4096 * 4096
    with pytest.raises(
        ValueError,
        match=r"^strip.png would be 128000x256 pixels \(32\.8 megapixels\), over the 16\.8-megapixel limit of one "
        r"painting: use keep square$",
    ):
        check_pixels(128000, 256, "strip.png", "use keep square")
