"""cyclegan_lab.inference: `stylize` (and `program.paint_files.stylize_file` where a check spans both) with a
tiny untrained generator (conftest.py's `model`, 32x32 grid, 4 filters): shapes, sizes, zoom and errors, not
beauty. The helpers here (`photo`, `save_photo`, ...) serve test_paint_files.py and test_cli.py too.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from PIL import Image

from cyclegan_lab.config import TrainConfig
from cyclegan_lab.images import normalize, to_uint8
from cyclegan_lab.inference import stylize
from cyclegan_lab.models import build_generator
from cyclegan_lab.program.paint_files import stylize_file


def photo(height: int, width: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


# --------------------------------------------------------------------------- stylize
def test_any_size_comes_back_the_same_size(model):
    sizes = [(50, 70), (32, 32), (17, 90), (1, 5), (64, 33)]
    painted = stylize([photo(h, w) for h, w in sizes], model, size=None)
    assert [p.shape for p in painted] == [(h, w, 3) for h, w in sizes]
    assert all(p.dtype == np.uint8 for p in painted)


def test_one_image_and_a_stacked_batch_keep_their_form(model):
    one = stylize(photo(50, 70), model, size=None)
    assert one.shape == (50, 70, 3) and one.dtype == np.uint8
    batch = stylize(np.stack([photo(50, 70, seed) for seed in range(3)]), model, size=None, batch_size=2)
    assert batch.shape == (3, 50, 70, 3) and batch.dtype == np.uint8
    assert np.abs(batch[0].astype(int) - one).max() <= 1, "an image's painting does not depend on its batch"


def test_working_scale_gives_the_photos_size_back(model):
    painted = stylize([photo(50, 70), photo(20, 10)], model, size=64)
    assert [p.shape for p in painted] == [(50, 70, 3), (20, 10, 3)]


def side_reporter(zoom: float | None = None):
    """A stand-in generator that paints every pixel with the height it was given: height / 256 - 1."""
    import keras

    def paint(x):
        return keras.ops.ones_like(x) * (keras.ops.cast(keras.ops.shape(x)[1], "float32") / 256 - 1)

    inputs = keras.Input((None, None, 3))
    outputs = keras.layers.Lambda(paint)(inputs)
    reporter = keras.Model(inputs, outputs)
    if zoom is not None:
        reporter.training_zoom = zoom
    return reporter


def seen_height(painting: np.ndarray) -> float:
    return float(painting.mean()) / 127.5 * 256


@pytest.mark.parametrize("augment", [True, False])
def test_a_generator_trained_with_jitter_paints_at_the_zoom_it_learnt(augment):
    """The paper's jitter showed the generator each 256 scene at 286 pixels: a 256 photo goes through it at 286."""
    config = TrainConfig(image_size=32, generator="resnet", residual_blocks=1, generator_filters=4, augment=augment)
    from cyclegan_lab.models import generator_for

    zoom = generator_for(config, any_size=True).training_zoom
    assert zoom == (286 / 256 if augment else 1.0)
    expected = 286 if augment else 256
    for size, image in [(256, photo(100, 150)), (None, photo(256, 300))]:
        painted = stylize(image, side_reporter(zoom), size=size)
        assert painted.shape == image.shape, "it comes back at the photo's size"
        assert seen_height(painted) == pytest.approx(expected, abs=1.5)
    assert seen_height(stylize(photo(64, 64), side_reporter(), size=None)) == pytest.approx(64, abs=1.5)


def test_a_multiple_of_the_grid_is_painted_without_padding(model):
    image = photo(32, 64)
    expected = to_uint8(model(normalize(image[None]), training=False))[0]
    assert np.abs(stylize(image, model, size=None).astype(int) - expected).max() <= 1


@pytest.mark.parametrize(
    "bad", [np.zeros((8, 8, 3), np.float32), np.zeros((8, 8), np.uint8), np.zeros((8, 8, 4), np.uint8), "photo.jpg"]
)
def test_wrong_inputs_are_one_clear_error(model, bad):
    with pytest.raises(ValueError, match="uint8"):
        stylize(bad, model)


