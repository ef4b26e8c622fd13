"""A checkpoint file: one `.npz` of arrays and a JSON "state", read whole, believing nothing it says unchecked.

`checkpoints.py` writes them: `step-000300.npz`, holding every variable of a
training run by name ("monet_generator/0", ...) and its state (step, loss
history, settings). `read_checked` reads one: its state first, judged by the
caller (`check_resumable` is what training goes on from), then each array,
whose header must declare no more than the state allows, and exactly what its
zip member holds, before a byte of memory is taken for it (`npz`). A file
that fails is a `DamagedCheckpointError` naming it and the reason.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from pathlib import Path

from . import npz

__all__ = ["DamagedCheckpointError", "Checkpoint", "read_checked", "check_resumable"]

# The most text the state may take: its settings and loss history, about 320 bytes a step (as NumPy stores text,
# 4 bytes a character), so some 3 million steps; the recipe's run is 30,000.
_LARGEST_STATE = 2**30


class DamagedCheckpointError(ValueError):
    """A checkpoint file that cannot be used: cut off, overwritten, not a checkpoint, or from a newer version."""


@dataclasses.dataclass
class Checkpoint:
    """A checkpoint read into memory: its file, its arrays and its state (step, history, config)."""

    path: Path
    arrays: dict
    state: dict


def read_checked(path: str | os.PathLike, check: Callable[[dict], tuple[int, str]]) -> Checkpoint:
    """Read a checkpoint file whole, believing nothing it says before it is checked.

    Its state is read first and handed to `check`, which raises ValueError if
    it cannot be used, and returns the most bytes an array may take and whose
    size that is; then every array, each only once its header passes
    (`npz`). Anything that fails: DamagedCheckpointError, saying why (also in
    its `reason`).
    """
    path = Path(path)
    try:
        with npz.open_npz(path, "a checkpoint's .npz archive") as archive:
            if "state" not in archive.members:
                raise ValueError("it holds no state, the record of its run")
            text = archive.read("state", _LARGEST_STATE, "the record of any run")
            state = json.loads(str(text))
            largest, what = check(state)  # first: the state says how large an array may be
            arrays = {"state": text}
            for key in archive.members:  # every array read: a damaged one fails here, before any is used
                if key != "state":
                    arrays[key] = archive.read(key, largest, what)
    except npz.DAMAGE as error:
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


def check_resumable(state) -> None:
    """ValueError unless `state` holds what training goes on from: a dict with a step of at least 0 and a
    loss history of steps and epochs (`callbacks.LossHistory.to_dict`)."""
    if not isinstance(state, dict):
        raise ValueError(f"its state is a {type(state).__name__}, not the record of a training run")
    step = state.get("step")
    if isinstance(step, bool) or not isinstance(step, int):
        raise ValueError("its state records no training step")
    if step < 0:
        raise ValueError(f"its state records step {step}, not a count of the steps trained")
    history = state.get("history", {})
    if not isinstance(history, dict):
        raise ValueError(f"its loss history is a {type(history).__name__}, not the losses of each step and epoch")
    unknown = sorted(set(history) - {"steps", "epochs"})
    if unknown:
        raise ValueError(f"its loss history holds unknown parts: {', '.join(unknown)}")
    for part, losses in history.items():
        if not isinstance(losses, dict):
            raise ValueError(f"its loss history's {part} are a {type(losses).__name__}, not one list per loss")
