"""Training a run that may be stopped and started again: `train`, resuming exactly, its folder kept in order.

The lab trains with Keras' `fit()` (`training.build_cyclegan`, the callbacks
of `callbacks.py`). A real run (`cyclegan-lab train`,
`scripts/train_monet.py`) is left alone for hours or days, on a disk that
fills up, beside other runs, and is killed and started again. `train` does
what that needs around `fit()`:

* **resumes exactly**: from the newest checkpoint in its folder, with the same
  weights, optimiser state, data order and random numbers as if it had never
  stopped (a run stopped mid-epoch first finishes that epoch: `fit_plan`);
* **one run per folder**: `claim_folder` checks that the folder can be
  written, locks it (`plumbing.folder_lock`), so a second run into it stops
  at once and names the first, and removes what a killed save left behind;
* **room first**: `check_room_for` finds a disk too full for the checkpoints
  that will exist at once before the first step, not after an hour of them;
* **damage survived**: a damaged newest checkpoint is named and set aside,
  and the run resumes from the newest one that reads whole
  (`checkpoint_reading`);
* **the same run**: `check_same_config` stops a resume whose settings differ
  from the checkpoint's in more than the run length (`RUN_LENGTH`), listing
  the differences, unless told to go on;
* **several devices**: with a `tf.distribute` strategy, each replica trains
  on its share of a global batch, and in a cluster only the chief writes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from .. import checkpoints
from ..callbacks import Checkpointer, DivergenceGuard, LossHistory
from ..checkpoints import Checkpoint
from ..config import TrainConfig
from ..cyclegan import CycleGAN
from ..data import LabData, steps_per_epoch
from ..pipeline import make_dataset
from ..plumbing import distribute, files, folder_lock
from ..training import build_cyclegan, describe_mode
from .checkpoint_reading import newest_readable_checkpoint

__all__ = [
    "RUN_LENGTH",
    "ConfigChangedError",
    "train",
    "fit_plan",
    "RoomCheck",
    "claim_folder",
    "check_room_for",
    "checkpoint_size",
    "changed_settings",
    "check_same_config",
]

# Settings that only say how long a run is, or how it keeps its checkpoints: a resumed run may change them.
RUN_LENGTH = ("epochs", "steps_per_epoch", "checkpoint_every", "keep_checkpoints")


class ConfigChangedError(ValueError):
    """A run would resume from checkpoints made with other settings."""


def train(
    config: TrainConfig,
    data: LabData,
    checkpoint_dir: str | os.PathLike | None = None,
    callbacks=(),
    verbose: int | str = "auto",
    strategy: tf.distribute.Strategy | None = None,
    allow_config_change: bool = False,
) -> tuple[CycleGAN, LossHistory]:
    """Train a CycleGAN on `data` for config.epochs epochs and return it with its loss history.

    With a `checkpoint_dir`, a checkpoint is written at every epoch's end
    (and every config.checkpoint_every steps), and a run that finds one there
    resumes from the newest readable one: same weights, optimiser state, data
    order and random numbers as if it had never stopped. Before the first
    step the folder is checked (writable, room for every checkpoint that will
    exist at once) and locked for this run (`claim_folder`). Resuming with
    settings that differ from the checkpoint's in more than the run length
    (`RUN_LENGTH`: epochs, steps_per_epoch, ...) stops with the list of
    differences, unless `allow_config_change=True`.

    With a `strategy` (see `distribute.make_strategy`), every replica trains
    on config.batch_size images per domain, so a step takes a global batch of
    batch_size x replicas, and an epoch has that many times fewer steps. In a
    cluster every machine reads checkpoints from `checkpoint_dir` (a shared
    folder); only the chief claims it and writes them.
    """
    strategy = strategy or tf.distribute.get_strategy()
    writes = checkpoint_dir is not None and distribute.is_chief(strategy)
    with claim_folder(checkpoint_dir if writes else None):
        latest = newest_readable_checkpoint(checkpoint_dir, set_aside=writes) if checkpoint_dir else None
        if latest is not None:
            check_same_config(latest, config, allow_config_change)
        return _fit(config, data, checkpoint_dir, list(callbacks), verbose, strategy, latest)


def _fit(config, data, checkpoint_dir, callbacks, verbose, strategy, latest: Checkpoint | None):
    """Build the model, restore `latest` (if any) and `fit()` it for the steps left."""
    replicas = strategy.num_replicas_in_sync
    per_epoch = steps_per_epoch(data, config, replicas)
    cyclegan = build_cyclegan(config, per_epoch, strategy)
    history = LossHistory()
    step = 0
    if latest is not None:
        state = checkpoints.restore_checkpoint(cyclegan, latest)
        step = state["step"]
        history = LossHistory(**state.get("history", {}), epoch_start=step - step % per_epoch)
        print(f"Resuming from {latest.path} (step {step}).")
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
    if checkpoint_dir is not None and distribute.is_chief(strategy):
        state = lambda: {"history": history.to_dict(), "config": config.to_dict(), "replicas": replicas}
        own.append(RoomCheck(checkpoint_dir, config.keep_checkpoints))
        own.append(Checkpointer(checkpoint_dir, state, config.checkpoint_every, config.keep_checkpoints))
    elif checkpoint_dir is not None:
        print(f"This worker is not the chief: the chief writes the checkpoints to {checkpoint_dir}.")

    total = config.epochs * per_epoch
    if step >= total:
        print(f"Training already finished: {step} of {total} steps done.")
        return cyclegan, history
    for start, first_epoch, end_epoch, steps in fit_plan(step, per_epoch, config.epochs):
        cyclegan.fit(
            _global_batches(data, config, replicas, start),
            epochs=end_epoch,
            initial_epoch=first_epoch,
            steps_per_epoch=steps,
            callbacks=own + callbacks,
            verbose=verbose,
            shuffle=False,
        )
        if cyclegan.stop_training:  # a callback ended the run
            break
    return cyclegan, history


def fit_plan(step: int, per_epoch: int, epochs: int) -> list[tuple[int, int, int, int]]:
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


# --- The run's folder ------------------------------------------------------------


class RoomCheck(keras.callbacks.Callback):
    """Before the first step, `check_room_for` the run's checkpoints in `folder` (FolderNotWritableError)."""

    def __init__(self, folder, keep: int):
        super().__init__()
        self.folder, self.keep = folder, keep

    def on_train_begin(self, logs=None):
        check_room_for(self.model, self.folder, self.keep)


