"""Tests for cyclegan_lab.pretrained: the shipped model and the original lab's download.

Tiny untrained generators (32x32, 4 filters) stand in for the real ones: the
shipped files are written with `export_generator` to a temporary folder, and
the original's .tgz is built from a Keras SavedModel and served by the local
HTTP server (the `server` fixture from conftest.py).
"""

from __future__ import annotations

import io
import pathlib
import shutil
import socket
import tarfile

import numpy as np
import pytest

from cyclegan_lab.config import TrainConfig
from cyclegan_lab.inference import stylize
from cyclegan_lab.models import build_generator
from cyclegan_lab.plumbing.download import DownloadError, Remote
from cyclegan_lab.plumbing.saved_model import SavedModelGenerator
from cyclegan_lab.pretrained import PRETRAINED_ENV, PretrainedNotFoundError, load_pretrained
from cyclegan_lab.program.export import export_generator

TINY_CONFIG = TrainConfig(image_size=32, generator_filters=4, precision="float32")  # the tiny test generators' run

ARCHIVE_PATH = "/LargeData/monet_generator_50_epochs.tgz"


def photos(*shape: int, seed: int = 0) -> np.ndarray:
    """Random float32 images in [-1, 1]."""
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)


def same(a, b) -> None:
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-5)


# --------------------------------------------------------------------------- the shipped model
@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    """(generator, folder): a tiny generator exported as monet.weights.h5 + monet.json."""
    generator = build_generator("tiny", image_size=32, filters=4, any_size=True)
    folder = tmp_path_factory.mktemp("shipped")
    export_generator(generator, folder, "monet", {"config": TINY_CONFIG.to_dict(), "epochs": 0})
    return generator, folder


def test_export_writes_the_two_files_and_nothing_else(shipped):
    _, folder = shipped
    assert sorted(p.name for p in folder.iterdir()) == ["monet.json", "monet.weights.h5"]
    assert '"epochs": 0' in (folder / "monet.json").read_text()


def test_loaded_model_paints_like_the_exported_one(shipped):
    generator, folder = shipped
    model = load_pretrained("monet", folder=folder)
    square, wide = photos(2, 32, 32, 3), photos(1, 32, 64, 3, seed=1)
    same(model(square, training=False), generator(square, training=False))
    same(model(wide), generator(wide, training=False))  # any multiple of image_size, not only squares
    assert model(wide).shape == (1, 32, 64, 3)


def computes_in_bfloat16(model) -> bool:
    return any(layer.dtype_policy.name == "mixed_bfloat16" for layer in model.layers)


@pytest.mark.parametrize("forced", ["float32", "bfloat16"])
def test_a_loaded_model_computes_in_the_precision_asked_for_and_paints_alike(shipped, monkeypatch, forced):
    """bfloat16 (what "auto" picks where the CPU has it) is faster and paints within a level of 255 of float32."""
    generator, folder = shipped
    monkeypatch.setenv("CYCLEGAN_LAB_PRECISION", forced)  # what "auto" means on this machine
    x = photos(2, 32, 32, 3)
    exact = load_pretrained("monet", folder=folder)  # the run's own precision: float32
    assert not computes_in_bfloat16(exact)
    same(exact(x), generator(x, training=False))
    auto = load_pretrained("monet", folder=folder, precision="auto")
    assert computes_in_bfloat16(auto) == (forced == "bfloat16")
    fast = load_pretrained("monet", folder=folder, precision="bfloat16")
    assert computes_in_bfloat16(fast)
    painted = np.asarray(fast(x))
    assert painted.dtype == np.float32  # the last layer computes in float32: images never meet bfloat16
    levels = np.abs(painted - np.asarray(generator(x, training=False))) * 127.5
    assert 0 < levels.mean() < 1, f"bfloat16 paints {levels.mean():.2f} levels of 255 away from float32"


@pytest.mark.parametrize("augment", [True, False])
def test_a_loaded_model_keeps_the_zoom_its_run_trained_at(tmp_path, augment):
    """A run with the paper's jitter saw scenes at 286 for 256: the loaded model carries that zoom for stylize."""
    config = TINY_CONFIG.replace(augment=augment)
    export_generator(
        build_generator("tiny", image_size=32, filters=4, any_size=True),
        tmp_path,
        "monet",
        {"config": config.to_dict()},
    )
    assert load_pretrained("monet", folder=tmp_path).training_zoom == (286 / 256 if augment else 1.0)


