"""Check the judge (`cyclegan_lab.judging.judge`) on cases the eye can judge, before trusting it to choose a generator.

    python scripts/validate_measure.py --data PATH/monet2photo [--model monet] [--calibration PATH/peer_paintings]
        [--history]

On the photos no run trains on (the sorted photo files from --held-out-from
on), it prints, for each set below, KID x 1000 on the judge's features
against the held-out paintings, the share of the photos-to-paintings gap
closed (with its noise: the spread over KID's random subsets, as a share of
the gap), and the diagnostics beside it: chequerboard, composition and copy
(`scores`), and the coarse colour change and edge energy (`judge`).

- the paintings the runs train on (the floor: 100% by construction) and the photos (0%);
- blurred photos, a chequerboard, one texture stamped over every photo: never closer;
- classic painterly filters (a 5-pixel median; with OpenCV installed, its
  stylization and edge-preserving smoothing): never closer than the photos;
- a colour transfer of the photos to the paintings' palette: a little closer at most;
- with --model, a generator's paintings of the photos, as `stylize()` paints them;
- with --calibration, a folder of paintings of the same photos (the same file
  names, any image type) that the eye ranks above the shipped generator's:
  the judge must rank them above it by more than its noise (check a);
- with --history (in a git checkout), the generators the project shipped
  before, each painting the photos: the judge's ranking of them must agree with an outside
  evaluation's (`judge.OUTSIDE`), Spearman's rho >= 0.8 (check b).
"""

from __future__ import annotations

import argparse
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
from PIL import Image, ImageFilter

from cyclegan_lab.data import find_data, load_folder, split_held_out
from cyclegan_lab.images import image_files, load_image
from cyclegan_lab.judging import distortions, judge
from cyclegan_lab.judging.measures import chequerboard_ratio, composition_similarity, copy_distance
from cyclegan_lab.judging.scores import kid


def spoiled(photos: np.ndarray, paintings: np.ndarray) -> dict:
    """Photos changed in ways the eye can judge, by name."""
    sets = {
        "blurred photos (radius 3)": distortions.blur(photos),
        "photos + chequerboard (+-24)": distortions.chequerboard(photos),
        "photos + one stamped texture": distortions.stamp_texture(photos, paintings[0]),
        "colour transfer to Monet's palette": distortions.colour_transfer(photos, paintings),
        "5-pixel median filter": np.stack(
            [np.asarray(Image.fromarray(x).filter(ImageFilter.MedianFilter(5))) for x in photos]
        ),
    }
    try:
        import cv2
    except ImportError:
        print("(OpenCV not installed: its painterly filters are left out; pip install opencv-python-headless)")
        return sets
    bgr = lambda function: np.stack([function(x[..., ::-1].copy())[..., ::-1] for x in photos])
    sets["OpenCV stylization"] = bgr(lambda x: cv2.stylization(x, sigma_s=60, sigma_r=0.45))
    sets["OpenCV edge-preserving smoothing"] = bgr(
        lambda x: cv2.edgePreservingFilter(x, flags=1, sigma_s=60, sigma_r=0.4)
    )
    return sets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", help="folder with monet/ and photo/ (default: the library's lookup)")
    parser.add_argument("--held-out-from", type=int, default=1200, help="first unseen photo (default %(default)s)")
    parser.add_argument("--model", action="append", default=[], help="also judge this generator's paintings")
    parser.add_argument("--calibration", type=pathlib.Path, help="paintings of the same photos the eye prefers")
    parser.add_argument("--history", action="store_true", help="judge the generators shipped before (needs git)")
    args = parser.parse_args()

    folders = find_data(args.data)
    files = image_files(folders.photo)[args.held_out_from :]
    photos = np.stack([load_image(f) for f in files])
    paintings = load_folder(folders.monet)
    floor_set, held_out = split_held_out(paintings)
    sets = {"paintings trained on (floor)": floor_set, "photos (start)": photos, **spoiled(photos, floor_set)}
    from cyclegan_lab.inference import stylize
    from cyclegan_lab.program.checkpoint_reading import load_generator

    for name in args.model:
        sets[f"generator {name}"] = stylize(photos, load_generator(name))
    if args.calibration:
        sets["calibration paintings"] = np.stack([load_image(args.calibration / f"{f.stem}.png") for f in files])
    if args.history:
        sets.update({f"shipped at {commit}": judge.shipped_at(commit, photos) for commit in judge.OUTSIDE})

    print(f"{len(photos)} unseen photos; reference: {len(held_out)} held-out paintings; floor: {len(floor_set)}")
    reference = judge.pooled_features(held_out)
    ref = judge.judge_features(held_out, reference)
    scored = {}
    print("| set | KID x1000 | gap closed | chequerboard | composition | copy | coarse change | edge energy |")
    print("|---|---|---|---|---|---|---|---|")
    for name, images in sets.items():
        value, spread = (1000 * v for v in kid(judge.judge_features(images, reference), ref, 100, len(ref)))
        scored[name] = (value, spread)
        floor, start = scored["paintings trained on (floor)"][0], scored.get("photos (start)", (value,))[0]
        gap = "" if start == floor else f"{(start - value) / (start - floor):+.0%} +- {spread / (start - floor):.0%}"
        pair = (
            ""
            if len(images) != len(photos)
            else (
                f"{chequerboard_ratio(images, photos):.2f} | {composition_similarity(images, photos):.3f} "
                f"| {copy_distance(images, photos):.3f} | {judge.coarse_change(images, photos):.3f}"
            )
        )
        pair = pair or "| | |"
        print(
            f"| {name} | {value:.1f} +- {spread:.1f} | {gap} | {pair} | {judge.edge_energy(images):.1f} |", flush=True
        )

    floor, start = scored["paintings trained on (floor)"][0], scored["photos (start)"][0]
    closed = lambda name: (start - scored[name][0]) / (start - floor)
    noise = lambda name: scored[name][1] / (start - floor)
    if args.calibration and args.model:
        shipped = f"generator {args.model[0]}"
        verdict = lambda name: {"gap_closed": closed(name), "gap_noise": noise(name)}
        margin, sigmas = judge.calibration_margin(verdict("calibration paintings"), verdict(shipped))
        outcome = "passes" if sigmas > 2 else "FAILS"
        print(
            f"(a) calibration paintings minus {shipped}: {margin:+.0%} of the gap, "
            f"{sigmas:.1f} times the noise: {outcome}"
        )
    if args.history:
        names = [f"shipped at {commit}" for commit in judge.OUTSIDE]
        rho = judge.spearman([closed(n) for n in names], list(judge.OUTSIDE.values()))
        print(
            f"(b) Spearman's rho with the outside evaluation over {len(names)} shipped generators: {rho:.2f}: "
            + ("passes" if rho >= 0.8 else "FAILS")
        )


if __name__ == "__main__":
    main()
