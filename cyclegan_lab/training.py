"""Train the lab's CycleGAN with Keras' `fit()`.

`CycleGAN` holds the four networks and teaches Keras one training step;
`train()` wires data, checkpoints, resume and loss history around `fit()`.
Both accept a `tf.distribute.Strategy` to train on several devices (see
`distribute.py`).
"""

from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from . import checkpoints, distribute, losses, precision
from .optimizers import FusedAdam
from .config import TrainConfig
from .data import LabData, make_dataset, normalize, steps_per_epoch
from .models import build_discriminator, generator_for
from .recipe import DiffAugment, ImagePool, LinearDecay, MovingAverage

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

    def __init__(self, monet_generator, photo_generator, monet_discriminator, photo_discriminator,
                 lambda_cycle: float = losses.LAMBDA, identity_weight: float = 0.5, adversarial_loss: str = "bce",
                 pool_size: int = 0, batch_passes: bool = True, diffaugment=(), photo_negatives: bool = False,
                 ema_decay: float = 0.0, **kwargs):
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
        D_Y, D_X = discriminators  # noqa: N806
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
            (disc_real_monet, disc_fake_monet, *extra_monet), (disc_real_photo, disc_fake_photo, *pooled_photo) = verdicts
            negatives = extra_monet.pop() if self.photo_negatives else None
            pooled_monet = extra_monet

            kind, lam, weight = self.adversarial_loss, self.lambda_cycle, self.identity_weight
            total_cycle_loss = (losses.cycle_loss(real_monet, cycled_monet, lam)
                                + losses.cycle_loss(real_photo, cycled_photo, lam))
            monet_adversarial = losses.generator_loss(disc_fake_monet, kind)
            photo_adversarial = losses.generator_loss(disc_fake_photo, kind)
            monet_identity = losses.identity_loss(real_monet, same_monet, lam, weight)
            photo_identity = losses.identity_loss(real_photo, same_photo, lam, weight)
            monet_gen_loss = monet_adversarial + total_cycle_loss + monet_identity
            photo_gen_loss = photo_adversarial + total_cycle_loss + photo_identity
            monet_disc_loss = losses.discriminator_loss(disc_real_monet, (pooled_monet or [disc_fake_monet])[0], kind,
                                                        negatives)
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
        for name in checkpoints.NETWORKS:
            network, optimizer = getattr(self, name), getattr(self, name + "_optimizer")
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


def build_cyclegan(config: TrainConfig | None = None, steps_per_epoch: int | None = None,
                   strategy: tf.distribute.Strategy | None = None) -> CycleGAN:
    """Four fresh networks, seeded by config.seed, compiled with four Adam optimisers.

    `steps_per_epoch` (default: config.steps_per_epoch, else the lab's 300)
    places the learning-rate decay of `config.decay_epochs`. With a
    `strategy` (default: the current one), networks and optimisers are built
    inside `strategy.scope()`, so each variable lives on every replica.
    """
    config = config or TrainConfig()
    strategy = strategy or tf.distribute.get_strategy()
    replicas = strategy.num_replicas_in_sync
    if config.pool_size and replicas > 1:
        raise ValueError(f"pool_size needs a single replica: the image pool updates its stored fakes inside the "
                         f"step, which {replicas} replicas cannot share. Use pool_size=0, or train on one device.")
    keras.utils.set_random_seed(config.seed)
    size = config.train_size
    with strategy.scope():
        with precision.dtype_policy(config.precision):
            networks = [
                generator_for(config, "monet_generator"),
                generator_for(config, "photo_generator"),
                build_discriminator("monet_discriminator", size),
                build_discriminator("photo_discriminator", size),
            ]
        cyclegan = CycleGAN(
            *networks,
            lambda_cycle=config.lambda_cycle,
            identity_weight=config.identity_weight,
            adversarial_loss=config.adversarial_loss,
            pool_size=config.pool_size,
            batch_passes=config.batch_passes,
            diffaugment=config.diffaugment_policies,
            photo_negatives=config.photo_negatives,
            ema_decay=config.ema_decay,
        )
        per_epoch = steps_per_epoch or config.steps_per_epoch or 300
        schedule = config.learning_rate  # the lab's constant rate (a plain number: its checkpoints stay compatible)
        if config.decay_epochs:
            schedule = LinearDecay(config.learning_rate, config.epochs * per_epoch, config.decay_epochs * per_epoch)
        cyclegan.compile(*[FusedAdam(schedule, beta_1=config.beta_1) for _ in range(4)])
        if tf.distribute.has_strategy():  # a real strategy: create Adam's variables now, in its scope, so they
            for name in checkpoints.NETWORKS:  # are mirrored like the weights (not lazily inside a replica's step)
                getattr(cyclegan, name + "_optimizer").build(getattr(cyclegan, name).trainable_variables)
    return cyclegan