def test_the_environment_variable_points_at_another_folder(shipped, monkeypatch):
    generator, folder = shipped
    monkeypatch.setenv(PRETRAINED_ENV, str(folder))
    x = photos(1, 32, 32, 3)
    same(load_pretrained()(x), generator(x, training=False))


@pytest.mark.parametrize("missing", ["monet.weights.h5", "monet.json"])
def test_a_missing_file_is_named(shipped, tmp_path, missing):
    shutil.copytree(shipped[1], tmp_path / "partial")
    (tmp_path / "partial" / missing).unlink()
    with pytest.raises(PretrainedNotFoundError) as err:
        load_pretrained("monet", folder=tmp_path / "partial")
    assert str(tmp_path / "partial" / missing) in str(err.value)
    assert isinstance(err.value, FileNotFoundError)


def test_a_bad_precision_variable_is_named_not_the_shipped_file(monkeypatch):
    """CYCLEGAN_LAB_PRECISION=fp8 was reported as monet.json not describing a generator: the user was sent
    to reinstall a file that is fine. Now the variable is named, with the values it takes."""
    monkeypatch.setenv("CYCLEGAN_LAB_PRECISION", "fp8")
    with pytest.raises(ValueError) as error:
        load_pretrained("monet")  # the shipped model computes in "auto": what the variable decides
    message = str(error.value)
    assert "CYCLEGAN_LAB_PRECISION" in message and "'fp8'" in message and "auto, float32 or bfloat16" in message
    assert "monet.json" not in message and "does not describe" not in message


def test_an_unknown_name_lists_the_choices():
    with pytest.raises(ValueError, match="monet.*original-50-epochs"):
        load_pretrained("van-gogh")


def test_export_refuses_a_wrong_description(tmp_path):
    generator = build_generator("tiny", image_size=32, filters=4)
    with pytest.raises(ValueError, match="'generator_filters': 8"):
        export_generator(generator, tmp_path, "monet", {"config": TINY_CONFIG.replace(generator_filters=8).to_dict()})
    with pytest.raises(ValueError, match="info needs config"):
        export_generator(generator, tmp_path, "monet", {"filters": 4})
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- weights checked against their hash
def test_the_shipped_files_record_the_sha256_of_their_weights():
    """The shipped generators' JSON recorded no hash, so nothing could tell a changed weights file."""
    import hashlib
    import json

    from cyclegan_lab.pretrained import PACKAGE_FOLDER

    for name in ("monet", "photo"):
        info = json.loads((PACKAGE_FOLDER / f"{name}.json").read_text())
        weights = (PACKAGE_FOLDER / f"{name}.weights.h5").read_bytes()
        assert info.get("weights_sha256") == hashlib.sha256(weights).hexdigest(), name


def changed_copy(source, folder) -> dict:
    """`source`'s monet.json and weights copied to `folder`, the weights then changed as an edit would: every
    value moved a little, the file still loading. Returns each file's bytes after the change."""
    folder.mkdir(exist_ok=True)
    shutil.copy(source / "monet.json", folder / "monet.json")
    model = load_pretrained("monet", folder=source)
    model.set_weights([w + 0.01 for w in model.get_weights()])
    model.save_weights(folder / "monet.weights.h5")
    return {path.name: path.read_bytes() for path in folder.iterdir()}


def test_a_changed_weights_file_is_refused_with_one_clear_message(shipped, tmp_path):
    """Weights changed or damaged after their export were loaded without a word (or, cut short, reported
    as not fitting the network). Now refused, naming the file; neither file is touched."""
    folder = tmp_path / "changed"
    before = changed_copy(shipped[1], folder)
    with pytest.raises(ValueError, match="is damaged or was changed") as error:  # the CLI's exit 2
        load_pretrained("monet", folder=folder)
    assert str(folder / "monet.weights.h5") in str(error.value) and "Export the model again" in str(error.value)
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == before

    (folder / "monet.weights.h5").write_bytes(before["monet.weights.h5"][:1000])  # cut short
    with pytest.raises(ValueError, match="is damaged or was changed"):
        load_pretrained("monet", folder=folder)


