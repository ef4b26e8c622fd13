"""How fast does `cyclegan-lab submission` paint Kaggle's 7,038 photos, and in how much memory?

It fills a temporary folder with --photos photo files (the shared photos,
copied again and again under new names until there are as many as Kaggle's
photo_jpg holds), writes images.zip from them with the shipped generator,
and prints the photos per second, the zip's size and the peak memory of
the process; then, as the baseline in the same run, the photos per second
of painting one photo at a time (--baseline photos, batch 1).

    python benchmarks/submission.py --data PATH/monet2photo                 # 7,038 photos
    python benchmarks/submission.py --data PATH/monet2photo --photos 500 --baseline 100
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from cyclegan_lab.data import find_data
from cyclegan_lab.images import image_files
from cyclegan_lab.program import submission
from cyclegan_lab.recipe.pretrained import load_pretrained


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", help="folder with monet/ and photo/ (default: the library's lookup)")
    parser.add_argument("--photos", type=int, default=7038, help="photos to paint (default: Kaggle's %(default)s)")
    parser.add_argument("--baseline", type=int, default=200, help="photos painted one at a time (default %(default)s)")
    args = parser.parse_args()

    sources = image_files(find_data(args.data).photo)
    model = load_pretrained("monet")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "photo_jpg"
        folder.mkdir()
        for i in range(args.photos):
            shutil.copyfile(sources[i % len(sources)], folder / f"{i:05d}.jpg")
        warm_up = sorted(folder.iterdir())[: submission.BATCH]  # traces the generator: not timed
        submission.write_submission(warm_up, Path(tmp) / "warm-up.zip", model, progress=False)
        (Path(tmp) / "warm-up.zip").unlink()
        start = time.perf_counter()
        result = submission.write_submission([folder], Path(tmp) / "images.zip", model, progress=False)
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
        print(
            f"{result.count:,} photos in {seconds:.1f} s: {result.count / seconds:.1f} photos/s in batches of "
            f"{submission.BATCH}; images.zip {result.megabytes:.0f} MB; peak memory of this process {peak:.2f} GiB"
        )
        few = sorted(folder.iterdir())[: args.baseline]
        submission.BATCH = 1
        start = time.perf_counter()
        baseline = submission.write_submission(few, Path(tmp) / "one-by-one.zip", model, progress=False)
        one = baseline.count / (time.perf_counter() - start)
        print(f"baseline, one photo at a time: {one:.1f} photos/s; batching is {result.count / seconds / one:.2f}x")


if __name__ == "__main__":
    main()