def describe_mode(config: TrainConfig) -> str:
    """One line saying how a step computes and why, e.g.
    "float32 (asked for), independent passes batched"."""
    passes = "independent passes batched" if config.batch_passes else "passes one by one, as in the lab"
    chosen, reason = precision.choose_precision(config.precision)
    return f"{chosen} ({reason}), {passes}"


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
          callbacks=(), verbose: int | str = "auto",
          strategy: tf.distribute.Strategy | None = None,
          allow_config_change: bool = False) -> tuple[CycleGAN, LossHistory]:
    """Train a CycleGAN on `data` for config.epochs epochs and return it with its loss history.

    With a `checkpoint_dir`, a checkpoint is written at every epoch's end
    (and every config.checkpoint_every steps), and a run that finds one there
    resumes from the newest: same weights, optimiser state, data order and
    random numbers as if it had never stopped.

    Before the first step the folder is checked (writable, room for one
    checkpoint) and locked for this run, so a second run into it stops at
    once (see `checkpoints.claim_folder`). A damaged newest checkpoint is
    named and set aside, and the newest readable one used. Resuming with
    settings that differ from the checkpoint's in more than the run length
    (`checkpoints.RUN_LENGTH`: epochs, steps_per_epoch, ...) stops with the
    list of differences, unless `allow_config_change=True`.

    With a `strategy` (see `distribute.make_strategy`), every replica trains
    on config.batch_size images per domain, so a step takes a global batch of
    batch_size x replicas, and an epoch has that many times fewer steps. In a
    cluster every machine reads checkpoints from `checkpoint_dir` (a shared
    folder), and only the chief writes them.
    """
    strategy = strategy or tf.distribute.get_strategy()
    writes = checkpoint_dir is not None and distribute.is_chief(strategy)
    with checkpoints.claim_folder(checkpoint_dir if writes else None):
        replicas = strategy.num_replicas_in_sync
        global_config = config.replace(batch_size=config.batch_size * replicas)  # what the data pipeline batches
        per_epoch = steps_per_epoch(data, global_config)
        latest = checkpoints.newest_readable_checkpoint(checkpoint_dir, set_aside=writes) if checkpoint_dir else None
        if latest is not None:
            checkpoints.check_same_config(latest, config, allow_config_change)
        cyclegan = build_cyclegan(config, per_epoch, strategy)
        if writes:
            checkpoints.check_room_for(cyclegan, checkpoint_dir)
        history = LossHistory()
        step = 0
        if latest is not None:
            state = checkpoints.restore_checkpoint(cyclegan, latest)
            step = state["step"]
            history = LossHistory(**state.get("history", {}), epoch_start=step - step % per_epoch)
            print(f"Resuming from {latest.path} (step {step}).")
            if state.get("replicas", 1) != replicas:
                print(f"Note: that run had {state.get('replicas', 1)} replicas, this one {replicas}: "
                      "training goes on, but not on the images an uninterrupted run would have seen.")

        print(f"Training step: {describe_mode(config)}.")
        print(f"Devices: {distribute.describe(strategy)}; global batch {global_config.batch_size} "
              f"= batch_size {config.batch_size} per replica x {replicas} replica{'s' * (replicas != 1)}.")
        own = [history]  # ours run first, so a checkpoint is safe before any user callback runs
        if writes:
            state = lambda: {"history": history.to_dict(), "config": config.to_dict(), "replicas": replicas}  # noqa: E731
            own.append(checkpoints.Checkpointer(checkpoint_dir, state, config.checkpoint_every,
                                                config.keep_checkpoints))
        elif checkpoint_dir is not None:
            print(f"This worker is not the chief: the chief writes the checkpoints to {checkpoint_dir}.")
        callbacks = own + list(callbacks)

        total = config.epochs * per_epoch
        if step >= total:
            print(f"Training already finished: {step} of {total} steps done.")
            return cyclegan, history
        epoch, done = divmod(step, per_epoch)
        if done:  # finish the interrupted epoch first
            cyclegan.fit(_global_batches(data, global_config, step), epochs=epoch + 1, initial_epoch=epoch,
                         steps_per_epoch=per_epoch - done, callbacks=callbacks, verbose=verbose, shuffle=False)
            epoch, step = epoch + 1, (epoch + 1) * per_epoch
        if epoch < config.epochs:
            cyclegan.fit(_global_batches(data, global_config, step), epochs=config.epochs, initial_epoch=epoch,
                         steps_per_epoch=per_epoch, callbacks=callbacks, verbose=verbose, shuffle=False)
        return cyclegan, history


def _global_batches(data: LabData, global_config: TrainConfig, step: int) -> tf.data.Dataset:
    """The data set of global batches, from `step` on.

    `fit()` itself hands it to `strategy.experimental_distribute_dataset`
    (the model was built in the strategy's scope), which cuts each global
    batch into one share per replica. In a cluster each machine builds the
    same stream (it depends on the seed and step alone) and keeps its
    replicas' shares ("DATA" sharding; there are no files to share out).
    """
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return make_dataset(data.monet, data.photo, global_config, step).with_options(options)
