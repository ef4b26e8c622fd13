"""Save and restore a whole training run, so an interrupted run can resume.

A checkpoint is one file, `step-000300.npz`, in a folder of your choice. It
holds every variable of the four networks (including dropout's random-number
state), of the four optimisers (Adam's moments and step counter) and of the
image pools, if any, plus the loss history and the configuration as JSON.

It is written to a temporary file and renamed when complete, so a run killed
while saving leaves the previous checkpoint untouched. Only the newest
`keep` checkpoints are kept. A file is read back only once what it says is
checked (`plumbing.checkpoint_file`). A model trained with a `tf.distribute`
strategy holds one copy of each variable per replica, all equal; a checkpoint
stores the values once, so it loads into a model on one device, or under any
other strategy.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterator
from pathlib import Path

import keras
import numpy as np

from .config import NETWORKS
from .plumbing import files
from .plumbing.checkpoint_file import Checkpoint, check_resumable, read_checked

__all__ = ["save_checkpoint", "restore_checkpoint", "latest_checkpoint", "list_checkpoints", "write_checkpoint"]

_NAME = re.compile(r"^step-(\d+)\.npz$")


class NotFiniteError(ValueError):
    """Values that are not finite (NaN or infinity) were to be saved: the run that made them diverged.

    `step` is the step refused, `network` the first part holding such values.
    """

    def __init__(self, message: str, step: int | None = None, network: str | None = None):
        super().__init__(message)
        self.step, self.network = step, network


class CheckpointMismatchError(ValueError):
    """A checkpoint of another model: its variables do not fit this one."""


def _parts(cyclegan):
    """(name, object) of all that has state: the four networks and optimisers under the lab's names (in any
    model that has them, yours too: `monet_generator`, `monet_generator_optimizer`, ...) and the recipe's parts."""
    for name in NETWORKS:
        yield name, getattr(cyclegan, name)
        yield name + "_optimizer", getattr(cyclegan, name + "_optimizer")
    for part in getattr(cyclegan, "recipe_parts", list)():  # image pools, DiffAugment's random state, average
        yield part.name, part


def checkpoint_variables(cyclegan) -> Iterator[tuple[str, keras.Variable]]:
    """(key, variable) for every variable a checkpoint of `cyclegan` holds: "monet_generator/0", ...

    The optimisers' variables are created first (they are made lazily).
    """
    for name, obj in _parts(cyclegan):
        _build_optimizer(cyclegan, name, obj)
        for i, variable in enumerate(obj.variables):
            yield f"{name}/{i}", variable


def list_checkpoints(folder: str | os.PathLike) -> list[Path]:
    """Complete checkpoints in folder, oldest first."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := _NAME.match(p.name))]
    return [p for _, p in sorted(found)]


def latest_checkpoint(folder: str | os.PathLike) -> Path | None:
    """The newest complete checkpoint in folder, or None."""
    found = list_checkpoints(folder)
    return found[-1] if found else None


def save_checkpoint(cyclegan, folder: str | os.PathLike, state: dict, keep: int = 2) -> Path:
    """Write `folder/step-NNNNNN.npz` atomically and delete all but the `keep` newest.

    `state` is JSON-serialisable extra information; it must hold "step".
    """
    arrays = {key: keras.ops.convert_to_numpy(variable) for key, variable in checkpoint_variables(cyclegan)}
    return write_checkpoint(folder, arrays, state, keep)


def write_checkpoint(folder: str | os.PathLike, arrays: dict, state: dict, keep: int = 2) -> Path:
    """Write `arrays` ({"network/0": array, ...}) and `state` (with "step") as `folder/step-NNNNNN.npz`,
    atomically, and delete all but the `keep` newest checkpoints. Refuses (NotFiniteError) to save values
    that are not finite, so every checkpoint on disk holds numbers: the newest is the last good one."""
    for key, value in arrays.items():
        if np.issubdtype(value.dtype, np.floating) and not np.isfinite(value).all():
            network = key.split("/")[0]
            raise NotFiniteError(
                f"Not saving step {state['step']}: {network} holds values that are not finite (NaN or infinity), "
                f"so the run diverged. {last_good(folder)}",
                state["step"],
                network,
            )
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {"state": np.array(json.dumps(state)), **arrays}
    final = files.atomic_write(folder / f"step-{state['step']:06d}.npz", lambda file: np.savez(file, **arrays))
    for old in list_checkpoints(folder)[:-keep]:
        old.unlink(missing_ok=True)
    return final


def last_good(folder: str | os.PathLike | None) -> str:
    """One sentence for a run that diverged: which checkpoint in `folder` is the last good one, or that none is.

    Every checkpoint on disk holds finite numbers (`write_checkpoint` refuses
    others), so the newest is the last good one; but only if there is one.
    """
    newest = latest_checkpoint(folder) if folder is not None else None
    if newest is not None:
        return f"The last good checkpoint is {newest}."
    if folder is None:
        return "This run keeps no checkpoints (it has no checkpoint folder), so none was saved."
    return f"No checkpoint was saved in {folder} before it."


def restore_checkpoint(cyclegan, path: str | os.PathLike | Checkpoint) -> dict:
    """Load a checkpoint (a path, or one already read) into a CycleGAN built with the same
    configuration; returns its state.

    A path is read by `read_checked`: its state must be one training goes on
    from (`check_resumable`), and no array may declare more than 8 bytes for
    each number of the largest variable of `cyclegan`.
    """
    if isinstance(path, Checkpoint):
        checkpoint = path
    else:
        largest = 8 * max(math.prod(variable.shape) for _, variable in checkpoint_variables(cyclegan))

        def check(state) -> tuple[int, str]:
            check_resumable(state)
            return largest, "any variable of the model it is loaded into"

        checkpoint = read_checked(path, check)
    for name, obj in _parts(cyclegan):
        _build_optimizer(cyclegan, name, obj)
        assign_network(obj, name, checkpoint.arrays, checkpoint.path)
    return checkpoint.state


def assign_network(obj, name: str, arrays, path) -> None:
    """Set the variables of `obj` (a network, an optimiser) from `arrays`' "name/0", "name/1", ...
    (CheckpointMismatchError if they do not fit)."""
    variables = obj.variables
    stored = [k for k in arrays if k.startswith(name + "/")]
    if len(stored) != len(variables):
        raise CheckpointMismatchError(
            f"Checkpoint {path} does not fit this model: {name} has {len(variables)} variables, "
            f"the checkpoint {len(stored)}. Was it made with another configuration?"
        )
    for i, variable in enumerate(variables):
        value = arrays[f"{name}/{i}"]
        if tuple(value.shape) != tuple(variable.shape):
            raise CheckpointMismatchError(
                f"Checkpoint {path} does not fit this model: {name} variable {i} has shape "
                f"{tuple(variable.shape)}, the checkpoint {tuple(value.shape)}."
            )
        variable.assign(value)


def _build_optimizer(cyclegan, name, obj) -> None:
    """Optimisers create their variables lazily; create them now so they can be saved or loaded."""
    if isinstance(obj, keras.optimizers.Optimizer) and not obj.built:
        network = getattr(cyclegan, name.removesuffix("_optimizer"))
        obj.build(network.trainable_variables)
