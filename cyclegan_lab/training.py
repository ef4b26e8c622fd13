"""Train the lab's CycleGAN with Keras' `fit()`.

`CycleGAN` holds the four networks and teaches Keras one training step;
`train()` wires data, checkpoints, resume and loss history around `fit()`.
"""

from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from . import checkpoints, losses
from .config import TrainConfig
from .data import LabData, make_dataset, normalize, steps_per_epoch
from .models import build_discriminator, build_generator

LOSS_NAMES = ["monet_gen_loss", "photo_gen_loss", "monet_disc_loss", "photo_disc_loss"]


class CycleGAN(keras.Model):
    """Two generators and two discriminators trained together.

    `monet_generator` (the paper's G) turns photos into Monets,
    `photo_generator` (F) turns Monets into photos, and `monet_discriminator`
    (D_Y) and `photo_discriminator` (D_X) tell real from generated images of
    their domain. Calling the model stylises photos: `cyclegan(photos)`.
    """

    def __init__(self, monet_generator, photo_generator, monet_discriminator, photo_discriminator,
                 lambda_cycle: float = losses.LAMBDA, identity_weight: float = 0.5, **kwargs):
        super().__init__(**kwargs)
        self.monet_generator = monet_generator
        self.photo_generator = photo_generator
        self.monet_discriminator = monet_discriminator
        self.photo_discriminator = photo_discriminator
        self.lambda_cycle = lambda_cycle
        self.identity_weight = identity_weight

    def compile(self, monet_generator_optimizer, photo_generator_optimizer,
                monet_discriminator_optimizer, photo_discriminator_optimizer, **kwargs):
        """Give each of the four networks its own optimiser."""
        super().compile(**kwargs)
        self.monet_generator_optimizer = monet_generator_optimizer
        self.photo_generator_optimizer = photo_generator_optimizer
        self.monet_discriminator_optimizer = monet_discriminator_optimizer
        self.photo_discriminator_optimizer = photo_discriminator_optimizer

    def call(self, photos, training=False):
        return self.monet_generator(photos, training=training)

    def train_step(self, batch):
        """One step on a batch (real_monet, real_photo), each (b, 256, 256, 3) in [-1, 1].

        1. Translate: photo -> fake Monet -> cycled photo, and Monet -> fake photo -> cycled Monet.
        2. Identity: each generator applied to its own domain (same_monet, same_photo).
        3. Judge: each discriminator scores a real and a generated image.
        4. Losses: adversarial + cycle (both directions) + identity for each generator;
           halved real/fake BCE for each discriminator.
        5. Update: one gradient step for each of the four networks, each with its own Adam.
        """
        real_monet, real_photo = batch
        with tf.GradientTape(persistent=True) as tape:
            fake_monet = self.monet_generator(real_photo, training=True)
            cycled_photo = self.photo_generator(fake_monet, training=True)
            fake_photo = self.photo_generator(real_monet, training=True)
            cycled_monet = self.monet_generator(fake_photo, training=True)

            same_monet = self.monet_generator(real_monet, training=True)
            same_photo = self.photo_generator(real_photo, training=True)

            disc_real_monet = self.monet_discriminator(real_monet, training=True)
            disc_fake_monet = self.monet_discriminator(fake_monet, training=True)
            disc_real_photo = self.photo_discriminator(real_photo, training=True)
            disc_fake_photo = self.photo_discriminator(fake_photo, training=True)

            total_cycle_loss = (losses.cycle_loss(real_monet, cycled_monet, self.lambda_cycle)
                                + losses.cycle_loss(real_photo, cycled_photo, self.lambda_cycle))
            monet_gen_loss = (losses.generator_loss(disc_fake_monet) + total_cycle_loss
                              + losses.identity_loss(real_monet, same_monet, self.lambda_cycle, self.identity_weight))
            photo_gen_loss = (losses.generator_loss(disc_fake_photo) + total_cycle_loss
                              + losses.identity_loss(real_photo, same_photo, self.lambda_cycle, self.identity_weight))
            monet_disc_loss = losses.discriminator_loss(disc_real_monet, disc_fake_monet)
            photo_disc_loss = losses.discriminator_loss(disc_real_photo, disc_fake_photo)

        for loss, network, optimizer in [
            (monet_gen_loss, self.monet_generator, self.monet_generator_optimizer),
            (photo_gen_loss, self.photo_generator, self.photo_generator_optimizer),
            (monet_disc_loss, self.monet_discriminator, self.monet_discriminator_optimizer),
            (photo_disc_loss, self.photo_discriminator, self.photo_discriminator_optimizer),
        ]:
            gradients = tape.gradient(loss, network.trainable_variables)
            optimizer.apply_gradients(zip(gradients, network.trainable_variables))
        del tape
        return dict(zip(LOSS_NAMES, [monet_gen_loss, photo_gen_loss, monet_disc_loss, photo_disc_loss]))


def build_cyclegan(config: TrainConfig | None = None) -> CycleGAN:
    """Four fresh networks, seeded by config.seed, compiled with four Adam optimisers."""
    config = config or TrainConfig()
    keras.utils.set_random_seed(config.seed)
    size, filters = config.image_size, config.generator_filters
    cyclegan = CycleGAN(
        build_generator("monet_generator", size, filters),
        build_generator("photo_generator", size, filters),
        build_discriminator("monet_discriminator", size),
        build_discriminator("photo_discriminator", size),
        lambda_cycle=config.lambda_cycle,
        identity_weight=config.identity_weight,
    )
    cyclegan.compile(*[keras.optimizers.Adam(config.learning_rate, beta_1=config.beta_1) for _ in range(4)])
    return cyclegan


