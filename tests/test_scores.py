"""The style score tells Monet paintings from photos, and from their own copies not at all."""

import numpy as np
import pytest

from cyclegan_lab.data import load_folder
from cyclegan_lab.judging.scores import fid, fine_detail, kid, painting_gap, radial_power, style_features, style_kid
from cyclegan_lab.measures import chequerboard_ratio, composition_similarity, copy_distance, palette_distance


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


def test_chequerboard_ratio_sees_period_two_noise_and_nothing_else(images):
    _, photo = images
    rows, columns = np.indices(photo.shape[1:3])
    checker = np.where((rows + columns) % 2, 6, -6)[None, :, :, None]
    noisy = np.clip(photo.astype(int) + checker, 0, 255).astype(np.uint8)
    assert chequerboard_ratio(photo, photo) == pytest.approx(1.0)
    assert chequerboard_ratio(noisy, photo) > 1.5  # 6 levels of chequerboard on a 0-255 scale
    blurred = ((photo.astype(float) + np.roll(photo, 1, axis=1)) / 2).astype(np.uint8)
    assert chequerboard_ratio(blurred, photo) < 1.0  # smoothing removes period-2 energy
    stripes = np.clip(photo.astype(int) + np.where(rows % 2, 6, -6)[None, :, :, None], 0, 255).astype(np.uint8)
    assert chequerboard_ratio(stripes, photo) > 1.5  # one-pixel stripes are period 2 too


def test_fine_detail_is_1_for_the_photos_near_0_when_blurred_and_above_1_with_grain(images):
    _, photo = images
    from cyclegan_lab.judging import distortions

    assert fine_detail(photo, photo) == pytest.approx(1.0)
    assert fine_detail(distortions.blur(photo), photo) < 0.25  # what is left is rounding to whole grey levels
    noise = np.random.default_rng(0).normal(0, 8, photo.shape)
    assert fine_detail(np.clip(photo + noise, 0, 255).astype(np.uint8), photo) > 1.5  # grain is fine detail


