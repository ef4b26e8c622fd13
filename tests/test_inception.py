"""MiFID's Inception features: the weights come through the project's download code, checked by their MD5."""

import hashlib

import numpy as np
import pytest

from cyclegan_lab.judging import inception
from cyclegan_lab.plumbing.download import DownloadError, Remote

NAME = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory):
    """A weights file in Keras' legacy .h5 layout (as Keras publishes InceptionV3's), from a random network."""
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    path = tmp_path_factory.mktemp("made") / NAME
    model = inception.build_inception()
    with h5py.File(path, "w") as file:
        legacy_h5_format.save_weights_to_hdf5_group(file, model)
    return path.read_bytes(), model


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


def test_competition_mifid_uses_the_inception_features(server, weights_file, monkeypatch):
    from cyclegan_lab.judging import scores

    body, made = weights_file
    monkeypatch.setattr(inception, "load_inception", lambda: made)
    rng = np.random.default_rng(1)
    images, paintings = (rng.integers(0, 256, (n, 64, 64, 3), dtype=np.uint8) for n in (6, 8))
    expected = scores.mifid(inception.inception_features(images, made), inception.inception_features(paintings, made))
    assert scores.competition_mifid(images, paintings) == pytest.approx(expected)
    offline = scores.competition_mifid(images, paintings, offline=True)
    assert np.isfinite(offline) and offline != pytest.approx(expected)
