"""cyclegan_lab.judging.scores: the style score tells Monet paintings from photos, and from their own copies
not at all; KID on ImageNet features agrees with the eye; fine detail, FID and MiFID against NumPy
references. The real photos are conftest.py's `images` and `real_data`."""

import numpy as np
import pytest

from cyclegan_lab.data import load_folder
from cyclegan_lab.judging import inception
from cyclegan_lab.judging.scores import fid, fine_detail, kid, painting_gap, style_features, style_kid


def test_features_are_fixed_style_statistics(images):
    monet, _ = images
    a, b = style_features(monet[:4]), style_features(monet[:4])
    assert a.shape == (4, 2 * (3 + 32 + 64 + 128))
    np.testing.assert_array_equal(a, b)  # a fixed network: same features every call


def test_kid_is_near_zero_for_the_same_distribution_and_grows_with_the_difference():
    rng = np.random.default_rng(0)
    reference = rng.normal(size=(200, 8))
    same, shifted, far = rng.normal(size=(200, 8)), rng.normal(0.5, 1, (200, 8)), rng.normal(2, 1, (200, 8))
    near_zero, _ = kid(same, reference)
    assert abs(near_zero) < 0.05
    assert kid(shifted, reference)[0] > 0.1
    assert kid(far, reference)[0] > kid(shifted, reference)[0]


def test_photos_score_far_from_monets_and_other_monets_close(images):
    monet, photo = images
    other_monets, _ = style_kid(monet[40:], monet[:40], subset_size=40)
    photos, _ = style_kid(photo[:40], monet[:40], subset_size=40)
    assert photos > 3 * max(other_monets, 0.01)


def test_kid_needs_two_images_per_set():
    with pytest.raises(ValueError, match="at least 2"):
        kid(np.zeros((1, 4)), np.zeros((5, 4)))


def test_fine_detail_is_1_for_the_photos_near_0_when_blurred_and_above_1_with_grain(images):
    _, photo = images
    from cyclegan_lab.judging import distortions

    assert fine_detail(photo, photo) == pytest.approx(1.0)
    assert fine_detail(distortions.blur(photo), photo) < 0.25  # what is left is rounding to whole grey levels
    noise = np.random.default_rng(0).normal(0, 8, photo.shape)
    assert fine_detail(np.clip(photo + noise, 0, 255).astype(np.uint8), photo) > 1.5  # grain is fine detail


@pytest.fixture(scope="module")
def unseen(real_data):
    """The 300 photos no run trains on, and the 300 paintings split into the floor half and the reference half."""
    from cyclegan_lab.images import image_files, load_image
    from cyclegan_lab.judging.scores import split_paintings

    photos = np.stack([load_image(f) for f in image_files(real_data / "photo")[1200:]])
    paintings = load_folder(real_data / "monet")
    return photos, paintings, *split_paintings(paintings)


@pytest.mark.parametrize("network", ["lite0", "lite2"])
def test_imagenet_kid_agrees_with_the_eye_on_spoiled_photos(unseen, network):
    """Paintings are close to paintings; blur, a chequerboard or one texture stamped over everything
    never brings photos closer to Monet; a colour transfer to Monet's palette brings them a little
    closer. Both networks, Lite0 and the second opinion, Lite2."""
    from cyclegan_lab.judging import distortions
    from cyclegan_lab.recipe.efficientnet import imagenet_features

    photos, paintings, floor_set, reference = unseen
    ref = imagenet_features(reference, network=network)
    score = lambda images: 1000 * kid(imagenet_features(images, network=network), ref)[0]
    start = score(photos)
    assert score(floor_set) < 0.1 * start
    assert score(distortions.blur(photos)) > 2 * start
    assert score(distortions.chequerboard(photos)) > start
    assert score(distortions.stamp_texture(photos, floor_set[0])) > 0.97 * start
    assert score(distortions.colour_transfer(photos, paintings)) < start


def test_monet_paintings_hold_less_fine_detail_than_photos_but_far_more_than_a_blur(unseen):
    """At full size (256), Monet's paintings keep about two thirds of the photos' finest octave."""
    from cyclegan_lab.judging import distortions

    photos, paintings, _, _ = unseen
    assert 0.4 < fine_detail(paintings, photos) < 0.95
    assert fine_detail(distortions.blur(photos), photos) < 0.5 * fine_detail(paintings, photos)


def test_the_style_proxy_is_blind_where_imagenet_kid_sees(unseen):
    """The old proxy calls chequerboard noise 3x further from Monet than photos (random filters love edges)
    but a colour transfer nearly a painting; ImageNet KID moves both only a little, as the eye does."""
    from cyclegan_lab.judging import distortions

    photos, paintings, _, reference = unseen
    transferred = distortions.colour_transfer(photos, paintings)
    assert style_kid(transferred, reference)[0] < 0.3 * style_kid(photos, reference)[0]
    gap = painting_gap(transferred, photos, paintings)
    assert 0 < gap["gap_closed"] < 0.3, gap  # closer, but a recoloured photo is still a photo


def test_fid_matches_the_matrix_square_root_route_and_its_known_cases():
    """FID against NumPy's general eigenvalues of S_a S_b; 0 for one set; |shift|^2 for a shifted copy."""
    rng = np.random.default_rng(0)
    a = rng.normal(size=(300, 6)) @ rng.normal(size=(6, 6))
    b = rng.normal(0.3, 1.5, size=(200, 6))
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root_trace = np.sqrt(np.linalg.eigvals(cov_a @ cov_b).real.clip(0)).sum()
    expected = ((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * root_trace
    assert fid(a, b) == pytest.approx(expected, rel=1e-8)
    assert fid(a, a) == pytest.approx(0, abs=1e-8)
    shift = np.array([1.0, -2.0, 0, 0, 0.5, 0])
    assert fid(a + shift, a) == pytest.approx((shift**2).sum(), rel=1e-8)


def test_mifid_matches_a_numpy_reference_with_and_without_memorisation():
    """FID / d with d the mean smallest cosine distance to the training set, d replaced by 1 above 0.1."""
    from cyclegan_lab.judging.scores import memorisation_distance, mifid

    rng = np.random.default_rng(1)
    training = rng.normal(0.0, 1.0, size=(40, 32))
    generated = rng.normal(0.2, 1.2, size=(30, 32))

    def reference(a, b):
        cos = np.array([[abs(x @ y) / np.linalg.norm(x) / np.linalg.norm(y) for y in b] for x in a])
        d = np.mean(np.min(1 - cos, axis=1))
        return d, fid(a, b) / (d if d < 0.1 else 1.0)

    d, expected = reference(generated, training)
    assert d > 0.1 and memorisation_distance(generated, training) == pytest.approx(d)
    assert mifid(generated, training) == pytest.approx(expected) == pytest.approx(fid(generated, training))
    copies = training[:30] + rng.normal(0, 0.3, size=(30, 32))  # near-copies of training paintings: memorised
    d, expected = reference(copies, training)
    assert d < 0.1 and mifid(copies, training) == pytest.approx(expected)
    assert mifid(copies, training) > 10 * fid(copies, training)


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
