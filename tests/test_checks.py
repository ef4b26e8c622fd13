"""cyclegan_lab.plumbing.checks: each check lets a good value through and refuses a bad one in one message
that names the setting and what it must be."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from cyclegan_lab.plumbing.checks import check_choices, check_finite, check_largest, check_number, check_whole


def test_a_number_in_range_comes_back_as_an_int_and_others_are_named():
    assert check_number("size", np.int64(256), 16, 4096) == 256 and type(check_number("size", 16, 16, 4096)) is int
    for bad in [15, 4097, 2.5, True, "256", None]:
        with pytest.raises(ValueError, match=r"^size must be a whole number from 16 to 4096 \(pixels\), got "):
            check_number("size", bad, 16, 4096, " (pixels)")


def test_whole_numbers_finite_numbers_choices_and_bounds():
    check_whole("epochs", 3, allow_none=False)
    check_whole("max_images", None, allow_none=True)
    for bad in [0, -1, 1.0, True]:
        with pytest.raises(ValueError, match="^epochs must be a positive whole number"):
            check_whole("epochs", bad, allow_none=False)
    with pytest.raises(ValueError, match="epochs must be a positive whole number, got None"):
        check_whole("epochs", None, allow_none=False)

    check_finite("beta_1", 0.5)
    for bad in [float("nan"), float("inf"), "0.1", False]:
        with pytest.raises(ValueError, match="^beta_1 must be a finite number"):
            check_finite("beta_1", bad)

    config = SimpleNamespace(loss="bce", filters=2048, blocks=None)
    check_choices(config, {"loss": ("bce", "lsgan")})
    with pytest.raises(ValueError, match="^loss must be one of wgan; got 'bce'"):
        check_choices(config, {"loss": ("wgan",)})
    check_largest(config, {"blocks": 64, "filters": 4096})  # None: no size to check
    with pytest.raises(ValueError, match="^filters must be at most 1024 .*got 2048"):
        check_largest(config, {"filters": 1024})