def test_a_changed_package_file_says_to_reinstall(tmp_path, monkeypatch, capsys):
    """The package's own weights changed: `cyclegan-lab stylize` says so in one line, how to get them back,
    and paints nothing."""
    from PIL import Image

    from cyclegan_lab import pretrained
    from cyclegan_lab.program.cli import main

    changed_copy(pretrained.PACKAGE_FOLDER, tmp_path / "package")
    monkeypatch.setattr(pretrained, "PACKAGE_FOLDER", tmp_path / "package")
    monkeypatch.delenv(PRETRAINED_ENV, raising=False)
    Image.fromarray(np.zeros((40, 60, 3), np.uint8)).save(tmp_path / "photo.png")

    assert main(["stylize", str(tmp_path / "photo.png"), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "The package's file" in err and "damaged or was changed" in err, err
    assert "Reinstall cyclegan-lab" in err and "Traceback" not in err
    assert not any((tmp_path / "out").iterdir())


def test_an_export_without_a_hash_still_loads(shipped, tmp_path):
    """Exports older than the hashes, and a JSON written by hand, have none: they load as before."""
    import json

    generator, folder = shipped
    shutil.copytree(folder, tmp_path / "older")
    info = json.loads((tmp_path / "older" / "monet.json").read_text())
    info.pop("weights_sha256", None)
    (tmp_path / "older" / "monet.json").write_text(json.dumps(info))
    x = photos(1, 32, 32, 3)
    same(load_pretrained("monet", folder=tmp_path / "older")(x), generator(x, training=False))


# --------------------------------------------------------------------------- the original lab's download
@pytest.fixture(scope="module")
def original(tmp_path_factory):
    """(generator, archive bytes): a tiny 32x32-only generator as the lab ships its own,
    a SavedModel in monet_generator_50_epochs/ inside a .tgz."""
    generator = build_generator("tiny_original", image_size=32, filters=4)  # fixed input size, like the lab's
    export = tmp_path_factory.mktemp("export") / "saved"
    generator.export(export, verbose=False)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(export, arcname="monet_generator_50_epochs")
    return generator, buffer.getvalue()


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}{ARCHIVE_PATH}"  # nothing listens once closed


def cache_files(cache: pathlib.Path) -> list[str]:
    return sorted(str(p.relative_to(cache)) for p in cache.rglob("*") if not p.is_dir())


def test_original_downloads_once_then_works_offline(original, server, lab_cache):
    generator, archive = original
    server.files[ARCHIVE_PATH] = archive
    model = load_pretrained("original-50-epochs", remote=Remote(server.url(ARCHIVE_PATH), len(archive)), progress=False)

    assert isinstance(model, SavedModelGenerator) and model.image_shape == (32, 32)
    x = photos(2, 32, 32, 3)
    out = model(x)
    assert not isinstance(out, dict), "one tensor, like our generators"
    same(out, generator(x, training=False))
    same(model(x, training=False), out)
    assert len(server.requests) == 1
    assert not any(name.endswith(".tgz") for name in cache_files(lab_cache)), "the archive is deleted once unpacked"

    offline = load_pretrained("original-50-epochs", remote=Remote(_closed_port_url(), len(archive)), progress=False)
    same(offline(x), out)
    assert len(server.requests) == 1


def test_original_is_used_in_tiles_of_its_fixed_size(original, server):
    generator, archive = original
    server.files[ARCHIVE_PATH] = archive
    model = load_pretrained("original-50-epochs", remote=Remote(server.url(ARCHIVE_PATH), len(archive)), progress=False)
    image = np.random.default_rng(0).integers(0, 256, (50, 70, 3), dtype=np.uint8)
    painted = stylize(image, model, size=None)
    assert painted.shape == (50, 70, 3) and painted.dtype == np.uint8
    tile = np.random.default_rng(1).integers(0, 256, (2, 32, 32, 3), dtype=np.uint8)  # exactly one tile each
    expected = np.clip(np.round((generator(tile / 127.5 - 1.0, training=False).numpy() + 1) * 127.5), 0, 255)
    assert np.abs(stylize(tile, model, size=None).astype(int) - expected).max() <= 1


@pytest.mark.parametrize("fault", ["wrong-size", "truncated", "tampered"])
def test_a_bad_download_fails_cleanly_and_the_next_try_works(original, server, lab_cache, fault):
    generator, archive = original
    size = len(archive) + 1 if fault == "wrong-size" else len(archive)
    if fault == "tampered":  # right size, damaged bytes: only gzip's checksum can tell
        damaged = bytearray(archive)
        damaged[len(damaged) // 2] ^= 0xFF
        server.files[ARCHIVE_PATH] = bytes(damaged)
    else:
        server.files[ARCHIVE_PATH] = archive
    if fault == "truncated":
        server.truncated.add(ARCHIVE_PATH)

    with pytest.raises(DownloadError):
        load_pretrained("original-50-epochs", remote=Remote(server.url(ARCHIVE_PATH), size), progress=False)
    assert cache_files(lab_cache) == [], "nothing half-downloaded or half-extracted may stay in the cache"
    assert not list(lab_cache.rglob("monet_generator_50_epochs*"))

    server.files[ARCHIVE_PATH] = archive
    server.truncated.clear()
    model = load_pretrained("original-50-epochs", remote=Remote(server.url(ARCHIVE_PATH), len(archive)), progress=False)
    x = photos(1, 32, 32, 3)
    same(model(x), generator(x, training=False))


@pytest.fixture(scope="module")
def shipped_on_unseen(real_data):
    """The shipped generator, loaded with no network, on photos it never saw in training (photos 1,201 on,
    see MODEL_CARD.md), and the measures of its paintings and of the photos themselves."""
    from cyclegan_lab import load_pretrained, stylize
    from cyclegan_lab.data import load_folder
    from cyclegan_lab.images import image_files, load_image
    from cyclegan_lab.judging.scores import held_out_measures

    model = load_pretrained("monet")
    photos = np.stack([load_image(path) for path in image_files(real_data / "photo")[1200:1500]])
    paintings = load_folder(real_data / "monet")
    monets = stylize(photos, model)
    assert monets.shape == photos.shape and monets.dtype == np.uint8
    return held_out_measures(photos, photos, paintings), held_out_measures(monets, photos, paintings)


def test_the_shipped_model_paints_without_chequerboards_and_keeps_the_photo(shipped_on_unseen):
    """At most 1.5 times the photos' period-2 energy, not the photo handed back, its composition kept."""
    _, after = shipped_on_unseen
    assert after["chequerboard"] <= 1.5, after
    assert after["copy"] > 0.05, after  # mean |G(x) - x| on [-1, 1]
    assert after["composition"] >= 0.9, after


def test_the_shipped_model_paints_closer_to_monet_than_the_photos_are(shipped_on_unseen):
    """On ImageNet features, its paintings are nearer Monet's than the photos they came from."""
    before, after = shipped_on_unseen
    assert after["kid"] < before["kid"], (before, after)


def test_a_second_imagenet_network_also_sees_the_shipped_paintings_closer_to_monet(shipped_on_unseen):
    """On EfficientNet-Lite2's features too, a second ImageNet network beside the deciding Lite0: a
    generator that only pleased one network's eyes would fail one of the two."""
    _, after = shipped_on_unseen
    assert after["gap_closed_lite2"] > 0, after


def test_the_shipped_model_closes_half_the_gap_between_photos_and_paintings(shipped_on_unseen):
    """The bar a shipped generator is built for: half-way from the photos (0) to other paintings (1)."""
    _, after = shipped_on_unseen
    assert after["gap_closed"] >= 0.5, after


def test_load_generator_rebuilds_any_runs_generator_from_its_checkpoint(tmp_path):
    """A checkpoint stores its configuration, so a ResNet run with a moving average loads as itself."""
    import keras

    from cyclegan_lab import checkpoints, load_generator
    from cyclegan_lab.config import TrainConfig
    from cyclegan_lab.judging.monitor import monet_generator_of
    from cyclegan_lab.training import build_cyclegan

    config = TrainConfig(
        image_size=32, generator="resnet", generator_filters=4, residual_blocks=1, ema_decay=0.5, precision="float32"
    )
    cyclegan = build_cyclegan(config)
    cyclegan.monet_generator.trainable_weights[0].assign_add(0.1)  # the live weights move away from the average
    path = checkpoints.save_checkpoint(cyclegan, tmp_path, {"step": 1, "config": config.to_dict()})
    photos = np.linspace(-1, 1, 2 * 48 * 64 * 3, dtype="float32").reshape(2, 48, 64, 3)  # not the training size
    averaged = keras.ops.convert_to_numpy(monet_generator_of(cyclegan, config)(photos))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(load_generator(tmp_path)(photos)), averaged)
    live = load_generator(path, averaged=False)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(live.trainable_weights[0]),
        keras.ops.convert_to_numpy(cyclegan.monet_generator.trainable_weights[0]),
    )
    assert not np.array_equal(keras.ops.convert_to_numpy(live(photos)), averaged)

    compact = TrainConfig(image_size=32, generator="compact", generator_filters=4, precision="float32")
    path = checkpoints.save_checkpoint(
        build_cyclegan(compact), tmp_path / "compact", {"step": 1, "config": compact.to_dict()}
    )
    assert load_generator(path).count_params() == build_cyclegan(compact).monet_generator.count_params()
    with pytest.raises(FileNotFoundError, match="neither a pretrained model"):
        load_generator(tmp_path / "nowhere")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="No checkpoint in"):
        load_generator(empty)


