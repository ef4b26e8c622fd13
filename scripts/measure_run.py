"""The held-out Monet measure of a training run, step by step: how much of the photo-to-painting gap it closes.

    python scripts/measure_run.py RUN_DIR [RUN_DIR ...] --data PATH/monet2photo [--held-out-from 1200] [--output-notch]

`scripts/train_monet.py` keeps every held-out painting it makes as
RUN_DIR/previews/step-NNNNNN.npy (the first N unseen photos, painted by the
run's Monet generator at that step). For each, this prints KID x 1000 on
ImageNet features against the odd-numbered half of the paintings, and the
share of the gap closed between the same photos (0%) and the other half of
the paintings (100%), and writes the table to RUN_DIR/held_out_kid.csv.
Measured after the fact, with the code of today, so a run that trains from
a frozen copy of older code still gets today's measure. With --output-notch the
paintings pass through `models.NyquistNotch` first, as a generator exported
with `ship_pretrained.py --output-notch` paints them.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from cyclegan_lab.data import find_data, load_folder
from cyclegan_lab.efficientnet import imagenet_features
from cyclegan_lab.images import image_files, load_image, normalize, to_uint8
from cyclegan_lab.machinery.files import atomic_write
from cyclegan_lab.models import NyquistNotch
from cyclegan_lab.scores import kid, split_paintings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--data", help="folder with monet/ and photo/ (default: the library's lookup)")
    parser.add_argument("--held-out-from", type=int, default=1200, help="first unseen photo (default %(default)s)")
    parser.add_argument(
        "--output-notch", action="store_true", help="measure the paintings through models.NyquistNotch, as shipped"
    )
    args = parser.parse_args()

    folders = find_data(args.data)
    floor_set, reference = split_paintings(load_folder(folders.monet))
    ref = imagenet_features(reference)
    floor = 1000 * kid(imagenet_features(floor_set), ref)[0]
    unseen = image_files(folders.photo)[args.held_out_from :]
    starts = {}  # KID of the unchanged photos, by how many a run paints
    for run in args.runs:
        rows = []
        for path in sorted((run / "previews").glob("step-*.npy")):
            paintings = np.load(path, allow_pickle=False)
            if args.output_notch:
                paintings = to_uint8(NyquistNotch()(normalize(paintings)))
            n = len(paintings)
            if n not in starts:
                starts[n] = 1000 * kid(imagenet_features(np.stack([load_image(f) for f in unseen[:n]])), ref)[0]
            value = 1000 * kid(imagenet_features(paintings), ref)[0]
            step = int(path.stem.split("-")[1])
            rows.append((step, value, (starts[n] - value) / (starts[n] - floor)))
            print(
                f"{run.name} step {step}: KID {value:.1f} (photos {starts[n]:.1f}, floor {floor:.1f}), "
                f"gap closed {rows[-1][2]:+.0%}",
                flush=True,
            )
        text = ("step,kid,gap_closed\n" + "".join(f"{s},{k:.2f},{g:.4f}\n" for s, k, g in rows)).encode()
        atomic_write(run / "held_out_kid.csv", lambda file, text=text: file.write(text))


if __name__ == "__main__":
    main()
