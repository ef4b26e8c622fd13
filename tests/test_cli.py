"""cyclegan_lab.program.cli: the `cyclegan-lab` command as a user runs it (`main`): `train`, `data`,
`stylize` and `submission` do their work, end with their exit codes (0: all done, 1: some inputs failed,
2: nothing done) and say every fault in one clear line.

A smoke run trains the lab's real model on real images; `stylize` paints with a tiny untrained generator
standing in for the shipped one (conftest.py's `tiny_shipped`). The Python functions behind the commands
are tested in their modules' files: test_runs.py, test_paint_files.py, test_submission.py, ...
"""

import contextlib
import os
import subprocess
import sys
import threading

import numpy as np
import pytest
from PIL import Image
from test_config import ABSURD
from test_folder_lock import LOCK_FILES, assert_untouched, linked
from test_inference import limit_named, photo, save_photo
from test_pretrained import changed_copy
from test_runs import ODD, copy_of
from test_submission import check_members

from cyclegan_lab import checkpoints
from cyclegan_lab.config import TrainConfig
from cyclegan_lab.images import image_files
from cyclegan_lab.plumbing import folder_lock
from cyclegan_lab.program.cli import main
from cyclegan_lab.recipe.pretrained import PRETRAINED_ENV
from cyclegan_lab.training import describe_mode


