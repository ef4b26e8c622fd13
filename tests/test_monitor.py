"""cyclegan_lab.judging.monitor: what the held-out monitor writes into a run's folder (previews, paintings and
a log of measures, each value under its own column), and never through a link.

A link planted in the run folder (`held_out.csv`, a preview's name, the
previews folder) must not make a training run write to the file it points
to. The monitor's measures are stood in for in those tests, which are about
files; one test runs the real measures, on real photos (conftest.py's `images`).
"""

from __future__ import annotations

import csv

import numpy as np
import pytest

from cyclegan_lab.config import TrainConfig
from cyclegan_lab.judging import monitor as monitor_module
from cyclegan_lab.judging.monitor import HeldOutMonitor, append_row
from cyclegan_lab.models import build_generator
from cyclegan_lab.plumbing.files import FolderNotWritableError


def test_the_held_out_log_is_never_written_through_a_link(tmp_path):
    """A held_out.csv that is a link to a file elsewhere (with the same columns) got the run's rows appended
    to that file. Now the link is refused by name, and the file it points to stays as it was."""
    elsewhere = tmp_path / "elsewhere.csv"
    elsewhere.write_bytes(b"step,copy\r\n250,0.3\r\n")
    run = tmp_path / "run"
    run.mkdir()
    (run / "held_out.csv").symlink_to(elsewhere)

    with pytest.raises(FolderNotWritableError, match="is a symbolic link") as error:
        append_row(run / "held_out.csv", {"step": 500, "copy": 0.2})
    assert str(run / "held_out.csv") in str(error.value) and str(elsewhere) in str(error.value)
    assert elsewhere.read_bytes() == b"step,copy\r\n250,0.3\r\n"

    (run / "held_out.csv").unlink()
    (run / "held_out.csv").symlink_to(tmp_path / "nothing-yet.csv")  # a link to nothing: refused too, not replaced
    with pytest.raises(FolderNotWritableError, match="is a symbolic link"):
        append_row(run / "held_out.csv", {"step": 500, "copy": 0.2})
    assert not (tmp_path / "nothing-yet.csv").exists()


def test_the_held_out_log_still_appends_to_its_own_file(tmp_path):
    append_row(tmp_path / "held_out.csv", {"step": 250, "copy": 0.3})
    append_row(tmp_path / "held_out.csv", {"step": 500, "copy": 0.2})
    rows = list(csv.DictReader(open(tmp_path / "held_out.csv")))
    assert [(row["step"], row["copy"]) for row in rows] == [("250", "0.3"), ("500", "0.2")]


@pytest.fixture
def monitor(tmp_path, monkeypatch):
    """A HeldOutMonitor of a tiny generator writing into tmp_path/run, its measures stood in for."""
    generator = build_generator("tiny", image_size=32, filters=4, any_size=True)

    class Judge:
        def __init__(self, photos, paintings):
            pass

        def __call__(self, fakes):
            return {"gap_closed": 0.5}

    monkeypatch.setattr(monitor_module, "monet_generator_of", lambda cyclegan, config, into=None: generator)
    monkeypatch.setattr(monitor_module, "held_out_measures", lambda fakes, photos, paintings: {"copy": 0.1})
    monkeypatch.setattr(monitor_module, "Judge", Judge)
    monkeypatch.setattr(monitor_module, "coarse_change", lambda fakes, photos: 0.2)
    photos = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 3), dtype=np.uint8)
    return HeldOutMonitor(TrainConfig(image_size=32), photos, photos, tmp_path / "run", shown=2)


def test_a_preview_is_never_written_through_a_link(monitor, tmp_path):
    """The preview PNG was saved by name, so a link of its name got the figure written into the file it
    points to. Now the preview replaces the link, as every whole file the lab writes does."""
    elsewhere = tmp_path / "elsewhere.png"
    elsewhere.write_bytes(b"not the run's")
    (tmp_path / "run" / "previews").mkdir(parents=True)
    preview = tmp_path / "run" / "previews" / "step-000002.png"
    preview.symlink_to(elsewhere)

    monitor.record(2)

    assert elsewhere.read_bytes() == b"not the run's"
    assert not preview.is_symlink() and preview.read_bytes().startswith(b"\x89PNG")


def test_a_previews_folder_that_is_a_link_is_refused(monitor, tmp_path):
    """A previews folder linked to one elsewhere got the run's pictures there. Now refused, naming it."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "previews").symlink_to(elsewhere)

    with pytest.raises(FolderNotWritableError, match="previews is a symbolic link"):
        monitor.record(2)
    assert list(elsewhere.iterdir()) == []


def test_held_out_monitor_saves_previews_and_measures(images, tmp_path):
    import csv

    from cyclegan_lab.judging.monitor import HeldOutMonitor
    from cyclegan_lab.recipe.config import RecipeConfig
    from cyclegan_lab.training import build_cyclegan

    monet, photo = images
    config = RecipeConfig(
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
