"""cyclegan_lab.program.export: a generator exported as the shipped files (and a checkpoint's two
discriminators as one), and a new run warm-started from them.

Tiny untrained networks (32x32, 4 filters) stand in for the real ones; test_pretrained.py loads what is
exported here.
"""

import numpy as np
import pytest
import tensorflow as tf
from test_pretrained import TINY_CONFIG, photos, same
from test_projected import SMALL

from cyclegan_lab import checkpoints
from cyclegan_lab.models import build_generator
from cyclegan_lab.plumbing.checkpoint_file import DamagedCheckpointError
from cyclegan_lab.program.export import export_generator
from cyclegan_lab.recipe.config import RecipeConfig
from cyclegan_lab.recipe.pretrained import PretrainedNotFoundError
from cyclegan_lab.training import build_cyclegan


def test_export_writes_the_two_files_and_nothing_else(shipped):
    _, folder = shipped
    assert sorted(p.name for p in folder.iterdir()) == ["monet.json", "monet.weights.h5"]
    assert '"epochs": 0' in (folder / "monet.json").read_text()


def test_export_refuses_a_wrong_description(tmp_path):
    generator = build_generator("tiny", image_size=32, filters=4)
    with pytest.raises(ValueError, match="'generator_filters': 8"):
        export_generator(generator, tmp_path, "monet", {"config": TINY_CONFIG.replace(generator_filters=8).to_dict()})
    with pytest.raises(ValueError, match="info needs config"):
        export_generator(generator, tmp_path, "monet", {"filters": 4})
    assert list(tmp_path.iterdir()) == []


def test_a_new_run_warm_starts_its_generators_from_the_shipped_pair(tmp_path):
    """warm_start puts the shipped monet and photo weights into a new run's generators (and its moving
    average), leaves the discriminators as they were, and refuses a pair of another shape."""
    from cyclegan_lab.program.export import warm_start
    from cyclegan_lab.training import build_cyclegan

    config = RecipeConfig(image_size=32, generator="resnet", generator_filters=4, residual_blocks=1, ema_decay=0.9)
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
    from cyclegan_lab.program.export import export_discriminators, warm_start
    from cyclegan_lab.recipe.pretrained import DISCRIMINATORS
    from cyclegan_lab.training import build_cyclegan

    config = RecipeConfig(image_size=32, generator="resnet", generator_filters=4, residual_blocks=1)
    trained = build_cyclegan(config.replace(seed=1))
    for name, network in [("monet", trained.monet_generator), ("photo", trained.photo_generator)]:
        export_generator(network, tmp_path, name, {"config": config.to_dict()})
    path = checkpoints.save_checkpoint(trained, tmp_path / "run", {"step": 7, "config": config.to_dict()})
    saved = export_discriminators(path, tmp_path)
    assert saved == tmp_path / DISCRIMINATORS and saved.stat().st_size < 0.6 * path.stat().st_size
    shipped = saved.read_bytes()
    damaged = tmp_path / "step-000008.npz"
    damaged.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(DamagedCheckpointError, match="step-000008.npz"):
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

    config = RecipeConfig(image_size=32, generator="resnet", generator_filters=4, residual_blocks=1, downsamplings=1)
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

    config = RecipeConfig(image_size=32, generator="resnet", generator_filters=4, residual_blocks=1, downsamplings=1)
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

    config = RecipeConfig(image_size=32, generator="resnet", generator_filters=4, residual_blocks=1)
    run = build_cyclegan(config)
    export_generator(run.monet_generator, tmp_path, "monet", {"config": config.to_dict()})
    with pytest.raises(PretrainedNotFoundError, match="photo.weights.h5"):
        warm_start(run, folder=tmp_path)


def test_a_warm_start_gives_projected_discriminators_no_patchgan_weights(tmp_path):
    """Shipped PatchGAN discriminators do not fit a projected run: it takes the generators and starts
    its discriminators fresh (they say 0 of everything), instead of failing."""
    from cyclegan_lab.program.export import export_discriminators, export_generator, warm_start

    patchgan = RecipeConfig(**{**SMALL, "discriminator": "patchgan"})
    shipped = build_cyclegan(patchgan)
    for name, network in [("monet", shipped.monet_generator), ("photo", shipped.photo_generator)]:
        export_generator(network, tmp_path, name, {"config": patchgan.to_dict()})
    export_discriminators(checkpoints.save_checkpoint(shipped, tmp_path / "run", {"step": 1}), tmp_path)
    run = build_cyclegan(RecipeConfig(**SMALL, seed=3))
    assert warm_start(run, folder=tmp_path) == ["monet_generator", "photo_generator"]
    images = tf.random.stateless_uniform((1, 64, 64, 3), (4, 1), -1, 1)
    np.testing.assert_array_equal(run.monet_generator(images), shipped.monet_generator(images))
    np.testing.assert_array_equal(run.monet_discriminator(images), 0.0)