def test_smoke_training_of_the_labs_model_on_real_images(real_data, tmp_path, capsys):
    """One step of the full 54M-parameter model: losses finite, a checkpoint written."""
    assert main(["train", "--smoke", "--data", str(real_data), "--checkpoint-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Training on 4 Monet paintings and 4 photos" in out
    assert f"Training step: {describe_mode(TrainConfig())}." in out  # says which mode: the fastest for this machine
    saved = checkpoints.latest_checkpoint(tmp_path)
    assert saved is not None and saved.name == "step-000001.npz"
    with np.load(saved) as stored:
        import json

        state = json.loads(str(stored["state"]))
    assert state["step"] == 1 and state["config"]["steps_per_epoch"] == 1
    assert all(np.isfinite(values).all() for values in state["history"]["steps"].values())


def test_a_missing_data_folder_is_one_clear_error(tmp_path, capsys):
    code = main(["train", "--smoke", "--data", str(tmp_path / "nowhere"), "--checkpoint-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert "does not exist" in err and "CYCLEGAN_LAB_DATA" in err
    assert "Traceback" not in err


def test_a_bad_parameter_is_one_clear_error(real_data, tmp_path, capsys):
    code = main(["train", "--image-size", "100", "--data", str(real_data), "--checkpoint-dir", str(tmp_path)])
    assert code == 2
    assert "power of two" in capsys.readouterr().err


def test_a_bad_recipe_option_is_refused_by_the_parser(tmp_path, capsys):
    import pytest

    with pytest.raises(SystemExit):
        main(["train", "--adversarial-loss", "wgan", "--checkpoint-dir", str(tmp_path)])
    assert "lsgan" in capsys.readouterr().err


def test_data_command_prints_the_folders(real_data, capsys):
    assert main(["data", "--data", str(real_data)]) == 0
    out = capsys.readouterr().out
    assert str(real_data / "monet") in out and str(real_data / "photo") in out


# --------------------------------------------------------------------------- faults named, nothing lost
@pytest.mark.slow
@pytest.mark.parametrize("command", [["data"], ["stylize", "a.jpg", "-o", "out"], ["train", "--smoke"]])
def test_ctrl_c_while_tensorflow_loads_exits_quietly(tmp_path, command):
    """Case 7: a Ctrl-C during the TensorFlow import printed a raw traceback. The command is run
    as its console script runs it (`from cyclegan_lab.program.cli import main`), with a `tensorflow` that
    is interrupted while it loads: importing the package must not load TensorFlow before `main`
    can answer the interruption."""
    fake = tmp_path / "site" / "tensorflow"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise KeyboardInterrupt  # the user pressed Ctrl-C while this loaded\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(fake.parent), os.environ.get("PYTHONPATH", "")])}
    script = "import sys; from cyclegan_lab.program.cli import main; sys.exit(main())"
    done = subprocess.run(
        [sys.executable, "-c", script, *command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 130, done.stderr
    assert "Traceback" not in done.stderr and "Interrupted" in done.stderr, done.stderr


def test_a_busy_checkpoint_folder_is_one_clear_error_before_loading_data(tmp_path, capsys, monkeypatch):
    from cyclegan_lab import data

    monkeypatch.setattr(data, "load_data", lambda *a, **k: (_ for _ in ()).throw(AssertionError("data loaded")))
    with folder_lock.FolderLock(tmp_path):
        code = main(["train", "--smoke", "--checkpoint-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "in use" in err and "PID" in err and "Traceback" not in err


def test_allow_config_change_reaches_train(tmp_path, monkeypatch, real_data):
    from cyclegan_lab.program import runs

    seen = {}
    monkeypatch.setattr(runs, "train", lambda *a, **k: seen.update(k))
    assert (
        main(["train", "--smoke", "--data", str(real_data), "--checkpoint-dir", str(tmp_path), "--allow-config-change"])
        == 0
    )
    assert seen["allow_config_change"] is True


def test_stylize_model_is_a_pretrained_name_or_a_checkpoint(tmp_path, capsys):
    """--model takes a training run's checkpoint folder (through load_generator) or file; anything else,
    one clear error and exit code 2."""
    from PIL import Image

    from cyclegan_lab import load_generator
    from cyclegan_lab.program.paint_files import stylize_file
    from cyclegan_lab.training import build_cyclegan

    config = TrainConfig(image_size=32, generator="compact", generator_filters=4, precision="float32")
    run = tmp_path / "run"
    saved = checkpoints.save_checkpoint(build_cyclegan(config), run, {"step": 1, "config": config.to_dict()})
    photo = tmp_path / "beach.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (40, 60, 3), dtype=np.uint8)).save(photo)
    expected = np.asarray(stylize_file(photo, load_generator(run), size=32))

    for model in (run, saved):
        out = tmp_path / f"out-{model.name}"
        assert main(["stylize", str(photo), "-o", str(out), "--model", str(model), "--size", "32"]) == 0
        with Image.open(out / "beach_monet.png") as painting:
            np.testing.assert_array_equal(np.asarray(painting), expected)
    assert "Wrote 1 painting" in capsys.readouterr().out

    assert main(["stylize", str(photo), "-o", str(tmp_path / "out"), "--model", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert "neither a pretrained model (monet, original-50-epochs) nor a checkpoint" in err
    assert "Traceback" not in err and err.count("\n") == 1
    assert not (tmp_path / "out" / "beach_monet.png").exists()


def test_an_infinite_setting_is_one_clear_error(tmp_path, capsys):
    """--lambda-cycle inf was accepted and trained a model of NaN."""
    code = main(["train", "--smoke", "--lambda-cycle", "inf", "--checkpoint-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "lambda_cycle must be a finite number" in err and "Traceback" not in err


def test_too_little_disk_is_said_before_any_data_loads(tmp_path, capsys, monkeypatch):
    from cyclegan_lab import data
    from cyclegan_lab.plumbing import files

    monkeypatch.setattr(data, "load_data", lambda *a, **k: (_ for _ in ()).throw(AssertionError("data loaded")))
    monkeypatch.setattr(files.shutil, "disk_usage", lambda path: (10**9, 10**9 - 1000, 1000))
    code = main(["train", "--smoke", "--image-size", "32", "--checkpoint-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "Not enough free disk space" in err and "3 checkpoints at once" in err


def test_data_with_a_cache_that_is_a_file_is_one_clear_error(tmp_path, capsys, monkeypatch):
    """CYCLEGAN_LAB_CACHE naming a file ended `cyclegan-lab data` in a NotADirectoryError."""
    (tmp_path / "cache").write_text("not a folder")
    monkeypatch.setenv("CYCLEGAN_LAB_CACHE", str(tmp_path / "cache"))
    assert main(["data"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cyclegan-lab: error: ") and len(err.strip().splitlines()) == 1, err
    assert f"{tmp_path / 'cache'} is a file, not a folder" in err and "CYCLEGAN_LAB_CACHE" in err
    assert (tmp_path / "cache").read_text() == "not a folder"


def test_data_naming_a_file_says_it_is_a_file(tmp_path, capsys):
    """`data --data FILE` said the folder "does not exist"."""
    (tmp_path / "photos.zip").write_bytes(b"PK")
    assert main(["data", "--data", str(tmp_path / "photos.zip")]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'photos.zip'} is a file, not a folder" in err and "does not exist" not in err


def test_bad_training_images_are_one_line_each(real_data, tmp_path, capsys, monkeypatch):
    """A bad training image was reported in Python's warning format: a path, a line number, the source line."""
    from cyclegan_lab import training
    from cyclegan_lab.program import runs

    monkeypatch.setattr(runs, "check_room_for", lambda *args: None)  # only the data loading is tested
    monkeypatch.setattr(training, "build_cyclegan", lambda config: None)
    monkeypatch.setattr(runs, "train", lambda *args, **kwargs: None)
    for domain in ("monet", "photo"):
        (tmp_path / "data" / domain).mkdir(parents=True)
        for path in sorted((real_data / domain).iterdir())[:4]:
            (tmp_path / "data" / domain / path.name).write_bytes(path.read_bytes())
    (tmp_path / "data" / "photo" / "0-broken.jpg").write_bytes(b"\xff\xd8 half a jpeg")  # first: --smoke reads 4
    argv = ["train", "--smoke", "--data", str(tmp_path / "data"), "--checkpoint-dir", str(tmp_path / "ckpt")]
    assert main(argv) == 0
    said = [line for line in capsys.readouterr().err.splitlines() if "0-broken.jpg" in line]
    assert len(said) == 1 and said[0].startswith("cyclegan-lab: warning: skipped: "), said
    assert "BadImageWarning" not in said[0] and "warn(" not in said[0]


@pytest.mark.parametrize("steps", [2, 3])  # the weights overflow at step 2: saved at an epoch of 2, the losses NaN at 3
def test_a_diverged_run_says_so_with_the_exit_code_of_a_failed_run(tmp_path, capsys, monkeypatch, steps):
    """--learning-rate 1e12 ended with "Not saving step 2 ..." and exit 2 (could not start), and said the
    last good checkpoint was on disk when none was."""
    from cyclegan_lab import data
    from cyclegan_lab.data import DataFolders, LabData

    rng = np.random.default_rng(0)
    tiny = LabData(
        rng.integers(0, 256, (6, 32, 32, 3), np.uint8),
        rng.integers(0, 256, (9, 32, 32, 3), np.uint8),
        DataFolders(None, None),
    )
    monkeypatch.setattr(data, "load_data", lambda *args, **kwargs: tiny)
    tiny_run = ["--image-size", "32", "--generator-filters", "8", "--precision", "float32", "--epochs", "1"]
    diverging = ["--steps-per-epoch", str(steps), "--learning-rate", "1e12"]
    code = main(["train", *tiny_run, *diverging, "--checkpoint-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1, err  # it ran, and failed: main's "partly failed"
    assert "diverged" in err and "not finite" in err and "Traceback" not in err
    assert "No checkpoint was saved" in err and "last good" not in err
    assert checkpoints.list_checkpoints(tmp_path) == []


# --------------------------------------------------------------------------- bad settings and files, one line each
@pytest.mark.parametrize("name", ["generator_filters", "residual_blocks"])
def test_an_absurd_size_on_the_command_line_is_one_line_and_exit_2(tmp_path, capsys, nothing_built, name):
    from cyclegan_lab.program.cli import main

    flag = "--" + name.replace("_", "-")
    code = main(
        ["train", "--smoke", "--generator", "resnet", flag, str(ABSURD[name]), "--checkpoint-dir", str(tmp_path)]
    )
    err = capsys.readouterr().err
    assert code == 2 and f"{name} must be at most" in err and err.count("\n") == 1, err


@pytest.mark.parametrize("name", LOCK_FILES)
def test_train_into_a_folder_with_a_linked_lock_file_is_one_line_before_any_work(
    tmp_path, precious, capsys, monkeypatch, name
):
    """The report: `ln -s precious.txt ck/cyclegan-lab.lock; cyclegan-lab train --checkpoint-dir ck`
    overwrote precious.txt with the lock's note."""
    from cyclegan_lab import data, training
    from cyclegan_lab.program.cli import main

    def no_work(*args, **kwargs):
        raise AssertionError("work began")

    monkeypatch.setattr(data, "load_data", no_work)
    monkeypatch.setattr(training, "build_cyclegan", no_work)
    link = linked(tmp_path / "ck", name, precious)
    assert main(["train", "--smoke", "--checkpoint-dir", str(tmp_path / "ck")]) == 2
    err = capsys.readouterr().err
    assert str(link) in err and "symbolic link" in err and err.count("\n") == 1, err
    assert_untouched(link, precious, precious)


@pytest.mark.parametrize("odd", ["a setting from a newer version", "a member declaring 74.5 GiB"])
def test_stylize_with_an_odd_checkpoint_is_one_line_and_exit_2(finished_run, tmp_path, capsys, odd):
    from PIL import Image

    from cyclegan_lab.program.cli import main

    spoil, reason = ODD[odd]
    folder = copy_of(finished_run[1], tmp_path)
    newest = folder / "step-000006.npz"
    spoil(newest)
    photo = tmp_path / "beach.png"
    Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(photo)
    assert main(["stylize", str(photo), "-o", str(tmp_path / "out"), "--model", str(newest)]) == 2
    err = capsys.readouterr().err
    assert reason in err and "Traceback" not in err and err.count("\n") == 1, err


def test_a_changed_package_file_says_to_reinstall(tmp_path, monkeypatch, capsys):
    """The package's own weights changed: `cyclegan-lab stylize` says so in one line, how to get them back,
    and paints nothing."""
    from PIL import Image

    from cyclegan_lab.program.cli import main
    from cyclegan_lab.recipe import pretrained

    changed_copy(pretrained.PACKAGE_FOLDER, tmp_path / "package")
    monkeypatch.setattr(pretrained, "PACKAGE_FOLDER", tmp_path / "package")
    monkeypatch.delenv(PRETRAINED_ENV, raising=False)
    Image.fromarray(np.zeros((40, 60, 3), np.uint8)).save(tmp_path / "photo.png")

    assert main(["stylize", str(tmp_path / "photo.png"), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "The package's file" in err and "damaged or was changed" in err, err
    assert "Reinstall cyclegan-lab" in err and "Traceback" not in err
    assert not any((tmp_path / "out").iterdir())


# --------------------------------------------------------------------------- stylize (program.paint_files)
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


@pytest.mark.parametrize("size", ["20000", "0", "-5", "big"])
def test_cli_size_uses_the_same_check(tmp_path, capsys, size):
    with pytest.raises(SystemExit) as exit_:
        main(["stylize", str(tmp_path), "-o", str(tmp_path / "out"), "--size", size])
    assert exit_.value.code == 2
    assert "--size" in capsys.readouterr().err


# --------------------------------------------------------------------------- stylize: faults named, nothing lost
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


def test_the_command_line_names_the_long_thin_file_and_paints_the_rest(tiny_shipped, tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(photo(2, 1000)).save(folder / "strip.png")
    Image.fromarray(photo(40, 40)).save(folder / "fine.png")
    code = main(["stylize", str(folder), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1 and "strip.png" in err and "megapixel limit" in err and "Traceback" not in err
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["fine_monet.png"]


def test_painting_into_the_input_folder_does_not_paint_the_paintings_next_time(tiny_shipped, tmp_path, capsys):
    """With -o equal to the input folder, a second run once painted p01_monet.png into p01_monet_monet.png."""
    folder = tmp_path / "photos"
    folder.mkdir()
    Image.fromarray(photo(40, 40)).save(folder / "p01.png")
    for _ in range(2):
        assert main(["stylize", str(folder), "-o", str(folder), "--size", "32"]) == 0
    assert sorted(p.name for p in folder.iterdir()) == ["p01.png", "p01_monet-2.png", "p01_monet.png"]
    assert "skipped 1 painting this command wrote" in capsys.readouterr().err


# --------------------------------------------------------------------------- stylize: unreadable folders, not files
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


# --------------------------------------------------------------------------- stylize: sizes the model paints larger
def test_a_size_the_model_paints_past_the_limit_is_one_error_before_any_painting(tmp_path, capsys):
    """--size 3700 passed the 4096 check, then every photo failed with "image 0 would be ...": the shipped
    generator paints at 286/256 of the size asked. Now one line in --size's terms, exit 2, nothing painted."""
    from cyclegan_lab.plumbing.tiles import MAX_SIZE
    from cyclegan_lab.program.checkpoint_reading import load_generator

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


# --------------------------------------------------------------------------- submission (program.submission)
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


def test_nothing_to_paint_is_one_clear_error(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["submission", str(tmp_path / "empty"), "-o", str(tmp_path / "images.zip")]) == 2
    assert "Nothing to paint" in capsys.readouterr().err
    assert not (tmp_path / "images.zip").exists()


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
