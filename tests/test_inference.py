"""Tests for cyclegan_lab.inference, program.paint_files and the `cyclegan-lab stylize` command, with a tiny
untrained generator (32x32 grid, 4 filters): shapes, sizes and file handling, not beauty."""

from __future__ import annotations

import contextlib
import os
import threading

import numpy as np
import pytest
from PIL import Image

from cyclegan_lab.config import TrainConfig
from cyclegan_lab.images import normalize, to_uint8
from cyclegan_lab.inference import network_grid, stylize, stylize_file
from cyclegan_lab.models import build_generator
from cyclegan_lab.pretrained import PRETRAINED_ENV
from cyclegan_lab.program.cli import main
from cyclegan_lab.program.export import export_generator


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
@pytest.mark.parametrize(
    "keep, size, expected",
    [
        ("aspect", 32, (48, 32)),  # shorter side 32, 3:2 kept
        ("aspect", 20, (30, 20)),
        ("size", 32, (60, 40)),
        ("square", 32, (32, 32)),
    ],
)
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
    config = TrainConfig(image_size=32, generator_filters=4, precision="float32")  # the float32 run it stands for
    export_generator(model, folder, "monet", {"config": config.to_dict()})
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

    code = main(
        ["stylize", str(tmp_path / "boat.png"), str(tmp_path / "boat_monet.png"), "-o", str(tmp_path), "--keep", "size"]
    )

    assert code == 0 and "Wrote 2 paintings" in capsys.readouterr().out
    assert (tmp_path / "boat_monet.png").read_bytes() == original
    with Image.open(tmp_path / "boat_monet-2.png") as painted:  # its usual name was taken: the next free one
        assert painted.size == (60, 40)
    assert (tmp_path / "boat_monet_monet.png").exists()


def test_cli_all_good_is_exit_code_0(tiny_shipped, tmp_path, capsys):
    Image.fromarray(photo(40, 60)).save(tmp_path / "a.png")
    assert (
        main(["stylize", str(tmp_path / "a.png"), "-o", str(tmp_path / "out"), "--keep", "square", "--size", "32"]) == 0
    )
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