def test_low_pass_removes_the_finest_octave_and_leaves_wider_patterns(images):
    from cyclegan_lab.judging.distortions import low_pass

    _, photo = images
    rows, columns = np.indices(photo.shape[1:3])
    coarse = np.clip(photo.astype(int) + np.where((rows // 4 + columns // 4) % 2, 20, -20)[None, :, :, None], 0, 255)
    fine = np.clip(coarse + np.where((rows + columns) % 2, 20, -20)[None, :, :, None], 0, 255).astype(np.uint8)
    filtered = low_pass(fine, cutoff=0.4)
    assert filtered.shape == fine.shape and filtered.dtype == np.uint8
    assert fine_detail(filtered, photo) < 0.25  # the chequerboard and the photos' own finest detail are gone
    assert fine_detail(fine, photo) > 10
    frequencies, before = radial_power(fine)
    _, after = radial_power(filtered)
    wide = frequencies < 0.3  # the 8-pixel squares (1/8 cycle per pixel) and the photo's shapes stay
    np.testing.assert_allclose(after[wide], before[wide], rtol=0.05)
    assert (after[frequencies > 0.42] < 0.05 * before[frequencies > 0.42]).all()


def test_copy_distance_is_zero_for_a_copy():
    rng = np.random.default_rng(0)
    photos = rng.integers(0, 256, (3, 16, 16, 3), dtype=np.uint8)
    assert copy_distance(photos, photos) == 0.0
    assert copy_distance(255 - photos, photos) == pytest.approx(np.mean(np.abs(255 - 2 * photos.astype(float))) / 127.5)


def test_composition_sees_a_lost_layout_where_a_recolouring_keeps_it(images):
    """A recoloured or lightly blurred photo keeps its layout; another photo, or one turned upside
    down, does not: the distinction the copy distance cannot make (all are far from the photo)."""
    _, photo = images
    photo = photo[:20]
    assert composition_similarity(photo, photo) == pytest.approx(1.0)
    recoloured = np.clip(photo.astype(int)[..., ::-1] * 0.7 + 40, 0, 255).astype(np.uint8)  # BGR, darker, lifted
    blurred = ((photo[:, ::2, ::2].astype(int) + photo[:, 1::2, 1::2]) // 2).repeat(2, 1).repeat(2, 2).astype(np.uint8)
    assert composition_similarity(recoloured, photo) > 0.8 and composition_similarity(blurred, photo) > 0.95
    assert composition_similarity(np.roll(photo, 1, axis=0), photo) < 0.5  # each image paired with another
    assert composition_similarity(photo[:, ::-1], photo) < 0.5
    assert copy_distance(recoloured, photo) > copy_distance(np.roll(photo, 1, axis=0), photo) / 4


def test_composition_needs_sides_the_grid_divides(images):
    with pytest.raises(ValueError, match="32 divides"):
        composition_similarity(np.zeros((1, 100, 100, 3), np.uint8), np.zeros((1, 100, 100, 3), np.uint8))


def test_palette_distance_measures_how_far_colours_move(images):
    monet, photo = images
    assert palette_distance(monet, monet) == 0.0
    brighter = (monet.astype(int) + 20).clip(0, 255).astype(np.uint8)
    assert 10 < palette_distance(brighter, monet) <= 20  # every value moved by 20, less where it clipped at 255
    assert palette_distance(monet[:40], monet[40:]) < palette_distance(photo, monet)  # Monet's palette is his own


def test_held_out_monitor_saves_previews_and_measures(images, tmp_path):
    import csv

    from cyclegan_lab.config import TrainConfig
    from cyclegan_lab.judging.monitor import HeldOutMonitor
    from cyclegan_lab.training import build_cyclegan

    monet, photo = images
    config = TrainConfig(
        image_size=64, generator="resnet", generator_filters=4, residual_blocks=1, ema_decay=0.9, precision="float32"
    )
    cyclegan = build_cyclegan(config)
    monitor = HeldOutMonitor(config, photo[:3], monet[:20], tmp_path, every=2, shown=2, save_paintings=True)
    monitor.set_model(cyclegan)
    cyclegan.monet_generator_optimizer.iterations.assign(2)
    monitor.on_train_batch_end(0)
    cyclegan.monet_generator_optimizer.iterations.assign(3)
    monitor.on_train_batch_end(1)  # not a multiple of 2: nothing
    rows = list(csv.DictReader(open(tmp_path / "held_out.csv")))
    assert [row["step"] for row in rows] == ["2"]
    assert set(rows[0]) == {
        "step",
        "chequerboard",
        "copy",
        "composition",
        "palette",
        "fine_detail",
        "kid",
        "gap_closed",
        "gap_closed_lite2",
        "judge",
        "coarse_change",
    }
    assert float(rows[0]["copy"]) > 0 and np.isfinite(float(rows[0]["judge"])) and float(rows[0]["coarse_change"]) > 0
    assert (tmp_path / "previews" / "step-000002.png").stat().st_size > 1000
    painted = np.load(tmp_path / "previews" / "step-000002.npy")  # every painted photo, for measures computed later
    assert painted.shape == (3, 128, 128, 3) and painted.dtype == np.uint8


def test_the_held_out_log_keeps_each_value_under_its_own_column(tmp_path):
    """Rows append under the file's header; a row with other columns is refused, the file untouched."""
    import csv

    from cyclegan_lab.judging.monitor import append_row

    log = tmp_path / "held_out.csv"
    append_row(log, {"step": 250, "copy": 0.3})
    append_row(log, {"step": 500, "copy": 0.2})
    with pytest.raises(ValueError, match=r"held_out.csv has the columns \['step', 'copy'\]"):
        append_row(log, {"step": 750, "composition": 0.9, "copy": 0.1})
    rows = list(csv.DictReader(open(log)))
    assert [(r["step"], r["copy"]) for r in rows] == [("250", "0.3"), ("500", "0.2")]
    assert [p.name for p in tmp_path.iterdir()] == ["held_out.csv"]


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
