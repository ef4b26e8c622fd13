"""The CycleGAN model: four networks, their optimisers, and one training step.

`CycleGAN` is a `keras.Model` that holds the two generators and the two
discriminators and teaches Keras one training step (`train_step`), so that
`fit()` can train it. It owns the networks' names (`NETWORKS`); `pairs()`
gives each network with its optimiser. `training.build_cyclegan` builds one
from a `TrainConfig`; `reference.py` holds the lab's own step, the yardstick.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from . import distribute, losses
from .recipe import DiffAugment, ImagePool, MovingAverage

NETWORKS = ["monet_generator", "photo_generator", "monet_discriminator", "photo_discriminator"]
LOSS_NAMES = ["monet_gen_loss", "photo_gen_loss", "monet_disc_loss", "photo_disc_loss"]


class CycleGAN(keras.Model):
    """Two generators and two discriminators trained together.

    `monet_generator` (the paper's G) turns photos into Monets,
    `photo_generator` (F) turns Monets into photos, and `monet_discriminator`
    (D_Y) and `photo_discriminator` (D_X) tell real from generated images of
    their domain. Calling the model stylises photos: `cyclegan(photos)`.

    `adversarial_loss` is "bce" (the lab) or "lsgan" (the paper); with
    `pool_size` > 0 the discriminators learn from a pool of past fakes (the
    paper's 50); `batch_passes` runs passes that do not depend on each other
    as one batch, which computes the same losses faster (see `train_step`).
    `diffaugment` (e.g. ("translation", "cutout")) augments every image the
    discriminators see; `photo_negatives` shows the Monet discriminator real
    photos as fakes too; `ema_decay` > 0 keeps a moving average of the Monet
    generator's weights in `monet_average` (see `recipe.py`).
    """

    def __init__(
        self,
        monet_generator,
        photo_generator,
        monet_discriminator,
        photo_discriminator,
        lambda_cycle: float = losses.LAMBDA,
        identity_weight: float = 0.5,
        adversarial_loss: str = "bce",
        pool_size: int = 0,
        batch_passes: bool = True,
        diffaugment=(),
        photo_negatives: bool = False,
        ema_decay: float = 0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.monet_generator = monet_generator
        self.photo_generator = photo_generator
        self.monet_discriminator = monet_discriminator
        self.photo_discriminator = photo_discriminator
        self.lambda_cycle = lambda_cycle
        self.identity_weight = identity_weight
        self.adversarial_loss = adversarial_loss
        self.batch_passes = batch_passes
        self.photo_negatives = photo_negatives
        self.pools = None
        if pool_size:
            shape = monet_generator.input_shape[1:]
            self.pools = [ImagePool(pool_size, shape, name=f"{domain}_pool") for domain in ("monet", "photo")]
        self.augment = DiffAugment(diffaugment, name="diffaugment") if diffaugment else None
        self.monet_average = MovingAverage(monet_generator, ema_decay, name="monet_average") if ema_decay else None

    def recipe_parts(self) -> list:
        """The layers with state besides networks and optimisers (image pools, augmentation, average)."""
        return [part for part in [*(self.pools or []), self.augment, self.monet_average] if part is not None]

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
        """The four losses and the gradients of each network's loss with respect to its weights.

        1. Translate: photo -> fake Monet -> cycled photo, and Monet -> fake photo -> cycled Monet.
        2. Identity: each generator applied to its own domain (same_monet, same_photo).
        3. Judge: each discriminator scores a real and a generated image.
        4. Losses: adversarial + cycle (both directions) + identity for each generator;
           halved real/fake loss for each discriminator.
        5. Gradients, with one backward pass for both generators and one for both discriminators.

        Under a strategy of n replicas, this runs on each replica with its
        share of the global batch, and the optimiser then sums the n
        replicas' gradients (an all-reduce with SUM). So the gradients are
        taken of each loss divided by n: their sum is then the gradient of
        the mean over the global batch, as on one device with the whole batch.
        The losses returned are not divided: the means over the local batch.

        Step 5 is exact: each generator's weights reach only its own terms of
        `monet_gen_loss + photo_gen_loss - total_cycle_loss` (the cycle loss,
        which both share, counted once), so the gradient of that one sum is
        both networks' gradients. The same holds for the two discriminators.
        It saves less than one might think: TensorFlow prunes, from the lab's
        four `tape.gradient` calls, the backward work no requested gradient
        needs, so both ways run about the same convolutions
        (`benchmarks/train_step.py` counts them); two calls mean fewer
        operations to schedule and a tape that is freed sooner.
        """
        generators = [self.monet_generator, self.photo_generator]
        discriminators = [self.monet_discriminator, self.photo_discriminator]
        G, F = generators  # noqa: N806  (the paper's names)
        D_Y, D_X = discriminators  # noqa: N806  (the paper's names)
        with tf.GradientTape(persistent=True) as tape:
            if self.batch_passes:  # instance norm treats each image alone, so a batch changes nothing
                fake_monet, same_monet = _halves(G(tf.concat([real_photo, real_monet], 0), training=True))
                fake_photo, same_photo = _halves(F(tf.concat([real_monet, real_photo], 0), training=True))
                cycled_photo = F(fake_monet, training=True)
                cycled_monet = G(fake_photo, training=True)
            else:  # the lab's order, call by call
                fake_monet = G(real_photo, training=True)
                cycled_photo = F(fake_monet, training=True)
                fake_photo = F(real_monet, training=True)
                cycled_monet = G(fake_photo, training=True)
                same_monet = G(real_monet, training=True)
                same_photo = F(real_photo, training=True)

            # The discriminators judge real images, the fakes (for the generators' loss), with a pool
            # older fakes (for their own loss), and with photo negatives the Monet one also real photos.
            judged = [[real_monet, fake_monet], [real_photo, fake_photo]]
            if self.pools:
                for images, pool in zip(judged, self.pools):
                    images.append(pool(tf.stop_gradient(images[1])))
            if self.photo_negatives:
                judged[0].append(real_photo)
            augment = self.augment or (lambda x: x)
            verdicts = []
            for images, discriminator in zip(judged, discriminators):
                if self.batch_passes:
                    verdicts.append(tf.split(discriminator(augment(tf.concat(images, 0)), training=True), len(images)))
                else:
                    verdicts.append([discriminator(augment(x), training=True) for x in images])
            (disc_real_monet, disc_fake_monet, *extra_monet), (disc_real_photo, disc_fake_photo, *pooled_photo) = (
                verdicts
            )
            negatives = extra_monet.pop() if self.photo_negatives else None
            pooled_monet = extra_monet

            kind, lam, weight = self.adversarial_loss, self.lambda_cycle, self.identity_weight
            total_cycle_loss = losses.cycle_loss(real_monet, cycled_monet, lam) + losses.cycle_loss(
                real_photo, cycled_photo, lam
            )
            monet_adversarial = losses.generator_loss(disc_fake_monet, kind)
            photo_adversarial = losses.generator_loss(disc_fake_photo, kind)
            monet_identity = losses.identity_loss(real_monet, same_monet, lam, weight)
            photo_identity = losses.identity_loss(real_photo, same_photo, lam, weight)
            monet_gen_loss = monet_adversarial + total_cycle_loss + monet_identity
            photo_gen_loss = photo_adversarial + total_cycle_loss + photo_identity
            monet_disc_loss = losses.discriminator_loss(
                disc_real_monet, (pooled_monet or [disc_fake_monet])[0], kind, negatives
            )
            photo_disc_loss = losses.discriminator_loss(disc_real_photo, (pooled_photo or [disc_fake_photo])[0], kind)

            generators_loss = monet_adversarial + photo_adversarial + total_cycle_loss + monet_identity + photo_identity
            discriminators_loss = monet_disc_loss + photo_disc_loss
            # Keras' optimiser all-reduces gradients with SUM (keras/src/backend/tensorflow/optimizer.py,
            # `_all_reduce_sum_gradients`), as Keras' own losses expect: they divide by n the same way.
            replicas = tf.distribute.get_strategy().num_replicas_in_sync
            if replicas > 1:  # one device: no division at all, so the maths stays the lab's
                generators_loss, discriminators_loss = generators_loss / replicas, discriminators_loss / replicas

        gradients = {}
        for loss, networks in [(generators_loss, generators), (discriminators_loss, discriminators)]:
            variables = [v for network in networks for v in network.trainable_variables]
            flat = iter(tape.gradient(loss, variables))
            for network in networks:
                gradients[network.name] = [next(flat) for _ in network.trainable_variables]
        del tape
        computed = dict(zip(LOSS_NAMES, [monet_gen_loss, photo_gen_loss, monet_disc_loss, photo_disc_loss]))
        return computed, gradients

    def train_step(self, batch):
        """One step on a batch (real_monet, real_photo), each (b, size, size, 3) in [-1, 1]:
        `compute_gradients`, then one Adam update for each of the four networks.

        Returns the four losses, means over the global batch (under a
        strategy, `batch` is this replica's share of it)."""
        real_monet, real_photo = batch
        computed, gradients = self.compute_gradients(real_monet, real_photo)
        for _, network, optimizer in self.pairs():
            optimizer.apply_gradients(zip(gradients[network.name], network.trainable_variables))
        if self.monet_average is not None:
            self.monet_average.update()
        return _global_means(computed)


def _halves(images):
    return tf.split(images, 2)


def _global_means(computed: dict) -> dict:
    """Average each replica's losses over all replicas: the means over the global batch.

    Every replica holds the same number of images, so the mean of the
    replicas' local means is the global mean. After this every replica holds
    the same values, so whatever `fit()` does with them (the mean over
    replicas, or replica 0's on a TPU) it reports the global means.
    """
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return computed
    means = context.all_reduce(tf.distribute.ReduceOp.MEAN, computed)
    if distribute.workers() > 1:
        # Keras 3 averages a cluster's step results with strategy.reduce("MEAN", value, axis=0), which
        # fails on a number without an axis: give each loss an axis of length 1 (Keras reduces it away).
        means = {name: value[None] for name, value in means.items()}
    return means
