"""Check the Monet measure on cases the eye can judge, before trusting it to choose a generator.

    python scripts/validate_measure.py --data PATH/monet2photo [--held-out-from 1200] [--model monet]
        [--network lite2]

On photos no run trains on (the sorted photo files from --held-out-from on)
and the paintings, it prints KID x 1000 (and FID, and the competition's MiFID against all the
paintings, on the same offline features: not the leaderboard's number) on ImageNet features, and
the older style proxy and palette distance beside them, for:

- the other half of the paintings (the floor: how far paintings are from paintings);
- the photos themselves (the start: how far photos are from paintings);
- blurred photos, photos with a chequerboard, photos with one texture stamped
  over them all: none should come closer to the paintings than the photos;
- a colour transfer of the photos to the paintings' palette: a little closer;
- the reference paintings themselves (copies: a measure of closeness rewards them);
- with --model, a generator's paintings of the photos (e.g. the shipped one).

--network lite2 measures on EfficientNet-Lite2's features instead of Lite0's:
the second opinion must pass the same checks.

Every set is compared with the same reference: the odd-numbered half of the paintings.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from cyclegan_lab import distortions
from cyclegan_lab.data import find_data, load_folder
from cyclegan_lab.efficientnet import NETWORKS, imagenet_features
from cyclegan_lab.images import image_files, load_image
from cyclegan_lab.scores import fid, kid, mifid, palette_distance, split_paintings, style_kid


def cases(photos: np.ndarray, paintings: np.ndarray, floor_set: np.ndarray, reference: np.ndarray) -> dict:
    """The sets to measure, by name, each (n, 256, 256, 3) uint8."""
    return {
        "other paintings (floor)": floor_set,
        "photos (start)": photos,
        "blurred photos (radius 3)": distortions.blur(photos),
        "photos + chequerboard (+-24)": distortions.chequerboard(photos),
        "photos + one stamped texture": distortions.stamp_texture(photos, floor_set[0]),
        "colour transfer to Monet's palette": distortions.colour_transfer(photos, paintings),
        "copies of the reference paintings": reference,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", help="folder with monet/ and photo/ (default: the library's lookup)")
    parser.add_argument("--held-out-from", type=int, default=1200, help="first unseen photo (default %(default)s)")
    parser.add_argument("--model", action="append", default=[], help="also measure this generator's paintings")
    parser.add_argument("--network", choices=NETWORKS, default="lite0", help="whose features (default %(default)s)")
    args = parser.parse_args()

    folders = find_data(args.data)
    photos = np.stack([load_image(f) for f in image_files(folders.photo)[args.held_out_from :]])
    paintings = load_folder(folders.monet)
    floor_set, reference = split_paintings(paintings)
    sets = cases(photos, paintings, floor_set, reference)
    for name in args.model:
        from cyclegan_lab.inference import stylize
        from cyclegan_lab.pretrained import load_generator

        sets[f"generator {name}"] = stylize(photos, load_generator(name), size=None)

    print(f"{len(photos)} unseen photos, {len(paintings)} paintings; reference: {len(reference)} paintings")
    features_of = lambda images: imagenet_features(images, network=args.network)
    ref_features = features_of(reference)
    start = None
    all_features = features_of(paintings)  # MiFID compares with every painting a model trained on
    print("| set | KID x1000 | gap closed | FID | MiFID (offline features) | style proxy | palette |")
    print("|---|---|---|---|---|---|---|")
    floor = None
    for name, images in sets.items():
        features = features_of(images)
        value, spread = kid(features, ref_features)
        value, spread = 1000 * value, 1000 * spread
        floor = value if floor is None else floor
        start = value if name.startswith("photos (") else start
        closed = "" if start is None else f"{(start - value) / (start - floor):+.0%}"
        print(
            f"| {name} | {value:.1f} +- {spread:.1f} | {closed} | {fid(features, ref_features):.1f} "
            f"| {mifid(features, all_features):.4g} "
            f"| {style_kid(images, reference)[0]:.2f} | {palette_distance(images, reference):.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
