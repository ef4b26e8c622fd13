"""cyclegan_lab.recipe.config: `RecipeConfig` refuses a bad recipe setting by name, as `TrainConfig` does
the lab's; `with_settings` reads the command line's `--set FIELD=VALUE`."""

from __future__ import annotations

import pytest

from cyclegan_lab.recipe.config import RECIPE, RecipeConfig, with_settings


@pytest.mark.parametrize(
    "bad",
    [
        dict(generator="transformer"),
        dict(adversarial_loss="wgan"),
        dict(precision="float16"),
        dict(upsampling="bilinear"),
        dict(diffaugment="translation,rotation"),
        dict(ema_decay=1.0),
        dict(residual_blocks=0),
        dict(pool_size=-1),
        dict(decay_epochs=3, epochs=2),
        dict(crop_size=48),
        dict(crop_size=512),
        dict(generator_filters=0),
        dict(downsamplings=3),
        dict(cycle_noise=-0.1),
        dict(cycle_noise=2.0),
        dict(cycle_noise=float("nan")),
        dict(label_smoothing=0.5),
        dict(label_smoothing=-0.1),
        dict(spectral_weight=-1.0),
        dict(spectral_weight=float("inf")),
        dict(upsampling="subpixel", generator="unet"),
        dict(input_skip=True, generator="compact"),
        dict(input_skip="yes", generator="resnet"),
        dict(discriminator_scales_at_one="yes"),
        dict(discriminator="stylegan"),
    ],
)
def test_bad_recipe_options_are_refused_with_the_options_name(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        RecipeConfig(**bad)


def test_command_line_settings_change_the_recipe_and_name_what_is_wrong():
    """`--set` values are Python literals where they parse (numbers, None, True) and strings otherwise;
    the recipe itself is left as it was; a setting without "=", an unknown one or a bad value is refused."""
    config = with_settings(RECIPE, ["identity_weight=0.1", "crop_size=None", "diffaugment=translation,color", "seed=3"])
    assert (config.identity_weight, config.crop_size, config.seed) == (0.1, None, 3)
    assert config.diffaugment_policies == ("translation", "color")
    assert RECIPE["crop_size"] == 128 and with_settings(RECIPE, []) == RecipeConfig(**RECIPE)
    for bad, message in [
        (["identity_weight"], "FIELD=VALUE"),
        (["identity_wieght=0.1"], "no setting identity_wieght"),
        (["learning_rate=-1"], "learning_rate"),
    ]:
        with pytest.raises(ValueError, match=message):
            with_settings(RECIPE, bad)
