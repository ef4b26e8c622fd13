"""cyclegan_lab.program.paint_files: painting whole files and folders from Python (`stylize_files`), and the
names it plans for the paintings. The `cyclegan-lab stylize` command built on it is test_cli.py's.
"""

from PIL import Image
from test_inference import photo, save_photo


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
