"""cyclegan_lab.teaching.inspect_model: looking inside the networks. Layer tables, parameter breakdowns
and receptive fields (against hand-worked values and the gradient); the drawings made from them are
test_drawings.py's."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

from cyclegan_lab.models import build_discriminator, build_generator
from cyclegan_lab.teaching.inspect_model import (
    describe_layer,
    layer_rows,
    layer_table,
    params_by_kind,
    params_by_part,
    patch_box,
    receptive_field,
    receptive_field_steps,
)


def small_chain():
    """Conv 3x3 valid -> average pool 2 -> conv 3x3 stride 2 "same", on 16x16, all weights 1.

    By hand: r = 1 -> 3 -> 3 + 1*1 = 4 -> 4 + 2*2 = 8; j = 1 -> 1 -> 2 -> 4;
    sizes 16 -> 14 -> 7 -> 4; the last conv pads 1 zero before (7 % 2 = 1, 3 - 1 = 2 in all)
    so cell 0 starts at 0 - 1*2 = -2.
    """
    return keras.Sequential(
        [
            keras.Input((16, 16, 1)),
            layers.Conv2D(1, 3, kernel_initializer="ones", use_bias=False),
            layers.AveragePooling2D(2),
            layers.Conv2D(1, 3, strides=2, padding="same", kernel_initializer="ones", use_bias=False),
        ]
    )


# --- Layer tables ---------------------------------------------------------


def test_layer_rows_name_the_unet_blocks_and_their_skips(small_generator):
    rows = layer_rows(small_generator)
    assert [r.name for r in rows] == [
        "input",
        "down 1",
        "down 2",
        "down 3",
        "down 4",
        "down 5",
        "up 1",
        "skip",
        "up 2",
        "skip",
        "up 3",
        "skip",
        "up 4",
        "skip",
        "output",
    ]
    assert [r.shape for r in rows] == [
        (32, 32, 3),
        (16, 16, 4),
        (8, 8, 8),
        (4, 4, 16),
        (2, 2, 32),
        (1, 1, 32),
        (2, 2, 32),
        (2, 2, 64),
        (4, 4, 16),
        (4, 4, 32),
        (8, 8, 8),
        (8, 8, 16),
        (16, 16, 4),
        (16, 16, 8),
        (32, 32, 3),
    ]
    # 4x4 kernels: in * out * 16, plus gamma and beta (2 per channel) after every block but the first
    assert [r.params for r in rows] == [0, 192, 528, 2080, 8256, 16448, 16448, 0, 16416, 0, 4112, 0, 1032, 0, 387]
    assert [r.layers for r in rows if r.name == "skip"] == [
        "Concatenate(up 1 + down 4)",
        "Concatenate(up 2 + down 3)",
        "Concatenate(up 3 + down 2)",
        "Concatenate(up 4 + down 1)",
    ]
    assert rows[1].layers == "Conv2D(4, 4, s2) > LeakyReLU"
    assert rows[2].layers == "Conv2D(8, 4, s2) > InstanceNorm > LeakyReLU"
    assert rows[6].layers == "Conv2DTranspose(32, 4, s2) > InstanceNorm > Dropout(0.5) > ReLU"
    assert rows[12].layers == "Conv2DTranspose(4, 4, s2) > InstanceNorm > ReLU"
    assert rows[-1].layers == "Conv2DTranspose(3, 4, s2) tanh"


def test_layer_table_lines_and_total(small_generator):
    lines = layer_table(small_generator).splitlines()
    assert lines[0].split() == ["block", "layers", "output", "shape", "parameters"]
    assert lines[4].split() == [
        "down",
        "2",
        "Conv2D(8,",
        "4,",
        "s2)",
        ">",
        "InstanceNorm",
        ">",
        "LeakyReLU",
        "8x8x8",
        "528",
    ]
    assert lines[-1].strip() == "total 65,899"
    assert len(lines) == 2 + 15 + 2
    assert len({len(lines[1]), len(lines[-2]), len(lines[-1])}) == 1  # rules and total line up


def test_describe_layer_tells_instance_layer_and_group_norm_apart():
    norms = {groups: layers.GroupNormalization(groups=groups) for groups in (-1, 1, 2, 4)}
    for norm in norms.values():
        norm.build((None, 8, 8, 4))
    assert {g: describe_layer(n) for g, n in norms.items()} == {
        -1: "InstanceNorm",
        1: "LayerNorm",
        2: "GroupNorm(2)",
        4: "InstanceNorm",
    }


def test_params_by_part_and_kind_add_up(small_generator):
    """Both breakdowns share out the model's own count_params(): the parts are the table's rows gathered
    (down blocks the encoder, up blocks the decoder), the kinds its layers' weights by role."""
    models = [
        small_generator,
        build_generator(image_size=64, filters=6, upsampling="resize"),
        build_discriminator(image_size=64),
    ]
    for model in models:
        parts, kinds, rows = params_by_part(model), params_by_kind(model), layer_rows(model)
        assert sum(parts.values()) == sum(kinds.values()) == sum(row.params for row in rows) == model.count_params()
        assert parts.get("encoder") == sum(row.params for row in rows if row.name.startswith("down "))
        assert parts.get("decoder", 0) == sum(row.params for row in rows if row.name.startswith("up "))
        convolutions = [
            layer for layer in model._flatten_layers() if isinstance(layer, layers.Conv2D | layers.Conv2DTranspose)
        ]
        norms = [layer for layer in model._flatten_layers() if isinstance(layer, layers.GroupNormalization)]
        assert kinds["kernel"] == sum(int(np.prod(layer.kernel.shape)) for layer in convolutions)
        assert kinds.get("bias", 0) == sum(int(np.prod(layer.bias.shape)) for layer in convolutions if layer.use_bias)
        assert kinds["gamma"] == kinds["beta"] == sum(int(np.prod(layer.gamma.shape)) for layer in norms) > 0
    generator_parts = params_by_part(small_generator)
    assert set(generator_parts) == {"encoder", "decoder", "output"} and min(generator_parts.values()) > 0


