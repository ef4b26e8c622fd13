"""How many training steps per second does the lab's CycleGAN make with a strategy and precision?

It builds the model under the chosen `tf.distribute` strategy (see
`cyclegan_lab/plumbing/distribute.py`), feeds it random images in global batches of
--batch-size x replicas, runs --warmup steps (tracing and compiling), then
times --steps steps one by one. It prints the median steps per second, the
image pairs (one Monet, one photo) per second, the replicas and their
devices, and the TensorFlow and Keras versions.

    python benchmarks/steps_per_second.py                          # one device, float32, the lab's model
    python benchmarks/steps_per_second.py --strategy mirrored      # every GPU of this machine
    python benchmarks/steps_per_second.py --strategy tpu --precision bfloat16
    python benchmarks/steps_per_second.py --image-size 64 --filters 8 --steps 3 \\
        --strategy mirrored --logical-cpus 2                       # try it on a CPU: 2 logical devices

On one machine's CPU, logical devices share the same cores, so "mirrored"
there shows that the code runs, not a speed-up.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import tensorflow as tf

from cyclegan_lab import TrainConfig, build_cyclegan
from cyclegan_lab.config import STRATEGIES
from cyclegan_lab.plumbing.distribute import describe, make_strategy
from cyclegan_lab.plumbing.precision import resolve_precision


def split_cpu(n: int) -> None:
    """Show the CPU as n logical devices (before TensorFlow starts), so "mirrored" has n replicas."""
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * n)


def distributed_step(cyclegan, strategy):
    """One training step on the next global batch: each replica runs `train_step` on its share."""

    @tf.function
    def step(iterator):
        return strategy.run(cyclegan.train_step, args=(next(iterator),))

    return step


def device_names(strategy) -> list[str]:
    """The devices the replicas run on (for the default strategy: the one TensorFlow picks)."""
    try:
        return list(strategy.extended.worker_devices)
    except RuntimeError:  # the default strategy does not list them
        return [(tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU"))[0].name]


def timed(step, iterator, strategy) -> float:
    start = time.perf_counter()
    losses = step(iterator)
    for value in tf.nest.flatten(losses):
        [result.numpy() for result in strategy.experimental_local_results(value)]  # wait for the step to finish
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--strategy", choices=STRATEGIES, default="default")
    parser.add_argument("--precision", choices=["float32", "bfloat16", "auto"], default="float32")
    parser.add_argument("--steps", type=int, default=5, help="timed steps (default 5)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first (default 2)")
    parser.add_argument("--image-size", type=int, default=256)
    parser.add_argument("--filters", type=int, default=64, help="generator filters (default: the lab's 64)")
    parser.add_argument("--batch-size", type=int, default=1, help="images per domain per replica (default 1)")
    parser.add_argument(
        "--logical-cpus",
        type=int,
        metavar="N",
        help="split the CPU into N logical devices, for --strategy mirrored without GPUs",
    )
    args = parser.parse_args()
    if args.steps < 1 or args.warmup < 1:
        parser.error("--steps and --warmup must be at least 1")
    if args.logical_cpus:
        split_cpu(args.logical_cpus)

    strategy = make_strategy(args.strategy)
    replicas = strategy.num_replicas_in_sync
    config = TrainConfig(
        image_size=args.image_size, generator_filters=args.filters, precision=args.precision, batch_size=args.batch_size
    )
    cyclegan = build_cyclegan(config, strategy=strategy)
    global_batch = args.batch_size * replicas
    images = tf.random.stateless_uniform((2, global_batch, args.image_size, args.image_size, 3), (0, 0), -1, 1)
    batches = tf.data.Dataset.from_tensors((images[0], images[1])).repeat()
    iterator = iter(strategy.experimental_distribute_dataset(batches))
    step = distributed_step(cyclegan, strategy)

    print(
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}; {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs"
    )
    print(f"Strategy: {args.strategy} ({describe(strategy)}); devices: {', '.join(device_names(strategy))}")
    print(
        f"Model: generator {cyclegan.monet_generator.count_params():,} + discriminator "
        f"{cyclegan.monet_discriminator.count_params():,} parameters (x2 each), "
        f"{args.image_size}x{args.image_size}, {resolve_precision(args.precision)}; "
        f"global batch {global_batch} = {args.batch_size} per replica x {replicas}"
    )
    first = timed(step, iterator, strategy)
    for _ in range(args.warmup - 1):
        timed(step, iterator, strategy)
    times = [timed(step, iterator, strategy) for _ in range(args.steps)]
    median = statistics.median(times)
    print(
        f"First step (tracing): {first:.1f} s; then {args.steps} timed steps: median {median:.3f} s/step "
        f"(min {min(times):.3f}, max {max(times):.3f})"
    )
    print(f"Steps per second: {1 / median:.2f}; image pairs (Monet + photo) per second: {global_batch / median:.2f}")


if __name__ == "__main__":
    main()
