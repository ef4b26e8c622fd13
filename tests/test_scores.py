"""The style score tells Monet paintings from photos, and from their own copies not at all."""

import numpy as np
import pytest

from cyclegan_lab.data import load_folder
from cyclegan_lab.scores import kid, style_features, style_kid


@pytest.fixture(scope="module")
def images(real_data):
    monet = load_folder(real_data / "monet", size=128, limit=80)
    photo = load_folder(real_data / "photo", size=128, limit=80)
    return monet, photo


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
