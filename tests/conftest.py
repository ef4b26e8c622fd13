"""Fixtures shared by every test file.

* `server`: a throw-away HTTP server on 127.0.0.1 (see http_server.py).
* `real_data`: the folder of real Monet paintings and photos (monet/ + photo/).
* `killed_write`: what a process killed while writing a file leaves behind.
* `lab_cache` (autouse): every test gets its own empty CYCLEGAN_LAB_CACHE and no
  CYCLEGAN_LAB_DATA, so no test touches the user's cache or depends on their env.

Below them, the fixtures that several test files share (each file is named after the module it
tests): tiny training runs, tiny generators and the shipped model they stand for, real photos, the
lab's networks. A fixture that needs a test file's constant imports it from that file when it runs.

nbval collects the cells of notebooks/*.ipynb (`--nbval-lax`) and runs them: they are marked `slow`
here, like the notebook executions of test_notebooks.py.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from http_server import serve

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
REAL_DATA_ENV = "CYCLEGAN_LAB_TEST_DATA"


@pytest.fixture
def server():
    """A local HTTP server; yields its state (files to serve, requests seen, url())."""
    with serve() as state:
        yield state


@pytest.fixture
def killed_write():
    """A function that writes `path` with `files.atomic_write` in another process, which is killed in
    the middle of it: what a kill during a save leaves behind (its temporary file), named as the code
    names it today. Returns that leftover's path."""

    def write(path: pathlib.Path) -> pathlib.Path:
        code = (
            "import os, sys; from cyclegan_lab.plumbing.files import atomic_write; "
            "atomic_write(sys.argv[1], lambda file: (file.write(b'half a file'), file.flush(), os._exit(9)))"
        )
        before = set(path.parent.iterdir())
        subprocess.run([sys.executable, "-c", code, str(path)], check=False, timeout=120)
        (leftover,) = set(path.parent.iterdir()) - before
        return leftover

    return write


@pytest.fixture(scope="session")
def real_data() -> pathlib.Path:
    """The real image folder: $CYCLEGAN_LAB_TEST_DATA, else <repo>/../shared/data/monet2photo."""
    path = pathlib.Path(os.environ.get(REAL_DATA_ENV) or REPO_ROOT.parent / "shared" / "data" / "monet2photo")
    if not ((path / "monet").is_dir() and (path / "photo").is_dir()):
        pytest.fail(
            f"Real images not found at {path}: set {REAL_DATA_ENV} to a folder with monet/ and photo/ "
            "(the Kaggle Monet and photo JPEGs)"
        )
    return path


@pytest.fixture(autouse=True)
def lab_cache(tmp_path_factory, monkeypatch) -> pathlib.Path:
    """A fresh, empty cache folder per test (outside tmp_path), and no CYCLEGAN_LAB_DATA."""
    cache = tmp_path_factory.mktemp("lab-cache")
    monkeypatch.setenv("CYCLEGAN_LAB_CACHE", str(cache))
    monkeypatch.delenv("CYCLEGAN_LAB_DATA", raising=False)
    return cache


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Mark nbval's notebook cells `slow` (before `-m` deselects), so `pytest -m "not slow"` skips them too."""
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.slow)


# --------------------------------------------------------------------------- tiny training runs
@pytest.fixture(scope="module")
def tiny_data():
    """6 Monets and 9 photos of random 32x32 pixels, as load_data hands them to training."""
    from cyclegan_lab.data import DataFolders, LabData

    rng = np.random.default_rng(0)
    monet = rng.integers(0, 256, (6, 32, 32, 3), dtype=np.uint8)
    photo = rng.integers(0, 256, (9, 32, 32, 3), dtype=np.uint8)
    return LabData(monet, photo, DataFolders(None, None))


@pytest.fixture(scope="module", params=["float32", "bfloat16"])
def resumable(request):
    """The run below in each precision: bfloat16 is emulated where the CPU lacks it, but must behave alike."""
    from test_training import RESUMABLE

    return RESUMABLE.replace(precision=request.param)


@pytest.fixture(scope="module")
def straight_run(resumable, tiny_data, tmp_path_factory):
    """2 epochs of 3 steps, never interrupted: checkpoints at steps 2, 3 (epoch end), 4, 6."""
    from cyclegan_lab.program.runs import train

    folder = tmp_path_factory.mktemp("straight")
    cyclegan, history = train(resumable, tiny_data, checkpoint_dir=folder, verbose=0)
    return cyclegan, history, folder


