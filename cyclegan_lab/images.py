"""Image files and pixels: everything the lab does to one picture before or after a network.

    load_image("holiday.jpg")      # any image file, upright, cut to the centre 256x256 square: (256, 256, 3) uint8
    normalize(images)              # uint8 [0, 255] -> float32 [-1, 1], what the networks take
    to_uint8(outputs)              # float [-1, 1] -> uint8 [0, 255], to show or save
    fingerprint(load_image(path))  # a short name for the picture's pixels, to know it again

Every module that reads a picture or turns network outputs back into one
(data, inference, plotting, widgets, scores, callbacks) uses these, so a
photo is read the same way everywhere. The reading itself (upright by its
EXIF orientation, 8-bit RGB whatever its mode, only regular files) is
`open_image`, in `plumbing.image_reading`.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import keras
import numpy as np
from PIL import Image, ImageOps

from .plumbing.checks import check_number
from .plumbing.image_reading import open_image

__all__ = ["load_image", "normalize", "to_uint8", "as_uint8", "image_files", "fingerprint"]


def image_files(folder: str | os.PathLike) -> list[Path]:
    """The files of a folder, sorted, without hidden ones (like .DS_Store)."""
    return sorted(p for p in Path(folder).iterdir() if p.is_file() and not p.name.startswith("."))


def load_image(path, size: int = 256, name: str | None = None) -> np.ndarray:
    """Read one image (a path, or an open binary file) as a (size, size, 3) uint8 array.

    The image is opened by `open_image` (upright, RGB; `plumbing.image_reading`),
    scaled so its shorter side is `size` and cropped to the centre square. A
    256x256 RGB JPEG comes back pixel for pixel. Raises ValueError naming the file (or `name`) if it
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
