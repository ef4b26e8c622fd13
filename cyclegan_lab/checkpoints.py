"""Save and restore a whole training run, so an interrupted run can resume.

A checkpoint is one file, `step-000300.npz`, in a folder of your choice. It
holds every variable of the four networks (including dropout's random-number
state), of the four optimisers (Adam's moments and step counter) and of the
image pools, if any, plus the
loss history and the configuration as JSON.

It is written to a temporary file and renamed when complete, so a run killed
while saving leaves the previous checkpoint untouched. Only the newest
`keep` checkpoints are kept.

A model trained with a `tf.distribute` strategy holds one copy of each
variable per replica, all equal; a checkpoint stores the values once, so it
loads into a model on one device, or under any other strategy. In a cluster
only the chief writes checkpoints (`distribute.is_chief`).
"""

from __future__ import annotations

import json
import os
import re
import secrets
from pathlib import Path

import keras
import numpy as np

from . import distribute

NETWORKS = ["monet_generator", "photo_generator", "monet_discriminator", "photo_discriminator"]
_NAME = re.compile(r"^step-(\d+)\.npz$")


def _parts(cyclegan):
    """(name, object) pairs of everything that has state: 4 networks, 4 optimisers (and image pools)."""
    for name in NETWORKS:
        yield name, getattr(cyclegan, name)
        yield name + "_optimizer", getattr(cyclegan, name + "_optimizer")
    for pool in getattr(cyclegan, "pools", None) or []:
        yield pool.name, pool


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
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {"state": np.array(json.dumps(state))}
    for name, obj in _parts(cyclegan):
        _build_optimizer(cyclegan, name, obj)
        for i, variable in enumerate(obj.variables):
            arrays[f"{name}/{i}"] = keras.ops.convert_to_numpy(variable)
    final = folder / f"step-{state['step']:06d}.npz"
    temporary = folder / f"{final.name}.part-{secrets.token_hex(4)}"
    try:
        with open(temporary, "xb") as file:
            np.savez(file, **arrays)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, final)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    for old in list_checkpoints(folder)[:-keep]:
        old.unlink(missing_ok=True)
    return final


def restore_checkpoint(cyclegan, path: str | os.PathLike) -> dict:
    """Load a checkpoint into a CycleGAN built with the same configuration; returns its state."""
    path = Path(path)
    try:
        with np.load(path) as stored:
            arrays = dict(stored)
    except (OSError, ValueError, EOFError) as error:
        raise ValueError(f"Checkpoint {path} is unreadable ({error}). Delete it to resume from an older one.") from error
    for name, obj in _parts(cyclegan):
        _build_optimizer(cyclegan, name, obj)
        _assign(obj, name, arrays, path)
    return json.loads(str(arrays["state"]))


def load_network(network: keras.Model, path: str | os.PathLike, name: str = "monet_generator") -> keras.Model:
    """Load one network (by default the photo -> Monet generator) from a checkpoint."""
    with np.load(Path(path)) as stored:
        _assign(network, name, stored, path)
    return network


def _assign(obj, name, arrays, path) -> None:
    variables = obj.variables
    stored = [k for k in arrays if k.startswith(name + "/")]
    if len(stored) != len(variables):
        raise ValueError(
            f"Checkpoint {path} does not fit this model: {name} has {len(variables)} variables, "
            f"the checkpoint {len(stored)}. Was it made with another configuration?"
        )
    for i, variable in enumerate(variables):
        value = arrays[f"{name}/{i}"]
        if tuple(value.shape) != tuple(variable.shape):
            raise ValueError(
                f"Checkpoint {path} does not fit this model: {name} variable {i} has shape "
                f"{tuple(variable.shape)}, the checkpoint {tuple(value.shape)}."
            )
        variable.assign(value)


def _build_optimizer(cyclegan, name, obj) -> None:
    """Optimisers create their variables lazily; create them now so they can be saved or loaded."""
    if isinstance(obj, keras.optimizers.Optimizer) and not obj.built:
        network = getattr(cyclegan, name.removesuffix("_optimizer"))
        obj.build(network.trainable_variables)


class Checkpointer(keras.callbacks.Callback):
    """Save a checkpoint every `every` steps (if given) and at the end of every epoch.

    `state` is called at each save and returns the extra JSON state (loss
    history, configuration); the step is read from the optimiser's counter.
    In a multi-worker cluster only the chief saves; on the others it does nothing.
    """

    def __init__(self, folder, state=lambda: {}, every: int | None = None, keep: int = 2):
        super().__init__()
        self.folder, self.state, self.every, self.keep = Path(folder), state, every, keep
        self.saved_step = None

    def step(self) -> int:
        return int(keras.ops.convert_to_numpy(self.model.monet_generator_optimizer.iterations))

    def save(self) -> None:
        if not distribute.is_chief(self.model.distribute_strategy):
            return
        step = self.step()
        if step != self.saved_step:
            save_checkpoint(self.model, self.folder, {**self.state(), "step": step}, keep=self.keep)
            self.saved_step = step

    def on_train_batch_end(self, batch, logs=None):
        if self.every and self.step() % self.every == 0:
            self.save()

    def on_epoch_end(self, epoch, logs=None):
        self.save()
