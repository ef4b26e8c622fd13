"""Which number format to train in: float32 everywhere, or bfloat16 mixed precision.

Mixed precision computes convolutions in bfloat16 (16-bit numbers with
float32's range) while the weights, the optimiser and the losses stay in
float32. Where the hardware computes bfloat16 natively (NVIDIA GPUs from
Ampere on, TPUs, CPUs with AVX512_BF16 or AMX) a step takes less time;
elsewhere bfloat16 is emulated and several times slower, so "auto" keeps
float32 there.

Whatever the precision, every network of this project returns float32: its
last layer computes in float32 (as Keras' mixed-precision guide advises), so
images, losses and scores never meet a bfloat16 tensor.

The variable CYCLEGAN_LAB_PRECISION=bfloat16 (or float32) decides what
"auto" means on this machine; tests use it to run the bfloat16 path on a CPU
that lacks it.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import keras

__all__ = [
    "POLICIES",
    "ENVIRONMENT_VARIABLE",
    "cpu_has_bfloat16",
    "tensorflow_devices",
    "gpu_has_bfloat16",
    "choose_precision",
    "resolve_precision",
    "dtype_policy",
]

POLICIES = {"float32": "float32", "bfloat16": "mixed_bfloat16"}
ENVIRONMENT_VARIABLE = "CYCLEGAN_LAB_PRECISION"


def cpu_has_bfloat16(cpuinfo: str | None = None) -> bool:
    """True when the CPU computes bfloat16 natively (flags avx512_bf16 or amx_bf16 in /proc/cpuinfo)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return False
    flags = set(cpuinfo.split())
    return bool(flags & {"avx512_bf16", "amx_bf16"})


def tensorflow_devices(kind: str) -> list:
    """TensorFlow's visible devices of `kind` ("GPU", "TPU"); none where TensorFlow is not installed.

    TensorFlow is imported here, not with this module, so that loading a generator
    on a machine with JAX alone (scripts/train_monet_jax.py) does not need it.
    """
    try:
        import tensorflow as tf
    except ImportError:
        return []
    return tf.config.list_physical_devices(kind)


def gpu_has_bfloat16() -> bool:
    """True when every visible GPU is an NVIDIA GPU of compute capability 8.0 (Ampere) or newer."""
    gpus = tensorflow_devices("GPU")
    if not gpus:
        return False
    import tensorflow as tf

    capabilities = [tf.config.experimental.get_device_details(gpu).get("compute_capability", (0, 0)) for gpu in gpus]
    return all(tuple(c) >= (8, 0) for c in capabilities)


def choose_precision(precision: str = "auto") -> tuple[str, str]:
    """("float32" or "bfloat16", why): `precision` itself, or for "auto" the faster one here.

    >>> choose_precision("float32")
    ('float32', 'asked for')
    """
    if precision not in ("auto", *POLICIES):
        raise ValueError(f"precision must be auto, float32 or bfloat16; got {precision!r}")
    if precision != "auto":
        return precision, "asked for"
    forced = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if forced and forced != "auto":
        if forced not in POLICIES:
            raise ValueError(
                f"The environment variable {ENVIRONMENT_VARIABLE} must be auto, float32 or bfloat16; got {forced!r}. "
                "Set it to one of those, or unset it."
            )
        return forced, f"set by {ENVIRONMENT_VARIABLE}"
    if tensorflow_devices("TPU"):
        return "bfloat16", "TPUs compute bfloat16 natively"
    if tensorflow_devices("GPU"):
        if gpu_has_bfloat16():
            return "bfloat16", "this GPU computes bfloat16 natively (Ampere or newer)"
        return "float32", "this GPU has no fast bfloat16 (older than Ampere)"
    if cpu_has_bfloat16():
        return "bfloat16", "this CPU computes bfloat16 natively (AVX512_BF16 or AMX)"
    return "float32", "this CPU has no bfloat16 instructions; emulating them would be several times slower"


def resolve_precision(precision: str = "auto") -> str:
    """ "float32" or "bfloat16": `precision` itself, or for "auto" the faster one on this machine."""
    return choose_precision(precision)[0]


@contextlib.contextmanager
def dtype_policy(precision: str):
    """Layers built inside `with dtype_policy("bfloat16"):` compute in bfloat16, keep float32 weights."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(POLICIES[resolve_precision(precision)])
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)
