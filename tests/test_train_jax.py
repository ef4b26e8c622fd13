"""scripts/train_monet_jax.py, the recipe on Keras' JAX backend (for a GPU machine without TensorFlow):
it computes what the TensorFlow step computes, and what it saves, the library loads.

The JAX side runs in a subprocess (Keras picks its backend once per process); this process is TensorFlow's.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cyclegan_lab import checkpoints
from cyclegan_lab.program.checkpoint_reading import load_generator, read_checkpoint
from cyclegan_lab.program.export import export_discriminators
from cyclegan_lab.recipe.config import RecipeConfig
from cyclegan_lab.training import build_cyclegan

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "train_monet_jax.py"
TINY = dict(
    generator="resnet",
    generator_filters=4,
    downsamplings=1,
    residual_blocks=1,
    image_size=32,
    cycle_blur=True,
    output_notch=True,
    adversarial_loss="lsgan",
    pool_size=2,
    ema_decay=0.999,
    precision="float32",
)
SETTINGS = [f"--set={name}={value!r}" for name, value in TINY.items()]

pytestmark = pytest.mark.slow  # every test runs Keras on JAX in another Python process


def on_jax(code: str, **kwargs) -> subprocess.CompletedProcess:
    """Run Python code with Keras on JAX, the scripts folder importable."""
    env = {**os.environ, "KERAS_BACKEND": "jax", "PYTHONPATH": str(ROOT / "scripts")}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, **kwargs)


def run_script(*args) -> subprocess.CompletedProcess:
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], env=env, capture_output=True, text=True)


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"adversarial_loss": "bce", "label_smoothing": 0.1, "pool_size": 0},
        {"batch_size": 2, "identity_weight": 0.1},
    ],
)
def test_the_jax_step_computes_the_tensorflow_steps_losses_and_gradients(tmp_path, extra):
    """Same weights, same images: the four losses and every network's gradients agree with
    `CycleGAN.compute_gradients` (LSGAN and a pool, BCE with smoothed labels, or two images a domain; the cycle blur and
    the notch in both). Then one JAX step moves each weight as Adam's first step does and the moving average as
    `MovingAverage` does (0.1 of the old weights, 0.9 of the new)."""
    config = RecipeConfig(**{**TINY, **extra})
    cyclegan = build_cyclegan(config)
    arrays = {}
    for name, network, _ in cyclegan.pairs():
        arrays.update({f"{name}/{i}": v.numpy() for i, v in enumerate(network.variables)})
    rng = np.random.default_rng(0)
    monet, photo = (rng.uniform(-1, 1, (config.batch_size, 32, 32, 3)).astype("float32") for _ in range(2))
    np.savez(tmp_path / "weights.npz", monet=monet, photo=photo, **arrays)
    losses, gradients = cyclegan.compute_gradients(monet, photo)

    code = f"""
import json, numpy as np, jax
from cyclegan_lab.recipe.config import RecipeConfig
from train_monet_jax import Networks, Trainer
config = RecipeConfig(**json.loads({json.dumps(json.dumps(config.to_dict()))}))
networks = Networks(config)
stored = np.load({str(tmp_path / "weights.npz")!r})
for name, model in networks.models.items():
    for i, variable in enumerate(model.variables):
        variable.assign(stored[f"{{name}}/{{i}}"])
trainer = Trainer(config, networks)
state = trainer.initial_state()
losses, gradients, _ = trainer.gradients(state, stored["monet"], stored["photo"], jax.random.PRNGKey(1))
after, _ = trainer.step(state, stored["monet"], stored["photo"], 2e-4)
out = {{f"loss/{{k}}": np.asarray(v) for k, v in losses.items()}}
for name, values in gradients.items():
    out.update({{f"gradient/{{name}}/{{i}}": np.asarray(g) for i, g in enumerate(values)}})
    out.update({{f"after/{{name}}/{{i}}": np.asarray(w) for i, w in enumerate(after["weights"][name])}})