@contextlib.contextmanager
def claim_folder(folder: str | os.PathLike | None):
    """Make `folder` this run's for the `with` block: checked writable, locked, leftovers removed.

    Raises FolderNotWritableError or FolderInUseError (see `files`) before any
    work is done. With folder None, it does nothing.
    """
    if folder is None:
        yield None
        return
    files.check_writable(folder, "checkpoint folder")
    with folder_lock.FolderLock(folder):
        for leftover in files.remove_leftovers(folder):
            print(f"Removed {leftover.name}, the leftover of a save that was interrupted.")
        yield Path(folder)


def check_room_for(cyclegan, folder: str | os.PathLike, keep: int = 1) -> None:
    """FolderNotWritableError unless `folder`'s disk has room for every checkpoint of `cyclegan` that
    will exist at once: `keep` of them plus the next, which is written before the oldest is deleted
    (less those already in the folder, whose space is taken)."""
    have = len(checkpoints.list_checkpoints(folder))
    at_once = keep + 1
    needed = max(1, at_once - have) * checkpoint_size(cyclegan)
    what = "one checkpoint" if keep == 1 and have else f"{at_once} checkpoints at once (keeping {keep})"
    files.check_free_space(folder, needed, what)


def checkpoint_size(cyclegan) -> int:
    """About how many bytes one checkpoint of `cyclegan` takes: the sum of its variables' sizes."""
    return sum(
        int(np.prod(v.shape)) * np.dtype(v.dtype).itemsize for _, v in checkpoints.checkpoint_variables(cyclegan)
    )


# --- The same run's settings -------------------------------------------------------


def changed_settings(stored: dict, config) -> list[str]:
    """The settings in which `config` differs from a checkpoint's `stored` config, as "seed 0 -> 1".

    The run length (RUN_LENGTH) may change freely. A checkpoint saved
    without its config (`save_checkpoint` called by hand) counts as the defaults.
    """
    changes = []
    for field in dataclasses.fields(config):
        if field.name in RUN_LENGTH:
            continue
        default = field.default if field.default is not dataclasses.MISSING else None
        old, new = stored.get(field.name, default), getattr(config, field.name)
        if old != new:
            changes.append(f"{field.name} {old!r} -> {new!r}")
    return changes


def check_same_config(checkpoint: Checkpoint, config, allow_change: bool = False) -> None:
    """Stop (ConfigChangedError) if `config` differs from the checkpoint's in more than the run
    length; with `allow_change`, say what changed and go on."""
    changes = changed_settings(checkpoint.state.get("config") or {}, config)
    if not changes:
        return
    if not allow_change:
        raise ConfigChangedError(
            f"The checkpoints in {checkpoint.path.parent} were made with other settings: {', '.join(changes)}. "
            "Use the same settings, choose another checkpoint folder, or pass allow_config_change=True "
            "(--allow-config-change) to go on with the new ones."
        )
    print(f"Note: resuming {checkpoint.path.name} with changed settings: {', '.join(changes)}.")
