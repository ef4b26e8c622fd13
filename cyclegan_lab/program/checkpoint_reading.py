"""Reading a run's checkpoints, believing nothing a file says before it is checked.

A checkpoint (`checkpoints.save_checkpoint`) is one `.npz` file of arrays and
a JSON state. A run left alone for days meets files cut off by a full disk,
overwritten, or written by a newer version; so here:

* `read_checkpoint` takes a file's word only once its state is a run's
  record (a step, a loss history of finite numbers, settings this version
  knows: `config_of`) and each array declares no more than any variable of
  those settings' networks holds (`largest_variable`), before a byte of
  memory is taken for it (`plumbing.npz`); anything else is a
  `DamagedCheckpointError` saying why;
* `newest_readable_checkpoint` names a damaged newest checkpoint, sets it
  aside as `step-NNNNNN.npz.damaged`, and goes back to the newest that
  reads whole;
* `load_generator` loads a photo -> Monet generator from wherever it is: a
  pretrained model's name, or a run's checkpoint file or folder.
"""

from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path

import keras
import numpy as np

from .. import checkpoints
from ..config import LOSS_NAMES
from ..inference import as_model
from ..plumbing import npz
from ..plumbing.checkpoint_file import Checkpoint, DamagedCheckpointError, check_resumable, read_checked
from ..plumbing.precision import dtype_policy
from ..recipe.config import RecipeConfig
from ..recipe.networks import generator_for
from ..recipe.pretrained import MODELS, load_pretrained
from ..recipe.tricks import MovingAverage

__all__ = [
    "newest_readable_checkpoint",
    "read_checkpoint",
    "largest_variable",
    "config_of",
    "load_generator",
    "load_network",
    "as_generator",
]


def newest_readable_checkpoint(folder: str | os.PathLike, set_aside: bool = True) -> Checkpoint | None:
    """The newest checkpoint in `folder` that reads whole, or None when there is none.

    Each damaged newer one gets one line naming it and why; with `set_aside`
    it is renamed `step-NNNNNN.npz.damaged`: kept for you to look at, but out
    of the way, so neither the next save nor the rotation of old
    checkpoints mistakes it for a good one. When every checkpoint is
    damaged, DamagedCheckpointError: nothing is set aside or started afresh.
    """
    found = checkpoints.list_checkpoints(folder)
    damaged = []
    for path in reversed(found):
        try:
            checkpoint = read_checkpoint(path)
        except DamagedCheckpointError as error:
            damaged.append((path, error.reason))
            continue
        for bad, reason in damaged:
            where = bad.with_name(bad.name + ".damaged")
            if set_aside:
                bad.rename(where)
            print(
                f"Checkpoint {bad.name} cannot be used ({reason}); "
                f"{'kept as ' + where.name + ', ' if set_aside else ''}resuming from {path.name} instead."
            )
        return checkpoint
    if damaged:
        newest, why = damaged[0]
        raise DamagedCheckpointError(
            f"No readable checkpoint in {folder}: all {len(damaged)} are damaged (the newest, {newest.name}: {why}). "
            "Move them out of the folder to start afresh, or choose another checkpoint folder."
        )
    return None


