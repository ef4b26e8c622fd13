"""Seconds a training step of the recipe takes with TensorFlow and with Keras on JAX, in one run.

    python benchmarks/backends.py                  # RECIPE (128 crops), 10 timed steps each
    python benchmarks/backends.py --size 256 --steps 5

The same configuration (`cyclegan_lab.recipe.config.RECIPE` at --size) is trained
on the same random batch by `CycleGAN.train_step` (TensorFlow, the step of
`scripts/train_monet.py`, in the precision `auto` picks here) and by the
jitted step of `scripts/train_monet_jax.py` (JAX, float32). Keras picks its
backend once per process, so each runs in its own; each times --steps steps
after two warm-up steps (the first compiles) and prints the median. A
backend that is not installed (TensorFlow on a GPU machine with JAX alone)
is reported as such.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TIMING = """
import json, statistics, sys, time
from cyclegan_lab.recipe.config import RECIPE, RecipeConfig
config = RecipeConfig(**{**RECIPE, "crop_size": None, "image_size": SIZE})
import keras
backend = keras.backend.backend()
if backend == "tensorflow":
    import tensorflow as tf
    from cyclegan_lab.plumbing.precision import resolve_precision
    from cyclegan_lab.training import build_cyclegan
    batch = tuple(tf.unstack(tf.random.stateless_uniform((2, 1, SIZE, SIZE, 3), (0, 0), -1, 1)))
    cyclegan = build_cyclegan(config, steps_per_epoch=config.steps_per_epoch)
    step = tf.function(cyclegan.train_step)
    run = lambda: tf.nest.map_structure(lambda t: t.numpy(), step(batch))
    precision = resolve_precision(config.precision)
else:
    import jax
    sys.path.insert(0, "SCRIPTS")
    from train_monet_jax import Networks, Trainer
    trainer = Trainer(config, Networks(config))
    monet, photo = jax.random.uniform(jax.random.PRNGKey(0), (2, 1, SIZE, SIZE, 3), minval=-1, maxval=1)
    step = jax.jit(trainer.step)
    holder = {"state": trainer.initial_state()}
    def run():
        holder["state"], losses = step(holder["state"], monet, photo, 2e-4)
        jax.block_until_ready(losses)
    precision = "float32, " + str(jax.devices()[0].platform)
times = []
for i in range(STEPS + 2):
    start = time.perf_counter()
    run()
    times.append(time.perf_counter() - start)
print(json.dumps({"seconds": statistics.median(times[2:]), "first": times[0], "precision": precision}))
"""


def time_backend(backend: str, size: int, steps: int) -> dict | str:
    """The median seconds a step on `backend` (and the first step's, with its compilation), or why not."""
    code = TIMING.replace("SIZE", str(size)).replace("STEPS", str(steps)).replace("SCRIPTS", str(ROOT / "scripts"))
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit status {done.returncode}"
        return f"did not run ({last})"
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--size", type=int, default=128, help="side of the training images (default 128: RECIPE's crops)"
    )
    parser.add_argument("--steps", type=int, default=10, help="timed steps per backend (default %(default)s)")
    args = parser.parse_args()
    print(f"RECIPE at {args.size}x{args.size}, batch 1; {os.cpu_count()} CPUs")
    results = {backend: time_backend(backend, args.size, args.steps) for backend in ("tensorflow", "jax")}
    for backend, result in results.items():
        if isinstance(result, str):
            print(f"{backend:>10}: {result}")
        else:
            print(
                f"{backend:>10}: {result['seconds'] * 1000:8.1f} ms a step (median of {args.steps}; "
                f"first step {result['first']:.1f} s; {result['precision']})"
            )
    if all(isinstance(r, dict) for r in results.values()):
        ratio = results["tensorflow"]["seconds"] / results["jax"]["seconds"]
        print(f"JAX takes {1 / ratio:.2f}x TensorFlow's time a step")


if __name__ == "__main__":
    main()
