"""Tests for cyclegan_lab.plumbing.image_reading: any image file read safely as upright 8-bit RGB (`open_image`).

Small synthetic images (built with Pillow) check every mode, transparency, odd pixel values, files that are not
images or not regular files, and the one warning for a huge image. test_images.py checks `load_image` on top.
"""

from __future__ import annotations

import io
import os
import re
import warnings

import numpy as np
import pytest
from PIL import Image

from cyclegan_lab.plumbing.image_reading import LargeImageWarning, open_image, special_file

RED = (255, 0, 0)


def test_open_image_keeps_the_size_and_names_a_bad_file(tmp_path):
    Image.new("LA", (40, 30), (50, 255)).save(tmp_path / "grey.png")
    image = open_image(tmp_path / "grey.png")
    assert image.mode == "RGB" and image.size == (40, 30)
    (tmp_path / "notes.jpg").write_bytes(b"not a picture")
    with pytest.raises(ValueError, match="notes.jpg is not a readable image"):
        open_image(tmp_path / "notes.jpg")
    with pytest.raises(ValueError, match="upload.png is not a readable image"):
        open_image(io.BytesIO(b"not a picture"), name="upload.png")
    with pytest.raises(ValueError, match="missing.png is not a readable image"):
        open_image(tmp_path / "missing.png")


# --------------------------------------------------------------------------- modes and transparency
def test_transparent_parts_become_white_and_opaque_parts_keep_their_colour(tmp_path):
    image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    image.paste((255, 0, 0, 255), (0, 32, 64, 64))  # bottom half opaque red
    image.save(tmp_path / "half.png")
    out = np.asarray(open_image(tmp_path / "half.png"))
    assert (out[:32] == 255).all()
    assert (out[32:] == RED).all()


def test_dark_16_bit_image_stays_dark(tmp_path):
    Image.fromarray(np.full((30, 40), 200, np.uint16)).save(tmp_path / "dark.png")  # 200/65535: 0.3 % grey
    assert np.asarray(open_image(tmp_path / "dark.png")).max() <= 1


@pytest.mark.parametrize("mode, key", [("L", 0), ("RGB", (0, 0, 0))])
def test_colour_key_transparency_becomes_white(tmp_path, mode, key):
    Image.new(mode, (40, 30), key).save(tmp_path / "keyed.png", transparency=key)
    assert (np.asarray(open_image(tmp_path / "keyed.png")) == 255).all()


# --------------------------------------------------------------------------- float and 32-bit images
def test_a_float_image_in_0_to_1_is_read_at_its_brightness(tmp_path):
    """A float TIFF of values 0..1 (the usual float range) was read as a near-black photo."""
    values = np.tile(np.linspace(0.0, 1.0, 64, dtype=np.float32), (32, 1))  # black on the left, white on the right
    Image.fromarray(values, "F").save(tmp_path / "float.tif")
    with Image.open(tmp_path / "float.tif") as reopened:
        assert reopened.mode == "F"
    out = np.asarray(open_image(tmp_path / "float.tif"), dtype=int)
    assert np.abs(out[..., 0] - np.round(values * 255)).max() <= 1 and (out[..., 0] == out[..., 2]).all()


@pytest.mark.parametrize("top", [255, 65535], ids=["8-bit values", "16-bit values"])
def test_float_and_32_bit_images_read_like_the_8_and_16_bit_ones(tmp_path, top):
    """Whole-number values in a float or 32-bit file mean what they mean in an 8- or 16-bit one: half of
    255 (or of 65535) is mid-grey, whatever the mode."""
    half = np.full((30, 40), top // 2, np.float32)
    Image.fromarray(half, "F").save(tmp_path / "f.tif")
    Image.fromarray(half.astype(np.int32), "I").save(tmp_path / "i.tif")
    reference = Image.fromarray(half.astype(np.uint8 if top == 255 else np.uint16))
    reference.save(tmp_path / "reference.png")
    expected = open_image(tmp_path / "reference.png").getpixel((0, 0))
    assert abs(expected[0] - 127) <= 1
    for name in ("f.tif", "i.tif"):
        assert open_image(tmp_path / name).getpixel((0, 0)) == expected, name


@pytest.mark.parametrize("mode, low, high", [("F", -0.5, 0.5), ("F", 0.0, 1e6), ("I", 0, 2**20)])
def test_pixel_values_no_picture_has_are_named_not_clipped(tmp_path, mode, low, high):
    """Values below 0 or above a 16-bit picture's 65,535 have no brightness to map to: named, not guessed."""
    values = np.linspace(low, high, 64).reshape(8, 8).astype(np.float32 if mode == "F" else np.int32)
    Image.fromarray(values, mode).save(tmp_path / "odd.tif")
    with pytest.raises(ValueError, match=r"odd.tif is not a readable image \(its pixel values run from "):
        open_image(tmp_path / "odd.tif")


def test_a_float_image_full_of_nan_is_named_not_painted_black(tmp_path):
    """A float TIFF of NaN was read as a black photo, with a RuntimeWarning leaking from NumPy."""
    Image.fromarray(np.full((16, 16), np.nan, np.float32), "F").save(tmp_path / "nan.tif")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning may leak
        with pytest.raises(ValueError, match=r"nan.tif is not a readable image \(its pixel values are not all numbers"):
            open_image(tmp_path / "nan.tif")


# --------------------------------------------------------------------------- what is not an image file
@pytest.mark.parametrize("bad", [None, 3, ["a.png"]])
def test_open_image_of_something_that_is_not_a_file_is_a_clear_type_error(bad):
    with pytest.raises(TypeError, match=f"takes a file name or an open binary file, got {re.escape(repr(bad))}"):
        open_image(bad)


def test_special_file_names_what_is_not_a_regular_file(tmp_path):
    (tmp_path / "a.png").write_bytes(b"x")
    os.mkfifo(tmp_path / "pipe.png")
    assert special_file(tmp_path / "a.png") is None
    assert special_file(tmp_path) == "a folder"
    assert special_file(tmp_path / "pipe.png") == "a named pipe (FIFO)"
    assert special_file(os.devnull) == "a device"
    with pytest.raises(OSError):
        special_file(tmp_path / "missing.png")


def test_a_folder_is_named_not_opened(tmp_path):
    (tmp_path / "photos").mkdir()
    with pytest.raises(ValueError, match="photos is a folder, not an image file"):
        open_image(tmp_path / "photos")


def test_a_fifo_is_refused_without_being_opened(tmp_path):
    """A FIFO waits for a writer forever when opened: it is refused by name before any open."""
    from test_cli import fifo_watch

    with fifo_watch(tmp_path / "pipe.png") as opened:
        with pytest.raises(ValueError, match=r"pipe.png is a named pipe \(FIFO\), not an image file"):
            open_image(tmp_path / "pipe.png")
    assert opened == []


# --------------------------------------------------------------------------- huge images
def test_a_huge_image_warns_in_one_clean_line(tmp_path, monkeypatch):
    """Pillow's DecompressionBombWarning (over 89 megapixels) is said as the lab's own warning, naming the file."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 40 * 30 - 1)
    Image.new("RGB", (40, 30), RED).save(tmp_path / "big.png")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert open_image(tmp_path / "big.png").size == (40, 30)  # still read
    assert [w.category for w in caught] == [LargeImageWarning]
    message = str(caught[0].message)
    assert "big.png" in message and "40x30 pixels" in message and "\n" not in message
