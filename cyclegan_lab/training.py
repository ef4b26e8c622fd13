"""Build a CycleGAN from a `TrainConfig` and train it with Keras' `fit()`.

`build_cyclegan` makes the four networks (`models.py`) and four optimisers
into one `cyclegan.CycleGAN`; `train()`
wires data, checkpoints, resume and loss history (`callbacks.py`) around
`fit()`. Both accept a `tf.distribute.Strategy` to train on several devices
(see `plumbing/distribute.py`).
"""

from __future__ import annotations

import os

import keras
import tensorflow as tf

from . import checkpoints
from .callbacks import Checkpointer, DivergenceGuard, LossHistory
from .config import TrainConfig
from .cyclegan import CycleGAN
from .data import LabData, steps_per_epoch
from .pipeline import make_dataset
from .plumbing import distribute, precision


def build_cyclegan(
    config: TrainConfig | None = None,
    steps_per_epoch: int | None = None,
    strategy: tf.distribute.Strategy | None = None,
) -> CycleGAN:
    """Four fresh networks, seeded by config.seed, compiled with four Adam optimisers.

    The model is a `CycleGAN`, or the class `config` names as its
    `model_class` (a `recipe.config.RecipeConfig` names `RecipeCycleGAN`):
    that class builds the networks (`networks_for`) and sets the learning
    rates (`learning_rates`). `steps_per_epoch` (default:
    config.steps_per_epoch, else the lab's 300) places a learning-rate
    schedule. With a `strategy` (default: the current one), networks and
    optimisers are built inside `strategy.scope()`, so each variable lives on
    every replica.
    """
    config = config or TrainConfig()
    model_class = getattr(config, "model_class", CycleGAN)
    strategy = strategy or tf.distribute.get_strategy()
    keras.utils.set_random_seed(config.seed)
    with strategy.scope():
        with precision.dtype_policy(config.precision):
            networks = model_class.networks_for(config)
        cyclegan = model_class(*networks, config)
        rates = model_class.learning_rates(config, steps_per_epoch or config.steps_per_epoch or 300)
        cyclegan.compile(*[keras.optimizers.Adam(rate, beta_1=config.beta_1) for rate in rates])
        if tf.distribute.has_strategy():  # a real strategy: create Adam's variables now, in its scope, so they
            for _, network, optimizer in cyclegan.pairs():  # are mirrored like the weights (not lazily inside
                optimizer.build(network.trainable_variables)  # a replica's step)
    return cyclegan


def describe_mode(config: TrainConfig) -> str:
    """One line saying how a step computes and why, e.g. "float32 (asked for)"."""
    chosen, reason = precision.choose_precision(config.precision)
    return f"{chosen} ({reason})"


