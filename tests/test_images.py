"""Tests for cyclegan_lab.images: `load_image` (any image file, upright, cut to a square), and the pixel conversions.

Small synthetic images (built with Pillow) check exact behaviour; the real
Monet and photo JPEGs (the `real_data` fixture) check what a learner will actually load.
The reading itself (`open_image`: modes, odd values, files that are not images) is
test_image_reading.py's.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image

from cyclegan_lab.images import as_uint8, fingerprint, image_files, load_image, normalize, to_uint8

RED, BLUE, GREEN = (255, 0, 0), (0, 0, 255), (0, 255, 0)


def encode(image: Image.Image, fmt: str = "JPEG", **options) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **options)
    return buf.getvalue()


# --------------------------------------------------------------------------- load_image
def test_real_jpegs_come_back_pixel_for_pixel(real_data):
    """A 256x256 RGB JPEG is neither resized nor re-sampled: exactly Pillow's decoding."""
    paths = sorted((real_data / "monet").iterdir())[:2] + sorted((real_data / "photo").iterdir())[:2]
    for path in paths:
        image = load_image(path)
        assert image.dtype == np.uint8 and image.shape == (256, 256, 3)
        with Image.open(path) as original:
            assert np.array_equal(image, np.asarray(original.convert("RGB"))), path.name


def _palette(transparent: bool) -> tuple[Image.Image, str, dict]:
    image = Image.new("P", (40, 30), 0)
    image.putpalette([0, 0, 0, 10, 200, 30])
    if transparent:
        return image, "PNG", {"transparency": 0}  # index 0 (black) is see-through
    image.paste(1, (0, 0, 40, 30))
    return image, "PNG", {}


MODES = {  # id: (image, format, save options, expected colour everywhere, tolerance)
    "L": (Image.new("L", (40, 30), 100), "PNG", {}, (100, 100, 100), 0),
    "RGBA-transparent": (Image.new("RGBA", (40, 30), (0, 0, 0, 0)), "PNG", {}, (255, 255, 255), 0),
    "RGBA-opaque": (Image.new("RGBA", (40, 30), (10, 20, 30, 255)), "PNG", {}, (10, 20, 30), 0),
    "P": (*_palette(False), (10, 200, 30), 0),
    "P-transparent": (*_palette(True), (255, 255, 255), 0),
    "CMYK": (Image.new("CMYK", (40, 30), (0, 255, 255, 0)), "JPEG", {"quality": 95}, RED, 3),
    "I;16": (Image.fromarray(np.full((30, 40), 65535, np.uint16)), "PNG", {}, (255, 255, 255), 0),
    "LA-transparent": (Image.new("LA", (40, 30), (0, 0)), "PNG", {}, (255, 255, 255), 0),
    "LA-opaque": (Image.new("LA", (40, 30), (50, 255)), "PNG", {}, (50, 50, 50), 0),
    "RGB-300x200": (Image.new("RGB", (300, 200), (10, 20, 30)), "PNG", {}, (10, 20, 30), 0),
}


@pytest.mark.parametrize("case", list(MODES))
def test_load_image_converts_any_mode_to_rgb(tmp_path, case):
    image, fmt, options, colour, tolerance = MODES[case]
    path = tmp_path / f"image.{fmt.lower()}"
    path.write_bytes(encode(image, fmt, **options))
    with Image.open(path) as reopened:
        assert reopened.mode == image.mode  # the file really is in that mode
    out = load_image(path)
    assert out.dtype == np.uint8 and out.shape == (256, 256, 3)
    assert np.abs(out.astype(int) - colour).max() <= tolerance


def test_exif_rotated_image_comes_back_upright(tmp_path):
    """Stored 64x32 left red / right blue with orientation 6 (rotate 90 deg clockwise):
    upright it is 32x64, red on top and blue below."""
    stored = Image.new("RGB", (64, 32), RED)
    stored.paste(BLUE, (32, 0, 64, 32))
    exif = Image.Exif()
    exif[0x0112] = 6
    (tmp_path / "rotated.jpg").write_bytes(encode(stored, quality=95, exif=exif))
    out = load_image(tmp_path / "rotated.jpg", size=32).astype(int)
    assert np.abs(out[:12] - RED).max() <= 12, "top must be red"
    assert np.abs(out[20:] - BLUE).max() <= 12, "bottom must be blue"


