"""The original lab's training step, written as the lab writes it, and one
recorded epoch of it: the yardsticks.

`CycleGAN.compute_gradients` computes the same losses and gradients faster;
a test checks that the two agree in float32, and `benchmarks/train_step.py`
times one against the other.

The lab records all ten network calls on one persistent tape and then asks
it four times, once per network, for the gradient of that network's loss.
Both generators' losses contain the cycle loss, so each call builds part of
the backward pass through both cycles; TensorFlow then prunes what no call
needs, so the convolutions run are about the same as in the fast step.

`load_reference_epoch` reads what one epoch of the lab's U-Net looks like:
notebook 6 run with its defaults (300 steps) and its `RECORD_RUN` parameter
set, so a learner can tell a working run from a broken one. Two more records,
`lab_unet_lambda_0.json` and `lab_unet_lambda_100.json`, are the same epoch
with the cycle weight at 0 and 100: runs that went wrong, for the learner to
diagnose. A record may hold its last previews (`preview_texts`), small PNGs.
"""

from __future__ import annotations

import base64
import io
import json
import os
from pathlib import Path

import tensorflow as tf

from .. import losses
from ..cyclegan import NETWORKS
from ..images import load_image
from ..plumbing.tiles import resize_shorter
from ..widgets import png_bytes

__all__ = ["REFERENCE_EPOCH", "RECORD_KEYS", "lab_gradients", "lab_train_step", "load_reference_epoch", "preview_texts"]

REFERENCE_EPOCH = Path(__file__).parent / "records" / "lab_unet_epoch.json"
RECORD_KEYS = ("settings", "data", "losses", "verdicts", "measures")
PREVIEW_SIZE = 128  # pixels a side of the previews a record keeps


def lab_gradients(cyclegan, real_monet, real_photo):
    """The four losses and each network's gradients (keyed by network name), as the lab computes them."""
    G, F = cyclegan.monet_generator, cyclegan.photo_generator  # noqa: N806  (the paper's names)
    D_Y, D_X = cyclegan.monet_discriminator, cyclegan.photo_discriminator  # noqa: N806  (the paper's names)
    lam, weight = cyclegan.lambda_cycle, cyclegan.identity_weight
    with tf.GradientTape(persistent=True) as tape:
        fake_monet = G(real_photo, training=True)
        cycled_photo = F(fake_monet, training=True)
        fake_photo = F(real_monet, training=True)
        cycled_monet = G(fake_photo, training=True)
        same_monet = G(real_monet, training=True)
        same_photo = F(real_photo, training=True)

        disc_real_monet = D_Y(real_monet, training=True)
        disc_fake_monet = D_Y(fake_monet, training=True)
        disc_real_photo = D_X(real_photo, training=True)
        disc_fake_photo = D_X(fake_photo, training=True)

        total_cycle_loss = losses.cycle_loss(real_monet, cycled_monet, lam) + losses.cycle_loss(
            real_photo, cycled_photo, lam
        )
        monet_gen_loss = (
            losses.generator_loss(disc_fake_monet)
            + total_cycle_loss
            + losses.identity_loss(real_monet, same_monet, lam, weight)
        )
        photo_gen_loss = (
            losses.generator_loss(disc_fake_photo)
            + total_cycle_loss
            + losses.identity_loss(real_photo, same_photo, lam, weight)
        )
        monet_disc_loss = losses.discriminator_loss(disc_real_monet, disc_fake_monet)
        photo_disc_loss = losses.discriminator_loss(disc_real_photo, disc_fake_photo)

    gradients = {
        network.name: tape.gradient(loss, network.trainable_variables)
        for loss, network in [(monet_gen_loss, G), (photo_gen_loss, F), (monet_disc_loss, D_Y), (photo_disc_loss, D_X)]
    }
    del tape
    computed = {
        "monet_gen_loss": monet_gen_loss,
        "photo_gen_loss": photo_gen_loss,
        "monet_disc_loss": monet_disc_loss,
        "photo_disc_loss": photo_disc_loss,
    }
    return computed, gradients


def lab_train_step(cyclegan, real_monet, real_photo):
    """The lab's step: `lab_gradients`, then each optimiser updates its network."""
    computed, gradients = lab_gradients(cyclegan, real_monet, real_photo)
    for name in NETWORKS:
        network, optimizer = getattr(cyclegan, name), getattr(cyclegan, name + "_optimizer")
        optimizer.apply_gradients(zip(gradients[network.name], network.trainable_variables))
    return computed


def load_reference_epoch(path: str | os.PathLike = REFERENCE_EPOCH) -> dict:
    """A run recorded by notebook 6 (`RECORD_RUN`), by default its reference epoch of the lab's U-Net.

    A dict with `settings` (epochs, steps, seed, augment, step_mode,
    seconds_per_step), `data` (how many Monets and photos, the names of the
    two photos measured), `losses` (each loss at every step), `verdicts`
    (rows of step, D_Y's mean P(real) on four real Monets, on four fakes) and
    `measures` (copy, grey_copy, composition, chequerboard on the two photos;
    previews_apart and photos_apart in newer records) and `previews` (the two
    last previews as uint8 images, or none).
    Raises ValueError naming the file when it is not such a record.
    """
    path = Path(path)
    try:
        record = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} is not a readable run record: {error}") from error
    missing = [key for key in RECORD_KEYS if key not in record] if isinstance(record, dict) else list(RECORD_KEYS)
    if missing:
        raise ValueError(f"{path} is not a run record of notebook 6: it lacks {', '.join(missing)}")
    try:
        record["previews"] = [
            load_image(io.BytesIO(base64.b64decode(text, validate=True)), PREVIEW_SIZE, name=f"preview {i}")
            for i, text in enumerate(record.get("previews", []))
        ]
    except ValueError as error:
        raise ValueError(f"{path} holds a preview that is not a base64 PNG: {error}") from error
    return record


def preview_texts(images) -> list[str]:
    """uint8 (h, w, 3) images as base64 PNG text, shorter side PREVIEW_SIZE, for a run record."""
    return [base64.b64encode(png_bytes(resize_shorter(image, PREVIEW_SIZE))).decode("ascii") for image in images]
