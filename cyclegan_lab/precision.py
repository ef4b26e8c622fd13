"""Which number format to train in: float32 everywhere, or bfloat16 mixed precision.

Mixed precision computes convolutions in bfloat16 (16-bit numbers with
float32's range) while the weights, the optimiser and the losses stay in
float32. Where the hardware computes bfloat16 natively (NVIDIA GPUs from
Ampere on, TPUs, CPUs with AVX512_BF16 or AMX) a step takes about half the
time; elsewhere bfloat16 is emulated and slower, so "auto" keeps float32.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import keras
import tensorflow as tf

POLICIES = {"float32": "float32", "bfloat16": "mixed_bfloat16"}


def cpu_has_bfloat16(cpuinfo: str | None = None) -> bool:
    """True when the CPU computes bfloat16 natively (flags avx512_bf16 or amx_bf16 in /proc/cpuinfo)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return False
    flags = set(cpuinfo.split())
    return bool(flags & {"avx512_bf16", "amx_bf16"})


def gpu_has_bfloat16() -> bool:
    """True when every visible GPU is an NVIDIA GPU of compute capability 8.0 (Ampere) or newer."""
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return False
    capabilities = [tf.config.experimental.get_device_details(gpu).get("compute_capability", (0, 0)) for gpu in gpus]
    return all(tuple(c) >= (8, 0) for c in capabilities)


def resolve_precision(precision: str = "auto") -> str:
    """"float32" or "bfloat16": `precision` itself, or for "auto" the faster one on this machine."""
    if precision == "auto":
        if tf.config.list_physical_devices("TPU"):
            return "bfloat16"
        if tf.config.list_physical_devices("GPU"):
            return "bfloat16" if gpu_has_bfloat16() else "float32"
        return "bfloat16" if cpu_has_bfloat16() else "float32"
    if precision not in POLICIES:
        raise ValueError(f"precision must be auto, float32 or bfloat16; got {precision!r}")
    return precision


@contextlib.contextmanager
def dtype_policy(precision: str):
    """Layers built inside `with dtype_policy("bfloat16"):` compute in bfloat16, keep float32 weights."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(POLICIES[resolve_precision(precision)])
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)
