"""The CycleGAN model: four networks, their optimisers, and one training step.

`CycleGAN` is a `keras.Model` that holds the two generators and the two
discriminators and teaches Keras one training step (`train_step`), so that
`fit()` can train it. It owns the networks' names (`NETWORKS`); `pairs()`
gives each network with its optimiser. `training.build_cyclegan` builds one
from a `TrainConfig`; `teaching/reference.py` holds the lab's own step, the yardstick.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from . import losses
from .config import LOSS_NAMES as LOSS_NAMES
from .plumbing import distribute
from .recipe.layers import BinomialBlur
from .recipe.tricks import DiffAugment, ImagePool, MovingAverage

NETWORKS = ["monet_generator", "photo_generator", "monet_discriminator", "photo_discriminator"]


class CycleGAN(keras.Model):
    """Two generators and two discriminators trained together.

    `monet_generator` (the paper's G) turns photos into Monets,
    `photo_generator` (F) turns Monets into photos, and `monet_discriminator`
    (D_Y) and `photo_discriminator` (D_X) tell real from generated images of
    their domain. Calling the model stylises photos: `cyclegan(photos)`.

    The settings have no defaults here: `training.build_cyclegan` takes them
    from a `TrainConfig`, their one home. `adversarial_loss` is "bce" (the
    lab) or "lsgan" (the paper), its discriminator targets 1 - `label_smoothing`
    and `label_smoothing` (1 and 0 by default); with `pool_size` > 0 the discriminators learn
    from a pool of past fakes (the paper's 50); `diffaugment` (e.g.
    ("translation", "cutout")) augments every image the discriminators see;
    `photo_negatives` shows the Monet discriminator real photos as fakes too;
    `cycle_blur` shows each generator the other's fakes through a fixed
    [1, 2, 1] blur on the way back and `cycle_noise` > 0 adds Gaussian noise
    of that standard deviation there (`cycle_view`);
    `spectral_weight` > 0 adds `losses.spectral_loss` to each generator's
    loss (the fakes' power at each scale of detail against real images');
    `ema_decay` > 0 keeps a moving average of the Monet generator's weights in
    `monet_average` (see `recipe/tricks.py`).
    """

    def __init__(
        self,
        monet_generator,
        photo_generator,
        monet_discriminator,
        photo_discriminator,
        *,
        lambda_cycle: float,
        identity_weight: float,
        adversarial_loss: str,
        label_smoothing: float,
        pool_size: int,
        diffaugment: tuple[str, ...],
        photo_negatives: bool,
        cycle_blur: bool,
        cycle_noise: float,
        spectral_weight: float,
        ema_decay: float,
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
        self.label_smoothing = label_smoothing
        self.photo_negatives = photo_negatives
        self.spectral_weight = spectral_weight
        self.cycle_blur = BinomialBlur(dtype="float32", name="cycle_blur") if cycle_blur else None
        self.cycle_noise = (
            keras.layers.GaussianNoise(cycle_noise, dtype="float32", name="cycle_noise") if cycle_noise else None
        )
        shape = monet_generator.input_shape[1:]
        self.monet_pool = ImagePool(pool_size, shape, name="monet_pool") if pool_size else None
        self.photo_pool = ImagePool(pool_size, shape, name="photo_pool") if pool_size else None
        self.augment = DiffAugment(diffaugment, name="diffaugment") if diffaugment else None
        self.monet_average = MovingAverage(monet_generator, ema_decay, name="monet_average") if ema_decay else None

    def recipe_parts(self) -> list:
        """The layers with state besides networks and optimisers (image pools, augmentation, noise, average)."""
        parts = [self.monet_pool, self.photo_pool, self.augment, self.cycle_noise, self.monet_average]
        return [part for part in parts if part is not None]

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
        4. Losses: adversarial + cycle (both directions) + identity (+ spectral) for each generator;
           real/fake for each discriminator, on older fakes from the pool if there is one.
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

            negatives = real_photo if self.photo_negatives else None  # 3
            monet = self.judge(D_Y, real_monet, fake_monet, self.monet_pool, negatives)
            photo = self.judge(D_X, real_photo, fake_photo, self.photo_pool)

            kind, lam, weight = self.adversarial_loss, self.lambda_cycle, self.identity_weight  # 4
            cycle = losses.cycle_loss(real_monet, cycled_monet, lam) + losses.cycle_loss(real_photo, cycled_photo, lam)
            monet_adversarial = losses.generator_loss(monet["fake"], kind)
            photo_adversarial = losses.generator_loss(photo["fake"], kind)
            monet_identity = losses.identity_loss(real_monet, same_monet, lam, weight)
            photo_identity = losses.identity_loss(real_photo, same_photo, lam, weight)
            monet_spectral = photo_spectral = 0.0
            if self.spectral_weight:
                monet_spectral = losses.spectral_loss(real_monet, fake_monet, self.spectral_weight)
                photo_spectral = losses.spectral_loss(real_photo, fake_photo, self.spectral_weight)
            computed = {
                "monet_gen_loss": monet_adversarial + cycle + monet_identity + monet_spectral,
                "photo_gen_loss": photo_adversarial + cycle + photo_identity + photo_spectral,
                "monet_disc_loss": losses.discriminator_loss(
                    monet["real"], monet["older_fake"], kind, monet["negative"], self.label_smoothing
                ),
                "photo_disc_loss": losses.discriminator_loss(
                    photo["real"], photo["older_fake"], kind, label_smoothing=self.label_smoothing
                ),
            }
            both_generators = monet_adversarial + photo_adversarial + cycle + monet_identity + photo_identity
            both_generators += monet_spectral + photo_spectral
            generators_loss = replica_share(both_generators)  # on one device: unchanged
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

    def judge(self, discriminator, real, fake, pool=None, negative=None) -> dict:
        """The discriminator's verdicts (logits), by name, on what it sees in one step.

        "real" and "fake" (the generator's loss wants the fake called real);
        "older_fake": a fake drawn from the pool of past fakes, or this step's
        fake without a pool (the discriminator's own loss judges it);
        "negative": real photos shown to the Monet discriminator as fakes, or None.
        Every image judged passes through DiffAugment, if the recipe has it.
        """
        images = {"real": real, "fake": fake}
        if pool is not None:
            images["older_fake"] = pool(tf.stop_gradient(fake))
        if negative is not None:
            images["negative"] = negative
        augment = self.augment or (lambda x: x)
        verdicts = dict(zip(images, batched(lambda x: discriminator(augment(x), training=True), *images.values())))
        verdicts.setdefault("older_fake", verdicts["fake"])
        verdicts.setdefault("negative", None)
        return verdicts

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


def batched(call, *inputs):
    """call(all inputs as one batch), cut back into one output per input.

    Instance norm treats each image alone, so the outputs are what one call
    per input computes (only dropout draws other masks), with fewer, larger
    operations: on two cores the step runs faster this way.
    """
    sizes = [tf.shape(x)[0] for x in inputs]
    return tf.split(call(tf.concat(inputs, 0)), sizes)


def replica_share(loss):
    """`loss` divided by the number of replicas (on one device: `loss` itself).

    Under a strategy of n replicas each replica computes the gradients of its
    share of the global batch, and Keras' optimiser then sums the n replicas'
    gradients (an all-reduce with SUM, as Keras' own losses expect). Dividing
    each replica's loss by n makes that sum the gradient of the mean over the
    global batch, as on one device with the whole batch.
    """
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    return loss / replicas if replicas > 1 else loss


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