def test_a_new_run_warm_starts_its_generators_from_the_shipped_pair(tmp_path):
    """warm_start puts the shipped monet and photo weights into a new run's generators (and its moving
    average), leaves the discriminators as they were, and refuses a pair of another shape."""
    from cyclegan_lab.program.export import warm_start
    from cyclegan_lab.training import build_cyclegan

    config = TrainConfig(image_size=32, generator="resnet", generator_filters=4, residual_blocks=1, ema_decay=0.9)
    shipped_run = build_cyclegan(config.replace(seed=1))
    for name, network in [("monet", shipped_run.monet_generator), ("photo", shipped_run.photo_generator)]:
        export_generator(network, tmp_path, name, {"config": config.to_dict()})
    run = build_cyclegan(config)  # seed 0: other starting weights
    discriminator_before = [w.copy() for w in run.monet_discriminator.get_weights()]
    x = photos(1, 32, 32, 3)
    assert np.abs(np.asarray(run.monet_generator(x)) - np.asarray(shipped_run.monet_generator(x))).max() > 1e-3

    assert warm_start(run, folder=tmp_path) == ["monet_generator", "photo_generator"]
    same(run.monet_generator(x), shipped_run.monet_generator(x))
    same(run.photo_generator(x), shipped_run.photo_generator(x))
    for average, weight in zip(run.monet_average.averages, shipped_run.monet_generator.trainable_weights):
        same(average, weight)
    for after, before in zip(run.monet_discriminator.get_weights(), discriminator_before):
        np.testing.assert_array_equal(after, before)

    wider = build_cyclegan(config.replace(generator_filters=8))
    with pytest.raises(ValueError, match="warm-start only a run of the shipped model's config"):
        warm_start(wider, folder=tmp_path)


