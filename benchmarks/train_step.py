"""Time one training step of the lab's CycleGAN on this machine.

Runs, alternately and on the same random 256x256 batch:
  (a) a reference step written like the original lab (Kaggle's train_step,
      per-patch losses left unreduced), in a plain tf.function;
  (b) the project's step, `CycleGAN.train_step` in a tf.function, as `fit()` runs it,
and prints the median and spread of each, their ratio, the one-off tracing
time, and the process's peak memory.

    python benchmarks/train_step.py [--steps 5] [--image-size 256]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from cyclegan_lab import TrainConfig, build_cyclegan  # noqa: E402

bce = keras.losses.BinaryCrossentropy(from_logits=True, reduction=None)


def reference_step(gan, optimizers, real_monet, real_photo, lambda_cycle=10.0):
    """The original lab's step, kept as close to its text as Keras 3 allows."""
    with tf.GradientTape(persistent=True) as tape:
        fake_monet = gan.monet_generator(real_photo, training=True)
        cycled_photo = gan.photo_generator(fake_monet, training=True)
        fake_photo = gan.photo_generator(real_monet, training=True)
        cycled_monet = gan.monet_generator(fake_photo, training=True)
        same_monet = gan.monet_generator(real_monet, training=True)
        same_photo = gan.photo_generator(real_photo, training=True)
        disc_real_monet = gan.monet_discriminator(real_monet, training=True)
        disc_real_photo = gan.photo_discriminator(real_photo, training=True)
        disc_fake_monet = gan.monet_discriminator(fake_monet, training=True)
        disc_fake_photo = gan.photo_discriminator(fake_photo, training=True)

        def gen_loss(fake):
            return bce(tf.ones_like(fake), fake)

        def disc_loss(real, fake):
            return (bce(tf.ones_like(real), real) + bce(tf.zeros_like(fake), fake)) * 0.5

        def cycle(real, cycled):
            return lambda_cycle * tf.reduce_mean(tf.abs(real - cycled))

        def identity(real, same):
            return lambda_cycle * 0.5 * tf.reduce_mean(tf.abs(real - same))

        total_cycle = cycle(real_monet, cycled_monet) + cycle(real_photo, cycled_photo)
        monet_gen = gen_loss(disc_fake_monet) + total_cycle + identity(real_monet, same_monet)
        photo_gen = gen_loss(disc_fake_photo) + total_cycle + identity(real_photo, same_photo)
        monet_disc = disc_loss(disc_real_monet, disc_fake_monet)
        photo_disc = disc_loss(disc_real_photo, disc_fake_photo)
    pairs = [(monet_gen, gan.monet_generator), (photo_gen, gan.photo_generator),
             (monet_disc, gan.monet_discriminator), (photo_disc, gan.photo_discriminator)]
    for (loss, net), optimizer in zip(pairs, optimizers):
        grads = tape.gradient(loss, net.trainable_variables)
        optimizer.apply_gradients(zip(grads, net.trainable_variables))
    return tf.reduce_mean(monet_gen)


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    tf.nest.map_structure(lambda t: t.numpy(), result)  # wait for the step to finish
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=5, help="timed steps of each kind (default 5)")
    parser.add_argument("--image-size", type=int, default=256)
    args = parser.parse_args()

    config = TrainConfig(image_size=args.image_size)
    gan = build_cyclegan(config)
    optimizers = [keras.optimizers.Adam(2e-4, beta_1=0.5) for _ in range(4)]
    batch = tf.random.uniform((2, 1, args.image_size, args.image_size, 3), -1, 1, seed=0)
    real_monet, real_photo = batch[0], batch[1]

    reference = tf.function(lambda m, p: reference_step(gan, optimizers, m, p))
    project = tf.function(gan.train_step)  # what fit() runs each step

    trace_ref = timed(reference, real_monet, real_photo)
    trace_project = timed(project, (real_monet, real_photo))
    times = {"reference": [], "project": []}
    for _ in range(args.steps):
        times["reference"].append(timed(reference, real_monet, real_photo))
        times["project"].append(timed(project, (real_monet, real_photo)))

    print(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
          f"TensorFlow {tf.__version__}, Keras {keras.__version__}")
    print(f"Model: generator {gan.monet_generator.count_params():,} + discriminator "
          f"{gan.monet_discriminator.count_params():,} parameters, {args.image_size}x{args.image_size}, batch 1")
    print(f"First step (tracing + step): reference {trace_ref:.1f} s, project {trace_project:.1f} s")
    for name, values in times.items():
        print(f"{name:>9}: median {statistics.median(values):.2f} s/step "
              f"(min {min(values):.2f}, max {max(values):.2f}, {len(values)} steps)")
    ratio = statistics.median(times["reference"]) / statistics.median(times["project"])
    print(f"Speed-up of the project's step over the reference: {ratio:.2f}x")
    print(f"300-step epoch at the project's median: {300 * statistics.median(times['project']) / 60:.1f} min")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"Peak memory of this process: {peak:.2f} GiB")


if __name__ == "__main__":
    main()
