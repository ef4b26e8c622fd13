"""Checks of a setting's value, each one clear ValueError naming the setting (or nothing).

`config.TrainConfig` and `recipe.config.RecipeConfig` check their fields with
these, and `inference.stylize` and the command line their sizes, so that
`size=0` in Python and `--size 0` on the command line get the same answer.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["check_number", "check_whole", "check_finite", "check_choices", "check_largest", "check_power_of_two"]


def check_number(name: str, value, low: int, high: int, unit: str = "") -> int:
    """`value` as an int if it is a whole number from `low` to `high`; else ValueError saying so.

    The Python functions and the command line share this check, so `size=0`
    and `--size 0` get the same answer.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}{unit}, got {value!r}")
    return int(value)


def check_whole(name: str, value, allow_none: bool) -> None:
    """ValueError unless `value` is a whole number of at least 1 (or None, where allowed)."""
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive whole number, got {value!r}")


def check_finite(name: str, value) -> None:
    """ValueError unless `value` is a finite number (not True or False)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")


def check_choices(config, choices: dict) -> None:
    """ValueError unless each field of `choices` holds one of its allowed values."""
    for name, allowed in choices.items():
        if getattr(config, name) not in allowed:
            raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {getattr(config, name)!r}")


def check_largest(config, largest: dict) -> None:
    """ValueError if a size is over its bound: before any network is built (10**6 filters would never fit)."""
    for name, bound in largest.items():
        if getattr(config, name) is not None and getattr(config, name) > bound:
            raise ValueError(
                f"{name} must be at most {bound} (far more than any real run uses), got {getattr(config, name)!r}"
            )


def check_power_of_two(name: str, value: int, largest: int | None = None) -> int:
    """`value`, if it is a power of two of at least 32 (and at most `largest`); else one ValueError.

    The U-Net halves its input down to one pixel, and the networks are built
    for one size: 32, 64, 128, 256, ... (the lab uses 256).
    """
    if value < 32 or value & (value - 1) or (largest is not None and value > largest):
        span = f"from 32 to image_size ({largest})" if largest is not None else "of at least 32"
        raise ValueError(f"{name} must be a power of two {span} (the lab uses 256), got {value!r}")
    return value
