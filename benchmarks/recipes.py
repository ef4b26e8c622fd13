"""Seconds a training step and GFLOP/s of the recipes compared for the shipped generator, in one run.

Each candidate is `cyclegan_lab.recipe.config.RECIPE` (what `scripts/train_monet.py` trains) with a few fields changed
(below). For each, on the same random batch, it traces the recipe's training
step, counts the floating-point operations of its convolutions from the
graph (`benchmarks/train_step.py`'s count), times --steps steps after two
warm-up steps, and prints the median seconds a step, GFLOP a step, the
GFLOP/s achieved, and this machine's float32 matrix-multiply ceiling beside
them. Small channel counts leave the cores idle: a wider, shallower network
can cost little more per step than its arithmetic suggests.

    python benchmarks/recipes.py                       # all candidates, 10 timed steps each
    python benchmarks/recipes.py --only half-32 quarter-16 --steps 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE)]

from train_step import convolution_flops, matmul_gflops, timed

from cyclegan_lab import build_cyclegan
from cyclegan_lab.plumbing.precision import resolve_precision
from cyclegan_lab.recipe.config import RECIPE, RecipeConfig

CANDIDATES = {
    "quarter-16": dict(generator_filters=16, downsamplings=2),  # the generator shipped before: blocks at 1/4 size
    "half-32": dict(),  # RECIPE: blocks at 1/2 size, 64 channels, the cycle blur
    "half-32, output blur": dict(output_blur=True, cycle_blur=False),  # an earlier shipped generator's recipe
    "half-32, 256 images": dict(crop_size=None),
    "half-48": dict(generator_filters=48),  # blocks at 96 channels
    "half-32, no DiffAugment": dict(diffaugment=""),
    "half-32, Lite2 eyes": dict(discriminator="projected_lite2", lambda_cycle=5.0),  # the shipped run's last part
    "Lite2 eyes, 256 images": dict(discriminator="projected_lite2", lambda_cycle=5.0, crop_size=None),
    # shaped like a public GPU-trained peer that repaints: PatchGAN, BCE with 0.9/0.1 labels, whole 256 images,
    # transposed-convolution upsampling, no notch, no blur, no jitter
    "peer-shaped": dict(
        discriminator="patchgan",
        adversarial_loss="bce",
        label_smoothing=0.1,
        crop_size=None,
        augment=False,
        upsampling="transposed",
        output_notch=False,
        cycle_blur=False,
        diffaugment="",
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="+", choices=list(CANDIDATES), help="candidates to time (default: all)")
    parser.add_argument("--steps", type=int, default=10, help="timed steps per candidate (default %(default)s)")
    args = parser.parse_args()

    print(f"Precision: {resolve_precision('auto')}; {os.cpu_count()} CPUs; TensorFlow {tf.__version__}")
    print(f"{'candidate':>24} | {'generator':>9} | {'s/step':>6} | {'GFLOP/step':>10} | {'GFLOP/s':>7}")
    for name in args.only or CANDIDATES:
        config = RecipeConfig(**{**RECIPE, **CANDIDATES[name]})
        size = config.train_size
        batch = tuple(tf.unstack(tf.random.stateless_uniform((2, 1, size, size, 3), (0, 0), -1, 1)))
        cyclegan = build_cyclegan(config, steps_per_epoch=config.steps_per_epoch)
        step = tf.function(cyclegan.train_step)
        flops = convolution_flops(step.get_concrete_function(batch).graph)
        for _ in range(2):
            timed(step, batch)
        median = statistics.median(timed(step, batch) for _ in range(args.steps))
        weights = cyclegan.monet_generator.count_params()
        print(
            f"{name:>24} | {weights:9,} | {median:6.3f} | {flops / 1e9:10.1f} | {flops / median / 1e9:7.1f}", flush=True
        )
    print(f"This machine's float32 matrix multiply: {matmul_gflops():.0f} GFLOP/s (a practical ceiling)")


if __name__ == "__main__":
    main()
