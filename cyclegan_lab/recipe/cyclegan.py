"""`RecipeCycleGAN`: the lab's `CycleGAN` with the tricks the shipped generator was trained with.

It is built from a `RecipeConfig` (`training.build_cyclegan` builds one for
any `RecipeConfig`) and changes the lab's step only where a setting asks:

- `cycle_blur` / `cycle_noise`: each generator sees the other's fakes through a
  fixed [1, 2, 1] blur, plus Gaussian noise, on the way back (`cycle_view`);
- `diffaugment`: every image a discriminator sees is augmented (`tricks.DiffAugment`);
- `pool_size`: the discriminators learn from a pool of past fakes (`tricks.ImagePool`);
- `photo_negatives`: the Monet discriminator also learns that real photos are not Monets;
- `label_smoothing`: the discriminators aim at 1 - s and s instead of 1 and 0;
- `spectral_weight`: each generator's loss adds `tricks.spectral_loss`;
- `ema_decay`: a moving average of the Monet generator's weights (`tricks.MovingAverage`);
- `decay_epochs`, `generator_warmup_steps`: the learning rates' schedules;
- the networks of `networks.py` (the ResNet's options, projected discriminators).
"""

from __future__ import annotations

import keras
import tensorflow as tf

from .. import losses
from ..cyclegan import CycleGAN, batched
from . import networks
from .layers import BinomialBlur
from .tricks import DiffAugment, ImagePool, LinearDecay, MovingAverage, StartAfter, spectral_loss

__all__ = ["RecipeCycleGAN"]


class RecipeCycleGAN(CycleGAN):
    """The lab's CycleGAN with the recipe's tricks (see the module docstring); with none, the lab's step."""

    def __init__(self, monet_generator, photo_generator, monet_discriminator, photo_discriminator, config, **kwargs):
        super().__init__(monet_generator, photo_generator, monet_discriminator, photo_discriminator, config, **kwargs)
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        if config.pool_size and replicas > 1:
            raise ValueError(
                f"pool_size needs a single replica: the image pool updates its stored fakes inside the "
                f"step, which {replicas} replicas cannot share. Use pool_size=0, or train on one device."
            )
        self.label_smoothing = config.label_smoothing
        self.photo_negatives = config.photo_negatives
        self.spectral_weight = config.spectral_weight
        self.cycle_blur = BinomialBlur(dtype="float32", name="cycle_blur") if config.cycle_blur else None
        noise = config.cycle_noise
        self.cycle_noise = keras.layers.GaussianNoise(noise, dtype="float32", name="cycle_noise") if noise else None
        shape = monet_generator.input_shape[1:]
        pool = config.pool_size
        self.monet_pool = ImagePool(pool, shape, name="monet_pool") if pool else None
        self.photo_pool = ImagePool(pool, shape, name="photo_pool") if pool else None
        policies = config.diffaugment_policies
        self.augment = DiffAugment(policies, name="diffaugment") if policies else None
        ema = config.ema_decay
        self.monet_average = MovingAverage(monet_generator, ema, name="monet_average") if ema else None
        self.step_photos = None  # this step's real photos: `judge` shows them to the Monet discriminator

    @classmethod
    def networks_for(cls, config) -> list[keras.Model]:
        return [
            networks.generator_for(config, "monet_generator"),
            networks.generator_for(config, "photo_generator"),
            networks.discriminator_for(config, "monet_discriminator"),
            networks.discriminator_for(config, "photo_discriminator"),
        ]

    @classmethod
    def learning_rates(cls, config, steps_per_epoch: int) -> list:
        """The lab's constant rate, falling linearly to 0 over the last `decay_epochs`; the generators'
        held at 0 for the first `generator_warmup_steps`."""
        schedule = config.learning_rate  # a plain number without decay: the lab's checkpoints stay compatible
        if config.decay_epochs:
            total, decay = config.epochs * steps_per_epoch, config.decay_epochs * steps_per_epoch
            schedule = LinearDecay(config.learning_rate, total, decay)
        generators = StartAfter(schedule, config.generator_warmup_steps) if config.generator_warmup_steps else schedule
        return [generators, generators, schedule, schedule]

    def recipe_parts(self) -> list:
        """The layers with state besides networks and optimisers (image pools, augmentation, noise, average)."""
        parts = [self.monet_pool, self.photo_pool, self.augment, self.cycle_noise, self.monet_average]
        return [part for part in parts if part is not None]

    def cycle_view(self, fake):
        """What the other generator gets of a fake on the way back: the fake, through a fixed
        [1, 2, 1] blur with `cycle_blur`, plus fresh Gaussian noise with `cycle_noise`.

        A CycleGAN can pass its cycle test by hiding the photo in a faint
        pattern of its painting, invisible to the eye, which the other
        generator learns to read (Chu et al. 2017). The blur answers period-2
        patterns with exactly zero; the noise drowns any pattern fainter than
        itself, at every period, so only what the painting shows plainly can
        bring the photo back. The painting the discriminator judges, and the
        one shipped, are neither blurred nor noisy.
        """
        if self.cycle_blur is not None:
            fake = self.cycle_blur(fake)
        if self.cycle_noise is not None:
            fake = self.cycle_noise(tf.cast(fake, "float32"), training=True)
        return fake

    def judge(self, discriminator, real, fake, negative=None) -> dict:
        """The discriminator's verdicts (logits), by name, on what it sees in one step.

        "real" and "fake" (the generator's loss wants the fake called real);
        "older_fake": a fake drawn from the domain's pool of past fakes, or this
        step's fake without a pool (the discriminator's own loss judges it);
        "negative": `negative` images shown to the discriminator as fakes: by
        default, with `photo_negatives`, the step's real photos to the Monet
        discriminator; else None. Every image judged passes through
        DiffAugment, if the recipe has it.
        """
        is_monet = discriminator is self.monet_discriminator
        pool = self.monet_pool if is_monet else self.photo_pool
        images = {"real": real, "fake": fake}
        if pool is not None:
            images["older_fake"] = pool(tf.stop_gradient(fake))
        if negative is None and is_monet and self.photo_negatives:
            negative = self.step_photos
        if negative is not None:
            images["negative"] = negative
        augment = self.augment or (lambda x: x)
        verdicts = dict(zip(images, batched(lambda x: discriminator(augment(x), training=True), *images.values())))
        verdicts.setdefault("older_fake", verdicts["fake"])
        verdicts.setdefault("negative", None)
        return verdicts

    def generator_loss(self, verdicts: dict, real, fake):
        """The lab's adversarial loss, plus `tricks.spectral_loss` with `spectral_weight`."""
        loss = super().generator_loss(verdicts, real, fake)
        if self.spectral_weight:
            loss += spectral_loss(real, fake, self.spectral_weight)
        return loss

    def discriminator_loss(self, verdicts: dict):
        """Real called real; the (older) fake and any negatives called fake; targets smoothed by `label_smoothing`."""
        return losses.discriminator_loss(
            verdicts["real"], verdicts["older_fake"], self.adversarial_loss, verdicts["negative"], self.label_smoothing
        )

    def compute_gradients(self, real_monet, real_photo):
        # Kept for `judge`, within this one step; under a MirroredStrategy the replicas' steps run one at a
        # time between their all-reduces, so each judge reads its own replica's photos.
        self.step_photos = real_photo
        return super().compute_gradients(real_monet, real_photo)

    def train_step(self, batch):
        """The lab's step, then the moving average's update, if there is one."""
        result = super().train_step(batch)
        if self.monet_average is not None:
            self.monet_average.update()
        return result
