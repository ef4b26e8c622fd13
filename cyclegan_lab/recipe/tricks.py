"""The CycleGAN paper's training tricks, and two for small data sets, each one optional.

- `ImagePool`: discriminators also learn from fakes the generator made a while ago (Zhu et al. 2017).
- `LinearDecay`: the learning rate stays constant, then falls in a straight line to 0 (Zhu et al. 2017).
- `StartAfter`: a learning rate of 0 for the first steps, so fresh discriminators learn before the generators move.
- `DiffAugment`: every image a discriminator sees, real or fake, is shifted, cut out or
  recoloured at random, so 300 paintings are not learned by heart (Zhao et al. 2020).
- `MovingAverage`: a running average of the generator's weights, smoother than the
  weights of any single step, for export (Karras et al. 2018; Yazici et al. 2019).
- `spectral_loss`: the generators also match real images' power at each scale of detail.

`RecipeConfig` switches each on (`pool_size`, `decay_epochs`,
`generator_warmup_steps`, `diffaugment`, `ema_decay`, `spectral_weight`); the lab uses none of them.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import ops

__all__ = [
    "ImagePool",
    "LinearDecay",
    "StartAfter",
    "DiffAugment",
    "MovingAverage",
    "radial_log_power",
    "spectral_loss",
]


class ImagePool(keras.layers.Layer):
    """A pool of up to `size` past fakes, the CycleGAN paper's trick against oscillation.

    Until the pool is full, each new fake is stored and passed on. Then each
    new fake, with probability 1/2, is passed on as it is; otherwise it takes
    the place of a random stored fake, and the stored one is passed on. The
    discriminator thus also learns from what the generator made a while ago.
    The pool and its random numbers are saved in checkpoints.
    """

    def __init__(self, size: int, image_shape, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.size = size
        self.images = self.add_weight(shape=(size, *image_shape), initializer="zeros", trainable=False, name="images")
        self.count = self.add_weight(shape=(), dtype="int32", initializer="zeros", trainable=False, name="count")
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.built = True

    def call(self, fakes):
        fakes = tf.cast(fakes, self.images.dtype)
        answers = []
        for i in range(fakes.shape[0]):  # the batch size is fixed in training
            fake = fakes[i]
            full = self.count >= self.size
            swap = tf.logical_and(full, keras.random.uniform((), seed=self.seed_generator) < 0.5)
            slot = tf.where(full, keras.random.randint((), 0, self.size, seed=self.seed_generator), self.count)
            stored = tf.gather(self.images, slot)
            keep_new = tf.logical_or(tf.logical_not(full), swap)
            self.images.assign(
                tf.tensor_scatter_nd_update(self.images, slot[None, None], tf.where(keep_new, fake, stored)[None])
            )
            self.count.assign(tf.minimum(self.count + 1, self.size))
            answers.append(tf.where(swap, stored, fake))
        return tf.stack(answers)


class LinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """The paper's schedule: `learning_rate` for the first steps, then a straight line down to 0.

    The last `decay_steps` of `total_steps` decay; `decay_steps=0` keeps the rate constant.
    """

    def __init__(self, learning_rate: float, total_steps: int, decay_steps: int):
        self.learning_rate, self.total_steps, self.decay_steps = learning_rate, total_steps, decay_steps

    def __call__(self, step):
        if not self.decay_steps:
            return tf.constant(self.learning_rate, tf.float32)
        start = float(self.total_steps - self.decay_steps)
        progress = tf.clip_by_value((tf.cast(step, tf.float32) - start) / self.decay_steps, 0.0, 1.0)
        return self.learning_rate * (1.0 - progress)

    def get_config(self):
        return {"learning_rate": self.learning_rate, "total_steps": self.total_steps, "decay_steps": self.decay_steps}


class StartAfter(keras.optimizers.schedules.LearningRateSchedule):
    """0 for the first `steps` steps, then `schedule` (a number or a schedule) as it would have been.

    A warm start (`program.export.warm_start`) without shipped discriminators
    pairs trained generators with fresh discriminators, whose first verdicts
    are noise: generators that follow them drift away from what they had
    learnt. Holding the generators still lets the discriminators first learn
    what the fakes look like. Adam's moments still gather the generators'
    gradients meanwhile, so their first real steps are well scaled.
    """

    def __init__(self, schedule, steps: int):
        self.schedule, self.steps = schedule, steps

    def __call__(self, step):
        rate = self.schedule(step) if callable(self.schedule) else tf.constant(self.schedule, tf.float32)
        return tf.where(tf.cast(step, tf.int64) < self.steps, tf.zeros_like(rate), rate)

    def get_config(self):
        return {"schedule": self.schedule, "steps": self.steps}


class DiffAugment(keras.layers.Layer):
    """Random, differentiable changes to a batch of images in [-1, 1], each image drawn on its own.

    `policies` names them, in order (Zhao et al. 2020, "Differentiable
    Augmentation for Data-Efficient GAN Training"):

    - "translation": shift by up to 1/8 of the side, filling with grey (0);
    - "cutout": grey out a square half the side, anywhere;
    - "color": random brightness, saturation and contrast.

    The generator's loss sees its fakes through the same changes, and since
    they are differentiable, its gradients flow back through them. Because the
    discriminator never sees an unchanged painting, it cannot memorise the
    few it has; because the generator is judged through the same changes, it
    is not rewarded for shifting or greying its own images.
    """

    def __init__(self, policies, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.policies = tuple(policies)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.built = True

    def call(self, images):
        for policy in self.policies:
            images = getattr(self, policy)(images)
        return images

    def _uniform(self, shape, low=0.0, high=1.0):
        return keras.random.uniform(shape, low, high, seed=self.seed_generator)

    def translation(self, images, ratio: float = 0.125):
        batch, height, width = tf.shape(images)[0], images.shape[1], images.shape[2]
        padded = tf.pad(images, [[0, 0], [1, 1], [1, 1], [0, 0]])  # a grey border to shift in
        rows = self._shifted(batch, height, ratio)
        columns = self._shifted(batch, width, ratio)
        images = tf.gather(padded, rows, axis=1, batch_dims=1)  # (b, height, width + 2, c)
        return tf.gather(images, columns, axis=2, batch_dims=1)  # (b, height, width, c)

    def _shifted(self, batch, side: int, ratio: float):
        """Per image, the padded indices of a side shifted by a whole number in [-shift, shift]."""
        shift = int(side * ratio + 0.5)
        offsets = tf.cast(tf.floor(self._uniform((batch, 1), -shift, shift + 1)), tf.int32)
        return tf.clip_by_value(tf.range(side)[None] + offsets + 1, 0, side + 1)

    def cutout(self, images, ratio: float = 0.5):
        batch, height, width = tf.shape(images)[0], images.shape[1], images.shape[2]
        masks = []
        for side in (height, width):
            size = int(side * ratio + 0.5)
            start = tf.floor(self._uniform((batch, 1), 0, side + 1 - size % 2)) - size // 2
            index = tf.range(side, dtype=start.dtype)[None]
            masks.append((index >= start) & (index < start + size))  # (b, side)
        hole = masks[0][:, :, None] & masks[1][:, None, :]  # (b, height, width)
        return images * tf.cast(~hole, images.dtype)[..., None]

    def color(self, images):
        batch = tf.shape(images)[0]
        images = images + (self._uniform((batch, 1, 1, 1)) - 0.5)  # brightness
        mean = tf.reduce_mean(images, axis=3, keepdims=True)
        images = (images - mean) * (self._uniform((batch, 1, 1, 1)) * 2) + mean  # saturation
        mean = tf.reduce_mean(images, axis=[1, 2, 3], keepdims=True)
        return (images - mean) * (self._uniform((batch, 1, 1, 1)) + 0.5) + mean  # contrast


class MovingAverage(keras.layers.Layer):
    """An exponential moving average of a network's trainable weights.

    After every step, `update()` moves each average towards the weight:
    average = d x average + (1 - d) x weight. With d = `decay` = 0.999 it
    averages roughly the last 1,000 steps, which smooths out the back and
    forth of adversarial training; the averaged generator is the one to
    export (`copy_to`). So that the average does not cling to the random
    starting weights, d grows to `decay` as (1 + n) / (10 + n) after n
    updates (as `tf.train.ExponentialMovingAverage` does with
    `num_updates`). The averages and n are saved in checkpoints.
    """

    def __init__(self, network: keras.Model, decay: float, **kwargs):
        super().__init__(**kwargs)
        self.decay = decay
        self._weights_of = lambda: network.trainable_weights  # a function, so Keras does not track the network
        self.averages = [
            self.add_weight(shape=w.shape, initializer="zeros", trainable=False, name=f"average_{i}")
            for i, w in enumerate(network.trainable_weights)
        ]
        self.updates = self.add_weight(shape=(), dtype="float32", initializer="zeros", trainable=False, name="updates")
        for average, weight in zip(self.averages, network.trainable_weights):
            average.assign(weight)
        self.built = True

    def update(self) -> None:
        d = keras.ops.minimum(self.decay, (1.0 + self.updates) / (10.0 + self.updates))
        for average, weight in zip(self.averages, self._weights_of()):
            average.assign(d * average + (1.0 - d) * weight)
        self.updates.assign_add(1.0)

    def copy_to(self, network: keras.Model) -> keras.Model:
        """Put the averages into `network` (a generator of the same shape); returns it."""
        for average, weight in zip(self.averages, network.trainable_weights):
            weight.assign(average)
        return network


def radial_log_power(images, rings: int = 16):
    """log10 of the mean power of the images' grey levels in `rings` rings of spatial frequency,
    from 0 to 0.71 cycles per pixel (the corners of the spectrum included), over the whole batch: (rings,).

    The last rings hold the finest detail: grain, crisp edges, the edges of brush
    strokes. A blurred picture's curve falls steeply there; a painting's does
    not. Computed in float32 whatever the images' dtype; differentiable.
    """
    x = ops.mean(ops.cast(images, "float32"), axis=-1)
    x = x - ops.mean(x, axis=[1, 2], keepdims=True)
    h, w = x.shape[1], x.shape[2]
    real, imaginary = ops.fft2((x, ops.zeros_like(x)))
    power = ops.mean(real**2 + imaginary**2, axis=0) / (h * w)
    frequency = np.hypot(np.fft.fftfreq(h)[:, None], np.fft.fftfreq(w)[None, :])  # cycles per pixel
    ring = np.minimum((frequency / 0.7072 * rings).astype("int32"), rings - 1).reshape(-1)  # fixed by the size
    total = ops.segment_sum(ops.reshape(power, [-1]), ops.convert_to_tensor(ring), num_segments=rings)
    mean = total / np.maximum(np.bincount(ring, minlength=rings), 1).astype("float32")
    return ops.log(mean + 1e-10) / np.log(10.0)


def spectral_loss(real, fake, weight: float):
    """weight x mean over rings of |log10 power(fake) - log10 power(real)| (`radial_log_power`).

    Asks a generator's images to hold as much power at each scale of detail as
    real images of their domain do (Durall et al. 2020 regularise a GAN's
    spectrum the same way). Up-sampling layers make the finest octave hard to
    draw, and a discriminator may never notice it is missing; this notices. The
    difference is in orders of magnitude: a fake with a tenth of the paintings'
    finest detail costs 1 in that ring, whatever the images' contrast.
    """
    return weight * ops.mean(ops.abs(radial_log_power(fake) - radial_log_power(real)))
