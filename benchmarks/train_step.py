"""How fast is one training step of the lab's CycleGAN on this machine, and why?

In one run, on the same random 256x256 batch, alternating step by step:
  reference  the original lab's step (`cyclegan_lab.teaching.reference.lab_train_step`):
             ten network calls on a persistent tape, then four `tape.gradient` calls;
  batched    the project's step (`CycleGAN.train_step`: independent passes run as
             one batch, one backward pass per network pair; tests/test_cyclegan.py checks
             that its losses and gradients are the lab's);
  bfloat16   batched in bfloat16 mixed precision (only where the hardware has
             bfloat16, or when asked with --modes);
  xla        batched, compiled with XLA (`jit_compile=True`; only with --modes).
It prints each mode's median step time, its speed-up over the reference, the
floating-point operations of one step (counted from the graph's convolutions)
and the GFLOP/s achieved, next to what this machine's matrix multiply reaches.
Every mode updates the weights with Keras' own Adam, as the lab does.

With --profile it also traces two steps of each mode with TensorFlow's
profiler and prints where the time goes, op by op (the 10 op types that take
longest, and the time by kind: convolutions, instance norm, casts between
bfloat16 and float32, concatenation, dropout, the optimiser update). The
shares are of the op time summed over TensorFlow's threads, which run ops
side by side, so the sum exceeds the step's wall time.

    python benchmarks/train_step.py                 # lab's model, 5 timed steps per mode
    python benchmarks/train_step.py --modes reference,batched,bfloat16 --profile
    python benchmarks/train_step.py --modes reference,batched,xla --steps 3
    python benchmarks/train_step.py --epoch         # also: one 300-step epoch of notebook 06
                                                    # (wall time and peak memory; ~35 min on 2 cores)
"""

from __future__ import annotations

import argparse
import collections
import glob
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import tensorflow as tf

from cyclegan_lab import TrainConfig, build_cyclegan
from cyclegan_lab.plumbing.precision import cpu_has_bfloat16, resolve_precision
from cyclegan_lab.teaching.reference import lab_train_step

ROOT = Path(__file__).resolve().parent.parent
MODES = {  # mode -> (TrainConfig changes, XLA)
    "reference": (dict(precision="float32"), False),
    "batched": (dict(precision="float32"), False),
    "bfloat16": (dict(precision="bfloat16"), False),
    "xla": (dict(precision="float32"), True),
}


def step_function(mode: str, config: TrainConfig):
    changes, xla = MODES[mode]
    cyclegan = build_cyclegan(config.replace(**changes))
    if mode == "reference":  # the lab's step
        return cyclegan, tf.function(lambda batch: lab_train_step(cyclegan, *batch))
    return cyclegan, tf.function(cyclegan.train_step, jit_compile=xla)


def live_operations(graph) -> list:
    """The operations a run of `graph` executes: those its outputs or its stateful operations
    (variable updates, random numbers) depend on. TensorFlow prunes the rest before running,
    for example the gradient with respect to an input image, which the gradient code emits."""
    roots = [t.op for t in graph.outputs] + [op for op in graph.get_operations() if op._is_stateful]
    live, todo = set(), list(roots)
    while todo:
        op = todo.pop()
        if op.name in live:
            continue
        live.add(op.name)
        todo.extend(t.op for t in op.inputs)
        todo.extend(op.control_inputs)
    return [op for op in graph.get_operations() if op.name in live]


def convolution_flops(graph) -> int:
    """Floating-point operations of the convolutions a traced step runs (2 per multiply-add).

    Conv2D, Conv2DBackpropInput (also the transposed convolutions' forward
    pass) and Conv2DBackpropFilter each cost one multiply-add per
    (output position, output channel, kernel tap, input channel). Everything
    else in a step (norms, activations, Adam) is well under 1% of this.
    """
    total = 0
    for op in live_operations(graph):
        if op.type == "Conv2D":
            grid, kernel = op.outputs[0].shape, op.inputs[1].shape
        elif op.type == "Conv2DBackpropInput":
            grid, kernel = op.inputs[2].shape, op.inputs[1].shape
        elif op.type == "Conv2DBackpropFilter":
            grid, kernel = op.inputs[2].shape, op.outputs[0].shape
        else:
            continue
        kh, kw, channels_in, _ = kernel
        total += 2 * int(np.prod(grid)) * kh * kw * channels_in
    return total


