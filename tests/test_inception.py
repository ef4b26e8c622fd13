"""cyclegan_lab.judging.inception: MiFID's Inception features. The weights come through the project's download
code, checked by their MD5 (conftest.py's `weights_file` makes a stand-in; test_scores.py's competition MiFID
uses it too)."""

import hashlib

import numpy as np
import pytest

from cyclegan_lab.judging import inception
from cyclegan_lab.plumbing.download import DownloadError, Remote

NAME = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"


def test_the_weights_are_downloaded_once_checked_and_loaded(server, weights_file, tmp_path):
    body, made = weights_file
    server.files[f"/weights/{NAME}"] = body
    remote = Remote(server.url(f"/weights/{NAME}"), md5=hashlib.md5(body).hexdigest())
    model = inception.load_inception.__wrapped__(remote, progress=False)
    images = np.random.default_rng(0).integers(0, 256, (2, 64, 80, 3), dtype=np.uint8)
    features = inception.inception_features(images, model)
    assert features.shape == (2, 2048) and np.isfinite(features).all()
    np.testing.assert_allclose(features, inception.inception_features(images, made), rtol=1e-4, atol=1e-5)
    again = inception.load_inception.__wrapped__(remote, progress=False)  # from the cache: no second request
    assert again.count_params() == made.count_params() == 21_802_784
    assert server.requests == [f"/weights/{NAME}"]


def test_a_tampered_weights_file_is_refused(server, weights_file):
    body, _ = weights_file
    server.files[f"/weights/{NAME}"] = body[:-10] + b"0123456789"
    remote = Remote(server.url(f"/weights/{NAME}"), md5=hashlib.md5(body).hexdigest())
    with pytest.raises(DownloadError, match="failed its checksum"):
        inception.load_inception.__wrapped__(remote, progress=False)