def test_landscape_centre_crop_keeps_both_halves(tmp_path):
    """300x200, left half red, right half blue: the square crop is split down its middle."""
    image = Image.new("RGB", (300, 200), RED)
    image.paste(BLUE, (150, 0, 300, 200))
    image.save(tmp_path / "wide.png")
    out = load_image(tmp_path / "wide.png").astype(int)
    assert out.shape == (256, 256, 3)
    assert np.abs(out[:, :124] - RED).max() <= 2
    assert np.abs(out[:, 132:] - BLUE).max() <= 2
    assert np.abs(out[:, 127] - RED).max() < np.abs(out[:, 127] - BLUE).max()
    assert np.abs(out[:, 128] - BLUE).max() < np.abs(out[:, 128] - RED).max()


def test_landscape_centre_crop_drops_the_sides(tmp_path):
    """300x200 with 50 px green margins: the centre 200x200 (red | blue) is kept, the margins dropped."""
    image = Image.new("RGB", (300, 200), GREEN)
    image.paste(RED, (50, 0, 150, 200))
    image.paste(BLUE, (150, 0, 250, 200))
    image.save(tmp_path / "margins.png")
    out = load_image(tmp_path / "margins.png").astype(int)
    assert np.abs(out[:, 4:124] - RED).max() <= 2
    assert np.abs(out[:, 132:252] - BLUE).max() <= 2
    assert out[..., 1].max() < 40, "no green margin may survive the crop"


def test_load_image_names_a_bad_file_or_its_given_name_and_refuses_what_is_not_a_file(tmp_path):
    (tmp_path / "notes.jpg").write_bytes(b"not a picture")
    with pytest.raises(ValueError, match="notes.jpg is not a readable image"):
        load_image(tmp_path / "notes.jpg")
    with pytest.raises(ValueError, match="upload.png is not a readable image"):
        load_image(io.BytesIO(b"not a picture"), name="upload.png")
    with pytest.raises(TypeError, match=f"takes a file name or an open binary file, got {re.escape(repr(None))}"):
        load_image(None)


def test_image_files_are_sorted_without_hidden_files_or_folders(tmp_path):
    for name in ["b.jpg", "a.png", ".DS_Store"]:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    assert [p.name for p in image_files(tmp_path)] == ["a.png", "b.jpg"]


# --------------------------------------------------------------------------- pixel conversions
def test_normalize_and_to_uint8_round_trip_every_value():
    values = np.arange(256, dtype=np.uint8)
    scaled = normalize(values).numpy()
    assert scaled.dtype == np.float32
    assert scaled[0] == -1.0 and scaled[255] == 1.0
    assert np.all(np.diff(scaled) > 0)
    assert np.array_equal(to_uint8(scaled), values)


def test_as_uint8_maps_the_generator_range_to_pixels():
    assert as_uint8(np.array([[-1.0, 0.0, 1.0]])).tolist() == [[0, 128, 255]]


@pytest.mark.parametrize("size", [0, -1, 2.5, "256", True, 10**6])
def test_load_image_refuses_a_size_it_cannot_make(tmp_path, size):
    """load_image(path, size=0) once failed with "zero-size array to reduction operation"."""
    from PIL import Image

    from cyclegan_lab.images import load_image

    Image.new("RGB", (8, 8)).save(tmp_path / "a.png")
    with pytest.raises(ValueError, match=r"size must be a whole number from 1 to 4096 \(pixels\), got"):
        load_image(tmp_path / "a.png", size=size)


# --------------------------------------------------------------------------- fingerprint
def test_a_photo_is_known_by_its_pixels_not_its_name(real_data, tmp_path):
    """A copy under another name has the same fingerprint; photos with other pixels have other ones
    (the folder itself holds a few duplicates); one changed pixel gives another."""
    files = image_files(real_data / "photo")[:200]
    images = [load_image(path) for path in files]
    prints = [fingerprint(image) for image in images]
    assert len(set(prints)) == len({image.tobytes() for image in images}) and all(len(p) == 16 for p in prints)
    copy = tmp_path / "renamed.jpg"
    copy.write_bytes(files[3].read_bytes())
    assert fingerprint(load_image(copy)) == prints[3]
    changed = load_image(files[3]).copy()  # load_image hands back a read-only view
    changed[0, 0, 0] ^= 1
    assert fingerprint(changed) != prints[3]