class LossHistory(keras.callbacks.Callback):
    """Every step's four losses (`steps`) and their mean over each epoch (`epochs`).

    At each epoch's end it also puts the epoch means into Keras' logs, so the
    `History` object that `fit()` returns holds means too, not the last step.
    """

    def __init__(self, steps: dict | None = None, epochs: dict | None = None, epoch_start: int | None = None):
        super().__init__()
        self.steps = {name: list((steps or {}).get(name, [])) for name in LOSS_NAMES}
        self.epochs = {name: list((epochs or {}).get(name, [])) for name in LOSS_NAMES}
        self._resumed_start = epoch_start  # where the next epoch began, when resuming mid-epoch
        self._epoch_start = 0

    def on_epoch_begin(self, epoch, logs=None):
        recorded = len(self.steps[LOSS_NAMES[0]])
        self._epoch_start = recorded if self._resumed_start is None else self._resumed_start
        self._resumed_start = None

    def on_train_batch_end(self, batch, logs=None):
        for name in LOSS_NAMES:
            self.steps[name].append(float(logs[name]))

    def on_epoch_end(self, epoch, logs=None):
        for name in LOSS_NAMES:
            mean = float(np.mean(self.steps[name][self._epoch_start:]))
            self.epochs[name].append(mean)
            if logs is not None:
                logs[name] = mean

    def to_dict(self) -> dict:
        return {"steps": self.steps, "epochs": self.epochs}


class SamplePreview(keras.callbacks.Callback):
    """Every `every` steps, show what the Monet generator makes of a few fixed photos.

    `photos` is a (n, h, w, 3) uint8 array. `show` receives each figure; by
    default the figure appears in the notebook and is replaced in place at
    each update, so the preview stays one live picture (outside a notebook,
    nothing is shown).
    """

    def __init__(self, photos: np.ndarray, every: int = 50, show=None):
        super().__init__()
        self.photos = normalize(photos)
        self.every = every
        self.show = show or LiveFigure()
        self.seen = 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen % self.every == 0:
            self.show(self.figure())

    def figure(self):
        from .plotting import show_images

        fakes = self.model.monet_generator(self.photos, training=False)
        step = int(keras.ops.convert_to_numpy(self.model.monet_generator_optimizer.iterations))
        n = len(self.photos)
        titles = [f"photo {i + 1}" for i in range(n)] + [f"Monet {i + 1}, step {step}" for i in range(n)]
        return show_images(list(self.photos) + list(keras.ops.convert_to_numpy(fakes)), titles, ncols=n)


class LiveFigure:
    """Show a matplotlib figure in the notebook, then replace it in place with each new one."""

    def __init__(self):
        self.handle = None

    def __call__(self, figure) -> None:
        import matplotlib.pyplot as plt

        try:
            from IPython import get_ipython
            from IPython.display import display
        except ImportError:
            get_ipython = None
        if get_ipython is not None and get_ipython() is not None:
            if self.handle is None:
                self.handle = display(figure, display_id=True)
            else:
                self.handle.update(figure)
        plt.close(figure)


def train(config: TrainConfig, data: LabData, checkpoint_dir: str | os.PathLike | None = None,
          callbacks=(), verbose: int | str = "auto") -> tuple[CycleGAN, LossHistory]:
    """Train a CycleGAN on `data` for config.epochs epochs and return it with its loss history.

    With a `checkpoint_dir`, a checkpoint is written at every epoch's end
    (and every config.checkpoint_every steps), and a run that finds one there
    resumes from the newest: same weights, optimiser state, data order and
    random numbers as if it had never stopped.
    """
    cyclegan = build_cyclegan(config)
    per_epoch = steps_per_epoch(data, config)
    history = LossHistory()
    step = 0
    latest = checkpoints.latest_checkpoint(checkpoint_dir) if checkpoint_dir else None
    if latest is not None:
        state = checkpoints.restore_checkpoint(cyclegan, latest)
        step = state["step"]
        history = LossHistory(**state.get("history", {}), epoch_start=step - step % per_epoch)
        print(f"Resuming from {latest} (step {step}).")

    own = [history]  # ours run first, so a checkpoint is safe before any user callback runs
    if checkpoint_dir is not None:
        state = lambda: {"history": history.to_dict(), "config": config.to_dict()}  # noqa: E731
        own.append(checkpoints.Checkpointer(checkpoint_dir, state, config.checkpoint_every, config.keep_checkpoints))
    callbacks = own + list(callbacks)

    total = config.epochs * per_epoch
    if step >= total:
        print(f"Training already finished: {step} of {total} steps done.")
        return cyclegan, history
    epoch, done = divmod(step, per_epoch)
    if done:  # finish the interrupted epoch first
        cyclegan.fit(make_dataset(data.monet, data.photo, config, step), epochs=epoch + 1, initial_epoch=epoch,
                     steps_per_epoch=per_epoch - done, callbacks=callbacks, verbose=verbose, shuffle=False)
        epoch, step = epoch + 1, (epoch + 1) * per_epoch
    if epoch < config.epochs:
        cyclegan.fit(make_dataset(data.monet, data.photo, config, step), epochs=config.epochs, initial_epoch=epoch,
                     steps_per_epoch=per_epoch, callbacks=callbacks, verbose=verbose, shuffle=False)
    return cyclegan, history
