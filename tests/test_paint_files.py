"""cyclegan_lab.program.paint_files: painting one file (`stylize_file`: its modes, orientation and sizes),
whole files and folders from Python (`stylize_files`), and the names it plans for the paintings. The
`cyclegan-lab stylize` command built on it is test_cli.py's.
"""

import pytest
from PIL import Image
from test_inference import photo, save_photo

from cyclegan_lab.program.paint_files import stylize_file


def test_planned_names_skip_taken_ones():
    from pathlib import Path

    from cyclegan_lab.program.paint_files import painting_names

    files = [Path("d1/a.jpg"), Path("d1/a-2.jpg"), Path("d2/a.jpg"), Path("d2/a_monet.jpg")]
    names = painting_names(files, Path("out"), taken={"a_monet-2.png"})
    assert [n.name for n in names] == ["a_monet.png", "a-2_monet.png", "a_monet-3.png", "a_monet_monet.png"]


def test_stylize_files_returns_what_was_written(tiny_shipped, tmp_path):
    from cyclegan_lab.program.paint_files import stylize_files

    save_photo(tmp_path / "a.png")
    (tmp_path / "bad.png").write_bytes(b"not an image")
    result = stylize_files(
        [tmp_path / "a.png", tmp_path / "bad.png", tmp_path / "gone.png"], tmp_path / "out", size=32, progress=False
    )
    assert [p.name for p in result.written] == ["a_monet.png"]
    assert sorted(p.name for p, _ in result.failed) == ["bad.png", "gone.png"]  # missing ones are named first


def test_a_tiny_file_is_painted_beside_a_normal_one(resnet, tmp_path, capsys):
    folder = tmp_path / "t"
    folder.mkdir()
    Image.fromarray(photo(3, 3)).save(folder / "dot.png")
    Image.fromarray(photo(64, 64)).save(folder / "good.png")
    from cyclegan_lab.program.paint_files import stylize_files

    result = stylize_files([folder], tmp_path / "o", resnet, keep="size", progress=False)
    assert not result.failed
    assert sorted(p.name for p in result.written) == ["dot_monet.png", "good_monet.png"]


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
