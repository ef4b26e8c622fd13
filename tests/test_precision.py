"""cyclegan_lab.plumbing.precision: what "auto" means (the CPU's flags, the accelerators, CYCLEGAN_LAB_PRECISION),
and bfloat16 mixed precision: it trains, hands back float32 images and keeps float32 weights, so one
checkpoint loads in either precision.
"""

import sys

import keras
import numpy as np
import pytest
import tensorflow as tf
from test_cyclegan import TINY, a_batch

from cyclegan_lab import checkpoints
from cyclegan_lab.config import TrainConfig
from cyclegan_lab.cyclegan import LOSS_NAMES
from cyclegan_lab.losses import cycle_loss, generator_loss
from cyclegan_lab.plumbing import precision
from cyclegan_lab.training import build_cyclegan, describe_mode


def bfloat16_rounding(cyclegan) -> float:
    """How far the Monet generator's images lie from those of the same weights computing in float32,
    relative to their largest value: 0 (or about 1e-7) when it computes in float32, a few thousandths
    in bfloat16, which keeps 8 significant bits (a relative rounding error of up to 2^-8 = 0.4%)."""
    exact = build_cyclegan(TrainConfig(**TINY)).monet_generator
    exact.set_weights(cyclegan.monet_generator.get_weights())
    photo = a_batch(seed=9)[1]
    got, expected = (keras.ops.convert_to_numpy(image) for image in (cyclegan.monet_generator(photo), exact(photo)))
    return float(np.abs(got - expected).max() / np.abs(expected).max())


def test_bfloat16_mixed_precision_trains_and_returns_float32():
    """bfloat16 is emulated (slow) on CPUs without it, but must give the same kind of result."""
    cyclegan = build_cyclegan(TrainConfig(**{**TINY, "precision": "bfloat16"}))
    assert 5e-4 < bfloat16_rounding(cyclegan) < 0.1  # it computes in bfloat16, and still computes the same images
    assert cyclegan.monet_generator.trainable_variables[0].dtype == "float32"  # weights stay float32
    assert keras.config.dtype_policy().name == "float32"  # building did not change the global policy
    real_monet, real_photo = a_batch(seed=7)
    losses = tf.function(cyclegan.train_step)((real_monet, real_photo))
    assert all(np.isfinite(float(losses[name])) for name in LOSS_NAMES)
    # Every network hands back float32, so it meets float32 images in any loss (notebook 5 does this).
    fakes = cyclegan.monet_generator(real_photo)
    assert fakes.dtype == "float32" and fakes.shape == (1, 32, 32, 3) and np.abs(fakes).max() <= 1.0
    assert cyclegan.monet_discriminator(real_monet).dtype == "float32"
    cycled = cyclegan.photo_generator(fakes)
    assert np.isfinite(float(cycle_loss(real_photo, cycled, 10.0)))
    assert np.isfinite(float(generator_loss(cyclegan.monet_discriminator(fakes))))


def test_a_bfloat16_checkpoint_loads_in_either_precision(tmp_path):
    """The weights are float32 in both, so the same file loads into a float32 or a bfloat16 model.

    The same model in the same precision computes the same images. In float32 it computes what the
    bfloat16 model approximates: bfloat16 keeps 8 significant bits (a relative rounding error of up
    to 2^-8 = 0.4%) at each of the generator's few dozen roundings, so outputs in [-1, 1] may differ
    by a few hundredths, and no more.
    """
    trained = build_cyclegan(TrainConfig(**{**TINY, "precision": "bfloat16"}))
    real_monet, real_photo = a_batch(seed=8)
    step = tf.function(trained.train_step)
    for _ in range(2):
        step((real_monet, real_photo))
    path = checkpoints.save_checkpoint(trained, tmp_path, {"step": 2})
    photos = tf.random.stateless_uniform((2, 32, 32, 3), (9, 9), -1, 1)
    expected = keras.ops.convert_to_numpy(trained.monet_generator(photos))

    again = build_cyclegan(TrainConfig(**{**TINY, "precision": "bfloat16"}))
    checkpoints.restore_checkpoint(again, path)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(again.monet_generator(photos)), expected)

    float32 = build_cyclegan(TrainConfig(**TINY))
    checkpoints.restore_checkpoint(float32, path)
    for a, b in zip(float32.monet_generator.trainable_variables, trained.monet_generator.trainable_variables):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))
    exact = keras.ops.convert_to_numpy(float32.monet_generator(photos))
    assert exact.dtype == np.float32
    np.testing.assert_allclose(exact, expected, atol=8 * 2**-8)
    assert not np.array_equal(exact, expected), "bfloat16 should round somewhere; is the policy applied?"