# --------------------------------------------------------------------------- faults named, nothing lost
def save_photo(path, seed=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(photo(40, 60, seed)).save(path)
    return path


def test_output_names_never_clash_and_the_summary_counts_real_files(tiny_shipped, tmp_path, capsys):
    """Case 1: a/a-2 in one folder and a in another gave 2 files and 'Wrote 3'."""
    inputs = [
        save_photo(tmp_path / "d1" / "a.png"),
        save_photo(tmp_path / "d1" / "a-2.png", 1),
        save_photo(tmp_path / "d2" / "a.png", 2),
        save_photo(tmp_path / "d3" / "A.png", 3),
    ]
    out = tmp_path / "out"
    out.mkdir()
    (out / "a_monet-2.png").write_bytes(b"a painting from yesterday")

    code = main(["stylize", *map(str, inputs), "-o", str(out), "--size", "32"])

    assert code == 0 and "Wrote 4 paintings" in capsys.readouterr().out
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 5 and len({name.lower() for name in names}) == 5, names  # distinct on any file system
    assert (out / "a_monet-2.png").read_bytes() == b"a painting from yesterday"


def test_planned_names_skip_taken_ones():
    from pathlib import Path

    from cyclegan_lab.program.paint_files import painting_names

    files = [Path("d1/a.jpg"), Path("d1/a-2.jpg"), Path("d2/a.jpg"), Path("d2/a_monet.jpg")]
    names = painting_names(files, Path("out"), taken={"a_monet-2.png"})
    assert [n.name for n in names] == ["a_monet.png", "a-2_monet.png", "a_monet-3.png", "a_monet_monet.png"]


def test_an_unwritable_output_folder_stops_before_painting(tiny_shipped, tmp_path, capsys, monkeypatch):
    """Case 4: stylize -o a read-only folder painted every image before failing on each."""
    import cyclegan_lab.program.paint_files as paint_files

    save_photo(tmp_path / "a.png")
    (tmp_path / "out").write_text("a file, not a folder")
    painted = []
    monkeypatch.setattr(paint_files, "stylize_file", lambda *a, **k: painted.append(a))
    assert main(["stylize", str(tmp_path / "a.png"), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "is a file" in err and str(tmp_path / "out") in err and "Traceback" not in err
    assert painted == []


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


@pytest.mark.parametrize("size", ["20000", "0", "-5", "big"])
def test_cli_size_uses_the_same_check(tmp_path, capsys, size):
    with pytest.raises(SystemExit) as exit_:
        main(["stylize", str(tmp_path), "-o", str(tmp_path / "out"), "--size", size])
    assert exit_.value.code == 2
    assert "--size" in capsys.readouterr().err


def test_stylize_leftovers_are_removed_from_the_output_folder(tiny_shipped, tmp_path, killed_write):
    """Case 6: a kill while saving left half-written paintings that nothing removed."""
    save_photo(tmp_path / "a.png")
    out = tmp_path / "out"
    out.mkdir()
    killed_write(out / "b_monet.png")
    (out / ".keep-me.png").write_bytes(b"not ours")
    assert main(["stylize", str(tmp_path / "a.png"), "-o", str(out), "--size", "32"]) == 0
    assert sorted(p.name for p in out.iterdir()) == [".keep-me.png", "a_monet.png"]


def test_a_missing_input_is_named_and_skipped(tiny_shipped, tmp_path, capsys):
    """Case 7: one missing path aborted the whole batch."""
    save_photo(tmp_path / "a.png")
    code = main(
        ["stylize", str(tmp_path / "a.png"), str(tmp_path / "nowhere.jpg"), "-o", str(tmp_path / "out"), "--size", "32"]
    )
    captured = capsys.readouterr()
    assert code == 1
    assert "nowhere.jpg" in captured.err and "no such file or folder" in captured.err
    assert "Wrote 1 painting " in captured.out
    assert (tmp_path / "out" / "a_monet.png").exists()


def test_images_in_subfolders_are_reported(tiny_shipped, tmp_path, capsys):
    """Case 7: images in subfolders were skipped without a word."""
    save_photo(tmp_path / "photos" / "a.png")
    save_photo(tmp_path / "photos" / "summer" / "b.png")
    assert main(["stylize", str(tmp_path / "photos"), "-o", str(tmp_path / "out"), "--size", "32"]) == 0
    err = capsys.readouterr().err
    assert "summer" in err and "not searched" in err


def test_an_empty_batch_is_a_clear_error(model):
    """Case 7: stylize([]) said 'need at least one array to stack'."""
    with pytest.raises(ValueError, match="no images"):
        stylize([], model)
    with pytest.raises(ValueError, match="no images"):
        stylize(np.zeros((0, 32, 32, 3), np.uint8), model)


def test_a_model_name_is_loaded_and_a_wrong_model_is_a_clear_error(tiny_shipped, model):
    """Case 7: stylize(image, model="monet") raised AttributeError ... predict_on_batch."""
    image = photo(32, 48)
    assert np.array_equal(stylize(image, "monet", size=None), stylize(image, model, size=None))
    with pytest.raises(ValueError, match="model must be"):
        stylize(image, 5)


def test_stylize_files_returns_what_was_written(tiny_shipped, tmp_path):
    from cyclegan_lab.program.paint_files import stylize_files

    save_photo(tmp_path / "a.png")
    (tmp_path / "bad.png").write_bytes(b"not an image")
    result = stylize_files(
        [tmp_path / "a.png", tmp_path / "bad.png", tmp_path / "gone.png"], tmp_path / "out", size=32, progress=False
    )
    assert [p.name for p in result.written] == ["a_monet.png"]
    assert sorted(p.name for p, _ in result.failed) == ["bad.png", "gone.png"]  # missing ones are named first


# --------------------------------------------------------------------------- tiny, extreme and broken
@pytest.fixture(scope="module", params=[1, 2], ids=["half-size resnet", "quarter-size resnet"])
def resnet(request):
    from cyclegan_lab.models import build_resnet_generator

    return build_resnet_generator(filters=4, residual_blocks=1, any_size=True, downsamplings=request.param)


@pytest.mark.parametrize("side", [1, 2, 3, 5])
def test_images_smaller_than_the_network_needs_are_padded_and_painted(resnet, side):
    """A ResNet mirrors 3 pixels at full size and 1 at every smaller scale: a 3x3 image once failed deep
    inside TensorFlow (MirrorPad); now it is padded far enough and comes back at its own size."""
    tiny = photo(side, side + 1)
    assert stylize(tiny, resnet, size=None).shape == (side, side + 1, 3)


def test_a_tiny_file_is_painted_beside_a_normal_one(resnet, tmp_path, capsys):
    folder = tmp_path / "t"
    folder.mkdir()
    Image.fromarray(photo(3, 3)).save(folder / "dot.png")
    Image.fromarray(photo(64, 64)).save(folder / "good.png")
    from cyclegan_lab.program.paint_files import stylize_files

    result = stylize_files([folder], tmp_path / "o", resnet, keep="size", progress=False)
    assert not result.failed
    assert sorted(p.name for p in result.written) == ["dot_monet.png", "good_monet.png"]


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


def test_the_command_line_names_the_long_thin_file_and_paints_the_rest(tiny_shipped, tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(photo(2, 1000)).save(folder / "strip.png")
    Image.fromarray(photo(40, 40)).save(folder / "fine.png")
    code = main(["stylize", str(folder), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1 and "strip.png" in err and "megapixel limit" in err and "Traceback" not in err
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["fine_monet.png"]


def test_a_generator_with_broken_weights_paints_an_error_not_a_black_picture(tmp_path):
    """NaN weights (a diverged run) give NaN outputs: stylize says so instead of writing black."""
    broken = build_generator("broken", image_size=32, filters=4, any_size=True)
    broken.layers[1].set_weights([np.full_like(w, np.nan) for w in broken.layers[1].get_weights()])
    with pytest.raises(ValueError, match="not finite.*diverged"):
        stylize(photo(32, 32), broken, size=None)
    with pytest.raises(ValueError, match="not finite"):
        to_uint8(np.array([[[[np.nan, 0, 0]]]]))


def test_painting_into_the_input_folder_does_not_paint_the_paintings_next_time(tiny_shipped, tmp_path, capsys):
    """With -o equal to the input folder, a second run once painted p01_monet.png into p01_monet_monet.png."""
    folder = tmp_path / "photos"
    folder.mkdir()
    Image.fromarray(photo(40, 40)).save(folder / "p01.png")
    for _ in range(2):
        assert main(["stylize", str(folder), "-o", str(folder), "--size", "32"]) == 0
    assert sorted(p.name for p in folder.iterdir()) == ["p01.png", "p01_monet-2.png", "p01_monet.png"]
    assert "skipped 1 painting this command wrote" in capsys.readouterr().err


# --------------------------------------------------------------------------- unreadable folders, not files
def refuse_listing(monkeypatch, folder):
    """Listing `folder` fails as it does for a user without read permission (the tests run as root)."""
    from pathlib import Path

    listing = Path.iterdir

    def iterdir(self):
        if self == folder:
            raise PermissionError(13, "Permission denied", str(self))
        return listing(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)


def test_an_unreadable_input_folder_is_named_and_the_other_inputs_are_painted(
    tiny_shipped, tmp_path, capsys, monkeypatch
):
    """A folder it may not list gave a raw PermissionError, and nothing was painted."""
    save_photo(tmp_path / "locked" / "secret.png")
    save_photo(tmp_path / "open" / "a.png")
    save_photo(tmp_path / "b.png", 1)
    refuse_listing(monkeypatch, tmp_path / "locked")

    inputs = [tmp_path / "locked", tmp_path / "open", tmp_path / "b.png"]
    code = main(["stylize", *map(str, inputs), "-o", str(tmp_path / "out")])

    captured = capsys.readouterr()
    assert code == 1 and "Traceback" not in captured.err
    said = [line for line in captured.err.splitlines() if str(tmp_path / "locked") in line]
    assert len(said) == 1 and "skipped" in said[0] and "Permission denied" in said[0], captured.err
    assert "Wrote 2 paintings" in captured.out
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a_monet.png", "b_monet.png"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any folder")
def test_a_folder_without_read_permission_is_named_and_skipped(tiny_shipped, tmp_path, capsys):
    """Case 9 as a user meets it: chmod 000 on one input folder."""
    save_photo(tmp_path / "locked" / "secret.png")
    save_photo(tmp_path / "b.png")
    (tmp_path / "locked").chmod(0)
    try:
        code = main(["stylize", str(tmp_path / "locked"), str(tmp_path / "b.png"), "-o", str(tmp_path / "out")])
    finally:
        (tmp_path / "locked").chmod(0o755)
    err = capsys.readouterr().err
    assert code == 1 and "Permission denied" in err and "Traceback" not in err
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["b_monet.png"]


@contextlib.contextmanager
def fifo_watch(path):
    """Make a FIFO at `path` and yield the list of times something opened it to read. Whoever does is
    let go at once (the other end is opened and closed, so its read ends), so a test fails, never hangs."""
    os.mkfifo(path)
    opened, stop = [], threading.Event()

    def release():
        while not stop.wait(0.1):
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))  # succeeds only while a reader waits
                opened.append(path)
            except OSError:
                pass

    watcher = threading.Thread(target=release, daemon=True)
    watcher.start()
    try:
        yield opened
    finally:
        stop.set()
        watcher.join()


def test_a_fifo_named_or_in_a_folder_is_named_and_skipped_without_being_opened(tiny_shipped, tmp_path, capsys):
    """Case 10: a FIFO among the inputs waited forever for a writer; the other files were never painted."""
    save_photo(tmp_path / "photos" / "a.png")
    save_photo(tmp_path / "b.png", 1)
    with fifo_watch(tmp_path / "pipe.jpg") as named, fifo_watch(tmp_path / "photos" / "inside.jpg") as inside:
        inputs = [tmp_path / "pipe.jpg", tmp_path / "photos", tmp_path / "b.png"]
        code = main(["stylize", *map(str, inputs), "-o", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert named == [] and inside == [], "a FIFO is never opened"
    assert code == 1 and "Traceback" not in captured.err
    for fifo in (tmp_path / "pipe.jpg", tmp_path / "photos" / "inside.jpg"):
        said = [line for line in captured.err.splitlines() if str(fifo) in line]
        assert len(said) == 1 and "skipped" in said[0] and "named pipe" in said[0], captured.err
    assert "Wrote 2 paintings" in captured.out and "2 of 4 inputs failed" in captured.err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a_monet.png", "b_monet.png"]


def test_a_device_named_as_an_input_is_named_as_one(tiny_shipped, tmp_path, capsys):
    save_photo(tmp_path / "b.png")
    assert main(["stylize", os.devnull, str(tmp_path / "b.png"), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert f"skipped: {os.devnull}: a device, not an image file" in err.splitlines()
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["b_monet.png"]


def test_a_huge_image_gets_one_clean_line_and_is_painted(tiny_shipped, tmp_path, capsys, monkeypatch):
    """Pillow's DecompressionBombWarning came out raw, with its source line (a 12000x12000 PNG)."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 40 * 60 - 1)  # this photo is over Pillow's limit, as that PNG was
    save_photo(tmp_path / "big.png")
    assert main(["stylize", str(tmp_path / "big.png"), "-o", str(tmp_path / "out"), "--size", "32"]) == 0
    err = [line for line in capsys.readouterr().err.splitlines() if "big.png" in line]
    assert len(err) == 1 and err[0].startswith("cyclegan-lab: warning: ") and "60x40 pixels" in err[0], err
    assert "DecompressionBomb" not in err[0] and "warn(" not in err[0]
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["big_monet.png"]


# --------------------------------------------------------------------------- sizes the model paints larger
def limit_named(message: str) -> int:
    """The largest size an error message names ("... at most N ...")."""
    import re

    return int(re.search(r"at most (\d+)", message)[1])


def test_a_size_the_model_paints_past_the_limit_is_one_error_before_any_painting(tmp_path, capsys):
    """--size 3700 passed the 4096 check, then every photo failed with "image 0 would be ...": the shipped
    generator paints at 286/256 of the size asked. Now one line in --size's terms, exit 2, nothing painted."""
    from cyclegan_lab.inference import MAX_SIZE
    from cyclegan_lab.pretrained import load_generator

    zoom = load_generator("monet").training_zoom  # the shipped model, as `stylize` without --model uses
    size = next(s for s in range(MAX_SIZE // 2, MAX_SIZE + 1) if round(s * zoom) > MAX_SIZE)  # the first too large
    for name in ("a.png", "b.png"):
        path = tmp_path / "photos" / name
        path.parent.mkdir(exist_ok=True)
        Image.fromarray(photo(40, 40)).save(path)
    before = {p.name: p.read_bytes() for p in (tmp_path / "photos").iterdir()}

    code = main(["stylize", str(tmp_path / "photos"), "-o", str(tmp_path / "out"), "--size", str(size)])

    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("cyclegan-lab: error: ") and "--size" in err, err
    assert "image 0" not in err and "Traceback" not in err
    largest = limit_named(err)
    assert round(largest * zoom) <= MAX_SIZE < round((largest + 1) * zoom), "it names the real limit"
    assert not any((tmp_path / "out").iterdir()), "nothing painted"
    assert {p.name: p.read_bytes() for p in (tmp_path / "photos").iterdir()} == before


def test_the_python_functions_check_the_painted_size_once_too(tmp_path):
    """stylize() said "image 0 would be ..." for a size the model paints past the limit; stylize_file checked a
    photo's pixels at the size asked, then stylize() refused them at the size painted, as "image 0"."""
    from cyclegan_lab.inference import MAX_PIXELS, MAX_SIZE

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