def train(
    config: TrainConfig,
    data: LabData,
    checkpoint_dir: str | os.PathLike | None = None,
    callbacks=(),
    verbose: int | str = "auto",
    strategy: tf.distribute.Strategy | None = None,
    *,
    resume_from: str | os.PathLike | checkpoints.Checkpoint | None = None,
) -> tuple[CycleGAN, LossHistory]:
    """Train a CycleGAN on `data` for config.epochs epochs and return it with its loss history.

    With a `checkpoint_dir`, a checkpoint is written at every epoch's end
    (and every config.checkpoint_every steps), and a run that finds one there
    resumes from the newest: same weights, optimiser state, data order and
    random numbers as if it had never stopped. `resume_from` (a checkpoint
    file, or one already read) is the checkpoint to resume from instead.

    In a cluster only the chief writes the checkpoints (`distribute.is_chief`),
    while every machine reads them from `checkpoint_dir`, a shared folder.
    Keeping the folder in order for a long run (a lock so no second
    run writes into it, damaged checkpoints set aside, changed settings
    stopped, the disk's room checked first) is the program's:
    `program.runs.train_run`, which `cyclegan-lab train` uses.

    With a `strategy` (see `distribute.make_strategy`), every replica trains
    on config.batch_size images per domain, so a step takes a global batch of
    batch_size x replicas, and an epoch has that many times fewer steps.
    """
    strategy = strategy or tf.distribute.get_strategy()
    chief = distribute.is_chief(strategy)
    writes = checkpoint_dir is not None and chief
    replicas = strategy.num_replicas_in_sync
    per_epoch = steps_per_epoch(data, config, replicas)
    if resume_from is None and checkpoint_dir is not None:
        resume_from = checkpoints.latest_checkpoint(checkpoint_dir)
    cyclegan = build_cyclegan(config, per_epoch, strategy)
    history = LossHistory()
    step = 0
    if resume_from is not None:
        state = checkpoints.restore_checkpoint(cyclegan, resume_from)
        step = state["step"]
        history = LossHistory(**state.get("history", {}), epoch_start=step - step % per_epoch)
        print(f"Resuming from {getattr(resume_from, 'path', resume_from)} (step {step}).")
        if state.get("replicas", 1) != replicas:
            print(
                f"Note: that run had {state.get('replicas', 1)} replicas, this one {replicas}: "
                "training goes on, but not on the images an uninterrupted run would have seen."
            )

    print(f"Training step: {describe_mode(config)}.")
    print(
        f"Devices: {distribute.describe(strategy)}; global batch {config.batch_size * replicas} "
        f"= batch_size {config.batch_size} per replica x {replicas} replica{'s' * (replicas != 1)}."
    )
    # Ours first: nothing broken is saved, and saves come before user callbacks. The guard names the
    # last good checkpoint in checkpoint_dir when the run diverges.
    own = [DivergenceGuard(checkpoint_dir), history]
    if writes:
        state = lambda: {"history": history.to_dict(), "config": config.to_dict(), "replicas": replicas}
        own.append(Checkpointer(checkpoint_dir, state, config.checkpoint_every, config.keep_checkpoints))
    elif checkpoint_dir is not None and not chief:
        print(f"This worker is not the chief: the chief writes the checkpoints to {checkpoint_dir}.")
    callbacks = own + list(callbacks)

    total = config.epochs * per_epoch
    if step >= total:
        print(f"Training already finished: {step} of {total} steps done.")
        return cyclegan, history
    for start, first_epoch, end_epoch, steps in _fit_plan(step, per_epoch, config.epochs):
        cyclegan.fit(
            _global_batches(data, config, replicas, start),
            epochs=end_epoch,
            initial_epoch=first_epoch,
            steps_per_epoch=steps,
            callbacks=callbacks,
            verbose=verbose,
            shuffle=False,
        )
        if cyclegan.stop_training:  # a callback ended the run
            break
    return cyclegan, history


def _fit_plan(step: int, per_epoch: int, epochs: int) -> list[tuple[int, int, int, int]]:
    """(first step, initial_epoch, epochs, steps_per_epoch) of each `fit()` that trains from `step` on.

    Keras' epochs all have one length, so a run resumed in the middle of an
    epoch first finishes that epoch, then trains the whole epochs left: for
    step 700 of 4 epochs of 300 steps, [(700, 2, 3, 200), (900, 3, 4, 300)].
    From an epoch's start it is one `fit()`: [(900, 3, 4, 300)] for step 900.
    """
    epoch, done = divmod(step, per_epoch)
    if not done:
        return [(step, epoch, epochs, per_epoch)]
    rest = [((epoch + 1) * per_epoch, epoch + 1, epochs, per_epoch)] if epoch + 1 < epochs else []
    return [(step, epoch, epoch + 1, per_epoch - done), *rest]


def _global_batches(data: LabData, config: TrainConfig, replicas: int, step: int) -> tf.data.Dataset:
    """The data set of global batches (config.batch_size x replicas per domain), from `step` on.

    `fit()` itself hands it to `strategy.experimental_distribute_dataset`
    (the model was built in the strategy's scope), which cuts each global
    batch into one share per replica. In a cluster each machine builds the
    same stream (it depends on the seed and step alone) and keeps its
    replicas' shares ("DATA" sharding; there are no files to share out).
    """
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return make_dataset(data.monet, data.photo, config, step, replicas).with_options(options)
