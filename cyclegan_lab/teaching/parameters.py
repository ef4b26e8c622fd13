"""Check a notebook's parameters, so a bad value gets one line that names it, not a traceback deep inside.

Papermill injects parameters as they are typed (`-p N_PHOTOS abc` gives the
string "abc"), and a learner may type anything into the parameters cell.
Each notebook passes its parameters through `check_parameter` right after that cell:

    N_PHOTOS = check_parameter("N_PHOTOS", N_PHOTOS, whole=(1, 300))
    SMOKE = check_parameter("SMOKE", SMOKE, flag=True)
    MODEL = check_parameter("MODEL", MODEL, choices=("monet", "checkpoint"))

A bad value raises ParameterError, which Jupyter shows as its one line.
"""

from __future__ import annotations

import math
import os

__all__ = ["ParameterError", "check_parameter", "check_held_out"]


class ParameterError(ValueError):
    """A notebook parameter with a value it does not accept."""

    def _render_traceback_(self):  # IPython shows these lines instead of a traceback
        return [f"ParameterError: {self}"]


def check_parameter(
    name: str,
    value,
    *,
    whole: tuple[int, int | None] | None = None,
    number: tuple[float, float | None] | None = None,
    flag: bool = False,
    choices: tuple | None = None,
    path: bool = False,
    optional: bool = False,
):
    """`value` if the parameter `name` accepts it (a whole number in `whole` = (low, high or None),
    a finite number in `number`, True/False for `flag`, one of `choices`, a folder or file name
    for `path`; None too if `optional`); else ParameterError saying what it accepts."""
    if optional and value is None:
        return None
    ok, accepts = True, []
    if whole is not None:
        low, high = whole
        accepts.append(f"a whole number from {low}" + (f" to {high}" if high is not None else " up"))
        ok = not isinstance(value, bool) and isinstance(value, int) and low <= value and (high is None or value <= high)
    elif number is not None:
        low, high = number
        accepts.append(f"a number from {low}" + (f" to {high}" if high is not None else " up"))
        ok = (
            not isinstance(value, bool)
            and isinstance(value, (int, float))
            and math.isfinite(value)
            and low <= value
            and (high is None or value <= high)
        )
    elif flag:
        accepts.append("True or False")
        ok = isinstance(value, bool)
    elif choices is not None:
        accepts.append("one of " + ", ".join(repr(c) for c in choices))
        ok = value in choices
    elif path:
        accepts.append("a folder or file name (a string)")
        ok = isinstance(value, (str, os.PathLike)) and str(value) != ""
    if not ok:
        also = " or None" if optional else ""
        raise ParameterError(f"{name} must be {accepts[0]}{also}; got {value!r}")
    return value


def check_held_out(files: list, start: int, count: int, *, need: int = 2, where="the photo folder") -> list:
    """The `count` files of `files` from number `start` on (the photos a run trained on the first
    `start` never saw), or, when `start` lies past the end, the last `count` (the caller says so).

    Raises ParameterError, naming HELD_OUT_FROM (or DATA_DIR, for a folder of fewer than `need`
    photos), when that leaves fewer than `need`: the measures compare sets of at least 2, and
    would otherwise stop deep inside with an error that names neither.
    """
    if len(files) < need:
        raise ParameterError(f"DATA_DIR must hold at least {need} photos; {where} has {len(files)}")
    chosen = list(files[start : start + count]) or list(files[-count:])
    if len(chosen) < need:
        raise ParameterError(
            f"HELD_OUT_FROM must leave at least {need} of the {len(files):,} photos in {where} for the measures: "
            f"a whole number up to {len(files) - need}; got {start!r}, which leaves {len(chosen)}"
        )
    return chosen
