"""The CycleGAN model: four networks, their optimisers, and one training step.

`CycleGAN` is a `keras.Model` that holds the two generators and the two
discriminators and teaches Keras one training step (`train_step`), so that
`fit()` can train it. It owns the networks' names (`NETWORKS`); `pairs()`
gives each network with its optimiser. `training.build_cyclegan` builds one
from a `TrainConfig`; `teaching/reference.py` holds the lab's own step, the
yardstick; `recipe/cyclegan.py` adds the shipped generator's training tricks.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from . import losses
from .config import LOSS_NAMES as LOSS_NAMES
from .config import NETWORKS as NETWORKS
from .models import discriminator_for, generator_for
from .plumbing.distribute import global_means, replica_share

__all__ = ["CycleGAN", "NETWORKS", "batched"]


class CycleGAN(keras.Model):
    """Two generators and two discriminators trained together.

    `monet_generator` (the paper's G) turns photos into Monets,
    `photo_generator` (F) turns Monets into photos, and `monet_discriminator`
    (D_Y) and `photo_discriminator` (D_X) tell real from generated images of
    their domain. Calling the model stylises photos: `cyclegan(photos)`.

    `config` (a `TrainConfig`) gives the losses' settings: `lambda_cycle`
    (LAMBDA), `identity_weight`, and `adversarial_loss`, "bce" (the lab) or
    "lsgan" (the paper).
    """

    def __init__(self, monet_generator, photo_generator, monet_discriminator, photo_discriminator, config, **kwargs):
        super().__init__(**kwargs)
        self.monet_generator = monet_generator
        self.photo_generator = photo_generator
        self.monet_discriminator = monet_discriminator
        self.photo_discriminator = photo_discriminator
        self.lambda_cycle = config.lambda_cycle
        self.identity_weight = config.identity_weight
        self.adversarial_loss = config.adversarial_loss

    @classmethod
    def networks_for(cls, config) -> list[keras.Model]:
        """The four networks `config` describes, in the order of `NETWORKS`."""
        return [
            generator_for(config, "monet_generator"),
            generator_for(config, "photo_generator"),
            discriminator_for(config, "monet_discriminator"),
            discriminator_for(config, "photo_discriminator"),
        ]

    @classmethod
    def learning_rates(cls, config, steps_per_epoch: int) -> list:
        """Each network's learning rate, in the order of `NETWORKS`: the lab's is one constant for all four."""
        return [config.learning_rate] * 4

    def recipe_parts(self) -> list:
        """Layers with state besides the networks and optimisers, saved in checkpoints: none in the lab's."""
        return []

    def compile(
        self,
        monet_generator_optimizer,
        photo_generator_optimizer,
        monet_discriminator_optimizer,
        photo_discriminator_optimizer,
        **kwargs,
    ):
        """Give each of the four networks its own optimiser."""
        super().compile(**kwargs)
        self.monet_generator_optimizer = monet_generator_optimizer
        self.photo_generator_optimizer = photo_generator_optimizer
        self.monet_discriminator_optimizer = monet_discriminator_optimizer
        self.photo_discriminator_optimizer = photo_discriminator_optimizer

    def pairs(self) -> list[tuple[str, keras.Model, keras.optimizers.Optimizer]]:
        """(name, network, optimizer) for each of the four networks, in the order of `NETWORKS`."""
        return [(name, getattr(self, name), getattr(self, name + "_optimizer")) for name in NETWORKS]

    def call(self, photos, training=False):
        return self.monet_generator(photos, training=training)

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        """Skip Keras' build-before-training: `build_cyclegan` has built networks and optimisers.

        Keras 3 runs it only for models built in a strategy's scope, and first
        averages a batch over the replicas with `strategy.reduce`, which under
        MultiWorkerMirroredStrategy fails on a (monet, photo) pair ("Attempt
        to convert a value (PerReplica ...)"). On one device Keras skips it too.
        """

    def compute_gradients(self, real_monet, real_photo):
        """The four losses and each network's gradients, in the paper's order:

        1. Translate and come back: photo -> fake Monet -> cycled photo, Monet -> fake photo -> cycled Monet.
        2. Identity: each generator applied to its own domain (same_monet, same_photo).
        3. Judge: each discriminator scores real images and fakes (`judge`).
        4. Losses: adversarial + cycle (both directions) + identity for each generator;
           real/fake for each discriminator.
        5. Gradients: one backward pass for both generators, one for both discriminators.

        Step 5 is exact: each generator's weights reach only its own terms of
        the sum of both generators' losses with the shared cycle loss counted
        once, so that sum's gradient is both networks' gradients; the same
        holds for the discriminators. `reference.lab_gradients` computes the
        same numbers the lab's way, with four gradient calls.
        """
        G, F = self.monet_generator, self.photo_generator  # noqa: N806  (the paper's names)
        D_Y, D_X = self.monet_discriminator, self.photo_discriminator  # noqa: N806
        with tf.GradientTape(persistent=True) as tape:
            fake_monet, same_monet = batched(lambda x: G(x, training=True), real_photo, real_monet)  # 1, 2
            fake_photo, same_photo = batched(lambda x: F(x, training=True), real_monet, real_photo)
            cycled_photo = F(self.cycle_view(fake_monet), training=True)
            cycled_monet = G(self.cycle_view(fake_photo), training=True)

            monet = self.judge(D_Y, real_monet, fake_monet)  # 3
            photo = self.judge(D_X, real_photo, fake_photo)

            lam, weight = self.lambda_cycle, self.identity_weight  # 4
            cycle = losses.cycle_loss(real_monet, cycled_monet, lam) + losses.cycle_loss(real_photo, cycled_photo, lam)
            monet_generator = self.generator_loss(monet, real_monet, fake_monet)
            monet_generator += losses.identity_loss(real_monet, same_monet, lam, weight)
            photo_generator = self.generator_loss(photo, real_photo, fake_photo)
            photo_generator += losses.identity_loss(real_photo, same_photo, lam, weight)
            computed = {
                "monet_gen_loss": monet_generator + cycle,
                "photo_gen_loss": photo_generator + cycle,
                "monet_disc_loss": self.discriminator_loss(monet),
                "photo_disc_loss": self.discriminator_loss(photo),
            }
            generators_loss = replica_share(monet_generator + photo_generator + cycle)  # on one device: unchanged
            discriminators_loss = replica_share(computed["monet_disc_loss"] + computed["photo_disc_loss"])

        gradients = {}  # 5
        for loss, networks in [(generators_loss, [G, F]), (discriminators_loss, [D_Y, D_X])]:
            variables = [v for network in networks for v in network.trainable_variables]
            flat = iter(tape.gradient(loss, variables))
            for network in networks:
                gradients[network.name] = [next(flat) for _ in network.trainable_variables]
        del tape
        return computed, gradients

    def cycle_view(self, fake):
        """What the other generator gets of a fake on the way back: in the lab, the fake itself."""
        return fake

    def judge(self, discriminator, real, fake) -> dict:
        """The discriminator's verdicts (logits) on real images ("real") and on fakes ("fake")."""
        verdicts = batched(lambda x: discriminator(x, training=True), real, fake)
        return dict(zip(["real", "fake"], verdicts))

    def generator_loss(self, verdicts: dict, real, fake):
        """A generator's adversarial loss: it wants its fakes called real (`losses.generator_loss`)."""
        return losses.generator_loss(verdicts["fake"], self.adversarial_loss)

    def discriminator_loss(self, verdicts: dict):
        """A discriminator's loss: real images called real, fakes called fake (`losses.discriminator_loss`)."""
        return losses.discriminator_loss(verdicts["real"], verdicts["fake"], self.adversarial_loss)

    def train_step(self, batch):
        """One step on a batch (real_monet, real_photo), each (b, size, size, 3) in [-1, 1]:
        `compute_gradients`, then one Adam update for each of the four networks.

        Returns the four losses, means over the global batch (under a
        strategy, `batch` is this replica's share of it)."""
        real_monet, real_photo = batch
        computed, gradients = self.compute_gradients(real_monet, real_photo)
        for _, network, optimizer in self.pairs():
            optimizer.apply_gradients(zip(gradients[network.name], network.trainable_variables))
        return global_means(computed)


def batched(call, *inputs):
    """call(all inputs as one batch), cut back into one output per input.

    Instance norm treats each image alone, so the outputs are what one call
    per input computes (only dropout draws other masks), with fewer, larger
    operations: on two cores the step runs faster this way.
    """
    sizes = [tf.shape(x)[0] for x in inputs]
    return tf.split(call(tf.concat(inputs, 0)), sizes)
