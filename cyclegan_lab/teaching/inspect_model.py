"""Looking inside the networks: layer tables, parameter counts and receptive fields.

Nothing here is needed to train; notebooks 3 and 4 use it to show what
`models.build_generator` and `models.build_discriminator` build
(`drawings.py` draws them).

- `layer_rows` / `layer_table` (with `describe_layer`): one row per block (name, layers, output shape, parameters).
- `params_by_part` / `params_by_kind`: where the parameters are.
- `receptive_field_steps` / `receptive_field` / `patch_box`: which input pixels one output cell sees.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
from keras import layers

__all__ = [
    "LayerRow",
    "describe_layer",
    "layer_rows",
    "layer_table",
    "params_by_part",
    "params_by_kind",
    "FieldStep",
    "receptive_field_steps",
    "receptive_field",
    "patch_box",
]

# --- Layer tables ------------------------------------------------------------


@dataclass(frozen=True)
class LayerRow:
    """One block of a model, as a row of its layer table."""

    name: str  # "down 3", "up 1", "skip", "output", ...
    layers: str  # what the block does, e.g. "Conv2D(128, 4, s2) > InstanceNorm > LeakyReLU"
    shape: tuple  # output shape without the batch axis, e.g. (64, 64, 128)
    params: int  # parameters of this block
    joins: tuple = ()  # for a skip connection: the names of the rows it concatenates, e.g. ("up 1", "down 7")


def describe_layer(layer: layers.Layer) -> str:
    """A short description of one layer, e.g. "Conv2D(64, 4, s2)" or "InstanceNorm"."""
    if isinstance(layer, keras.Model):  # a block such as `downsample(...)`
        return " > ".join(describe_layer(sub) for sub in layer.layers)
    kind = type(layer).__name__
    if isinstance(layer, (layers.Conv2D, layers.Conv2DTranspose)):
        text = f"{kind}({layer.filters}, {layer.kernel_size[0]}, s{layer.strides[0]})"
        activation = layer.activation.__name__
        return text if activation == "linear" else f"{text} {activation}"
    if isinstance(layer, layers.GroupNormalization):
        channels = layer.gamma.shape[0] if layer.built else None
        if layer.groups == -1 or layer.groups == channels:
            return "InstanceNorm"
        return "LayerNorm" if layer.groups == 1 else f"GroupNorm({layer.groups})"
    if isinstance(layer, layers.Dropout):
        return f"Dropout({layer.rate})"
    if isinstance(layer, layers.InputLayer):
        return "Input"
    return kind


def _block_kind(layer: layers.Layer) -> str | None:
    """'down' for a block that starts with a Conv2D, 'up' for one that starts with a Conv2DTranspose."""
    if isinstance(layer, keras.Model) and layer.layers:
        first = layer.layers[0]
        if isinstance(first, layers.Conv2DTranspose):
            return "up"
        if isinstance(first, layers.Conv2D):
            return "down"
    return None


_SHORT_NAMES = {
    layers.InputLayer: "input",
    layers.ZeroPadding2D: "pad",
    layers.Conv2D: "conv",
    layers.GroupNormalization: "norm",
    layers.LeakyReLU: "act",
    layers.ReLU: "act",
}


def layer_rows(model: keras.Model) -> list[LayerRow]:
    """The model's top-level layers as rows, in order.

    Blocks made by `downsample` / `upsample` are named "down 1", "down 2", ...
    and "up 1", "up 2", ...; a Concatenate is named "skip" and its `layers`
    says which blocks it joins ("up 1 + down 7"); the last layer is "output".
    """
    names: dict[int, str] = {}
    rows = []
    counts = {"down": 0, "up": 0}
    for index, layer in enumerate(model.layers):
        kind = _block_kind(layer)
        if kind:
            counts[kind] += 1
            name = f"{kind} {counts[kind]}"
        elif index == len(model.layers) - 1:
            name = "output"
        elif isinstance(layer, layers.Concatenate):
            name = "skip"
        else:
            name = next((short for cls, short in _SHORT_NAMES.items() if isinstance(layer, cls)), layer.name)
        names[id(layer.output)] = name
        joins = ()
        if isinstance(layer, layers.Concatenate):
            joins = tuple(names.get(id(tensor), "?") for tensor in layer.input)
            description = f"Concatenate({' + '.join(joins)})"
        else:
            description = describe_layer(layer)
        rows.append(LayerRow(name, description, tuple(layer.output.shape[1:]), layer.count_params(), joins))
    return rows


def layer_table(model: keras.Model) -> str:
    """`layer_rows` as a plain-text table, with the total parameter count at the bottom."""
    rows = layer_rows(model)
    header = ("block", "layers", "output shape", "parameters")
    cells = [(r.name, r.layers, "x".join(str(d) for d in r.shape), f"{r.params:,}") for r in rows]
    widths = [max(len(str(c[i])) for c in cells + [header]) for i in range(4)]

    def line(cell):
        return "  ".join(
            [cell[0].ljust(widths[0]), cell[1].ljust(widths[1]), cell[2].rjust(widths[2]), cell[3].rjust(widths[3])]
        ).rstrip()

    rule = "-" * len(line(header))
    total = f"total {model.count_params():,}".rjust(len(rule))
    return "\n".join([line(header), rule] + [line(c) for c in cells] + [rule, total])


def params_by_part(model: keras.Model) -> dict[str, int]:
    """Parameters per part: "encoder" (all down blocks), "decoder" (all up blocks),
    and every other layer that has parameters under its row name ("conv", "norm", "output", ...)."""
    parts: dict[str, int] = {}
    for row in layer_rows(model):
        part = {"down": "encoder", "up": "decoder"}.get(row.name.split()[0], row.name)
        if row.params or part in ("encoder", "decoder"):
            parts[part] = parts.get(part, 0) + row.params
    return parts


def params_by_kind(model: keras.Model) -> dict[str, int]:
    """Parameters per kind of weight: "kernel" (convolution filters), "gamma" and "beta"
    (the normalisation's scale and shift, one per channel), "bias"."""
    kinds: dict[str, int] = {}
    for weight in model.weights:
        kinds[weight.name] = kinds.get(weight.name, 0) + int(np.prod(weight.shape))
    return kinds


# --- Receptive fields --------------------------------------------------------


@dataclass(frozen=True)
class FieldStep:
    """The receptive field after one layer of a chain of convolutions."""

    name: str  # the layer's name
    kernel: int  # k: kernel (or pool) size along one axis, dilation included; 1 for pointwise layers
    stride: int  # s
    pad: int  # zeros added before the first pixel (top / left)
    size: int  # side of this layer's output feature map
    field: int  # r: side of the square of input pixels one output cell depends on
    jump: int  # j: input pixels between neighbouring output cells
    start: int  # input row (and column) where cell 0's field begins; negative: it overhangs into padding


_POINTWISE = (
    layers.InputLayer,
    layers.GroupNormalization,
    layers.BatchNormalization,
    layers.LayerNormalization,
    layers.LeakyReLU,
    layers.ReLU,
    layers.Activation,
    layers.Dropout,
)


def _same_padding(size: int, kernel: int, stride: int) -> int:
    """Zeros TensorFlow puts before the first pixel for padding="same"."""
    total = max(kernel - stride, 0) if size % stride == 0 else max(kernel - size % stride, 0)
    return total // 2


def _chain(model: keras.Model):
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _chain(layer)
        else:
            yield layer


def receptive_field_steps(model: keras.Model) -> list[FieldStep]:
    """The receptive field layer by layer, for a plain chain of Conv2D, pooling,
    ZeroPadding2D and pointwise layers (normalisation, activations, dropout).

    The recurrence, from r = 1, j = 1 at the input:

        r_out = r_in + (k - 1) * j_in        j_out = j_in * s
        start_out = start_in - pad * j_in

    Raises ValueError for layers that upsample or merge branches (a U-Net),
    where one number per layer does not describe the field.
    """
    size = model.input_shape[1]
    field, jump, start = 1, 1, 0
    steps = []
    for layer in _chain(model):
        if isinstance(layer, (layers.Conv2D, layers.MaxPooling2D, layers.AveragePooling2D)) and not isinstance(
            layer, layers.Conv2DTranspose
        ):
            if isinstance(layer, layers.Conv2D):
                kernel = (layer.kernel_size[0] - 1) * layer.dilation_rate[0] + 1
            else:
                kernel = layer.pool_size[0]
            stride = layer.strides[0]
            pad = _same_padding(size, kernel, stride) if layer.padding == "same" else 0
            size = -(-size // stride) if layer.padding == "same" else (size - kernel) // stride + 1
        elif isinstance(layer, layers.ZeroPadding2D):
            (pad, after), _ = layer.padding
            kernel, stride = 1, 1
            size = size + pad + after
        elif isinstance(layer, _POINTWISE):
            kernel, stride, pad = 1, 1, 0
        else:
            raise ValueError(
                f"receptive_field_steps handles a plain chain of convolutions and pooling; "
                f"layer {layer.name} ({type(layer).__name__}) is not one"
            )
        field += (kernel - 1) * jump
        start -= pad * jump
        jump *= stride
        steps.append(FieldStep(layer.name, kernel, stride, pad, size, field, jump, start))
    return steps


def receptive_field(model: keras.Model) -> int:
    """Side of the square of input pixels one output cell depends on (70 for the lab's PatchGAN)."""
    return receptive_field_steps(model)[-1].field


def patch_box(model: keras.Model, row: int, col: int) -> tuple[int, int, int]:
    """(top, left, size) of the input patch that output cell (row, col) judges.

    Parts of it may lie outside the image (negative top / left, or past the
    edge): there the network sees the zeros of its padding.
    """
    last = receptive_field_steps(model)[-1]
    return last.start + row * last.jump, last.start + col * last.jump, last.field
