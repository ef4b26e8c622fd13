"""cyclegan_lab.config: `TrainConfig`'s defaults are the lab's, and what it refuses is refused by name:
an unknown option, a setting that is not a finite number, a negative seed, a size no real run uses;
the recipe's settings are `RecipeConfig`'s (test_recipe_config.py).

`generator_filters: 1000000` once ran out of memory with a raw
ResourceExhaustedError, and `residual_blocks: 1000000` spent hours building
the network before anything was checked: on the command line, in a
checkpoint's stored settings and in the shipped model's ``monet.json`` alike.
Each is now one message naming the setting, and nothing is built (ABSURD is
shared with test_cli.py, test_checkpoints.py and test_pretrained.py, which
check those three).
"""

from __future__ import annotations

import pytest

from cyclegan_lab.config import TrainConfig
from cyclegan_lab.recipe.config import RECIPE, RecipeConfig

# Settings far beyond any network that fits in memory; image_size stays a power of two, so only its size is wrong.
ABSURD = {
    "generator_filters": 1_000_000,
    "residual_blocks": 1_000_000,
    "image_size": 2**20,
    "batch_size": 1_000_000,
    "pool_size": 1_000_000,
}


@pytest.mark.parametrize("name", list(ABSURD))
def test_an_absurd_size_is_refused_naming_the_setting(name):
    with pytest.raises(ValueError, match=f"^{name} must be at most .*got {ABSURD[name]}") as error:
        RecipeConfig(**{name: ABSURD[name]})
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    "values",
    [
        {},  # the lab's
        RECIPE,  # the shipped model's
        dict(generator="resnet", generator_filters=64, residual_blocks=9, pool_size=50),  # the paper's, 256 pixels
        dict(image_size=1024, batch_size=64, generator_filters=128, residual_blocks=18),  # larger than any of those
    ],
)
def test_the_sizes_real_runs_use_are_accepted(values):
    RecipeConfig(**values)


def test_defaults_are_the_labs_recipe():
    config = TrainConfig()
    assert (config.generator, config.filters, config.train_size) == ("unet", 64, 256)
    assert (config.adversarial_loss, config.augment, config.epochs) == ("bce", False, 1)
    assert (config.lambda_cycle, config.identity_weight, config.learning_rate, config.beta_1) == (10.0, 0.5, 2e-4, 0.5)


def test_a_recipe_setting_is_not_the_labs():
    """The lab's config holds only the lab's settings: a recipe's is refused by name, and a
    `RecipeConfig` with none of its own switched on is the lab's config with the recipe's defaults."""
    with pytest.raises(TypeError, match="pool_size"):
        TrainConfig(pool_size=50)
    assert RecipeConfig().to_dict().items() >= TrainConfig().to_dict().items()


@pytest.mark.parametrize(
    "bad",
    [
        dict(generator="transformer"),
        dict(adversarial_loss="wgan"),
        dict(precision="float16"),
        dict(residual_blocks=0),
        dict(generator_filters=0),
        dict(image_size=48),
    ],
)
def test_bad_options_are_refused_with_the_options_name(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        TrainConfig(**bad)


@pytest.mark.parametrize(
    "field, value",
    [
        ("lambda_cycle", float("inf")),
        ("learning_rate", float("nan")),
        ("learning_rate", "0.1"),
        ("identity_weight", float("inf")),
    ],
)
def test_settings_must_be_finite_numbers(field, value):
    with pytest.raises(ValueError, match=f"{field} must be a finite number"):
        TrainConfig(**{field: value})


def test_a_negative_seed_is_refused():
    """Case 7: notebook 2 with -p SEED -1 failed deep inside numpy."""
    with pytest.raises(ValueError, match=r"seed must be a whole number from 0 to 4294967295 .*got -1"):
        TrainConfig(seed=-1)
    with pytest.raises(ValueError, match="seed"):
        TrainConfig(seed=2**32)
    TrainConfig(seed=2**32 - 1)


def test_lambda_zero_turns_the_cycle_off_and_a_negative_one_is_refused():
    """Notebook 6 records a run with LAMBDA 0 (no cycle or identity loss) for its diagnose exercise."""
    assert TrainConfig(lambda_cycle=0.0).lambda_cycle == 0.0
    with pytest.raises(ValueError, match="lambda_cycle must be a finite number from 0 up, got -1.0"):
        TrainConfig(lambda_cycle=-1.0)
