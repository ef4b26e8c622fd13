"""cyclegan_lab.pipeline: what `make_dataset` feeds training. Batches in range, every image once an epoch
in a new seeded order, a stream that resumes exactly at any step, and augmentation and crops that keep
the shape and the range.
"""

import numpy as np
import pytest
from test_data import noise

from cyclegan_lab.config import TrainConfig
from cyclegan_lab.images import to_uint8
from cyclegan_lab.pipeline import make_dataset
from cyclegan_lab.recipe.config import RecipeConfig


def constant_images(n: int, size: int = 32, offset: int = 0) -> np.ndarray:
    """Image i is filled with the value offset + i, so a batch tells which image it holds."""
    return np.stack([np.full((size, size, 3), offset + i, np.uint8) for i in range(n)])


def monet_indices(dataset, steps: int) -> list[int]:
    """The Monet image numbers (see constant_images) of the first `steps` batch-1 steps."""
    return [int(to_uint8(monet)[0, 0, 0, 0]) for monet, _ in dataset.take(steps).as_numpy_iterator()]


def photo_indices(dataset, steps: int, offset: int) -> list[int]:
    return [int(to_uint8(photo)[0, 0, 0, 0]) - offset for _, photo in dataset.take(steps).as_numpy_iterator()]


def batches(dataset, steps: int) -> list[tuple[np.ndarray, np.ndarray]]:
    return list(dataset.take(steps).as_numpy_iterator())


def test_make_dataset_yields_monet_photo_batches_in_range():
    config = TrainConfig(image_size=32, batch_size=2)
    for monet, photo in batches(make_dataset(noise(5), noise(7, seed=1), config), 3):
        for images in (monet, photo):
            assert images.shape == (2, 32, 32, 3) and images.dtype == np.float32
            assert images.min() >= -1.0 and images.max() <= 1.0


def test_each_epoch_visits_every_image_once_in_a_new_order():
    config = TrainConfig(image_size=32, seed=3)
    dataset = make_dataset(constant_images(10), constant_images(10, offset=100), config)
    monet = monet_indices(dataset, 20)
    photo = photo_indices(dataset, 20, offset=100)
    for order in (monet, photo):
        assert sorted(order[:10]) == list(range(10)) and sorted(order[10:]) == list(range(10))
        assert order[:10] != order[10:], "the second epoch must be reshuffled"
    assert monet[:10] != photo[:10], "Monet paintings and photos are shuffled independently"


def test_same_seed_same_order_other_seed_other_order():
    monet, photo = constant_images(10), constant_images(10)

    def order(seed):
        return monet_indices(make_dataset(monet, photo, TrainConfig(image_size=32, seed=seed)), 10)

    assert order(0) == order(0)
    assert order(0) != order(1)


@pytest.mark.parametrize("augment", [False, True], ids=["plain", "augment"])
def test_start_step_resumes_the_exact_stream(augment):
    """Starting at step k gives exactly batches k, k+1, ... of the uninterrupted run."""
    config = TrainConfig(image_size=32, batch_size=2, seed=5, augment=augment)
    monet, photo = noise(5), noise(7, seed=1)
    full = batches(make_dataset(monet, photo, config), 9)
    resumed = batches(make_dataset(monet, photo, config, start_step=4), 5)
    for (m_full, p_full), (m_res, p_res) in zip(full[4:], resumed, strict=True):
        assert np.array_equal(m_full, m_res) and np.array_equal(p_full, p_res)


def test_augment_keeps_shape_and_range_but_changes_pixels():
    config = TrainConfig(image_size=32, batch_size=2, seed=2)
    monet, photo = noise(4), noise(4, seed=1)
    plain = batches(make_dataset(monet, photo, config), 6)
    augmented = batches(make_dataset(monet, photo, config.replace(augment=True)), 6)
    for m_aug, p_aug in augmented:
        for images in (m_aug, p_aug):
            assert images.shape == (2, 32, 32, 3) and images.dtype == np.float32
            assert images.min() >= -1.0 and images.max() <= 1.0
    changed = [not np.array_equal(a[0], p[0]) for a, p in zip(augmented, plain)]
    assert any(changed), "augmentation never changed an image"


def test_crops_are_random_patches_of_the_requested_size():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (4, 64, 64, 3), dtype=np.uint8)
    config = RecipeConfig(image_size=64, crop_size=32, batch_size=2)
    monet, photo = next(iter(make_dataset(images, images, config)))
    assert monet.shape == (2, 32, 32, 3) and photo.shape == (2, 32, 32, 3)
    again, _ = next(iter(make_dataset(images, images, config)))
    np.testing.assert_array_equal(monet, again)  # seeded: the same crops every run
