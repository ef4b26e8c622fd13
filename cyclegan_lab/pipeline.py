"""The tf.data pipeline: endless, reproducible streams of training batches from the loaded images.

`make_dataset` zips a shuffled stream of Monet paintings with one of photos
and cuts them into batches; `image_stream` is one such stream, each element
a function of (seed, domain, position) alone, so a resumed run sees what an
uninterrupted one would have; `random_jitter` is the CycleGAN paper's
augmentation. `data.py` finds and loads the images these take.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from .config import JITTER_ZOOM, TrainConfig
from .images import normalize

__all__ = ["make_dataset", "image_stream", "random_jitter"]


def random_jitter(image: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """The CycleGAN paper's augmentation, reproducible from `seed` (shape [2]):
    resize 256 -> 286, random crop back to 256, random left-right flip."""
    size = image.shape[0]
    big = int(size * JITTER_ZOOM)
    image = tf.image.resize(image, [big, big], method="nearest")
    crop_seed, flip_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    image = tf.image.stateless_random_crop(image, [size, size, 3], seed=crop_seed)
    return tf.image.stateless_random_flip_left_right(image, seed=flip_seed)


def image_stream(
    images: np.ndarray, *, seed: int, domain: int, start: int = 0, augment: bool = False, crop_size: int | None = None
) -> tf.data.Dataset:
    """An endless stream of float32 images in [-1, 1], each pass in a new shuffled order.

    Element g of the stream is image number shuffle(g mod n) of pass g // n:
    a function of (seed, domain, g) alone, so a resumed run that starts at
    `start` sees exactly what an uninterrupted run would have seen.
    With `crop_size`, each image is a random crop_size x crop_size patch.
    """
    n = len(images)
    table = tf.constant(images)

    def pick(g):
        stream_seed = tf.constant(seed * 2 + domain, tf.int64)  # Monet and photos differ
        index = tf.random.experimental.index_shuffle(g % n, tf.stack([stream_seed, g // n]), n - 1)
        image = normalize(tf.gather(table, index))
        if augment:
            image = random_jitter(image, tf.stack([stream_seed, g]))
        if crop_size:
            image = tf.image.stateless_random_crop(image, [crop_size, crop_size, 3], tf.stack([stream_seed + 7919, g]))
        return image

    return tf.data.Dataset.counter(start, dtype=tf.int64).map(pick, num_parallel_calls=tf.data.AUTOTUNE)


def make_dataset(
    monet: np.ndarray, photo: np.ndarray, config: TrainConfig, start_step: int = 0, replicas: int = 1
) -> tf.data.Dataset:
    """Batches of (real_monet, real_photo), each (batch, size, size, 3) in [-1, 1] (size: config.train_size).

    A batch holds config.batch_size images per domain for each of `replicas`
    devices training together (the global batch; `fit()` shares it out).

    Monet paintings and photos are unpaired: each stream is shuffled on its
    own and the two are zipped. The stream never ends; `steps_per_epoch`
    (default: one pass over the smaller domain, 300 for the lab) says where
    an epoch stops. `start_step` skips what a resumed run has already seen.
    """
    batch = config.batch_size * replicas
    first = start_step * batch
    crop_size = config.train_size if config.train_size < config.image_size else None  # a recipe's crops
    streams = [
        image_stream(images, seed=config.seed, domain=domain, start=first, augment=config.augment, crop_size=crop_size)
        for domain, images in enumerate([monet, photo])
    ]
    dataset = tf.data.Dataset.zip(tuple(streams))
    return dataset.batch(batch, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