@pytest.fixture(scope="module")
def finished_run(tiny_data, tmp_path_factory):
    """FAST run to its end, kept as `cyclegan-lab train` keeps one (`runs.train`): its folder holds
    step-000004.npz and step-000006.npz (and the lock's empty file, which stays)."""
    from test_training import FAST, all_weights

    from cyclegan_lab.program.runs import train

    folder = tmp_path_factory.mktemp("finished")
    cyclegan, _ = train(FAST, tiny_data, checkpoint_dir=folder, verbose=0)
    return all_weights(cyclegan), folder


@pytest.fixture
def nothing_built(monkeypatch):
    """Any attempt to build a network fails the test: the settings must be refused before."""
    from cyclegan_lab import models, training
    from cyclegan_lab.program import checkpoint_reading, runs
    from cyclegan_lab.recipe import networks, pretrained

    def build(*args, **kwargs):
        raise AssertionError("a network was built before the settings were checked")

    for module in (models, networks, pretrained, training, runs, checkpoint_reading):
        for name in ("generator_for", "build_cyclegan"):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, build)


@pytest.fixture
def precious(tmp_path):
    """A file outside the checkpoint folder that nothing may change."""
    path = tmp_path / "precious.txt"
    path.write_text("a week of notes")
    return path


# --------------------------------------------------------------------------- tiny generators, the shipped model
@pytest.fixture(scope="module")
def model():
    """A tiny untrained U-Net (32x32 grid, 4 filters) that paints any size."""
    from cyclegan_lab.models import build_generator

    return build_generator("tiny", image_size=32, filters=4, any_size=True)


@pytest.fixture
def tiny_shipped(model, tmp_path, monkeypatch):
    """The tiny generator as the shipped model, through CYCLEGAN_LAB_PRETRAINED."""
    from cyclegan_lab.config import TrainConfig
    from cyclegan_lab.program.export import export_generator
    from cyclegan_lab.recipe.pretrained import PRETRAINED_ENV

    folder = tmp_path / "pretrained"
    config = TrainConfig(image_size=32, generator_filters=4, precision="float32")  # the float32 run it stands for
    export_generator(model, folder, "monet", {"config": config.to_dict()})
    monkeypatch.setenv(PRETRAINED_ENV, str(folder))
    return folder


@pytest.fixture(scope="module", params=["recipe", "paper"], ids=["half-size recipe resnet", "the paper's resnet"])
def resnet(request):
    """A tiny ResNet: the recipe's at half size, as shipped, or the lab's, the paper's at a quarter."""
    from cyclegan_lab.models import build_resnet_generator
    from cyclegan_lab.recipe.networks import recipe_resnet

    if request.param == "recipe":
        return recipe_resnet(filters=4, residual_blocks=1, any_size=True, downsamplings=1)
    return build_resnet_generator(filters=4, residual_blocks=1, any_size=True)


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    """(generator, folder): a tiny generator exported as monet.weights.h5 + monet.json."""
    from test_pretrained import TINY_CONFIG

    from cyclegan_lab.models import build_generator
    from cyclegan_lab.program.export import export_generator

    generator = build_generator("tiny", image_size=32, filters=4, any_size=True)
    folder = tmp_path_factory.mktemp("shipped")
    export_generator(generator, folder, "monet", {"config": TINY_CONFIG.to_dict(), "epochs": 0})
    return generator, folder


# --------------------------------------------------------------------------- real photos, the lab's networks
@pytest.fixture(scope="module")
def images(real_data):
    """(monet, photo): the first 80 real paintings and 80 real photos at 128x128."""
    from cyclegan_lab.data import load_folder

    monet = load_folder(real_data / "monet", size=128, limit=80)
    photo = load_folder(real_data / "photo", size=128, limit=80)
    return monet, photo


@pytest.fixture(scope="module")
def small_generator():
    """The U-Net at image_size 32, filters 4: down 4, 8, 16, 32, 32; up 32, 16, 8, 4."""
    import keras

    from cyclegan_lab.models import build_generator

    keras.utils.set_random_seed(0)
    return build_generator(image_size=32, filters=4)


@pytest.fixture(scope="module")
def discriminator():
    """The lab's PatchGAN discriminator (256x256 in, 30x30 verdicts out)."""
    import keras

    from cyclegan_lab.models import build_discriminator

    keras.utils.set_random_seed(0)
    return build_discriminator()


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory):
    """A weights file in Keras' legacy .h5 layout (as Keras publishes InceptionV3's), from a random network."""
    import h5py
    from keras.src.legacy.saving import legacy_h5_format
    from test_inception import NAME

    from cyclegan_lab.judging import inception

    path = tmp_path_factory.mktemp("made") / NAME
    model = inception.build_inception()
    with h5py.File(path, "w") as file:
        legacy_h5_format.save_weights_to_hdf5_group(file, model)
    return path.read_bytes(), model
