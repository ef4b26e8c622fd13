"""cyclegan_lab.plumbing.saved_model: the original lab's generator, a TensorFlow SavedModel in a .tgz, is
downloaded once (`load_pretrained("original-50-epochs")`), checked, unpacked all or nothing, and called
like our generators, in tiles of its fixed size.

A tiny untrained 32x32-only generator stands in for the real one: its SavedModel is packed into a .tgz
and served by the local HTTP server (the `server` fixture from conftest.py).
"""

from __future__ import annotations

import io
import pathlib
import socket
import tarfile

import numpy as np
import pytest
from test_pretrained import photos, same

from cyclegan_lab.inference import stylize
from cyclegan_lab.models import build_generator
from cyclegan_lab.plumbing.download import DownloadError, Remote
from cyclegan_lab.plumbing.saved_model import SavedModelGenerator
from cyclegan_lab.recipe.pretrained import load_pretrained

ARCHIVE_PATH = "/LargeData/monet_generator_50_epochs.tgz"


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
