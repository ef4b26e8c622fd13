"""Train the shipped generator's recipe with Keras 3 on JAX: for a GPU machine that has JAX and no TensorFlow.

    KERAS_BACKEND=jax python scripts/train_monet_jax.py --data PATH/monet2photo --checkpoint-dir RUN --minutes 8
    KERAS_BACKEND=jax python scripts/train_monet_jax.py --data ... --checkpoint-dir RUN --set crop_size=128

`scripts/train_monet.py` trains with TensorFlow. This script trains the same
four networks (`cyclegan_lab.models`) with the same recipe
(`cyclegan_lab.recipe.config.RECIPE`, by default on whole 256x256 images:
crop_size=None) as one pure function that `jax.jit` compiles: the losses and
gradients of `CycleGAN.compute_gradients` (tests/test_train_jax.py checks
that both give the same numbers), Adam, the pool of past fakes, DiffAugment,
the cycle blur and the moving average of the Monet generator's weights.

With --minutes it trains for that much wall time: after the first steps it
measures its speed, plans the steps that fit, and lets the learning rate fall
linearly to 0 over the recipe's share of them (decay_epochs / epochs); without,
it trains the recipe's epochs x steps_per_epoch steps. Every --save-minutes,
and at the end, it writes (so that a time limit keeps what was done):

- CHECKPOINT_DIR/step-NNNNNN.npz: the four networks, the moving average, the
  losses and the settings, in `cyclegan_lab.checkpoints`' format, which
  `load_generator` and `scripts/ship_pretrained.py` read. It holds no
  optimiser state: `train_monet.py` cannot resume it, and neither can this;
- CHECKPOINT_DIR/previews/step-NNNNNN.png: 8 unseen photos and their Monets.

Unlike `train_monet.py` it draws each step's images at random (with
replacement) instead of in shuffled passes, and trains in float32 on one device.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

import matplotlib

matplotlib.use("Agg")

import jax
import jax.numpy as jnp
import keras
import numpy as np
from PIL import Image

from cyclegan_lab import losses
from cyclegan_lab.checkpoints import list_checkpoints, write_checkpoint
from cyclegan_lab.config import JITTER_ZOOM
from cyclegan_lab.data import find_data, load_folder, split_held_out
from cyclegan_lab.images import image_files, load_image
from cyclegan_lab.inference import stylize
from cyclegan_lab.models import build_discriminator
from cyclegan_lab.plotting import show_images
from cyclegan_lab.recipe.config import RECIPE, RecipeConfig, with_settings
from cyclegan_lab.recipe.layers import BinomialBlur
from cyclegan_lab.recipe.networks import generator_for

NAMES = ("monet_generator", "photo_generator", "monet_discriminator", "photo_discriminator")
LOSS_NAMES = ("monet_gen_loss", "photo_gen_loss", "monet_disc_loss", "photo_disc_loss")
BETA_2, EPSILON = 0.999, 1e-7  # Keras' Adam defaults, which train_monet.py's optimisers keep
NOT_HERE = {  # settings this trainer does not build; train_monet.py does
    "photo_negatives": False,
    "spectral_weight": 0.0,
    "precision": ("auto", "float32"),
    "generator_warmup_steps": 0,  # for warm starts, which this trainer does not make
    "discriminator": "patchgan",  # the projected one's frozen batch norms are not carried through this step
    "generator": "resnet",  # the U-Net's dropout keeps a random state that this step does not carry over
}


def check_config(config: RecipeConfig) -> None:
    """ValueError naming any setting of `config` that this trainer does not build."""
    for name, allowed in NOT_HERE.items():
        value = getattr(config, name)
        if value not in (allowed if isinstance(allowed, tuple) else (allowed,)):
            raise ValueError(f"train_monet_jax.py does not build {name}={value!r}; train_monet.py does")


class Networks:
    """The four Keras networks of a `RecipeConfig`, built as `training.build_cyclegan` builds them
    (same seed, same order), and their weights as lists of arrays for JAX's pure functions."""

    def __init__(self, config: RecipeConfig):
        keras.utils.set_random_seed(config.seed)
        size = config.train_size
        self.models = {
            "monet_generator": generator_for(config, "monet_generator"),
            "photo_generator": generator_for(config, "photo_generator"),
            "monet_discriminator": build_discriminator("monet_discriminator", size, config.discriminator_scales_at_one),
            "photo_discriminator": build_discriminator("photo_discriminator", size, config.discriminator_scales_at_one),
        }

    def trainable(self) -> dict:
        return {name: [v.value for v in model.trainable_variables] for name, model in self.models.items()}

    def fixed(self) -> dict:
        return {name: [v.value for v in model.non_trainable_variables] for name, model in self.models.items()}

    def call(self, name, trainable, fixed, images):
        """One network on a batch, as a pure function of its weights (training mode)."""
        outputs, _ = self.models[name].stateless_call(trainable[name], fixed[name], images, training=True)
        return outputs

    def assign(self, trainable) -> None:
        for name, model in self.models.items():
            for variable, value in zip(model.trainable_variables, trainable[name]):
                variable.assign(np.asarray(value))  # a copy: Keras may hand its own buffers on