out.update({{f"average/{{i}}": np.asarray(a) for i, a in enumerate(after["average"])}})
np.savez({str(tmp_path / "jax.npz")!r}, **out)
"""
    done = on_jax(code)
    assert done.returncode == 0, done.stderr[-3000:]
    jax_side = np.load(tmp_path / "jax.npz")
    for name, value in losses.items():
        np.testing.assert_allclose(jax_side[f"loss/{name}"], float(value), rtol=1e-4, err_msg=name)
    for name, network, _ in cyclegan.pairs():
        # Some gradients are 0 in exact arithmetic (a shift just before an instance norm): rounding noise
        # there is measured against the network's largest gradient.
        scale = max(np.abs(g.numpy()).max() for g in gradients[name])
        for i, (variable, expected) in enumerate(zip(network.trainable_variables, gradients[name])):
            got = jax_side[f"gradient/{name}/{i}"]
            np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-5 * scale, err_msg=f"{name} {variable.path}")
            before, after = variable.numpy(), jax_side[f"after/{name}/{i}"]
            g = got.astype("float64")  # Adam's first step: m = 0.5 g, v = 0.001 g^2, alpha = lr sqrt(0.001) / 0.5
            step = 2e-4 * np.sqrt(0.001) / 0.5 * (0.5 * g) / (np.sqrt(0.001 * g**2) + 1e-7)
            np.testing.assert_allclose(after, before - step, rtol=0, atol=1e-7, err_msg=name)
            if name == "monet_generator":
                np.testing.assert_allclose(jax_side[f"average/{i}"], 0.1 * before + 0.9 * after, atol=1e-7)


def test_its_diffaugment_and_pool_do_what_the_recipe_says():
    """Translation shifts by whole pixels with a grey border; cutout greys one square, clipped at the
    border; drawn at random, every translation stays within 1/8 of the side and every cutout is a
    half-side square; the pool stores fakes until full, then hands back the new fake or a stored one."""
    code = """
import numpy as np, jax, jax.numpy as jnp
from train_monet_jax import translate, cut_out, diff_augment, pool_exchange
x = np.arange(1, 2 * 8 * 8 * 3 + 1, dtype="float32").reshape(2, 8, 8, 3)
moved = np.asarray(translate(jnp.asarray(x), jnp.array([2, 0]), jnp.array([-1, 0])))
expected = np.zeros_like(x[0]); expected[:6, 1:] = x[0, 2:, :7]  # out[r, c] = x[r + 2, c - 1]
assert np.array_equal(moved[0], expected) and np.array_equal(moved[1], x[1])
cut = np.asarray(cut_out(jnp.asarray(x), jnp.array([-3, 2]), jnp.array([5, 0]), 4))
assert (cut[0, :1, 5:] == 0).all() and (cut[0, 1:] != 0).all() and (cut[0, :, :5] != 0).all()
assert (cut[1, 2:6, :4] == 0).all() and (cut[1] == 0).sum() == 4 * 4 * 3
ones = jnp.ones((64, 16, 16, 3))
shifted = np.asarray(diff_augment(ones, jax.random.PRNGKey(0), ("translation",)))
grey_rows = (shifted == 0).all(axis=(2, 3)).sum(axis=1)
grey_columns = (shifted == 0).all(axis=(1, 3)).sum(axis=1)
assert grey_rows.max() <= 2 and grey_columns.max() <= 2 and grey_rows.max() > 0
holes = (np.asarray(diff_augment(ones, jax.random.PRNGKey(1), ("cutout",))) == 0).all(axis=3)
sides = [(h.any(axis=1).sum(), h.any(axis=0).sum()) for h in holes]
assert all(r <= 8 and c <= 8 for r, c in sides) and max(sides) == (8, 8)
assert all(h.sum() == r * c for h, (r, c) in zip(holes, sides))  # one rectangle each
pool, count = jnp.zeros((2, 4, 4, 3)), jnp.zeros((), "int32")
seen = []
for i, k in enumerate(jax.random.split(jax.random.PRNGKey(2), 20)):
    fake = jnp.full((1, 4, 4, 3), float(i + 1))
    before = {float(v) for v in pool[: int(count), 0, 0, 0]}
    pool, count, out = pool_exchange(pool, count, fake, k)
    seen.append(float(out[0, 0, 0, 0]))
    after = {float(v) for v in pool[: int(count), 0, 0, 0]}
    assert seen[-1] in before | {i + 1.0} and i + 1.0 in after | {seen[-1]} and 0.0 not in after
