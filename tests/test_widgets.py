"""The photo-to-Monet comparison widget, driven from Python as a learner's clicks would."""

import datetime
import io

import keras
import matplotlib
import numpy as np
import pytest
from PIL import Image

from cyclegan_lab.models import build_generator
from cyclegan_lab.widgets import MonetComparer, png_bytes, split_view

matplotlib.use("Agg")


class CountingGenerator:
    """A tiny real generator that counts how often it is run."""

    def __init__(self):
        keras.utils.set_random_seed(0)
        self.model = build_generator(image_size=32, filters=8)
        self.input_shape = self.model.input_shape
        self.calls = 0

    def predict_on_batch(self, batch):
        self.calls += 1
        return self.model.predict_on_batch(batch)


@pytest.fixture
def photos():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)


def decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)))


def upload_value(name: str, data: bytes):
    return (
        {
            "name": name,
            "type": "image/png",
            "size": len(data),
            "content": memoryview(data),
            "last_modified": datetime.datetime.now(datetime.UTC),
        },
    )


def test_moving_the_slider_shows_the_other_photo_and_its_monet(photos):
    comparer = MonetComparer(CountingGenerator(), photos)
    assert np.array_equal(decode(comparer.photo_view.value), photos[0])
    first_monet = comparer.monet_view.value

    comparer.picker.value = 2

    assert np.array_equal(decode(comparer.photo_view.value), photos[2])
    assert comparer.monet_view.value != first_monet
    assert comparer.caption.value == "photo 3"
    assert np.array_equal(decode(comparer.monet_view.value), comparer.monet(2))


def test_each_monet_is_computed_once(photos):
    generator = CountingGenerator()
    comparer = MonetComparer(generator, photos)
    for index in [1, 0, 1, 2, 0, 2]:
        comparer.picker.value = index
    comparer.split.value = 0.2
    assert generator.calls == 3


def test_split_view_runs_from_all_monet_to_all_photo():
    before = np.zeros((4, 10, 3), np.uint8)
    after = np.full((4, 10, 3), 100, np.uint8)
    assert np.array_equal(split_view(before, after, 0.0), after)
    assert np.array_equal(split_view(before, after, 1.0), before)
    half = split_view(before, after, 0.5)
    assert (half[:, :4] == 0).all() and (half[:, 4:6] == 255).all() and (half[:, 6:] == 100).all()


def test_the_split_slider_redraws_the_comparison(photos):
    comparer = MonetComparer(CountingGenerator(), photos)
    comparer.split.value = 1.0
    assert np.array_equal(decode(comparer.split_view.value), photos[0])
    comparer.split.value = 0.0
    assert np.array_equal(decode(comparer.split_view.value), comparer.monet(0))


def test_an_uploaded_photo_of_any_size_and_mode_is_stylised(photos):
    comparer = MonetComparer(CountingGenerator(), photos)
    buffer = io.BytesIO()
    Image.new("RGBA", (90, 60), (200, 30, 30, 255)).save(buffer, format="PNG")

    comparer.upload.value = upload_value("mine.png", buffer.getvalue())

    assert comparer.picker.max == 3 and comparer.picker.value == 3
    assert comparer.caption.value == "mine.png"
    shown = decode(comparer.photo_view.value)
    assert shown.shape == (32, 32, 3) and (shown == [200, 30, 30]).all()
    assert comparer.message.value == ""


def test_a_bad_upload_shows_an_error_and_the_rest_keeps_working(photos):
    comparer = MonetComparer(CountingGenerator(), photos)
    comparer.picker.value = 1

    comparer.upload.value = upload_value("notes.png", b"this is not an image")

    assert "notes.png" in comparer.message.value and "not a readable image" in comparer.message.value
    assert comparer.picker.max == 2 and comparer.picker.value == 1
    comparer.picker.value = 0
    assert np.array_equal(decode(comparer.photo_view.value), photos[0])


def test_show_all_lays_out_every_pair_and_hides_again(photos):
    comparer = MonetComparer(CountingGenerator(), photos)
    comparer.show_all.value = True
    cells = [cell for row in comparer.grid.children for cell in row.children]
    assert [cell.children[0].value for cell in cells] == ["photo 1", "photo 2", "photo 3"]
    comparer.show_all.value = False
    assert comparer.grid.children == ()


def test_the_static_figure_shows_photos_above_their_monets(photos):
    comparer = MonetComparer(CountingGenerator(), photos, names=["a", "b", "c"])
    figure = comparer.figure([0, 2])
    shown = [ax for ax in figure.axes if ax.images]
    assert [ax.get_title() for ax in shown] == ["a", "c", "Monet", "Monet"]
    assert np.array_equal(shown[3].images[0].get_array(), comparer.monet(2))


def test_the_static_figure_puts_four_pairs_a_row(photos):
    comparer = MonetComparer(CountingGenerator(), np.concatenate([photos, photos]))
    figure = comparer.figure(range(6))
    titles = [ax.get_title() for ax in figure.axes]
    assert len(figure.axes) == 16
    assert titles[:8] == ["photo 1", "photo 2", "photo 3", "photo 4"] + ["Monet"] * 4
    assert titles[8:] == ["photo 5", "photo 6", "", ""] + ["Monet", "Monet", "", ""]


def test_precomputed_monets_are_used(photos):
    generator = CountingGenerator()
    monets = np.zeros_like(photos)
    comparer = MonetComparer(generator, photos, monets=monets)
    comparer.picker.value = 2
    assert generator.calls == 0 and np.array_equal(decode(comparer.monet_view.value), monets[2])


def test_png_bytes_round_trips():
    image = np.arange(48, dtype=np.uint8).reshape(4, 4, 3)
    assert np.array_equal(decode(png_bytes(image)), image)


def test_no_photos_is_a_clear_error():
    with pytest.raises(ValueError, match="at least one photo"):
        MonetComparer(CountingGenerator(), np.zeros((0, 32, 32, 3), np.uint8))


def test_a_generator_of_any_size_works_at_the_photos_size():
    """The shipped generator (`load_pretrained("monet")`) takes any size: uploads come at the photos' size."""
    generator = build_generator(image_size=32, filters=4, any_size=True)
    photos = np.random.default_rng(1).integers(0, 256, (2, 64, 64, 3), dtype=np.uint8)
    comparer = MonetComparer(generator, photos)
    assert decode(comparer.monet_view.value).shape == (64, 64, 3)
    buffer = io.BytesIO()
    Image.new("L", (90, 60), 128).save(buffer, format="PNG")
    comparer.upload.value = upload_value("grey.png", buffer.getvalue())
    assert decode(comparer.photo_view.value).shape == (64, 64, 3)
    assert decode(comparer.monet_view.value).shape == (64, 64, 3)
