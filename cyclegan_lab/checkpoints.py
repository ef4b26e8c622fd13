"""Save and restore a whole training run, so an interrupted run can resume.

A checkpoint is one file, `step-000300.npz`, in a folder of your choice. It
holds every variable of the four networks (including dropout's random-number
state), of the four optimisers (Adam's moments and step counter) and of the
image pools, if any, plus the
loss history and the configuration as JSON.

It is written to a temporary file and renamed when complete, so a run killed
while saving leaves the previous checkpoint untouched. Only the newest
`keep` checkpoints are kept.

Nothing a checkpoint says is believed before it is checked (`read_checkpoint`):
its state must be a run's record (a step of at least 0, a loss history
training can go on from, valid settings), and each array's header must
declare no more than any variable of the stored settings' networks holds
(`largest_variable`), and exactly what its zip member holds, before a byte of
memory is taken for it. A file that fails is damaged: named with the reason
and, in a training folder, set aside for an older one.

A model trained with a `tf.distribute` strategy holds one copy of each
variable per replica, all equal; a checkpoint stores the values once, so it
loads into a model on one device, or under any other strategy. In a cluster
only the chief writes checkpoints (`distribute.is_chief`, in `callbacks.Checkpointer`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import re
import zipfile
import zlib
from pathlib import Path

import keras
import numpy as np

from .config import LOSS_NAMES
from .plumbing import files, folder_lock

_NAME = re.compile(r"^step-(\d+)\.npz$")
# Settings that only say how long a run is, or how it keeps its checkpoints: a resumed run may change them.
RUN_LENGTH = ("epochs", "steps_per_epoch", "checkpoint_every", "keep_checkpoints")
# What a damaged .npz raises while it is read: a cut-off or overwritten zip, a broken array header, a missing state.
_DAMAGE = (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error)
# The most text the state may take: its settings and loss history, about 320 bytes a step (as NumPy stores text,
# 4 bytes a character), so some 3 million steps; the recipe's run is 30,000.
_LARGEST_STATE = 2**30


class DamagedCheckpointError(ValueError):
    """A checkpoint file that cannot be used: cut off, overwritten, not a checkpoint, or from a newer version."""


class NotFiniteError(ValueError):
    """Values that are not finite (NaN or infinity) were to be saved: the run that made them diverged.

    `step` is the step refused, `network` the first part holding such values.
    """

    def __init__(self, message: str, step: int | None = None, network: str | None = None):
        super().__init__(message)
        self.step, self.network = step, network


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


def checkpoint_size(cyclegan) -> int:
    """About how many bytes one checkpoint of `cyclegan` takes: the sum of its variables' sizes."""
    total = 0
    for name, obj in _parts(cyclegan):
        _build_optimizer(cyclegan, name, obj)
        total += sum(int(np.prod(v.shape)) * np.dtype(v.dtype).itemsize for v in obj.variables)
    return total


def read_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read a checkpoint file whole; DamagedCheckpointError (saying why) if it cannot be read, or if what it
    says cannot be believed: first its state (`_check_state`), then each array's declared size (`_read_member`)."""
    path = Path(path)
    try:
        with open(path, "rb") as file:
            head = file.read(6)
        if head.startswith(b"\x93NUMPY"):
            raise ValueError("it is a single NumPy array, not a checkpoint's .npz archive")
        if not head.startswith(b"PK"):
            raise ValueError("it is not a checkpoint's .npz archive (a zip file)")
        with zipfile.ZipFile(path) as archive:
            members = {info.filename.removesuffix(".npy"): info for info in archive.infolist()}
            if "state" not in members:
                raise ValueError("it holds no state, the record of its run")
            text = _read_member(archive, "state", members.pop("state"), _LARGEST_STATE, "the record of any run")
            state = json.loads(str(text))
            _check_state(state)  # first: its settings say how large an array may be
            largest = 8 * largest_variable(config_of(state))  # 8 bytes: the widest number a variable holds
            arrays = {"state": text}
            for key, info in members.items():  # every array read: a damaged one fails here, before any is used
                arrays[key] = _read_member(archive, key, info, largest, "any variable of its networks")
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


