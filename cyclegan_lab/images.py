"""Image files and pixels: everything the lab does to one picture before or after a network.

    open_image("holiday.jpg")      # any image file, upright, as an RGB Pillow image
    load_image("holiday.jpg")      # ... cut to the centre 256x256 square: (256, 256, 3) uint8
    normalize(images)              # uint8 [0, 255] -> float32 [-1, 1], what the networks take
    to_uint8(outputs)              # float [-1, 1] -> uint8 [0, 255], to show or save
    fingerprint(load_image(path))  # a short name for the picture's pixels, to know it again

Every module that reads a picture or turns network outputs back into one
(data, inference, plotting, widgets, scores, callbacks) uses these, so a
photo is read the same way everywhere: turned upright by its EXIF
orientation, and converted to 8-bit RGB whatever its mode (grayscale,
palette, CMYK, 16-bit, 32-bit and float; transparent parts laid over white).
Only regular files are opened: a FIFO, a device or a socket is refused by
name before it is opened (opening a FIFO waits for a writer forever).
"""

from __future__ import annotations

import hashlib
import os
import stat
import warnings
from pathlib import Path

import keras
import numpy as np
from PIL import Image, ImageOps

from .plumbing.checks import check_number

# What a file that is not a readable image raises while Pillow opens and decodes it (the warning, where
# a filter makes Pillow's DecompressionBombWarning an error).
UNREADABLE = (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning)


class LargeImageWarning(UserWarning):
    """An image is so large (over Pillow's limit, about 89 megapixels) that reading it takes much memory.

    It is read anyway; this replaces Pillow's DecompressionBombWarning, which names no file.
    """


def special_file(path: str | os.PathLike) -> str | None:
    """What `path` is when it is not a regular file ("a folder", "a named pipe (FIFO)", "a device",
    "a socket"), or None for a regular file. Looks without opening it; raises OSError when it cannot
    be looked at (missing, or in a folder it may not enter)."""
    mode = os.stat(path).st_mode
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a socket" if stat.S_ISSOCK(mode) else "not a regular file"


def image_files(folder: str | os.PathLike) -> list[Path]:
    """The files of a folder, sorted, without hidden ones (like .DS_Store)."""
    return sorted(p for p in Path(folder).iterdir() if p.is_file() and not p.name.startswith("."))


