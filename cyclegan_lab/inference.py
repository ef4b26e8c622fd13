"""Use a trained generator: turn photos of any size into Monet paintings.

A generator halves the image with stride-2 convolutions and doubles it back:
the lab's U-Net 8 times, the paper's ResNet twice. That only lines up when
the height and width divide by 2 that many times, so each image is padded by
reflection (its own border mirrored, unlike a black frame) up to the next
multiple, run through the network, and cropped back (`plumbing.tiles`).

    from cyclegan_lab import load_generator, stylize

    model = load_generator("monet")  # or "original-50-epochs", or a checkpoint file or folder
    paintings = stylize(photos, model)  # uint8 in, uint8 out, same shapes

To paint an image file, or whole folders of them as `cyclegan-lab stylize`
does, see `program.paint_files` (`stylize_file`, `stylize_files`).
"""

from __future__ import annotations

import os
from collections import defaultdict

import keras
import numpy as np
from PIL import Image

from .images import normalize, to_uint8
from .models import ReflectionPadding
from .plumbing.checks import check_number
from .plumbing.tiles import (
    all_layers,
    check_painted_size,
    check_pixels,
    check_size,
    network_grid,
    resize_shorter,
    shorter_side_to,
    through_grid,
)

__all__ = ["stylize", "as_model"]

MAX_BATCH = 1024


def as_model(model) -> keras.Model:
    """`model`, checked to be a generator (anything with `predict_on_batch`, as a Keras model has).

    A name, a path or None is one ValueError saying how to load a generator
    first: `stylize` paints with a model, it does not fetch one.
    """
    if callable(getattr(model, "predict_on_batch", None)):
        return model
    if model is None or isinstance(model, (str, os.PathLike)):
        raise ValueError(
            f"model must be a loaded generator, got {'None' if model is None else repr(str(model))}: load one first, "
            'e.g. model = load_pretrained("monet") (the shipped one) or model = load_generator(path) (a training '
            "run's checkpoint file or folder), both from cyclegan_lab"
        )
    raise ValueError(f"model must be a Keras generator (with predict_on_batch), got {type(model).__name__}")


def stylize(images, model: keras.Model, size: int | None = 256, batch_size: int = 8):
    """Monet versions of uint8 RGB images, each the same shape as its photo.

    `images` is one (h, w, 3) array, an (n, h, w, 3) array, or a list of
    (h, w, 3) arrays of different sizes; you get back the same kind.
    `model` is a loaded generator: ``load_pretrained("monet")`` for the
    shipped one, ``load_generator(path)`` for a training run's (see `as_model`).

    `size` is the scale the network works at: each image is resized so its
    shorter side is `size` (the generators learnt brush strokes on 256x256
    images), stylised, and resized back. ``size=None`` works at each image's
    own size: sharper for big photos, but memory and time grow with the
    pixel count. `size` is checked (MIN_SIZE to MAX_SIZE, and what the model
    paints of it, `check_painted_size`). Images of the same shape go through
    the network `batch_size` at a time.

    A generator trained with the paper's jitter saw every scene enlarged
    256 -> 286 (its `training_zoom`, see `TrainConfig.training_zoom`), so it
    paints at that zoom too: a 256 photo goes through the network at 286 and
    comes back at 256. Its brush strokes then have the size it learnt them
    at; painted at 256 they come out coarser, and the shipped generator's
    paintings further from Monet's (pretrained/MODEL_CARD.md measures both).
    Set ``model.training_zoom = 1.0`` to paint at `size` itself.
    """
    items, kind = _as_list(images)
    size = None if size is None else check_size(size)
    batch_size = check_number("batch_size", batch_size, 1, MAX_BATCH)
    model = as_model(model)
    size = None if size is None else check_painted_size(size, model)  # once, for all images
    zoom = getattr(model, "training_zoom", 1.0)
    sides = [round((size or min(image.shape[:2])) * zoom) for image in items]  # each one's shorter side at work
    for i, (image, side) in enumerate(zip(items, sides)):
        height, width = shorter_side_to(image.shape[0], image.shape[1], side)
        check_pixels(width, height, f"image {i}", "crop it, or pass a smaller size")
    work = [resize_shorter(image, side) for image, side in zip(items, sides)]
    multiple, fixed = network_grid(model)
    mirrors = any(isinstance(layer, ReflectionPadding) for layer in all_layers(model))
    smallest = 2 * multiple if mirrors and not fixed else multiple  # the deepest map must keep 2 pixels to mirror
    painted_work = through_grid(work, lambda pieces: _run(model, pieces, batch_size), multiple, fixed, smallest)
    results = []
    for painted, original in zip(painted_work, items):
        if painted.shape != original.shape:  # worked at another scale: back to the photo's size
            painted = np.asarray(Image.fromarray(painted).resize(original.shape[1::-1], Image.Resampling.BICUBIC))
        results.append(painted)
    return results[0] if kind == "one" else np.stack(results) if kind == "array" else results


def _as_list(images) -> tuple[list[np.ndarray], str]:
    """The images as a list of (h, w, 3) uint8 arrays, and what kind of input they came as."""
    if isinstance(images, np.ndarray) and images.ndim in (3, 4):
        kind, items = ("one", [images]) if images.ndim == 3 else ("array", list(images))
    elif isinstance(images, (list, tuple)):
        kind, items = "list", [np.asarray(image) for image in images]
    else:
        raise ValueError(
            f"images must be an (h, w, 3) or (n, h, w, 3) uint8 array or a list of (h, w, 3) arrays, "
            f"got {type(images).__name__} {getattr(images, 'shape', '')}"
        )
    if not items:
        raise ValueError("stylize got no images (an empty list or batch); pass at least one image")
    for i, image in enumerate(items):
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3 or 0 in image.shape:
            raise ValueError(
                f"image {i} is {image.dtype} {image.shape}; expected uint8 RGB (h, w, 3) "
                "(convert others with plumbing.image_reading.to_rgb, or images.to_uint8 for [-1, 1] floats)"
            )
    return items, kind


def _run(model: keras.Model, pieces: list[np.ndarray], batch_size: int) -> list[np.ndarray]:
    """The network's uint8 output for each piece, in order; pieces of one shape share batches.

    `predict_on_batch` runs a compiled (tf.function) call, traced once per
    new shape, not the slow layer-by-layer eager call.
    """
    by_shape = defaultdict(list)
    for index, piece in enumerate(pieces):
        by_shape[piece.shape].append(index)
    outputs: list[np.ndarray | None] = [None] * len(pieces)
    for indices in by_shape.values():
        for start in range(0, len(indices), max(1, batch_size)):
            chunk = indices[start : start + max(1, batch_size)]
            batch = normalize(np.stack([pieces[i] for i in chunk]))
            painted = to_uint8(model.predict_on_batch(batch))  # refuses NaN: no black paintings
            for i, image in zip(chunk, painted):
                outputs[i] = image
    return outputs
