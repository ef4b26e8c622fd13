"""cyclegan_lab.program.submission: `write_submission` writes a Kaggle images.zip, every member a readable
256x256 RGB JPEG of the generator's painting, and never leaves a zip that looks finished but is not. The
`cyclegan-lab submission` command is test_cli.py's.
"""

import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from cyclegan_lab.images import image_files
from cyclegan_lab.program.submission import write_submission


def check_members(path, count):
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert len(names) == count == len(set(names))
        for name in names:
            with Image.open(io.BytesIO(archive.read(name))) as image:
                image.load()
                assert (image.format, image.size, image.mode) == ("JPEG", (256, 256), "RGB"), name


def test_an_interrupted_submission_leaves_no_zip_that_looks_finished(real_data, tmp_path, monkeypatch):
    from cyclegan_lab.program import submission

    calls = []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    original = submission.stylize
    monkeypatch.setattr(submission, "stylize", interrupted)
    monkeypatch.setattr(submission, "BATCH", 2)
    older = io.BytesIO()
    with zipfile.ZipFile(older, "w") as archive:
        archive.writestr("00001.jpg", b"an older painting")
    (tmp_path / "images.zip").write_bytes(older.getvalue())
    with pytest.raises(KeyboardInterrupt):
        write_submission(
            [real_data / "photo" / p.name for p in image_files(real_data / "photo")[:6]],
            tmp_path / "images.zip",
            progress=False,
        )
    assert (tmp_path / "images.zip").read_bytes() == older.getvalue(), "the old submission is kept whole"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["images.zip"]


def test_the_paintings_are_the_generators_on_the_centre_square(real_data, tmp_path):
    """Each member is the shipped generator's painting of the photo, JPEG-compressed at quality 95."""
    from cyclegan_lab import load_image, load_pretrained, stylize

    files = image_files(real_data / "photo")[:2]
    result = write_submission(files, tmp_path / "images.zip", progress=False)
    assert result.count == 2 and not result.failed
    expected = stylize(np.stack([load_image(f) for f in files]), load_pretrained("monet"), size=None)
    with zipfile.ZipFile(tmp_path / "images.zip") as archive:
        for name, painting in zip(sorted(archive.namelist()), expected):
            member = np.asarray(Image.open(io.BytesIO(archive.read(name))), dtype=int)
            buffer = io.BytesIO()
            Image.fromarray(painting).save(buffer, format="JPEG", quality=95)
            compressed = np.asarray(Image.open(buffer), dtype=int)
            assert np.abs(member - compressed).mean() < 1  # the same picture through the same JPEG


# --------------------------------------------------------------------------- unreadable folders, not files
@pytest.fixture(scope="module")
def tiny_model():
    from cyclegan_lab.models import build_generator

    return build_generator("tiny", image_size=32, filters=4, any_size=True)


def test_an_unreadable_input_folder_is_named_and_the_rest_go_into_the_zip(tiny_model, tmp_path, capsys, monkeypatch):
    """A folder it may not list gave a raw PermissionError, and no zip."""
    from test_cli import refuse_listing
    from test_inference import save_photo

    save_photo(tmp_path / "locked" / "secret.png")
    save_photo(tmp_path / "open" / "a.png")
    refuse_listing(monkeypatch, tmp_path / "locked")
    result = write_submission([tmp_path / "locked", tmp_path / "open"], tmp_path / "images.zip", tiny_model, False)
    err = capsys.readouterr().err
    said = [line for line in err.splitlines() if str(tmp_path / "locked") in line]
    assert len(said) == 1 and "skipped" in said[0] and "Permission denied" in said[0], err
    assert result.count == 1 and [path for path, _ in result.failed] == [tmp_path / "locked"]
    check_members(tmp_path / "images.zip", 1)


def test_a_fifo_among_the_inputs_is_named_and_skipped_without_being_opened(tiny_model, tmp_path, capsys):
    """Case 10: a FIFO named as an input waited forever; the zip was never written."""
    from test_cli import fifo_watch
    from test_inference import save_photo

    save_photo(tmp_path / "photos" / "a.png")
    with fifo_watch(tmp_path / "pipe.jpg") as opened, fifo_watch(tmp_path / "photos" / "inside.jpg") as inside:
        result = write_submission(
            [tmp_path / "pipe.jpg", tmp_path / "photos"], tmp_path / "images.zip", tiny_model, progress=False
        )
    assert opened == [] and inside == []
    err = capsys.readouterr().err
    for fifo in (tmp_path / "pipe.jpg", tmp_path / "photos" / "inside.jpg"):
        said = [line for line in err.splitlines() if str(fifo) in line]
        assert len(said) == 1 and "skipped" in said[0] and "named pipe" in said[0], err
    assert result.count == 1 and len(result.failed) == 2
    check_members(tmp_path / "images.zip", 1)