def to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow image as 8-bit RGB: grayscale, palette, CMYK, 16-bit, 32-bit, float, or with
    transparency (laid over white, so see-through parts don't turn black).

    16-bit values are read against 65535. 32-bit ("I") and float ("F") images say nothing of their
    range, so it is read from their values: 0 to 1 for floats (the usual float range), else 0 to
    255, else 0 to 65535, the smallest that holds them all. Values outside 0 to 65535, or not
    numbers at all, belong to no picture: ValueError saying so.
    """
    if image.mode.startswith("I;16"):  # 16-bit grayscale
        values = np.asarray(image, dtype=np.float64) / 65535.0
        image = Image.fromarray(np.round(values * 255).astype(np.uint8), "L")
    elif image.mode in ("I", "F"):  # 32-bit or float grayscale: its range, from its values
        values = np.asarray(image, dtype=np.float64)
        if not np.isfinite(values).all():
            raise ValueError("its pixel values are not all numbers (NaN or infinity)")
        low, high = float(values.min()), float(values.max())
        if low < 0 or high > 65535:
            raise ValueError(
                f"its pixel values run from {low:g} to {high:g}; a picture's lie from 0 to 1, 255 or 65,535"
            )
        tops = (1.0, 255.0, 65535.0) if image.mode == "F" else (255.0, 65535.0)
        top = next(top for top in tops if high <= top)
        image = Image.fromarray(np.round(values / top * 255).astype(np.uint8), "L")
    if "transparency" in image.info:  # a palette entry or colour key marked see-through
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image)
    return image.convert("RGB")


def open_image(path, name: str | None = None) -> Image.Image:
    """Read one image file (a path, or an open binary file) as an upright RGB Pillow image.

    The image is turned upright (EXIF orientation) and converted by `to_rgb`;
    it keeps its own size. Raises ValueError naming the file (or `name`) if it
    is not a readable image, or not a regular file (a FIFO, a device: never
    opened), and TypeError if `path` is neither a file name nor a file. An
    image over Pillow's size limit is read with one `LargeImageWarning`.
    """
    is_name = isinstance(path, (str, os.PathLike))
    if not is_name and not callable(getattr(path, "read", None)):
        raise TypeError(f"open_image takes a file name or an open binary file, got {path!r}")
    try:
        kind = special_file(path) if is_name else None
    except OSError as error:  # missing, or not ours to look at
        raise ValueError(f"{name or path} is not a readable image ({error})") from error
    if kind:
        raise ValueError(f"{name or path} is {kind}, not an image file")
    try:
        with warnings.catch_warnings(record=True) as caught:  # the filters still apply: "error", "ignore"
            opened = Image.open(path)
        with opened:
            for warning in caught:
                if issubclass(warning.category, Image.DecompressionBombWarning):
                    width, height = opened.size
                    warnings.warn(
                        f"{name or path} is {width}x{height} pixels ({width * height / 1e6:.0f} megapixels): "
                        "reading it takes much memory and time",
                        LargeImageWarning,
                        stacklevel=2,
                    )
                else:  # not ours to change
                    warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
            return to_rgb(ImageOps.exif_transpose(opened))  # a decoded copy: the file can close
    except UNREADABLE as error:
        raise ValueError(f"{name or path} is not a readable image ({error})") from error


def load_image(path, size: int = 256, name: str | None = None) -> np.ndarray:
    """Read one image (a path, or an open binary file) as a (size, size, 3) uint8 array.

    The image is opened by `open_image` (upright, RGB), scaled so its shorter
    side is `size` and cropped to the centre square. A 256x256 RGB JPEG comes
    back pixel for pixel. Raises ValueError naming the file (or `name`) if it
    is not a readable image.
    """
    size = check_number("size", size, 1, 4096, " (pixels)")
    image = ImageOps.fit(open_image(path, name), (size, size), method=Image.Resampling.BICUBIC)
    return np.asarray(image, dtype=np.uint8)


def fingerprint(image: np.ndarray) -> str:
    """16 hex digits that name an image's pixels (uint8, as `load_image` gives them): the same
    picture under another file name has the same fingerprint, a different one another.

    A trained model's description lists the fingerprints of the photos it trained on, so any
    folder's photos can be sorted into seen and unseen by content, not by name or position.
    """
    image = np.ascontiguousarray(image, dtype=np.uint8)
    return hashlib.sha256(repr(image.shape).encode() + image.tobytes()).hexdigest()[:16]


def normalize(images):
    """uint8 [0, 255] -> float32 [-1, 1], the range of the generator's tanh.

    Takes an array or tensor of any shape; returns a tensor of Keras' backend
    (with TensorFlow, a tf.Tensor: use `.numpy()` for an array), so it also
    works inside a `tf.data` pipeline.
    """
    return keras.ops.cast(images, "float32") / 127.5 - 1.0


def to_uint8(images) -> np.ndarray:
    """float [-1, 1] -> uint8 [0, 255], for showing or saving. NaN or infinity is an error, not black."""
    images = np.asarray(images, dtype=np.float32)
    if not np.isfinite(images).all():
        raise ValueError(
            "These images hold values that are not finite (NaN or infinity), so they cannot be shown or saved: "
            "the network that made them has broken weights, most likely from a training run that diverged. "
            "Use another checkpoint or model."
        )
    return np.clip(np.round((images + 1.0) * 127.5), 0, 255).astype(np.uint8)


def as_uint8(image) -> np.ndarray:
    """An image for display: uint8 stays, floats in [-1, 1] are mapped to [0, 255]
    (`to_uint8`); a batch of one, (1, h, w, 3), becomes (h, w, 3)."""
    image = np.asarray(image)
    if image.ndim == 4 and image.shape[0] == 1:
        image = image[0]
    if image.dtype == np.uint8:
        return image
    return to_uint8(image)
