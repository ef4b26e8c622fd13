"""Reading any image file safely, as an upright 8-bit RGB Pillow image (`open_image`).

The photo is turned upright by its EXIF orientation and converted to 8-bit
RGB whatever its Pillow mode (grayscale, palette, CMYK, 16-bit, 32-bit and
float; transparent parts laid over white: `to_rgb`). Only regular files are
opened: a FIFO, a device or a socket is refused by name before it is opened
(opening a FIFO waits for a writer forever; `special_file`). An image over
Pillow's size limit is read with one `LargeImageWarning` naming the file.
`images.load_image` and the painting of files read every picture through it.
"""

from __future__ import annotations

import os
import stat
import warnings

import numpy as np
from PIL import Image, ImageOps

__all__ = ["UNREADABLE", "LargeImageWarning", "special_file", "to_rgb", "open_image"]

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
