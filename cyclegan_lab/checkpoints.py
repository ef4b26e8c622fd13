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
only the chief writes checkpoints (`distribute.is_chief`, in `callbacks.Checkpointer`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import zipfile
import zlib
from pathlib import Path

import keras
import numpy as np

from .machinery import files, folder_lock

_NAME = re.compile(r"^step-(\d+)\.npz$")
# Settings that only say how long a run is, or how it keeps its checkpoints: a resumed run may change them.
RUN_LENGTH = ("epochs", "steps_per_epoch", "checkpoint_every", "keep_checkpoints")
# What a damaged .npz raises while it is read: a cut-off or overwritten zip, a broken array header, a missing state.
_DAMAGE = (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error)


class DamagedCheckpointError(ValueError):
    """A checkpoint file that cannot be used: cut off, overwritten, not a checkpoint, or from a newer version."""


class CheckpointMismatchError(ValueError):
    """A checkpoint of another model: its variables do not fit this one."""


class ConfigChangedError(ValueError):
    """A run would resume from checkpoints made with other settings."""


@dataclasses.dataclass
class Checkpoint:
    """A checkpoint read into memory: its file, its arrays and its state (step, history, config)."""

    path: Path
    arrays: dict
    state: dict


def _parts(cyclegan):
    """(name, object) pairs of everything that has state: 4 networks, 4 optimisers, and the recipe's parts."""
    for name, network, optimizer in cyclegan.pairs():
        yield name, network
        yield name + "_optimizer", optimizer
    for part in cyclegan.recipe_parts():  # image pools, augmentation's random state, moving average
        yield part.name, part


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
    arrays = {}
    for name, obj in _parts(cyclegan):
        _build_optimizer(cyclegan, name, obj)
        for i, variable in enumerate(obj.variables):
            arrays[f"{name}/{i}"] = keras.ops.convert_to_numpy(variable)
    return write_checkpoint(folder, arrays, state, keep)


def write_checkpoint(folder: str | os.PathLike, arrays: dict, state: dict, keep: int = 2) -> Path:
    """Write `arrays` ({"network/0": array, ...}) and `state` (with "step") as `folder/step-NNNNNN.npz`,
    atomically, and delete all but the `keep` newest checkpoints. Refuses (ValueError) to save values
    that are not finite, so the newest checkpoint on disk stays the last good one."""
    for key, value in arrays.items():
        if np.issubdtype(value.dtype, np.floating) and not np.isfinite(value).all():
            raise ValueError(
                f"Not saving step {state['step']}: {key.split('/')[0]} holds values that are not finite "
                "(NaN or infinity). The newest checkpoint on disk is the last good one."
            )
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {"state": np.array(json.dumps(state)), **arrays}
    final = files.atomic_write(folder / f"step-{state['step']:06d}.npz", lambda file: np.savez(file, **arrays))
    for old in list_checkpoints(folder)[:-keep]:
        old.unlink(missing_ok=True)
    return final


def checkpoint_size(cyclegan) -> int:
    """About how many bytes one checkpoint of `cyclegan` takes: the sum of its variables' sizes."""
    total = 0
    for name, obj in _parts(cyclegan):
        _build_optimizer(cyclegan, name, obj)
        total += sum(int(np.prod(v.shape)) * np.dtype(v.dtype).itemsize for v in obj.variables)
    return total


def read_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read a checkpoint file whole; DamagedCheckpointError (saying why) if it cannot be read."""
    path = Path(path)
    try:
        with open(path, "rb") as file:
            head = file.read(6)
        if head.startswith(b"\x93NUMPY"):
            raise ValueError("it is a single NumPy array, not a checkpoint's .npz archive")
        if not head.startswith(b"PK"):
            raise ValueError("it is not a checkpoint's .npz archive (a zip file)")
        with np.load(path, allow_pickle=False) as stored:
            arrays = dict(stored)  # reads every array: a damaged one fails here, before any is used
        state = json.loads(str(arrays["state"]))
        _check_state(state)
    except _DAMAGE as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        if "pickle" in reason:  # never pass on NumPy's advice to load it unsafely
            reason = "it holds pickled Python objects, which no checkpoint does; not loaded, for safety"
        damaged = DamagedCheckpointError(
            f"Checkpoint {path} cannot be used ({reason}). Use another checkpoint, or move it away to resume "
            "from an older one."
        )
        damaged.reason = reason
        raise damaged from error
    return Checkpoint(path, arrays, state)


def _check_state(state) -> None:
    """ValueError unless `state` is a run's record: a dict with a whole-number step and known settings."""
    if not isinstance(state, dict):
        raise ValueError(f"its state is a {type(state).__name__}, not the record of a training run")
    if isinstance(state.get("step"), bool) or not isinstance(state.get("step"), int):
        raise ValueError("its state records no training step")
    config_of(state)


def config_of(state: dict):
    """The TrainConfig a checkpoint's `state` stores (the defaults where it stores none).

    ValueError naming the settings a newer version wrote that this one does
    not know, or the stored value this version refuses.
    """
    from .config import TrainConfig

    stored = state.get("config") or {}
    if not isinstance(stored, dict):
        raise ValueError("its stored settings are not a list of named settings")
    known = {field.name for field in dataclasses.fields(TrainConfig)}
    unknown = sorted(set(stored) - known)
    if unknown:
        raise ValueError(f"made by a newer version of cyclegan-lab: unknown settings {', '.join(unknown)}")
    try:
        return TrainConfig(**stored)
    except (TypeError, ValueError) as error:
        raise ValueError(f"its stored settings are invalid: {error}") from error


def restore_checkpoint(cyclegan, path: str | os.PathLike | Checkpoint) -> dict:
    """Load a checkpoint (a path, or one already read) into a CycleGAN built with the same
    configuration; returns its state."""
    checkpoint = path if isinstance(path, Checkpoint) else read_checkpoint(path)
    for name, obj in _parts(cyclegan):
        _build_optimizer(cyclegan, name, obj)
        _assign(obj, name, checkpoint.arrays, checkpoint.path)
    return checkpoint.state


def newest_readable_checkpoint(folder: str | os.PathLike, set_aside: bool = True) -> Checkpoint | None:
    """The newest checkpoint in `folder` that reads whole, or None when there is none.

    Each damaged newer one gets one line naming it and why; with `set_aside`
    it is renamed `step-NNNNNN.npz.damaged`: kept for you to look at, but out
    of the way, so neither the next save nor the rotation of old
    checkpoints mistakes it for a good one. When every checkpoint is
    damaged, DamagedCheckpointError: nothing is set aside or started afresh.
    """
    found = list_checkpoints(folder)
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


def check_room_for(cyclegan, folder: str | os.PathLike, keep: int = 1) -> None:
    """FolderNotWritableError unless `folder`'s disk has room for every checkpoint of `cyclegan` that
    will exist at once: `keep` of them plus the next, which is written before the oldest is deleted
    (less those already in the folder, whose space is taken)."""
    have = len(list_checkpoints(folder))
    at_once = keep + 1
    needed = max(1, at_once - have) * checkpoint_size(cyclegan)
    what = "one checkpoint" if keep == 1 and have else f"{at_once} checkpoints at once (keeping {keep})"
    files.check_free_space(folder, needed, what)


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


def load_network(network: keras.Model, path: str | os.PathLike, name: str = "monet_generator") -> keras.Model:
    """Load one network (by default the photo -> Monet generator) from a checkpoint."""
    try:
        with np.load(Path(path)) as stored:
            _assign(network, name, stored, path)
    except _DAMAGE as error:
        if isinstance(error, CheckpointMismatchError):
            raise
        raise DamagedCheckpointError(
            f"Checkpoint {path} is unreadable ({error}). Use another checkpoint of that run."
        ) from error
    return network


def _assign(obj, name, arrays, path) -> None:
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
