"""Tests for cyclegan_lab.inference and the `cyclegan-lab stylize` command, with a tiny
untrained generator (32x32 grid, 4 filters): shapes, sizes and file handling, not beauty."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from cyclegan_lab.cli import main
from cyclegan_lab.data import normalize, to_uint8
from cyclegan_lab.models import build_generator
from cyclegan_lab.pretrained import PRETRAINED_ENV, export_generator
from cyclegan_lab.inference import network_grid, stylize, stylize_file


@pytest.fixture(scope="module")
def model():
    return build_generator("tiny", image_size=32, filters=4, any_size=True)


def photo(height: int, width: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


# --------------------------------------------------------------------------- stylize
def test_the_grid_is_the_u_nets_image_size(model):
    assert network_grid(model) == (32, False)
    assert network_grid(build_generator("fixed", image_size=32, filters=4)) == (32, True)


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


def test_a_multiple_of_the_grid_is_painted_without_padding(model):
    image = photo(32, 64)
    expected = to_uint8(model(normalize(image[None]), training=False))[0]
    assert np.abs(stylize(image, model, size=None).astype(int) - expected).max() <= 1


@pytest.mark.parametrize("bad", [np.zeros((8, 8, 3), np.float32), np.zeros((8, 8), np.uint8),
                                 np.zeros((8, 8, 4), np.uint8), "photo.jpg"])
def test_wrong_inputs_are_one_clear_error(model, bad):
    with pytest.raises(ValueError, match="uint8"):
        stylize(bad, model)


# --------------------------------------------------------------------------- stylize_file
@pytest.fixture
def files(tmp_path):
    """60x40 (width x height) images in the modes people have: grayscale, RGBA, palette."""
    rgb = Image.fromarray(photo(40, 60))
    made = {
        "gray": rgb.convert("L"),
        "rgba": rgb.convert("RGBA"),
        "palette": rgb.convert("P", palette=Image.Palette.ADAPTIVE),
    }
    paths = {}
    for name, image in made.items():
        paths[name] = tmp_path / f"{name}.png"
        image.save(paths[name])
    return paths


@pytest.mark.parametrize("mode", ["gray", "rgba", "palette"])
@pytest.mark.parametrize("keep, size, expected", [
    ("aspect", 32, (48, 32)),  # shorter side 32, 3:2 kept
    ("aspect", 20, (30, 20)),
    ("size", 32, (60, 40)),
    ("square", 32, (32, 32)),
])
def test_stylize_file_sizes(files, model, mode, keep, size, expected):
    painted = stylize_file(files[mode], model, size=size, keep=keep)
    assert isinstance(painted, Image.Image) and painted.mode == "RGB"
    assert painted.size == expected


def test_stylize_file_turns_photos_upright(tmp_path, model):
    path = tmp_path / "phone.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees to view
    Image.fromarray(photo(40, 60)).save(path, exif=exif)
    assert stylize_file(path, model, size=32, keep="aspect").size == (32, 48)


def test_stylize_file_names_a_bad_file(tmp_path, model):
    bad = tmp_path / "notes.png"
    bad.write_bytes(b"not an image at all")
    with pytest.raises(ValueError, match="notes.png"):
        stylize_file(bad, model)
    with pytest.raises(ValueError, match="keep"):
        stylize_file(bad, model, keep="stretch")


# --------------------------------------------------------------------------- the command line
@pytest.fixture
def tiny_shipped(model, tmp_path, monkeypatch):
    """The tiny generator as the shipped model, through CYCLEGAN_LAB_PRETRAINED."""
    folder = tmp_path / "pretrained"
    export_generator(model, folder, "monet", {"image_size": 32, "filters": 4})
    monkeypatch.setenv(PRETRAINED_ENV, str(folder))
    return folder


def test_the_default_model_is_the_shipped_one(tiny_shipped, model):
    image = photo(32, 48)
    assert np.array_equal(stylize(image, size=None), stylize(image, model, size=None))


def test_cli_paints_the_good_files_and_names_the_bad_one(tiny_shipped, tmp_path, capsys):
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.fromarray(photo(40, 60)).convert("RGBA").save(photos / "lake.png")
    Image.fromarray(photo(50, 30)).convert("L").save(photos / "bridge.jpg")
    (photos / "broken.jpg").write_bytes(b"\xff\xd8 half a jpeg")
    (photos / ".DS_Store").write_bytes(b"junk")
    before = {p.name: p.read_bytes() for p in photos.iterdir()}

    code = main(["stylize", str(photos), "-o", str(tmp_path / "out" / "new"), "--size", "32"])

    err = capsys.readouterr().err
    assert code == 1
    assert "broken.jpg" in err and "1 of 3" in err and "Traceback" not in err
    assert ".DS_Store" not in err
    out = tmp_path / "out" / "new"
    assert sorted(p.name for p in out.iterdir()) == ["bridge_monet.png", "lake_monet.png"]
    with Image.open(out / "lake_monet.png") as lake, Image.open(out / "bridge_monet.png") as bridge:
        assert lake.size == (48, 32) and bridge.size == (32, 53)
    assert {p.name: p.read_bytes() for p in photos.iterdir()} == before, "inputs are never touched"


def test_cli_keeps_size_and_never_overwrites_an_input(tiny_shipped, tmp_path, capsys):
    Image.fromarray(photo(40, 60)).save(tmp_path / "boat.png")
    Image.fromarray(photo(40, 60, seed=1)).save(tmp_path / "boat_monet.png")  # a photo that happens to have this name
    original = (tmp_path / "boat_monet.png").read_bytes()

    code = main(["stylize", str(tmp_path / "boat.png"), str(tmp_path / "boat_monet.png"),
                 "-o", str(tmp_path), "--keep", "size"])

    assert code == 1 and "overwrite" in capsys.readouterr().err
    assert (tmp_path / "boat_monet.png").read_bytes() == original
    with Image.open(tmp_path / "boat_monet_monet.png") as painted:
        assert painted.size == (60, 40)


def test_cli_all_good_is_exit_code_0(tiny_shipped, tmp_path, capsys):
    Image.fromarray(photo(40, 60)).save(tmp_path / "a.png")
    assert main(["stylize", str(tmp_path / "a.png"), "-o", str(tmp_path / "out"), "--keep", "square",
                 "--size", "32"]) == 0
    assert "Wrote 1 painting" in capsys.readouterr().out
    with Image.open(tmp_path / "out" / "a_monet.png") as painted:
        assert painted.size == (32, 32)


def test_cli_usage_errors_are_exit_code_2(tiny_shipped, tmp_path, capsys):
    assert main(["stylize", str(tmp_path / "nowhere.jpg"), "-o", str(tmp_path / "out")]) == 2
    assert "nowhere.jpg" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["stylize", str(tmp_path / "empty"), "-o", str(tmp_path / "out")]) == 2
    assert "no files" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_cli_without_the_shipped_model_says_which_file_is_missing(tmp_path, monkeypatch, capsys):
    Image.fromarray(photo(40, 60)).save(tmp_path / "a.png")
    monkeypatch.setenv(PRETRAINED_ENV, str(tmp_path / "no-model"))
    assert main(["stylize", str(tmp_path / "a.png"), "-o", str(tmp_path / "out")]) == 2
    assert "monet.weights.h5" in capsys.readouterr().err
