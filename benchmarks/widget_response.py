"""How fast the photo-to-Monet comparison widget answers a slider change on this machine.

Times, with the lab's full U-Net generator on 256x256 photos:
  - a first visit to a photo (the generator runs, then the views redraw),
  - a return visit (the cached Monet is reused: redraw only),
  - a move of the before/after split,
and prints the median of each. The target is under half a second per change.

    python benchmarks/widget_response.py [--photos 8]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from cyclegan_lab.models import build_generator
from cyclegan_lab.widgets import MonetComparer


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=int, default=8)
    args = parser.parse_args()

    photos = np.random.default_rng(0).integers(0, 256, (args.photos, 256, 256, 3), dtype=np.uint8)
    comparer = MonetComparer(build_generator("monet_generator"), photos)  # photo 0 computed here (warm-up)

    def visit(i):
        comparer.picker.value = i

    first = [timed(lambda i=i: visit(i)) for i in range(1, args.photos)]
    again = [timed(lambda i=i: visit(i)) for i in range(args.photos - 1, -1, -1)]
    split = [timed(lambda v=v: setattr(comparer.split, "value", v)) for v in np.linspace(0.05, 0.95, 10)]
    for name, values in [
        ("first visit (generator runs)", first),
        ("return visit (cached)", again),
        ("split moved", split),
    ]:
        print(f"{name:30s} median {1000 * statistics.median(values):6.1f} ms  (max {1000 * max(values):6.1f} ms)")


if __name__ == "__main__":
    main()