# --------------------------------------------------------------------------- faults named
def save_photo(path, seed=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(photo(40, 60, seed)).save(path)
    return path


@pytest.mark.parametrize("size", [-5, 0, 10**6, 2.5, True, "256"])
def test_sizes_are_checked_in_the_python_api(model, tmp_path, size):
    """Case 5: size=-5 gave one flat colour, size=0 a 1x1 image."""
    with pytest.raises(ValueError, match="size must be a whole number from 16 to 4096"):
        stylize(photo(40, 60), model, size=size)
    path = save_photo(tmp_path / "a.png")
    with pytest.raises(ValueError, match="size must be a whole number from 16 to 4096"):
        stylize_file(path, model, size=size)


def test_batch_size_is_checked(model):
    with pytest.raises(ValueError, match="batch_size must be a whole number from 1"):
        stylize(photo(40, 60), model, batch_size=0)


def test_an_empty_batch_is_a_clear_error(model):
    """Case 7: stylize([]) said 'need at least one array to stack'."""
    with pytest.raises(ValueError, match="no images"):
        stylize([], model)
    with pytest.raises(ValueError, match="no images"):
        stylize(np.zeros((0, 32, 32, 3), np.uint8), model)


def test_a_model_name_or_path_is_a_clear_error_saying_how_to_load_it_and_so_is_a_wrong_model(tmp_path):
    """Case 7: stylize(image, model="monet") raised AttributeError ... predict_on_batch. `stylize` paints
    with a loaded generator; a name, a path or None is one error saying how to load one (the program loads
    them itself, `checkpoint_reading.as_generator`, test_checkpoint_reading.py)."""
    image = photo(32, 48)
    how = r'load one first, e\.g\. model = load_pretrained\("monet"\) .* model = load_generator\(path\)'
    for given, named in [("monet", "'monet'"), (tmp_path / "run", repr(str(tmp_path / "run"))), (None, "None")]:
        with pytest.raises(ValueError, match=f"^model must be a loaded generator, got {re.escape(named)}: {how}"):
            stylize(image, given)
    with pytest.raises(ValueError, match="model must be a loaded generator, got 'monet'"):
        stylize_file(save_photo(tmp_path / "a.png"), "monet")
    with pytest.raises(ValueError, match="model must be"):
        stylize(image, 5)


# --------------------------------------------------------------------------- tiny, extreme and broken
@pytest.mark.parametrize("side", [1, 2, 3, 5])
def test_images_smaller_than_the_network_needs_are_padded_and_painted(resnet, side):
    """A ResNet mirrors 3 pixels at full size and 1 at every smaller scale: a 3x3 image once failed deep
    inside TensorFlow (MirrorPad); now it is padded far enough and comes back at its own size."""
    tiny = photo(side, side + 1)
    assert stylize(tiny, resnet, size=None).shape == (side, side + 1, 3)


def test_a_long_thin_image_is_refused_by_name_before_it_exhausts_memory(model, tmp_path):
    """A 1000x2 strip at keep="aspect" would become 128000x256 pixels: one clear error instead of bad_alloc."""
    strip = tmp_path / "strip.png"
    Image.fromarray(photo(2, 1000)).save(strip)
    with pytest.raises(
        ValueError,
        match=r"strip.png at size 256 with keep aspect would be 128000x256 pixels.*"
        r"megapixel limit.*keep square",
    ):
        stylize_file(strip, model)
    assert stylize_file(strip, model, keep="square").size == (256, 256)
    with pytest.raises(ValueError, match="image 0 would be 128000x256 pixels"):
        stylize(photo(2, 1000), model)


def test_a_generator_with_broken_weights_paints_an_error_not_a_black_picture(tmp_path):
    """NaN weights (a diverged run) give NaN outputs: stylize says so instead of writing black."""
    broken = build_generator("broken", image_size=32, filters=4, any_size=True)
    broken.layers[1].set_weights([np.full_like(w, np.nan) for w in broken.layers[1].get_weights()])
    with pytest.raises(ValueError, match="not finite.*diverged"):
        stylize(photo(32, 32), broken, size=None)
    with pytest.raises(ValueError, match="not finite"):
        to_uint8(np.array([[[[np.nan, 0, 0]]]]))


# --------------------------------------------------------------------------- sizes the model paints larger
def limit_named(message: str) -> int:
    """The largest size an error message names ("... at most N ...")."""
    import re

    return int(re.search(r"at most (\d+)", message)[1])


def test_the_python_functions_check_the_painted_size_once_too(tmp_path):
    """stylize() said "image 0 would be ..." for a size the model paints past the limit; stylize_file checked a
    photo's pixels at the size asked, then stylize() refused them at the size painted, as "image 0"."""
    from cyclegan_lab.plumbing.tiles import MAX_PIXELS, MAX_SIZE

    zoom = 286 / 256
    reporter = side_reporter(zoom)
    size = next(s for s in range(MAX_SIZE // 2, MAX_SIZE + 1) if round(s * zoom) > MAX_SIZE)
    with pytest.raises(ValueError, match=r"^size .*must be at most") as refused:
        stylize([photo(20, 20), photo(30, 20)], reporter, size=size)
    assert (
        round(limit_named(str(refused.value)) * zoom) <= MAX_SIZE < round((limit_named(str(refused.value)) + 1) * zoom)
    )

    tall = tmp_path / "tall.png"  # 9:16: fits at the size asked, not at 286/256 of it
    Image.fromarray(photo(16, 9)).save(tall)
    size = int((MAX_PIXELS * 9 / 16) ** 0.5) - 10  # its painting at this size fits, with room for rounding
    with pytest.raises(ValueError, match="tall.png") as refused:
        stylize_file(tall, reporter, size=size)
    assert "image 0" not in str(refused.value)
