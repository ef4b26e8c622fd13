"""Time how long the generators take to paint one 256x256 photo on this machine.

Times, in one run and on the same random photos:
  (a) the shipped model, `load_pretrained("monet")` (or, if its weights file is
      missing, an untrained generator of the shape monet.json describes: the time
      depends on the shape, not on the weights), in float32 and in bfloat16
      (which "auto" picks where the CPU computes bfloat16 natively; elsewhere
      bfloat16 is emulated and slow), with how far their pixels differ;
  (b) the compact U-Net (16 filters, built for 128 pixels), the shape of the
      generator shipped before the ResNet, untrained;
  (c) the lab's full U-Net, `build_generator()` with 64 filters, untrained,
      as the baseline;
each through `predict_on_batch` (a compiled tf.function call, traced once per
shape during the warm-up), and prints the median milliseconds per photo at
batch 1, the throughput at batch 8, and the process's peak memory. Then the
whole `stylize()` of one 256x256 photo with the shipped model, at its
`training_zoom` (the network works at 286, see `inference.stylize`) against
the same call at 256: what painting at the zoom it learnt costs.

    python benchmarks/inference.py [--images 20]

Other work on the machine (a training run) slows every number; the load
average printed first says how busy it was.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import tensorflow as tf

from cyclegan_lab.inference import stylize
from cyclegan_lab.models import build_generator
from cyclegan_lab.plumbing.precision import choose_precision, dtype_policy
from cyclegan_lab.recipe.config import RecipeConfig
from cyclegan_lab.recipe.networks import generator_for
from cyclegan_lab.recipe.pretrained import PACKAGE_FOLDER, PretrainedNotFoundError, load_pretrained

SIZE = 256
WARM_UP = 2


def shipped_model(precision: str) -> tuple[keras.Model, str]:
    """The shipped model, or a stand-in of its shape (and a line saying so) if its weights are missing."""
    try:
        return load_pretrained("monet", precision=precision), f"shipped monet, {precision}"
    except PretrainedNotFoundError as error:
        config = RecipeConfig(**json.loads((PACKAGE_FOLDER / "monet.json").read_text())["config"])
        print(f"Note: {error}\n      Timing an untrained generator of its shape ({config.generator}) instead.")
        with dtype_policy(precision):
            return generator_for(config, any_size=True), f"{config.generator} (untrained), {precision}"


def seconds(model: keras.Model, batch: np.ndarray) -> float:
    start = time.perf_counter()
    model.predict_on_batch(batch)  # returns NumPy arrays, so the work is finished when it returns
    return time.perf_counter() - start


def measure(model: keras.Model, photos: np.ndarray, batch8_runs: int) -> tuple[list[float], list[float]]:
    """Seconds per batch-1 call (one per photo) and per batch-8 call, after warm-up calls of each shape."""
    batch8 = np.concatenate([photos] * (8 // len(photos) + 1))[:8]
    for _ in range(WARM_UP):
        seconds(model, photos[:1])
        seconds(model, batch8)
    singles = [seconds(model, photos[i : i + 1]) for i in range(len(photos))]
    eights = [seconds(model, batch8) for _ in range(batch8_runs)]
    return singles, eights


def stylize_seconds(model: keras.Model, photos: np.ndarray, zoom: float) -> float:
    """Median seconds of `stylize(photo, model)` per uint8 photo, with the model's training_zoom set to `zoom`."""
    kept = getattr(model, "training_zoom", 1.0)
    model.training_zoom = zoom
    try:
        for _ in range(WARM_UP):
            stylize(photos[0], model, batch_size=1)
        times = []
        for photo in photos:
            start = time.perf_counter()
            stylize(photo, model, batch_size=1)
            times.append(time.perf_counter() - start)
    finally:
        model.training_zoom = kept
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=20, help="timed batch-1 calls per model (default 20)")
    args = parser.parse_args()

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    print(
        f"Machine: {platform.processor() or platform.machine()}, {cpus} CPUs usable of {os.cpu_count()}, "
        f"load average {load}; TensorFlow {tf.__version__}, Keras {keras.__version__}, "
        f"GPUs: {len(tf.config.list_physical_devices('GPU'))}"
    )

    shipped, shipped_name = shipped_model("float32")
    shipped_bf16, shipped_bf16_name = shipped_model("bfloat16")
    models = {
        shipped_name: shipped,
        shipped_bf16_name: shipped_bf16,
        "compact U-Net (16 filters, untrained)": build_generator(image_size=128, filters=16, any_size=True),
        "lab U-Net (64 filters, untrained)": build_generator(),
    }
    photos = np.random.default_rng(0).uniform(-1, 1, (max(1, args.images), SIZE, SIZE, 3)).astype(np.float32)
    batch8_runs = max(2, args.images // 8)

    print(
        f"{SIZE}x{SIZE} photos, predict_on_batch, {WARM_UP} warm-up calls per shape, "
        f"{len(photos)} timed batch-1 calls, {batch8_runs} timed batch-8 calls"
    )
    medians = {}
    for name, model in models.items():
        singles, eights = measure(model, photos, batch8_runs)
        medians[name] = statistics.median(singles)
        per_image8 = statistics.median(eights) / 8
        print(
            f"{name:>34}: {model.count_params():>10,} parameters | batch 1: median "
            f"{1000 * medians[name]:7.1f} ms/photo (min {1000 * min(singles):.1f}, max {1000 * max(singles):.1f}) "
            f"| batch 8: {1000 * per_image8:7.1f} ms/photo, {1 / per_image8:5.1f} photos/s"
        )
    difference = np.abs(shipped.predict_on_batch(photos[:4]) - shipped_bf16.predict_on_batch(photos[:4])) * 127.5
    auto, why = choose_precision("auto")
    print(
        f"bfloat16 against float32: pixels differ by {difference.mean():.2f} levels of 255 on average "
        f"(at most {difference.max():.1f}); load_pretrained's precision 'auto' is {auto} here ({why})"
    )
    uint8_photos = ((photos + 1) * 127.5).astype(np.uint8)
    default, default_name = (shipped_bf16, shipped_bf16_name) if auto == "bfloat16" else (shipped, shipped_name)
    zoom = getattr(default, "training_zoom", 1.0)
    at_zoom = stylize_seconds(default, uint8_photos, zoom)
    at_256 = stylize_seconds(default, uint8_photos, 1.0)
    print(
        f"stylize() of one {SIZE}x{SIZE} photo, {default_name} (what 'auto' loads here): "
        f"median {1000 * at_zoom:.1f} ms at its training zoom "
        f"{zoom:.3f} (the network at {round(SIZE * zoom)}), {1000 * at_256:.1f} ms at zoom 1 "
        f"({at_zoom / at_256:.2f}x)"
    )
    lab = medians["lab U-Net (64 filters, untrained)"]
    print(
        f"The {shipped_name} model paints a photo {lab / medians[shipped_name]:.1f}x faster than the lab's U-Net "
        "at batch 1."
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"Peak memory of this process: {peak:.2f} GiB")


if __name__ == "__main__":
    main()