def read_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read a checkpoint file whole; DamagedCheckpointError (saying why) if it cannot be read, or if what it
    says cannot be believed: first its state (`_check_state`), then each array's declared size, at most what
    any variable of the networks its settings describe holds (`read_checked`)."""
    return read_checked(path, _largest_array)


def _largest_array(state) -> tuple[int, str]:
    """The most bytes an array of a checkpoint whose state is `state` may take, once the state is checked."""
    _check_state(state)  # first: its settings say how large an array may be
    return 8 * largest_variable(config_of(state)), "any variable of its networks"  # 8 bytes: the widest number


def largest_variable(config) -> int:
    """How many numbers the largest variable of the networks `config` describes can hold, at most.

    The generators' largest is a U-Net decoder's convolution: 4x4, from 16 x
    filters channels (its input beside the encoder's skip) to 8 x filters;
    the ResNet's are smaller. The discriminators' is the PatchGAN's 4x4
    convolution from 256 to 512 channels (a projected one's are smaller). An
    image pool holds pool_size images (a lab's `TrainConfig` keeps none).
    Adam's moments and the moving average have the shapes of the weights they
    follow.
    """
    generator = 4 * 4 * (16 * config.filters) * (8 * config.filters)
    discriminator = 4 * 4 * 256 * 512
    pool = getattr(config, "pool_size", 0) * config.train_size**2 * 3
    return max(generator, discriminator, pool)


def _check_state(state) -> None:
    """ValueError unless `state` is a run's record: one training goes on from (`check_resumable`),
    with a count of replicas, a loss history of finite numbers, and known settings."""
    check_resumable(state)
    replicas = state.get("replicas", 1)
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 1:
        raise ValueError(f"its state records {replicas!r} replicas, not a count of devices")
    _check_history(state.get("history", {}))
    config_of(state)


def _check_history(history) -> None:
    """ValueError unless `history` is what `callbacks.LossHistory.to_dict` saves: {"steps": {...}, "epochs":
    {...}}, each a list of finite numbers per loss of LOSS_NAMES, as many for each loss (a missing one has none).
    Its parts are checked first, by `check_resumable`."""
    for part, losses in history.items():
        unknown = sorted(set(losses) - set(LOSS_NAMES))
        if unknown:
            raise ValueError(f"its loss history's {part} hold unknown losses: {', '.join(unknown)}")
        for name, values in losses.items():
            if not isinstance(values, list) or not all(_finite_number(value) for value in values):
                raise ValueError(f"its loss history's {part} of {name} are not a list of finite numbers")
        counts = [len(losses.get(name, [])) for name in LOSS_NAMES]
        if len(set(counts)) > 1:
            raise ValueError(
                f"its loss history's {part} hold {counts} values for {', '.join(LOSS_NAMES)}, not as many of each"
            )


def _finite_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def config_of(state: dict) -> RecipeConfig:
    """The settings a checkpoint's `state` stores (the defaults where it stores none), as a `RecipeConfig`:
    a run stores the lab's settings and the recipe's in one flat dictionary.

    A state without "config" (`save_checkpoint` called by hand) means the
    defaults. One whose "config" is there but is not named settings (null, a
    list, a number) is damaged: ValueError saying so, as for the settings a
    newer version wrote that this one does not know, or a stored value this
    version refuses. Taking the defaults for it would build another model,
    which the checkpoint's arrays then "do not fit".
    """
    stored = state.get("config", {})
    if stored is None:
        raise ValueError("its stored settings are missing: config is null")
    if not isinstance(stored, dict):
        kind = {list: "a list", str: "a string", bool: "true or false"}.get(type(stored), "a number")
        raise ValueError(f"its stored settings (config) are {kind}, not named settings")
    known = {field.name for field in dataclasses.fields(RecipeConfig)}
    unknown = sorted(set(stored) - known)
    if unknown:
        raise ValueError(f"made by a newer version of cyclegan-lab: unknown settings {', '.join(unknown)}")
    try:
        return RecipeConfig(**stored)
    except (TypeError, ValueError) as error:
        raise ValueError(f"its stored settings are invalid: {error}") from error


def load_generator(
    source: str | os.PathLike = "monet", averaged: bool = True, precision: str | None = None
) -> keras.Model:
    """A photo -> Monet generator, from wherever it is: (b, h, w, 3) in [-1, 1] -> the same shape.

    `source` is a pretrained model's name (``"monet"``, ``"original-50-epochs"``,
    see `load_pretrained`), a checkpoint file ``step-NNNNNN.npz``, or a folder
    of checkpoints (the newest readable one is used). A checkpoint's generator
    is rebuilt from the configuration stored in it (U-Net or ResNet, its
    filters, its upsampling), so any run's checkpoint loads right; where the
    run kept a moving average of the weights (`ema_decay`), those are loaded,
    unless `averaged=False`. The network accepts any image size its design allows,
    and computes in `precision` (see `load_pretrained`).
    """
    if isinstance(source, str) and source in MODELS:
        return load_pretrained(source, precision=precision)
    path = Path(source)
    if path.is_dir():
        checkpoint = newest_readable_checkpoint(path, set_aside=False)
        if checkpoint is None:
            raise FileNotFoundError(
                f"No checkpoint in {path}: train first (notebook 6, or cyclegan-lab train "
                f"--checkpoint-dir {path}), or load a pretrained model ({', '.join(MODELS)})."
            )
    elif path.is_file():
        checkpoint = read_checkpoint(path)
    else:
        raise FileNotFoundError(
            f"{str(source)!r} is neither a pretrained model ({', '.join(MODELS)}) nor a checkpoint file or folder."
        )
    config = config_of(checkpoint.state)  # read_checkpoint has checked it
    with dtype_policy(precision or config.precision):
        generator = generator_for(config, "monet_generator", any_size=True)
    load_network(generator, checkpoint.path)
    if config.ema_decay and averaged:
        average = MovingAverage(generator, config.ema_decay, name="monet_average")
        load_network(average, checkpoint.path, name="monet_average")
        average.copy_to(generator)
    if not all(np.isfinite(keras.ops.convert_to_numpy(w)).all() for w in generator.weights):
        raise ValueError(
            f"The generator in {checkpoint.path} has weights that are not finite (NaN or infinity): the run "
            "that saved it diverged. Use an earlier checkpoint, or train again with a smaller learning rate."
        )
    return generator


def load_network(network: keras.Model, path: str | os.PathLike, name: str = "monet_generator") -> keras.Model:
    """Load one network (by default the photo -> Monet generator) from a checkpoint."""
    try:
        with np.load(Path(path)) as stored:
            checkpoints.assign_network(network, name, stored, path)
    except npz.DAMAGE as error:
        if isinstance(error, checkpoints.CheckpointMismatchError):
            raise
        raise DamagedCheckpointError(
            f"Checkpoint {path} is unreadable ({error}). Use another checkpoint of that run."
        ) from error
    return network


def as_generator(model) -> keras.Model:
    """The generator a program is handed: one already loaded (checked by `inference.as_model`), or the one
    `load_generator` loads from a pretrained model's name or a checkpoint file or folder (None: "monet")."""
    if model is None or isinstance(model, (str, os.PathLike)):
        return load_generator(model or "monet")
    return as_model(model)