def test_shipped_discriminators_warm_start_a_new_runs_discriminators(tmp_path):
    """export_discriminators keeps a checkpoint's two discriminators (float16, one file); a warm start
    then gives them to the new run, whose discriminators judge as the trained ones did; a file of
    other networks is refused with the checkpoint's own message, and a generator-only folder leaves
    the discriminators fresh (the test above)."""
    from cyclegan_lab import checkpoints
    from cyclegan_lab.pretrained import DISCRIMINATORS
    from cyclegan_lab.program.export import export_discriminators, warm_start
    from cyclegan_lab.training import build_cyclegan

    config = TrainConfig(image_size=32, generator="resnet", generator_filters=4, residual_blocks=1)
    trained = build_cyclegan(config.replace(seed=1))
    for name, network in [("monet", trained.monet_generator), ("photo", trained.photo_generator)]:
        export_generator(network, tmp_path, name, {"config": config.to_dict()})
    path = checkpoints.save_checkpoint(trained, tmp_path / "run", {"step": 7, "config": config.to_dict()})
    saved = export_discriminators(path, tmp_path)
    assert saved == tmp_path / DISCRIMINATORS and saved.stat().st_size < 0.6 * path.stat().st_size
    shipped = saved.read_bytes()
    damaged = tmp_path / "step-000008.npz"
    damaged.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(checkpoints.DamagedCheckpointError, match="step-000008.npz"):
        export_discriminators(damaged, tmp_path)
    assert saved.read_bytes() == shipped  # what shipped before is kept

    run = build_cyclegan(config)
    x = photos(2, 32, 32, 3)
    verdicts = {name: np.asarray(getattr(trained, name)(x)) for name in ["monet_discriminator", "photo_discriminator"]}
    assert np.abs(np.asarray(run.monet_discriminator(x)) - verdicts["monet_discriminator"]).max() > 1e-3
    assert warm_start(run, folder=tmp_path) == [
        "monet_generator",
        "photo_generator",
        "monet_discriminator",
        "photo_discriminator",
    ]
    for name, verdict in verdicts.items():  # float16 storage: the verdicts agree to about 3 decimals
        np.testing.assert_allclose(np.asarray(getattr(run, name)(x)), verdict, atol=2e-2 * np.abs(verdict).max())

    with np.load(saved) as stored:
        arrays = {key: stored[key] for key in stored.files}
    arrays["monet_discriminator/0"] = arrays["monet_discriminator/0"][:2]
    np.savez(saved, **arrays)
    with pytest.raises(checkpoints.CheckpointMismatchError, match="monet_discriminator variable 0"):
        warm_start(build_cyclegan(config), folder=tmp_path)


