"""InceptionV3 pool features: the ones Kaggle's leaderboard computes MiFID on (weights downloaded once).

FID, and the competition's MiFID, are defined on the 2,048 pooled features
of InceptionV3 (Szegedy et al. 2016) trained on ImageNet, on images resized
to 299x299 and scaled to [-1, 1]. Keras builds the network; its ImageNet
weights (88 MB) come from Keras' own address, through the project's download
code (`download.download`: the user cache, a progress bar, the publisher's
MD5 checked), once. Offline, `efficientnet.imagenet_features` gives features
that need no download; `scores.mifid` on them is the same formula, not the
leaderboard's number.
"""

from __future__ import annotations

import functools

import keras
import numpy as np

from ..plumbing.download import Remote, cache_dir, download

__all__ = ["WEIGHTS", "INPUT_SIZE", "build_inception", "load_inception", "inception_features"]

WEIGHTS = Remote(
    "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
    "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
    md5="bcbd6486424b2319ff4ef7d526e38f63",  # as Keras' keras.applications.inception_v3 gives it
)
INPUT_SIZE = 299


def build_inception() -> keras.Model:
    """InceptionV3 without its classifier: (b, 299, 299, 3) in [-1, 1] -> (b, 2048) averaged features."""
    return keras.applications.InceptionV3(
        include_top=False, weights=None, pooling="avg", input_shape=(INPUT_SIZE, INPUT_SIZE, 3)
    )


@functools.cache
def load_inception(remote: Remote = WEIGHTS, progress: bool = True) -> keras.Model:
    """InceptionV3 with its ImageNet weights, downloaded into the user cache the first time."""
    path = download(
        remote, cache_dir() / "weights", progress=progress, hint="The Inception weights are needed only for MiFID."
    )
    model = build_inception()
    try:
        model.load_weights(path)
    except (OSError, ValueError) as error:
        raise ValueError(
            f"{path} does not hold InceptionV3's weights ({error}); delete it to download again"
        ) from error
    return model


def inception_features(images: np.ndarray, model: keras.Model | None = None, batch_size: int = 32) -> np.ndarray:
    """(n, h, w, 3) uint8 images -> (n, 2048) float64 InceptionV3 pool features (resized to 299, bilinear)."""
    model = model or load_inception()
    out = []
    for start in range(0, len(images), batch_size):
        x = keras.ops.image.resize(np.asarray(images[start : start + batch_size], np.float32), (INPUT_SIZE,) * 2)
        x = keras.applications.inception_v3.preprocess_input(keras.ops.convert_to_numpy(x))  # [0, 255] -> [-1, 1]
        out.append(keras.ops.convert_to_numpy(model(x, training=False)))
    return np.concatenate(out).astype(np.float64)
