"""`cyclegan-lab submission` writes a Kaggle images.zip: every member a readable 256x256 RGB JPEG."""

import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from cyclegan_lab.images import image_files
from cyclegan_lab.program.cli import main
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


def test_the_command_writes_a_valid_images_zip_from_the_shared_photos(real_data, tmp_path, capsys):
    photos = tmp_path / "photos"
    photos.mkdir()
    for path in image_files(real_data / "photo")[:20]:
        (photos / path.name).write_bytes(path.read_bytes())
    (photos / "broken.jpg").write_bytes(b"\xff\xd8 half a jpeg")
    Image.new("RGBA", (300, 200), (10, 200, 30, 128)).save(photos / "wide.png")  # any size and mode

    code = main(["submission", str(photos), "-o", str(tmp_path / "images.zip")])

    captured = capsys.readouterr()
    assert code == 1 and "broken.jpg" in captured.err and "Traceback" not in captured.err
    assert "competition accepts 7,000 to 10,000" in captured.err
    assert "Wrote 21 paintings to" in captured.out
    check_members(tmp_path / "images.zip", 21)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["images.zip", "photos"], "no temporary file left"


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


def test_nothing_to_paint_is_one_clear_error(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["submission", str(tmp_path / "empty"), "-o", str(tmp_path / "images.zip")]) == 2
    assert "Nothing to paint" in capsys.readouterr().err
    assert not (tmp_path / "images.zip").exists()


def test_the_paintings_are_the_generators_on_the_centre_square(real_data, tmp_path):
    """Each member is the shipped generator's painting of the photo, JPEG-compressed at quality 95."""
    from cyclegan_lab import load_image, stylize

    files = image_files(real_data / "photo")[:2]
    result = write_submission(files, tmp_path / "images.zip", progress=False)
    assert result.count == 2 and not result.failed
    expected = stylize(np.stack([load_image(f) for f in files]), size=None)
    with zipfile.ZipFile(tmp_path / "images.zip") as archive:
        for name, painting in zip(sorted(archive.namelist()), expected):
            member = np.asarray(Image.open(io.BytesIO(archive.read(name))), dtype=int)
            buffer = io.BytesIO()
            Image.fromarray(painting).save(buffer, format="JPEG", quality=95)
            compressed = np.asarray(Image.open(buffer), dtype=int)
            assert np.abs(member - compressed).mean() < 1  # the same picture through the same JPEG


def test_a_run_that_paints_nothing_leaves_the_earlier_submission_whole(real_data, tmp_path, capsys):
    """A good images.zip, then a run whose inputs are all unreadable: exit 2, and the good zip is untouched."""
    good = tmp_path / "images.zip"
    assert main(["submission", str(image_files(real_data / "photo")[0]), "-o", str(good)]) == 0
    before = good.read_bytes()
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "a.jpg").write_bytes(b"not an image")
    capsys.readouterr()
    assert main(["submission", str(tmp_path / "bad"), "-o", str(good)]) == 2
    said = capsys.readouterr()
    assert "None of the 1 files could be painted" in said.err and "untouched" in said.err
    assert "Upload it" not in said.out and good.read_bytes() == before
    check_members(good, 1)


def test_a_full_disk_is_one_clear_error_and_the_earlier_submission_stays_whole(
    real_data, tmp_path, capsys, monkeypatch
):
    from cyclegan_lab.program import submission

    good = tmp_path / "images.zip"
    photo = str(image_files(real_data / "photo")[0])
    assert main(["submission", photo, "-o", str(good)]) == 0
    before = good.read_bytes()

    def full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(submission, "_jpeg", full)  # the first painting written finds the disk full
    capsys.readouterr()
    assert main(["submission", photo, "-o", str(good)]) == 2
    said = capsys.readouterr().err
    assert "No space left on device" in said and "untouched" in said and "Traceback" not in said
    assert good.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["images.zip"]


@pytest.mark.parametrize("name", ["one.jpg", "notes.txt"])
def test_the_output_is_never_a_file_it_did_not_make(real_data, tmp_path, capsys, name):
    """-o naming an input photo or any other file that is not a submission zip: refused before painting."""
    photo = image_files(real_data / "photo")[0]
    target = tmp_path / name
    target.write_bytes(photo.read_bytes() if name.endswith(".jpg") else b"my notes")
    before = target.read_bytes()
    assert main(["submission", str(target), str(photo), "-o", str(target)]) == 2
    assert "is not a submission zip" in capsys.readouterr().err and target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_an_output_that_is_a_folder_is_refused_before_painting(real_data, tmp_path, capsys, monkeypatch):
    from cyclegan_lab.program import submission

    monkeypatch.setattr(submission, "stylize", lambda *a, **k: pytest.fail("painted before checking the output"))
    (tmp_path / "out").mkdir()
    assert main(["submission", str(image_files(real_data / "photo")[0]), "-o", str(tmp_path / "out")]) == 2
    assert "is a folder: name the zip to write" in capsys.readouterr().err


# --------------------------------------------------------------------------- unreadable folders, not files
@pytest.fixture(scope="module")
def tiny_model():
    from cyclegan_lab.models import build_generator

    return build_generator("tiny", image_size=32, filters=4, any_size=True)


def test_an_unreadable_input_folder_is_named_and_the_rest_go_into_the_zip(tiny_model, tmp_path, capsys, monkeypatch):
    """A folder it may not list gave a raw PermissionError, and no zip."""
    from test_inference import refuse_listing, save_photo

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
    from test_inference import fifo_watch, save_photo

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