def test_a_resize_trained_pair_warm_starts_a_subpixel_run_that_paints_as_before(tmp_path):
    """upsampling='subpixel' may start from a shipped resize-convolution pair: each upsampling kernel
    becomes its sub-pixel kernel (4x the outputs), and the generators paint as before, but for the
    border pixels that the two layers pad differently."""
    from cyclegan_lab.program.export import warm_start
    from cyclegan_lab.training import build_cyclegan

    config = TrainConfig(image_size=32, generator="resnet", generator_filters=4, residual_blocks=1, downsamplings=1)
    shipped_run = build_cyclegan(config.replace(seed=1))
    for name, network in [("monet", shipped_run.monet_generator), ("photo", shipped_run.photo_generator)]:
        export_generator(network, tmp_path, name, {"config": config.to_dict()})
    run = build_cyclegan(config.replace(upsampling="subpixel"))
    assert run.monet_generator.count_params() > shipped_run.monet_generator.count_params()
    x = photos(2, 32, 32, 3)
    pairs = [(run.monet_generator, shipped_run.monet_generator), (run.photo_generator, shipped_run.photo_generator)]
    unrelated = [np.abs(np.asarray(new(x)) - np.asarray(old(x))).mean() for new, old in pairs]
    warm_start(run, folder=tmp_path)
    for (new, old), before in zip(pairs, unrelated):
        difference = np.abs(np.asarray(new(x)) - np.asarray(old(x)))
        assert difference.mean() < 0.25 * before and difference[:, 6:-6, 6:-6].max() < 0.05, new.name


def test_a_shipped_pair_warm_starts_an_input_skip_run_that_paints_exactly_as_before(tmp_path):
    """input_skip=True adds the input's 3 channels to the last convolution's inputs; a warm start gives
    them zero weights, so the generators paint what the shipped ones paint, and training can then
    teach the skip (its weights get a gradient)."""
    from cyclegan_lab.program.export import warm_start
    from cyclegan_lab.training import build_cyclegan

    config = TrainConfig(image_size=32, generator="resnet", generator_filters=4, residual_blocks=1, downsamplings=1)
    shipped_run = build_cyclegan(config.replace(seed=1))
    for name, network in [("monet", shipped_run.monet_generator), ("photo", shipped_run.photo_generator)]:
        export_generator(network, tmp_path, name, {"config": config.to_dict()})
    run = build_cyclegan(config.replace(input_skip=True))
    assert run.monet_generator.count_params() == shipped_run.monet_generator.count_params() + 3 * 49 * 3
    x = photos(2, 32, 32, 3)
    warm_start(run, folder=tmp_path)
    for new, old in [
        (run.monet_generator, shipped_run.monet_generator),
        (run.photo_generator, shipped_run.photo_generator),
    ]:
        np.testing.assert_allclose(np.asarray(new(x)), np.asarray(old(x)), atol=1e-6, err_msg=new.name)

    import tensorflow as tf

    last = run.monet_generator.layers[-1]
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.abs(run.monet_generator(x) - x))
    skip_gradient = np.asarray(tape.gradient(loss, last.kernel))[:, :, -3:]
    assert np.abs(skip_gradient).max() > 1e-4


def test_a_warm_start_without_a_shipped_partner_says_what_is_missing(tmp_path):
    from cyclegan_lab.program.export import warm_start
    from cyclegan_lab.training import build_cyclegan

    config = TrainConfig(image_size=32, generator="resnet", generator_filters=4, residual_blocks=1)
    run = build_cyclegan(config)
    export_generator(run.monet_generator, tmp_path, "monet", {"config": config.to_dict()})
    with pytest.raises(PretrainedNotFoundError, match="photo.weights.h5"):
        warm_start(run, folder=tmp_path)