def matmul_gflops(n: int = 2048, repeats: int = 5) -> float:
    """What this machine reaches on a large float32 matrix multiply: a practical ceiling."""
    a = tf.random.uniform((n, n))
    matmul = tf.function(lambda x: tf.matmul(x, x))
    matmul(a).numpy()
    best = min(timed(matmul, a) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def timed(fn, *args) -> float:
    start = time.perf_counter()
    result = fn(*args)
    tf.nest.map_structure(lambda t: t.numpy(), result)  # wait until the step has finished
    return time.perf_counter() - start


def kind_of_op(name: str, op_type: str) -> str:
    """Which part of a step an operation belongs to, from its type and its Keras name scope."""
    lowered = name.lower()
    if "Conv" in op_type:
        return "convolutions"
    if "group_normalization" in lowered:
        return "instance norm"
    if op_type == "Cast":
        return "casts"
    if "concat" in lowered or "split" in lowered or op_type in ("ConcatV2", "Slice", "Split", "SplitV"):
        return "concatenate/split"
    if "dropout" in lowered:
        return "dropout"
    if "adam" in lowered or op_type.startswith(("ResourceApply", "Assign")):
        return "optimiser update"
    return "other"


def profile(step, batch, steps: int = 2) -> tuple[float, collections.Counter, collections.Counter]:
    """Trace `steps` steps with TensorFlow's profiler: (wall s/step, op-type seconds, kind seconds) per step."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    folder = tempfile.mkdtemp()
    tf.profiler.experimental.start(folder)
    wall = sum(timed(step, batch) for _ in range(steps)) / steps
    tf.profiler.experimental.stop()
    space = xplane_pb2.XSpace()
    space.ParseFromString(Path(glob.glob(f"{folder}/**/*.xplane.pb", recursive=True)[0]).read_bytes())
    by_type, by_kind = collections.Counter(), collections.Counter()
    for plane in space.planes:
        for line in plane.lines:
            if not line.name.startswith("tf_Compute"):  # the threads that run TensorFlow's ops
                continue
            for event in line.events:
                label = plane.event_metadata[event.metadata_id].name  # "scope/name:Type"
                if ":" not in label or label.startswith("ExecutorState"):
                    continue
                name, op_type = label.rsplit(":", 1)
                seconds = event.duration_ps / 1e12 / steps
                by_type[op_type] += seconds
                by_kind[kind_of_op(name, op_type)] += seconds
    return wall, by_type, by_kind


def print_profile(mode: str, wall: float, by_type: collections.Counter, by_kind: collections.Counter) -> None:
    total = sum(by_type.values())
    print(f"\nProfile of {mode}: {wall:.2f} s/step under the profiler, {total:.2f} s of op time")
    print(
        "  top 10 op types:"
        + "".join(f"\n    {t:<32} {v:6.3f} s {100 * v / total:5.1f}%" for t, v in by_type.most_common(10))
    )
    print("  by kind:" + "".join(f"\n    {k:<32} {v:6.3f} s {100 * v / total:5.1f}%" for k, v in by_kind.most_common()))


def notebook_epoch(data: str | None) -> None:
    """Run notebooks/06_training.ipynb for one full epoch with papermill; print wall time and peak memory."""
    out = Path(tempfile.mkdtemp()) / "06_training.ipynb"
    env = dict(os.environ, CYCLEGAN_LAB_SMOKE="0")
    if data:
        env["CYCLEGAN_LAB_DATA"] = data
    command = [
        sys.executable,
        "-m",
        "papermill",
        "--cwd",
        str(ROOT / "notebooks"),
        "-p",
        "SMOKE",
        "False",
        "-p",
        "CHECKPOINT_DIR",
        str(out.parent / "checkpoints"),
        str(ROOT / "notebooks" / "06_training.ipynb"),
        str(out),
    ]
    print(f"\nOne 300-step epoch of notebooks/06_training (papermill, checkpoints in {out.parent}) ...", flush=True)
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    minutes = (time.perf_counter() - start) / 60
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2  # the largest child: the kernel
    print(f"Notebook 06, one epoch: {minutes:.1f} min wall time, peak memory of its kernel {peak:.2f} GiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=5, help="timed steps per mode (default 5)")
    parser.add_argument("--image-size", type=int, default=256)
    parser.add_argument("--filters", type=int, default=64, help="generator filters (default: the lab's 64)")
    parser.add_argument(
        "--modes",
        help="comma-separated, from "
        + ", ".join(MODES)
        + " (default: reference, keras_adam, batched, and bfloat16 where the CPU has it)",
    )
    parser.add_argument("--profile", action="store_true", help="also print each mode's op-by-op profile")
    parser.add_argument("--epoch", action="store_true", help="also time one 300-step epoch of notebook 06")
    parser.add_argument("--data", help="image folder for --epoch (default: the notebooks' own lookup)")
    args = parser.parse_args()

    modes = args.modes.split(",") if args.modes else ["reference", "keras_adam", "batched"]
    if not args.modes and resolve_precision("auto") == "bfloat16":
        modes.append("bfloat16")
    unknown = set(modes) - set(MODES)
    if unknown:
        parser.error(f"unknown modes {sorted(unknown)}; choose from {', '.join(MODES)}")
    config = TrainConfig(image_size=args.image_size, generator_filters=args.filters)
    batch = tuple(tf.unstack(tf.random.stateless_uniform((2, 1, args.image_size, args.image_size, 3), (0, 0), -1, 1)))

    print(
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"bfloat16 in hardware: {'yes' if cpu_has_bfloat16() else 'no'}; "
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}; "
        f"threads intra {tf.config.threading.get_intra_op_parallelism_threads() or 'auto'}, "
        f"inter {tf.config.threading.get_inter_op_parallelism_threads() or 'auto'}"
    )
    steps, flops, first = {}, {}, {}
    for mode in modes:
        cyclegan, step = step_function(mode, config)
        start = time.perf_counter()
        graph = step.get_concrete_function(batch).graph  # tracing: Python runs once, TensorFlow records the graph
        first[mode] = time.perf_counter() - start + timed(step, batch)
        flops[mode] = convolution_flops(graph)
        steps[mode] = (cyclegan, step)
    print(
        f"Model: generator {cyclegan.monet_generator.count_params():,} + discriminator "
        f"{cyclegan.monet_discriminator.count_params():,} parameters, "
        f"{args.image_size}x{args.image_size}, batch 1"
    )
    for _ in range(2):  # warm-up rounds: the first calls after other modes were built are slow too
        for mode in modes:
            timed(steps[mode][1], batch)
    times = {mode: [] for mode in modes}
    for _ in range(args.steps):  # alternate, so a slow spell of the machine hits every mode alike
        for mode in modes:
            times[mode].append(timed(steps[mode][1], batch))

    ceiling = matmul_gflops()
    print(f"This machine's float32 matrix multiply: {ceiling:.0f} GFLOP/s (a practical ceiling)")
    base = statistics.median(times[modes[0]])
    print(
        f"{'mode':>10} | {'median s/step':>13} | {'min-max':>11} | {'vs ' + modes[0]:>13} | "
        f"{'GFLOP/step':>10} | {'GFLOP/s':>7} | {'trace+1st':>10}"
    )
    for mode in modes:
        median = statistics.median(times[mode])
        print(
            f"{mode:>10} | {median:13.2f} | {min(times[mode]):5.2f}-{max(times[mode]):<5.2f} | "
            f"{base / median:12.2f}x | {flops[mode] / 1e9:10.0f} | {flops[mode] / median / 1e9:7.0f} | "
            f"{first[mode]:9.1f}s"
        )
    fastest = min(modes, key=lambda m: statistics.median(times[m]))
    print(f"Fastest: {fastest}; a 300-step epoch at its median: {300 * statistics.median(times[fastest]) / 60:.1f} min")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"Peak memory of this process ({len(modes)} models side by side): {peak:.2f} GiB")
    if args.profile:
        for mode in modes:
            print_profile(mode, *profile(steps[mode][1], batch))
    if args.epoch:
        del steps
        notebook_epoch(args.data)


if __name__ == "__main__":
    main()