def test_the_labs_networks_break_down_as_expected(discriminator):
    keras.utils.set_random_seed(0)
    generator = build_generator()
    assert params_by_part(generator) == {"encoder": 19_538_688, "decoder": 34_870_144, "output": 6_147}
    assert params_by_kind(generator) == {"kernel": 54_404_096, "gamma": 5_440, "beta": 5_440, "bias": 3}
    assert layer_table(generator).splitlines()[-1].strip() == "total 54,414,979"
    assert params_by_part(discriminator) == {"encoder": 659_200, "conv": 2_097_152, "norm": 1_024, "output": 8_193}
    assert [r.name for r in layer_rows(discriminator)] == [
        "input",
        "down 1",
        "down 2",
        "down 3",
        "pad",
        "conv",
        "norm",
        "act",
        "pad",
        "output",
    ]


# --- The U-Net drawing ------------------------------------------------------


# --- Receptive fields -------------------------------------------------------


def test_receptive_field_of_a_hand_worked_chain():
    steps = receptive_field_steps(small_chain())
    assert [(s.kernel, s.stride, s.pad, s.size, s.field, s.jump, s.start) for s in steps] == [
        (3, 1, 0, 14, 3, 1, 0),
        (2, 2, 0, 7, 4, 2, 0),
        (3, 2, 1, 4, 8, 4, -2),
    ]
    assert receptive_field(small_chain()) == 8
    assert patch_box(small_chain(), 1, 2) == (2, 6, 8)


def test_patch_box_is_where_the_gradient_is_not_zero():
    model = small_chain()
    image = tf.Variable(np.zeros((1, 16, 16, 1), np.float32))
    for row, col in [(0, 0), (1, 2), (3, 3)]:
        with tf.GradientTape() as tape:
            cell = model(image)[0, row, col, 0]
        touched = np.argwhere(tape.gradient(cell, image).numpy()[0, :, :, 0] != 0)
        top, left, size = patch_box(model, row, col)
        rows = range(max(top, 0), min(top + size, 16))
        cols = range(max(left, 0), min(left + size, 16))
        assert touched.tolist() == [[r, c] for r in rows for c in cols]


def test_dilation_widens_the_kernel():
    model = keras.Sequential([keras.Input((9, 9, 1)), layers.Conv2D(1, 3, dilation_rate=2)])
    assert receptive_field(model) == 5


def test_the_labs_patchgan_sees_70x70_patches(discriminator):
    steps = [s for s in receptive_field_steps(discriminator) if s.kernel > 1 or s.pad]
    assert [(s.kernel, s.stride, s.pad, s.field, s.jump, s.start) for s in steps] == [
        (4, 2, 1, 4, 2, -1),
        (4, 2, 1, 10, 4, -3),
        (4, 2, 1, 22, 8, -7),  # three downsample blocks
        (1, 1, 1, 22, 8, -15),
        (4, 1, 0, 46, 8, -15),  # pad, conv 512
        (1, 1, 1, 46, 8, -23),
        (4, 1, 0, 70, 8, -23),
    ]  # pad, conv 1
    assert receptive_field(discriminator) == 70
    assert receptive_field_steps(discriminator)[-1].size == discriminator.output_shape[1] == 30
    assert patch_box(discriminator, 0, 0) == (-23, -23, 70)
    assert patch_box(discriminator, 29, 15) == (209, 97, 70)


def test_receptive_field_refuses_a_unet(small_generator):
    with pytest.raises(ValueError, match="plain chain"):
        receptive_field(small_generator)


# --- The patch map ----------------------------------------------------------
