"""The command line: a smoke run of the lab's real model on real images, and clear errors."""

import os
import subprocess
import sys

import numpy as np
import pytest

from cyclegan_lab import checkpoints
from cyclegan_lab.config import TrainConfig
from cyclegan_lab.plumbing import folder_lock
from cyclegan_lab.program.cli import main
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
def test_the_data_not_found_message_names_the_notebooks_parameter(tmp_path):
    """Case 7: the message in the notebooks did not name their DATA_DIR parameter."""
    import pytest

    from cyclegan_lab.data import DataNotFoundError, find_data

    with pytest.raises(DataNotFoundError, match="DATA_DIR") as error:
        find_data(tmp_path / "nowhere")
    assert "--data" in str(error.value) and "CYCLEGAN_LAB_DATA" in str(error.value)


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
    from cyclegan_lab import training

    seen = {}
    monkeypatch.setattr(training, "train", lambda *a, **k: seen.update(k))
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
    from cyclegan_lab.inference import stylize_file
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

    monkeypatch.setattr(checkpoints, "check_room_for", lambda *args: None)  # only the data loading is tested
    monkeypatch.setattr(training, "build_cyclegan", lambda config: None)
    monkeypatch.setattr(training, "train", lambda *args, **kwargs: None)
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