def _read_member(archive: zipfile.ZipFile, key: str, info: zipfile.ZipInfo, largest: int, what: str) -> np.ndarray:
    """The array in the .npy member `info` of a checkpoint, read only once its header passes.

    The header declares the array's shape and type, and NumPy takes that much
    memory before it reads a byte: a forged header asks for 75 GB, and a zip
    member of zeros holds gigabytes in a few kilobytes. So the declared size
    must be at most `largest` bytes (`what` says whose size that is), and
    exactly what the member holds. ValueError, naming the member, if not.
    """
    formats = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
    with archive.open(info) as member:
        try:
            read_header = formats.get(np.lib.format.read_magic(member))
        except ValueError:
            raise ValueError(f"member {key} is not a NumPy array") from None
        if read_header is None:
            raise ValueError(f"member {key} is in a .npy format that no checkpoint uses")
        shape, _, dtype = read_header(member)
        if dtype.hasobject:  # never unpickled
            raise ValueError(f"member {key} holds pickled Python objects")
        size = math.prod(shape) * dtype.itemsize
        declared = f"member {key} declares shape {shape} of {dtype} ({files.human_size(size)})"
        if size > largest:
            raise ValueError(f"{declared}: more than {what} takes ({files.human_size(largest)} at most)")
        if size != info.file_size - member.tell():
            raise ValueError(f"{declared} but holds {files.human_size(info.file_size - member.tell())}")
        member.seek(0)
        return np.lib.format.read_array(member, allow_pickle=False)


def largest_variable(config) -> int:
    """How many numbers the largest variable of the networks `config` describes can hold, at most.

    The generators' largest is a U-Net decoder's convolution: 4x4, from 16 x
    filters channels (its input beside the encoder's skip) to 8 x filters;
    the ResNet's are smaller. The discriminators' is the PatchGAN's 4x4
    convolution from 256 to 512 channels (a projected one's are smaller). An
    image pool holds pool_size images. Adam's moments and the moving average
    have the shapes of the weights they follow.
    """
    generator = 4 * 4 * (16 * config.filters) * (8 * config.filters)
    discriminator = 4 * 4 * 256 * 512
    pool = config.pool_size * config.train_size**2 * 3
    return max(generator, discriminator, pool)


def _check_state(state) -> None:
    """ValueError unless `state` is a run's record: a dict with a step of at least 0, a loss history
    training can go on from, a count of replicas, and known settings."""
    if not isinstance(state, dict):
        raise ValueError(f"its state is a {type(state).__name__}, not the record of a training run")
    step = state.get("step")
    if isinstance(step, bool) or not isinstance(step, int):
        raise ValueError("its state records no training step")
    if step < 0:
        raise ValueError(f"its state records step {step}, not a count of the steps trained")
    replicas = state.get("replicas", 1)
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 1:
        raise ValueError(f"its state records {replicas!r} replicas, not a count of devices")
    _check_history(state.get("history", {}))
    config_of(state)


def _check_history(history) -> None:
    """ValueError unless `history` is what `callbacks.LossHistory.to_dict` saves: {"steps": {...}, "epochs":
    {...}}, each a list of finite numbers per loss of LOSS_NAMES, as many for each loss (a missing one has none)."""
    if not isinstance(history, dict):
        raise ValueError(f"its loss history is a {type(history).__name__}, not the losses of each step and epoch")
    unknown = sorted(set(history) - {"steps", "epochs"})
    if unknown:
        raise ValueError(f"its loss history holds unknown parts: {', '.join(unknown)}")
    for part, losses in history.items():
        if not isinstance(losses, dict):
            raise ValueError(f"its loss history's {part} are a {type(losses).__name__}, not one list per loss")
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


def config_of(state: dict):
    """The TrainConfig a checkpoint's `state` stores (the defaults where it stores none).

    A state without "config" (`save_checkpoint` called by hand) means the
    defaults. One whose "config" is there but is not named settings (null, a
    list, a number) is damaged: ValueError saying so, as for the settings a
    newer version wrote that this one does not know, or a stored value this
    version refuses. Taking the defaults for it would build another model,
    which the checkpoint's arrays then "do not fit".
    """
    from .config import TrainConfig

    stored = state.get("config", {})
    if stored is None:
        raise ValueError("its stored settings are missing: config is null")
    if not isinstance(stored, dict):
        kind = {list: "a list", str: "a string", bool: "true or false"}.get(type(stored), "a number")
        raise ValueError(f"its stored settings (config) are {kind}, not named settings")
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