@pytest.mark.parametrize(
    "flags, expected",
    [
        ("fpu sse avx2 fma", False),
        ("fpu avx2 avx512f avx512_bf16 amx_tile", True),
        ("fpu avx2 amx_bf16 amx_tile", True),
        ("fpu avx512f avx512_bf16x", False),
    ],
)
def test_bfloat16_is_detected_from_the_cpu_flags(flags, expected):
    assert precision.cpu_has_bfloat16(f"processor : 0\nflags : {flags}\n") is expected


def test_auto_precision_falls_back_to_float32_without_bfloat16_hardware(monkeypatch):
    monkeypatch.delenv(precision.ENVIRONMENT_VARIABLE, raising=False)
    monkeypatch.setattr(precision, "cpu_has_bfloat16", lambda cpuinfo=None: False)
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: [])  # no GPU, no TPU
    assert precision.resolve_precision("auto") == "float32"
    assert describe_mode(TrainConfig()).startswith("float32 (this CPU has no bfloat16 instructions")
    monkeypatch.setattr(precision, "cpu_has_bfloat16", lambda cpuinfo=None: True)
    assert precision.resolve_precision("auto") == "bfloat16"
    assert precision.resolve_precision("float32") == "float32"
    with pytest.raises(ValueError, match="precision"):
        precision.resolve_precision("float16")


def test_without_tensorflow_there_is_no_accelerator_and_auto_follows_the_cpu(monkeypatch):
    """On a machine with JAX alone (scripts/train_monet_jax.py) loading a generator must not need TensorFlow."""
    monkeypatch.setitem(sys.modules, "tensorflow", None)  # `import tensorflow` now raises ImportError
    monkeypatch.delenv(precision.ENVIRONMENT_VARIABLE, raising=False)
    assert precision.tensorflow_devices("GPU") == [] and precision.tensorflow_devices("TPU") == []
    for has_it, expected in [(True, "bfloat16"), (False, "float32")]:
        monkeypatch.setattr(precision, "cpu_has_bfloat16", lambda cpuinfo=None, has_it=has_it: has_it)
        assert precision.resolve_precision("auto") == expected


def test_the_environment_decides_what_auto_means(monkeypatch):
    """CYCLEGAN_LAB_PRECISION=bfloat16 runs the bfloat16 path on any CPU; an explicit choice still wins."""
    monkeypatch.setattr(precision, "cpu_has_bfloat16", lambda cpuinfo=None: False)
    monkeypatch.setenv(precision.ENVIRONMENT_VARIABLE, "bfloat16")
    assert precision.choose_precision("auto") == ("bfloat16", "set by CYCLEGAN_LAB_PRECISION")
    assert precision.resolve_precision("float32") == "float32"
    cyclegan = build_cyclegan(TrainConfig(image_size=32, generator_filters=8))
    assert bfloat16_rounding(cyclegan) > 5e-4
    monkeypatch.setenv(precision.ENVIRONMENT_VARIABLE, "float32")
    monkeypatch.setattr(precision, "cpu_has_bfloat16", lambda cpuinfo=None: True)
    assert precision.resolve_precision("auto") == "float32"
    monkeypatch.setenv(precision.ENVIRONMENT_VARIABLE, "fp16")
    with pytest.raises(ValueError, match="CYCLEGAN_LAB_PRECISION must be auto, float32 or bfloat16; got 'fp16'"):
        precision.resolve_precision("auto")