# --- The recipe's pieces, as pure functions -----------------------------------------------------


def translate(images, rows, columns):
    """DiffAugment's translation: out[i, r, c] = images[i, r + rows[i], c + columns[i]], grey (0) outside."""
    side_h, side_w = images.shape[1], images.shape[2]
    padded = jnp.pad(images, [[0, 0], [1, 1], [1, 1], [0, 0]])
    take_rows = jnp.clip(jnp.arange(side_h)[None] + rows[:, None] + 1, 0, side_h + 1)
    take_columns = jnp.clip(jnp.arange(side_w)[None] + columns[:, None] + 1, 0, side_w + 1)
    images = jnp.take_along_axis(padded, take_rows[:, :, None, None], axis=1)
    return jnp.take_along_axis(images, take_columns[:, None, :, None], axis=2)


def cut_out(images, top, left, size: int):
    """Grey out the size x size square at (top, left) of each image (it may reach past the border)."""
    rows = jnp.arange(images.shape[1])[None]
    columns = jnp.arange(images.shape[2])[None]
    inside_rows = (rows >= top[:, None]) & (rows < top[:, None] + size)
    inside_columns = (columns >= left[:, None]) & (columns < left[:, None] + size)
    hole = inside_rows[:, :, None] & inside_columns[:, None, :]
    return images * (~hole).astype(images.dtype)[..., None]