assert seen[:2] == [1.0, 2.0] and int(count) == 2
assert any(v != i + 1 for i, v in enumerate(seen)) and any(v == i + 1 for i, v in enumerate(seen[2:], 2))
print("ok")
"""
    done = on_jax(code)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "ok"


def make_data(folder: Path, monets: int = 4, photos: int = 6) -> Path:
    """Tiny monet/ and photo/ folders of random 32x32 pictures."""
    rng = np.random.default_rng(0)
    for domain, count in [("monet", monets), ("photo", photos)]:
        (folder / domain).mkdir(parents=True)
        for i in range(count):
            pixels = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(folder / domain / f"{i:03d}.png")
    return folder


def test_a_run_saves_checkpoints_the_library_loads_and_previews_of_unseen_photos(tmp_path):
    """Five steps of two images a domain, a save after each (the three newest kept): each checkpoint holds its step, the
    settings and every loss so far; `load_generator` reads its moving average, and
    `export_discriminators` its discriminators; the previews show the photos after max_images."""
    data = make_data(tmp_path / "data")
    run = tmp_path / "run"
    steps = [
        "--set=max_images=4",
        "--set=epochs=1",
        "--set=steps_per_epoch=5",
        "--set=decay_epochs=0",
        "--set=batch_size=2",
    ]
    done = run_script(
        "--data", data, "--checkpoint-dir", run, "--save-minutes", 0, *SETTINGS, *steps, "--set=keep_checkpoints=3"
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert [p.name for p in checkpoints.list_checkpoints(run)] == [
        "step-000003.npz",
        "step-000004.npz",
        "step-000005.npz",
    ]
    assert sorted(p.name for p in (run / "previews").iterdir())[-1] == "step-000005.png"
    assert "previews of 2 photos from 004.png" in done.stdout
    newest = read_checkpoint(run / "step-000005.npz")
    assert newest.state["step"] == 5
    assert RecipeConfig(**newest.state["config"]).generator_filters == 4
    assert all(len(values) == 5 for values in newest.state["history"]["steps"].values())
    averaged = load_generator(run / "step-000005.npz")
    latest = load_generator(run / "step-000005.npz", averaged=False)
    photo = np.random.default_rng(1).uniform(-1, 1, (1, 32, 32, 3)).astype("float32")
    painted, painted_latest = averaged(photo).numpy(), latest(photo).numpy()
    assert np.isfinite(painted).all() and painted.shape == (1, 32, 32, 3)
    assert not np.allclose(painted, painted_latest)  # the average lags the weights of the last step
    saved = np.load(export_discriminators(run / "step-000005.npz", tmp_path))
    assert any(key.startswith("monet_discriminator/") for key in saved)

    again = run_script("--data", data, "--checkpoint-dir", run, *SETTINGS, *steps)
    assert again.returncode == 2 and "already holds checkpoints" in again.stderr


def test_a_time_limit_ends_the_run_with_its_work_saved(tmp_path):
    """With --minutes the run stops at the deadline, long before the recipe's steps, and saves what it
    trained: a checkpoint at the step it reached, with a preview."""
    data = make_data(tmp_path / "data")
    run = tmp_path / "run"
    done = run_script("--data", data, "--checkpoint-dir", run, "--minutes", 0.01, *SETTINGS, "--set=max_images=4")
    assert done.returncode == 0, done.stderr[-3000:]
    (saved,) = checkpoints.list_checkpoints(run)
    step = read_checkpoint(saved).state["step"]
    assert 1 <= step < 100, done.stdout
    assert (run / "previews" / f"step-{step:06d}.png").exists()


@pytest.mark.parametrize(
    "setting, message",
    [
        ("photo_negatives=True", "does not build photo_negatives"),
        ("precision='bfloat16'", "does not build precision"),
        ("generator_warmup_steps=100", "does not build generator_warmup_steps"),
        ("generator='unet'", "does not build generator='unet'"),
        ("discriminator='projected'", "does not build discriminator='projected'"),
        ("learning_rate=-1", "learning_rate must be a finite number above 0"),
        ("no_such_setting=1", "TrainConfig has no setting no_such_setting"),
    ],
)
def test_a_setting_it_does_not_build_is_refused_before_training(tmp_path, setting, message):
    done = run_script("--checkpoint-dir", tmp_path / "run", f"--set={setting}")
    assert done.returncode != 0 and message in done.stderr
    assert not (tmp_path / "run").exists()


def test_it_imports_no_tensorflow():
    """A GPU machine may have JAX and no TensorFlow: nothing the trainer imports may need it."""
    done = on_jax("import sys, train_monet_jax; print(sorted(m for m in sys.modules if m.startswith('tensorflow')))")
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "[]"


def test_it_refuses_to_run_on_another_backend(tmp_path):
    env = {**os.environ, "KERAS_BACKEND": "tensorflow"}
    command = [sys.executable, str(SCRIPT), "--checkpoint-dir", str(tmp_path / "run")]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    assert done.returncode == 2 and "KERAS_BACKEND=jax" in done.stderr
