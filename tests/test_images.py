"""Tests for cyclegan_lab.images: reading any image file upright as RGB, and the pixel conversions.

Small synthetic images (built with Pillow) check exact behaviour; the real
Monet and photo JPEGs (the `real_data` fixture) check what a learner will actually load.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image

from cyclegan_lab.images import as_uint8, fingerprint, image_files, load_image, normalize, open_image, to_uint8

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


def test_transparent_parts_become_white_and_opaque_parts_keep_their_colour(tmp_path):
    image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    image.paste((255, 0, 0, 255), (0, 32, 64, 64))  # bottom half opaque red
    (tmp_path / "half.png").write_bytes(encode(image, "PNG"))
    out = load_image(tmp_path / "half.png", size=64)
    assert (out[:30] == 255).all()
    assert (out[34:] == RED).all()


def test_dark_16_bit_image_stays_dark(tmp_path):
    Image.fromarray(np.full((30, 40), 200, np.uint16)).save(tmp_path / "dark.png")  # 200/65535: 0.3 % grey
    assert load_image(tmp_path / "dark.png", size=32).max() <= 1


@pytest.mark.parametrize("mode, key", [("L", 0), ("RGB", (0, 0, 0))])
def test_colour_key_transparency_becomes_white(tmp_path, mode, key):
    Image.new(mode, (40, 30), key).save(tmp_path / "keyed.png", transparency=key)
    assert (load_image(tmp_path / "keyed.png", size=32) == 255).all()


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


def test_open_image_keeps_the_size_and_names_a_bad_file(tmp_path):
    Image.new("LA", (40, 30), (50, 255)).save(tmp_path / "grey.png")
    image = open_image(tmp_path / "grey.png")
    assert image.mode == "RGB" and image.size == (40, 30)
    (tmp_path / "notes.jpg").write_bytes(b"not a picture")
    with pytest.raises(ValueError, match="notes.jpg is not a readable image"):
        open_image(tmp_path / "notes.jpg")
    with pytest.raises(ValueError, match="upload.png is not a readable image"):
        load_image(io.BytesIO(b"not a picture"), name="upload.png")


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


def test_a_float_image_full_of_nan_is_named_not_painted_black(tmp_path):
    """A float TIFF of NaN was read as a black photo, with a RuntimeWarning leaking from NumPy."""
    import warnings

    import numpy as np
    from PIL import Image

    from cyclegan_lab.images import load_image

    Image.fromarray(np.full((16, 16), np.nan, np.float32), "F").save(tmp_path / "nan.tif")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning may leak
        with pytest.raises(ValueError, match=r"nan.tif is not a readable image \(its pixel values are not all numbers"):
            load_image(tmp_path / "nan.tif")


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


# --------------------------------------------------------------------------- float and 32-bit images, odd inputs
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


@pytest.mark.parametrize("bad", [None, 3, ["a.png"]])
def test_open_image_of_something_that_is_not_a_file_is_a_clear_type_error(bad):
    with pytest.raises(TypeError, match=f"takes a file name or an open binary file, got {re.escape(repr(bad))}"):
        open_image(bad)
    with pytest.raises(TypeError, match="takes a file name or an open binary file"):
        load_image(bad)


def test_a_fifo_is_refused_without_being_opened(tmp_path):
    """A FIFO waits for a writer forever when opened: it is refused by name before any open."""
    from test_cli import fifo_watch

    with fifo_watch(tmp_path / "pipe.png") as opened:
        with pytest.raises(ValueError, match=r"pipe.png is a named pipe \(FIFO\), not an image file"):
            load_image(tmp_path / "pipe.png")
    assert opened == []


def test_a_huge_image_warns_in_one_clean_line(tmp_path, monkeypatch):
    """Pillow's DecompressionBombWarning (over 89 megapixels) is said as the lab's own warning, naming the file."""
    import warnings

    from cyclegan_lab.images import LargeImageWarning

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 40 * 30 - 1)
    Image.new("RGB", (40, 30), RED).save(tmp_path / "big.png")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert open_image(tmp_path / "big.png").size == (40, 30)  # still read
    assert [w.category for w in caught] == [LargeImageWarning]
    message = str(caught[0].message)
    assert "big.png" in message and "40x30 pixels" in message and "\n" not in message