def diff_augment(images, key, policies):
    """`recipe.DiffAugment`'s random translation (up to 1/8 of the side), cutout (half the side) and colour."""
    batch, side = images.shape[0], images.shape[1]
    for policy, k in zip(policies, jax.random.split(key, len(policies))):
        if policy == "translation":
            shift = int(side * 0.125 + 0.5)
            rows, columns = jax.random.randint(k, (2, batch), -shift, shift + 1)
            images = translate(images, rows, columns)
        elif policy == "cutout":
            size = int(side * 0.5 + 0.5)
            centres = jax.random.randint(k, (2, batch), 0, side + 1 - size % 2)
            images = cut_out(images, centres[0] - size // 2, centres[1] - size // 2, size)
        elif policy == "color":
            u = jax.random.uniform(k, (3, batch, 1, 1, 1))
            images = images + (u[0] - 0.5)
            mean = images.mean(axis=3, keepdims=True)
            images = (images - mean) * (u[1] * 2) + mean
            mean = images.mean(axis=(1, 2, 3), keepdims=True)
            images = (images - mean) * (u[2] + 0.5) + mean
    return images


def pool_exchange(pool, count, fakes, key):
    """`recipe.ImagePool`: store each new fake; once full, hand back a stored one half the time instead."""
    answers = []
    size = pool.shape[0]
    for fake, k in zip(fakes, jax.random.split(key, fakes.shape[0])):
        k_swap, k_slot = jax.random.split(k)
        full = count >= size
        swap = full & (jax.random.uniform(k_swap) < 0.5)
        slot = jnp.where(full, jax.random.randint(k_slot, (), 0, size), count)
        stored = pool[slot]
        pool = pool.at[slot].set(jnp.where(full & ~swap, stored, fake))
        count = jnp.minimum(count + 1, size)
        answers.append(jnp.where(swap, stored, fake))
    return pool, count, jnp.stack(answers)


def adam(weights, gradients, m, v, t, learning_rate, beta_1):
    """One step of Keras' Adam (its formulas); t counts steps from 1."""
    m = beta_1 * m + (1 - beta_1) * gradients
    v = BETA_2 * v + (1 - BETA_2) * jnp.square(gradients)
    alpha = learning_rate * jnp.sqrt(1 - BETA_2**t) / (1 - beta_1**t)
    return weights - alpha * m / (jnp.sqrt(v) + EPSILON), m, v


# --- The step ---------------------------------------------------------------------------------


class Trainer:
    """The recipe's training step as pure functions of a state (a dict of arrays) that `jax.jit` compiles."""

    def __init__(self, config: RecipeConfig, networks: Networks):
        check_config(config)
        self.config, self.networks = config, networks
        self.policies = config.diffaugment_policies
        self.blur = BinomialBlur(name="cycle_blur") if config.cycle_blur else None

    def initial_state(self) -> dict:
        """Step 0: the networks' weights, Adam's moments at 0, the average at the weights, empty pools."""
        trainable = self.networks.trainable()
        zeros = jax.tree_util.tree_map(jnp.zeros_like, trainable)
        size, pool = self.config.train_size, self.config.pool_size
        return {
            "weights": trainable,
            "fixed": self.networks.fixed(),
            "m": zeros,
            "v": jax.tree_util.tree_map(jnp.zeros_like, trainable),
            "t": jnp.zeros((), "float32"),
            "average": [jnp.array(w) for w in trainable["monet_generator"]],
            "average_updates": jnp.zeros((), "float32"),
            "pools": {d: jnp.zeros((pool, size, size, 3), "float32") for d in ("monet", "photo")},
            "pool_counts": {d: jnp.zeros((), "int32") for d in ("monet", "photo")},
            "key": jax.random.PRNGKey(self.config.seed),
        }

    def augment(self, images, key):
        return diff_augment(images, key, self.policies) if self.policies else images

    def cycle_view(self, fake, key):
        """What the other generator sees of a fake on the way back: blurred, with noise (`CycleGAN.cycle_view`)."""
        if self.blur is not None:
            fake = self.blur(fake)
        if self.config.cycle_noise:
            fake = fake + self.config.cycle_noise * jax.random.normal(key, fake.shape, fake.dtype)
        return fake

    def generator_losses(self, generators, state, monet, photo, key):
        """Both generators' losses (the sum, and each one's) and this step's fakes, as in `compute_gradients`."""
        c, call = self.config, self.networks.call
        weights = {**state["weights"], **generators}
        fixed = state["fixed"]
        k_cycle, k_monet, k_photo = jax.random.split(key, 3)
        n = photo.shape[0]
        both = call("monet_generator", weights, fixed, jnp.concatenate([photo, monet]))
        fake_monet, same_monet = both[:n], both[n:]
        both = call("photo_generator", weights, fixed, jnp.concatenate([monet, photo]))
        fake_photo, same_photo = both[:n], both[n:]
        k1, k2 = jax.random.split(k_cycle)
        cycled_photo = call("photo_generator", weights, fixed, self.cycle_view(fake_monet, k1))
        cycled_monet = call("monet_generator", weights, fixed, self.cycle_view(fake_photo, k2))
        monet_verdict = call("monet_discriminator", weights, fixed, self.augment(fake_monet, k_monet))
        photo_verdict = call("photo_discriminator", weights, fixed, self.augment(fake_photo, k_photo))
        lam, weight, kind = c.lambda_cycle, c.identity_weight, c.adversarial_loss
        cycle = losses.cycle_loss(monet, cycled_monet, lam) + losses.cycle_loss(photo, cycled_photo, lam)
        monet_adversarial = losses.generator_loss(monet_verdict, kind)
        photo_adversarial = losses.generator_loss(photo_verdict, kind)
        monet_identity = losses.identity_loss(monet, same_monet, lam, weight)
        photo_identity = losses.identity_loss(photo, same_photo, lam, weight)
        computed = {
            "monet_gen_loss": monet_adversarial + cycle + monet_identity,
            "photo_gen_loss": photo_adversarial + cycle + photo_identity,
        }
        total = monet_adversarial + photo_adversarial + cycle + monet_identity + photo_identity
        return total, (computed, fake_monet, fake_photo)

    def discriminator_losses(self, discriminators, state, real, older_fake, key):
        """Both discriminators' losses: each calls its real images real and the (older) fakes fake."""
        c, call = self.config, self.networks.call
        weights = {**state["weights"], **discriminators}
        computed = {}
        for name, k in zip(("monet", "photo"), jax.random.split(key)):
            k_real, k_fake = jax.random.split(k)
            real_verdict = call(f"{name}_discriminator", weights, state["fixed"], self.augment(real[name], k_real))
            fake_verdict = call(
                f"{name}_discriminator", weights, state["fixed"], self.augment(older_fake[name], k_fake)
            )
            computed[f"{name}_disc_loss"] = losses.discriminator_loss(
                real_verdict, fake_verdict, c.adversarial_loss, label_smoothing=c.label_smoothing
            )
        return computed["monet_disc_loss"] + computed["photo_disc_loss"], computed

    def gradients(self, state, monet, photo, key):
        """(losses, each network's gradients, the state with its pools updated): everything but the update."""
        k_gen, k_pool, k_disc = jax.random.split(key, 3)
        generators = {name: state["weights"][name] for name in NAMES[:2]}
        (_, (computed, fake_monet, fake_photo)), generator_gradients = jax.value_and_grad(
            self.generator_losses, has_aux=True
        )(generators, state, monet, photo, k_gen)
        fakes = {"monet": jax.lax.stop_gradient(fake_monet), "photo": jax.lax.stop_gradient(fake_photo)}
        pools, counts = dict(state["pools"]), dict(state["pool_counts"])
        if self.config.pool_size:
            for domain, k in zip(("monet", "photo"), jax.random.split(k_pool)):
                pools[domain], counts[domain], fakes[domain] = pool_exchange(
                    pools[domain], counts[domain], fakes[domain], k
                )
        discriminators = {name: state["weights"][name] for name in NAMES[2:]}
        (_, disc_losses), discriminator_gradients = jax.value_and_grad(self.discriminator_losses, has_aux=True)(
            discriminators, state, {"monet": monet, "photo": photo}, fakes, k_disc
        )
        computed.update(disc_losses)
        state = {**state, "pools": pools, "pool_counts": counts}
        return computed, {**generator_gradients, **discriminator_gradients}, state

    def step(self, state, monet, photo, learning_rate):
        """One training step on a batch: gradients, four Adam updates, the moving average. -> (state, losses)"""
        key, k_step = jax.random.split(state["key"])
        computed, gradients, state = self.gradients(state, monet, photo, k_step)
        t = state["t"] + 1
        updated = jax.tree_util.tree_map(
            lambda w, g, m, v: adam(w, g, m, v, t, learning_rate, self.config.beta_1),
            state["weights"],
            gradients,
            state["m"],
            state["v"],
        )
        pick = lambda i: jax.tree_util.tree_map(
            lambda triple: triple[i], updated, is_leaf=lambda x: isinstance(x, tuple)
        )
        weights = pick(0)
        average, n = state["average"], state["average_updates"]
        if self.config.ema_decay:
            d = jnp.minimum(self.config.ema_decay, (1.0 + n) / (10.0 + n))
            average = [d * a + (1 - d) * w for a, w in zip(average, weights["monet_generator"])]
            n = n + 1
        state = {**state, "weights": weights, "m": pick(1), "v": pick(2), "t": t, "key": key}
        return {**state, "average": average, "average_updates": n}, computed


# --- Data: the images on the device, a batch drawn inside the compiled step -----------------------


def jitter_size(config: RecipeConfig) -> int:
    """The side the images are stored at: 286 for 256 with the paper's jitter, else the image size."""
    return int(config.image_size * JITTER_ZOOM) if config.augment else config.image_size


def enlarge(images: np.ndarray, side: int) -> np.ndarray:
    """Each image resized to side x side by nearest neighbour, as `pipeline.random_jitter` does."""
    if images.shape[1] == side:
        return images
    return np.stack(
        [np.asarray(Image.fromarray(image).resize((side, side), Image.Resampling.NEAREST)) for image in images]
    )


def draw_batch(images, key, batch: int, size: int, flip: bool):
    """`batch` random images (with replacement), each a random size x size crop, flipped half the time if
    `flip`, as float32 in [-1, 1]."""
    k_index, k_crop, k_flip = jax.random.split(key, 3)
    index = jax.random.randint(k_index, (batch,), 0, images.shape[0])
    corners = jax.random.randint(k_crop, (2, batch), 0, images.shape[1] - size + 1)
    flips = jax.random.bernoulli(k_flip, 0.5 if flip else 0.0, (batch,))

    def one(i, top, left, mirrored):
        image = jax.lax.dynamic_slice(images, (i, top, left, 0), (1, size, size, 3))[0]
        return jnp.where(mirrored, image[:, ::-1], image)

    picked = jax.vmap(one)(index, corners[0], corners[1], flips)
    return picked.astype("float32") / 127.5 - 1.0


# --- Saving ---------------------------------------------------------------------------------------


def save_checkpoint(folder: Path, networks: Networks, state: dict, config: RecipeConfig, history: dict, keep: int):
    """Write folder/step-NNNNNN.npz in `cyclegan_lab.checkpoints`' format (networks and moving average,
    no optimiser state) and delete all but the `keep` newest."""
    step = int(state["t"])
    networks.assign(state["weights"])
    arrays = {}
    for name, model in networks.models.items():
        for i, variable in enumerate(model.variables):
            arrays[f"{name}/{i}"] = np.asarray(variable.value)
    if config.ema_decay:
        average = [np.asarray(a) for a in state["average"]] + [np.asarray(state["average_updates"])]
        arrays.update({f"monet_average/{i}": value for i, value in enumerate(average)})
    record = {"step": step, "config": config.to_dict(), "history": {"steps": history, "epochs": {}}, "trainer": "jax"}
    return write_checkpoint(folder, arrays, record, keep)


def save_preview(folder: Path, state: dict, photos: np.ndarray, painter: keras.Model) -> Path:
    """previews/step-NNNNNN.png: the photos, and below them their Monets by the (averaged) generator,
    painted by `painter` (a generator of the run's kind, `any_size`) as `inference.stylize` paints."""
    averaged = float(state["average_updates"]) > 0  # a run with ema_decay
    weights = state["average"] if averaged else state["weights"]["monet_generator"]
    for variable, value in zip(painter.trainable_variables, weights):
        variable.assign(np.asarray(value))  # a copy: predict() may donate the buffers it is given
    monets = stylize(photos, painter, batch_size=len(photos))
    step = int(state["t"])
    titles = ["unseen photo"] * len(photos) + [f"step {step}"] * len(photos)
    figure = show_images([*photos, *monets], titles, ncols=len(photos), size=2.0)
    path = folder / "previews" / f"step-{step:06d}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=70, bbox_inches="tight")
    matplotlib.pyplot.close(figure)
    return path


# --- The run --------------------------------------------------------------------------------------


def learning_rate(config: RecipeConfig, step: int, total: int) -> float:
    """The recipe's rate, falling linearly to 0 over the last decay_epochs / epochs of `total` steps."""
    decay = round(total * config.decay_epochs / config.epochs)
    if not decay or step < total - decay:
        return config.learning_rate
    return config.learning_rate * max(0.0, (total - step) / decay)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", help="folder with monet/ and photo/ (default: the library's lookup)")
    parser.add_argument("--checkpoint-dir", type=Path, required=True, help="a new folder for checkpoints and previews")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="change one recipe field")
    parser.add_argument("--minutes", type=float, help="train for this much wall time (default: the recipe's steps)")
    parser.add_argument("--save-minutes", type=float, default=2.0, help="minutes between checkpoints (default 2)")
    args = parser.parse_args()
    if keras.backend.backend() != "jax":
        parser.error(f"this trainer needs Keras' JAX backend (KERAS_BACKEND=jax), not {keras.backend.backend()!r}")
    try:
        config = with_settings({**RECIPE, "crop_size": None}, args.set)
        check_config(config)
    except ValueError as error:
        parser.error(str(error))
    if list_checkpoints(args.checkpoint_dir):
        parser.error(
            f"{args.checkpoint_dir} already holds checkpoints, which this trainer cannot resume; use a new folder"
        )
    args.checkpoint_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()

    folders = find_data(args.data)
    side = jitter_size(config)
    paintings, _ = split_held_out(load_folder(folders.monet, config.image_size))  # the judge's reference stays unseen
    monet = jnp.asarray(enlarge(paintings[: config.max_images], side))
    photo = jnp.asarray(enlarge(load_folder(folders.photo, config.image_size, config.max_images), side))
    unseen = image_files(folders.photo)[config.max_images or 0 :][:8] or image_files(folders.photo)[:8]
    preview_photos = np.stack([load_image(path, config.image_size) for path in unseen])
    print(
        f"{len(monet)} paintings, {len(photo)} photos at {side} px, {config.train_size} px crops; "
        f"previews of {len(preview_photos)} photos from {unseen[0].name}; devices {jax.devices()}",
        flush=True,
    )

    networks = Networks(config)
    trainer = Trainer(config, networks)
    size, batch, flip = config.train_size, config.batch_size, config.augment

    def train_step(state, rate):
        key, k_monet, k_photo = jax.random.split(state["key"], 3)
        real_monet = draw_batch(monet, k_monet, batch, size, flip)
        real_photo = draw_batch(photo, k_photo, batch, size, flip)
        return trainer.step({**state, "key": key}, real_monet, real_photo, rate)

    train_step = jax.jit(train_step, donate_argnums=0)
    painter = generator_for(config, "monet_generator", any_size=True)  # paints the previews
    state = trainer.initial_state()
    history, pending = {name: [] for name in LOSS_NAMES}, []
    total = recipe_total = config.epochs * (config.steps_per_epoch or min(len(monet), len(photo)) // batch)
    deadline = started + 60 * args.minutes if args.minutes else None
    step, last_save, timed_from = 0, time.monotonic(), None

    def steps_that_fit(now: float) -> int:
        """The steps done plus those the time left holds at the speed so far (saves included)."""
        per_step = (now - timed_from[1]) / (step - timed_from[0])
        fit = min(recipe_total, step + max(0, int((deadline - now - 20) / per_step)))  # 20 s for the last save
        print(f"{per_step * 1000:.1f} ms a step so far: {fit} steps fit in the time", flush=True)
        return fit

    while step < total:
        state, computed = train_step(state, jnp.float32(learning_rate(config, step, total)))
        pending.append(computed)  # fetched at the next save
        if len(pending) > 1:  # at most one step queued behind the running one, so the clock sees the work done
            jax.block_until_ready(pending[-2])
        step += 1
        now = time.monotonic()
        if step == 3:  # compiled: time the steps from here
            timed_from = (step, now)
        if deadline and step == 53:  # a first plan, before the learning rate could start to fall
            total = steps_that_fit(now)
        late = deadline is not None and now > deadline
        if not (late or step == total or now - last_save >= 60 * args.save_minutes):
            continue
        for computed in jax.device_get(pending):
            for name in LOSS_NAMES:
                history[name].append(float(computed[name]))
        pending = []
        if deadline and timed_from and step > timed_from[0]:  # plan again, with the saves so far in the speed
            total = steps_that_fit(time.monotonic())
        path = save_checkpoint(args.checkpoint_dir, networks, state, config, history, config.keep_checkpoints)
        save_preview(args.checkpoint_dir, state, preview_photos, painter)
        means = ", ".join(f"{name} {np.mean(history[name][-200:]):.3f}" for name in LOSS_NAMES)
        print(f"step {step} ({time.monotonic() - started:.0f} s): {means}; saved {path.name}", flush=True)
        last_save = time.monotonic()
        if deadline and last_save > deadline:
            break


if __name__ == "__main__":
    main()
