"""Tests for cyclegan_lab.data: finding, downloading and loading the images, and holding paintings out
(reading one image file is tested in test_images.py, feeding them to training in test_pipeline.py).

Small synthetic images (built with Pillow) check exact behaviour; the real Monet and
photo JPEGs (the `real_data` fixture) check what a learner will actually load.
"""

from __future__ import annotations

import io
import socket
import warnings
from pathlib import Path

import numpy as np
import pytest
from http_server import make_zip
from PIL import Image

from cyclegan_lab.config import TrainConfig
from cyclegan_lab.data import (
    HELD_OUT_PAINTINGS,
    BadImageWarning,
    DataFolders,
    DataNotFoundError,
    LabData,
    find_data,
    find_layout,
    load_data,
    load_folder,
    split_held_out,
    steps_per_epoch,
)
from cyclegan_lab.plumbing.download import DownloadError, Remote

RED, BLUE, GREEN = (255, 0, 0), (0, 0, 255), (0, 255, 0)


# --------------------------------------------------------------------------- helpers
def encode(image: Image.Image, fmt: str = "JPEG", **options) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **options)
    return buf.getvalue()


def jpeg(color=(200, 30, 30), size=(16, 16)) -> bytes:
    return encode(Image.new("RGB", size, color), quality=95)


def noise(n: int, size: int = 32, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, size, size, 3), dtype=np.uint8)


def write_images(folder: Path, n: int = 2, color=(200, 30, 30)) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"{i:03d}.jpg").write_bytes(jpeg(color))
    return folder


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens here once the socket is closed


def unreachable_remote() -> Remote:
    """A Remote that fails if anything ever tries to download it."""
    return Remote(f"http://127.0.0.1:{closed_port()}/gan_getting_started_300.zip", size=1)


def cache_leftovers(cache: Path) -> list[str]:
    return [p.name for p in cache.rglob("*") if ".part-" in p.name or ".tmp-" in p.name]


def bad_image_warnings(record) -> list[str]:
    return [str(w.message) for w in record if issubclass(w.category, BadImageWarning)]


# --------------------------------------------------------------------------- find_layout / find_data
LAYOUTS = {  # id: (Monet folder, photo folder), relative to the data root
    "lab-zip": ("gan_getting_started_300/monet_jpg_300", "gan_getting_started_300/photo_jpg_300"),
    "kaggle": ("monet_jpg", "photo_jpg"),
    "cyclegan": ("trainA", "trainB"),  # trainA is Monet
    "plain": ("monet", "photo"),
}


@pytest.fixture(params=list(LAYOUTS), ids=list(LAYOUTS))
def layout_root(request, tmp_path) -> tuple[Path, DataFolders]:
    """A data root in one of the four layouts, and the folders it should resolve to."""
    monet, photo = LAYOUTS[request.param]
    root = tmp_path / "data"
    write_images(root / monet, color=RED)
    write_images(root / photo, color=BLUE)
    return root, DataFolders(root / monet, root / photo)


def test_find_layout_recognises_each_layout(layout_root):
    root, expected = layout_root
    assert find_layout(root) == expected


@pytest.mark.parametrize("via", ["path", "env"])
def test_find_data_uses_the_named_folder_without_downloading(layout_root, via, monkeypatch):
    """A folder given by path= or CYCLEGAN_LAB_DATA is used as is; nothing is downloaded."""
    root, expected = layout_root
    if via == "env":
        monkeypatch.setenv("CYCLEGAN_LAB_DATA", str(root))
        found = find_data(remote=unreachable_remote(), progress=False)
    else:
        found = find_data(root, remote=unreachable_remote(), progress=False)
    assert found == expected
    assert load_folder(found.monet, size=32)[0, 16, 16].tolist() == pytest.approx(RED, abs=3)  # Monet is Monet


def test_find_data_path_wins_over_env(layout_root, tmp_path, monkeypatch):
    root, expected = layout_root
    monkeypatch.setenv("CYCLEGAN_LAB_DATA", str(tmp_path / "elsewhere"))
    assert find_data(root, download_ok=False) == expected


def test_find_layout_on_real_data(real_data):
    expected = DataFolders(real_data / "monet", real_data / "photo")
    assert find_layout(real_data) == expected
    assert find_data(real_data, download_ok=False) == expected


def _missing(tmp_path: Path) -> Path:
    return tmp_path / "no-such-folder"


def _empty(tmp_path: Path) -> Path:
    (tmp_path / "empty").mkdir()
    return tmp_path / "empty"


def _unrecognised(tmp_path: Path) -> Path:
    root = tmp_path / "mixed"
    write_images(root / "paintings")
    write_images(root / "monet")  # monet/ without photo/ is no layout either
    (root / "stray.jpg").write_bytes(jpeg())
    return root


@pytest.mark.parametrize("via", ["path", "env"])
@pytest.mark.parametrize("make", [_missing, _empty, _unrecognised], ids=["missing", "empty", "no-layout"])
def test_find_data_errors_name_the_folder_and_the_env_var(tmp_path, monkeypatch, make, via):
    folder = make(tmp_path)
    with pytest.raises(DataNotFoundError) as err:
        if via == "env":
            monkeypatch.setenv("CYCLEGAN_LAB_DATA", str(folder))
            find_data(remote=unreachable_remote(), progress=False)
        else:
            find_data(folder, remote=unreachable_remote(), progress=False)
    assert str(folder) in str(err.value)
    assert "CYCLEGAN_LAB_DATA" in str(err.value)
    assert isinstance(err.value, FileNotFoundError)


# --------------------------------------------------------------------------- download into the cache
def lab_zip(n: int = 3) -> bytes:
    """A miniature of the lab's zip: gan_getting_started_300/{monet,photo}_jpg_300/*.jpg."""
    members = {}
    for i in range(n):
        members[f"gan_getting_started_300/monet_jpg_300/m{i}.jpg"] = jpeg((200, 10 * i, 30))
        members[f"gan_getting_started_300/photo_jpg_300/p{i}.jpg"] = jpeg((30, 10 * i, 200))
    return make_zip(members)


def test_find_data_downloads_extracts_and_then_uses_the_cache(server, lab_cache):
    zip_bytes = lab_zip(3)
    server.files["/gan_getting_started_300.zip"] = zip_bytes
    remote = Remote(server.url("/gan_getting_started_300.zip"), size=len(zip_bytes))

    found = find_data(remote=remote, progress=False)

    unpacked = lab_cache / "data" / "gan_getting_started_300"
    assert found == DataFolders(unpacked / "monet_jpg_300", unpacked / "photo_jpg_300")
    assert server.requests == ["/gan_getting_started_300.zip"]
    assert load_folder(found.monet, size=32).shape == (3, 32, 32, 3)
    assert load_folder(found.photo, size=32).shape == (3, 32, 32, 3)
    assert cache_leftovers(lab_cache) == []

    assert find_data(remote=remote, progress=False) == found
    assert find_data(remote=remote, download_ok=False) == found
    assert len(server.requests) == 1, "a filled cache must not be downloaded again"


def test_find_data_without_download_and_empty_cache_fails(server, lab_cache):
    server.files["/gan_getting_started_300.zip"] = lab_zip(1)
    with pytest.raises(DataNotFoundError) as err:
        find_data(download_ok=False, remote=Remote(server.url("/gan_getting_started_300.zip")))
    assert str(lab_cache / "data") in str(err.value) and "CYCLEGAN_LAB_DATA" in str(err.value)
    assert server.requests == []


def test_find_data_with_no_server_raises_download_error_and_leaves_no_partial_files(lab_cache):
    remote = Remote(f"http://127.0.0.1:{closed_port()}/gan_getting_started_300.zip", size=1234)
    with pytest.raises(DownloadError) as err:
        find_data(remote=remote, progress=False)
    assert remote.url in str(err.value)
    assert "CYCLEGAN_LAB_DATA" in str(err.value)
    assert [p for p in lab_cache.rglob("*") if p.is_file()] == []
    assert cache_leftovers(lab_cache) == []


def test_find_data_rejects_an_archive_without_the_images(server, lab_cache):
    zip_bytes = make_zip({"readme.txt": b"no images here"})
    server.files["/gan_getting_started_300.zip"] = zip_bytes
    with pytest.raises(DataNotFoundError, match="CYCLEGAN_LAB_DATA"):
        find_data(remote=Remote(server.url("/gan_getting_started_300.zip"), size=len(zip_bytes)), progress=False)


# --------------------------------------------------------------------------- load_folder
def test_load_folder_skips_bad_files_with_one_warning_each(tmp_path):
    folder = write_images(tmp_path / "monet", n=2)
    good = encode(Image.fromarray(noise(1, 64)[0]), quality=95)
    bad = {
        "broken.jpg": good[: len(good) // 2],  # truncated JPEG
        "text.jpg": b"this is not a picture\n",
        "notes.txt": b"remember to buy paint\n",
    }
    for name, data in bad.items():
        (folder / name).write_bytes(data)
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1" + bytes(100))
    (folder / "subfolder").mkdir()

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        images = load_folder(folder, size=32)

    assert images.shape == (2, 32, 32, 3) and images.dtype == np.uint8
    messages = bad_image_warnings(record)
    assert len(messages) == len(bad)
    for name in bad:
        assert sum(str(folder / name) in m for m in messages) == 1, name
    assert not any(".DS_Store" in m for m in messages)


def test_load_folder_ignores_hidden_files_silently(tmp_path):
    folder = write_images(tmp_path / "photo", n=1)
    (folder / ".DS_Store").write_bytes(b"\x00garbage")
    (folder / "._000.jpg").write_bytes(b"\x00AppleDouble")
    with warnings.catch_warnings():
        warnings.simplefilter("error", BadImageWarning)
        assert load_folder(folder, size=32).shape == (1, 32, 32, 3)


def test_load_folder_limit_takes_the_first_files_in_name_order(tmp_path):
    folder = tmp_path / "monet"
    folder.mkdir()
    for i in reversed(range(5)):
        Image.new("RGB", (16, 16), (40 * i,) * 3).save(folder / f"{i}.png")
    images = load_folder(folder, size=32, limit=3)
    assert images.shape == (3, 32, 32, 3)
    assert [int(image[0, 0, 0]) for image in images] == [0, 40, 80]


def test_load_folder_of_only_bad_files_raises(tmp_path):
    folder = tmp_path / "monet"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(b"nope")
    (folder / "b.txt").write_bytes(b"nope")
    with pytest.warns(BadImageWarning), pytest.raises(DataNotFoundError, match="CYCLEGAN_LAB_DATA") as err:
        load_folder(folder, size=32)
    assert str(folder) in str(err.value)


def test_load_folder_missing_folder_raises(tmp_path):
    with pytest.raises(DataNotFoundError, match="does not exist"):
        load_folder(tmp_path / "nowhere")


# --------------------------------------------------------------------------- steps per epoch
def test_steps_per_epoch_default_and_override():
    data = LabData(monet=noise(7), photo=noise(12), folders=None)
    assert steps_per_epoch(data, TrainConfig(image_size=32, batch_size=2)) == 3  # min(7, 12) // 2
    assert steps_per_epoch(data, TrainConfig(image_size=32)) == 7
    assert steps_per_epoch(data, TrainConfig(image_size=32, steps_per_epoch=5)) == 5


# --------------------------------------------------------------------------- the real data
def test_load_data_reads_real_images(real_data):
    data = load_data(TrainConfig(max_images=8), path=real_data)
    assert data.folders == DataFolders(real_data / "monet", real_data / "photo")
    for images in (data.monet, data.photo):
        assert images.shape == (8, 256, 256, 3) and images.dtype == np.uint8


# --------------------------------------------------------------------------- the notebooks' wording, held-out paintings
def test_the_data_not_found_message_names_the_notebooks_parameter(tmp_path):
    """Case 7: the message in the notebooks did not name their DATA_DIR parameter."""
    import pytest

    from cyclegan_lab.data import DataNotFoundError, find_data

    with pytest.raises(DataNotFoundError, match="DATA_DIR") as error:
        find_data(tmp_path / "nowhere")
    assert "--data" in str(error.value) and "CYCLEGAN_LAB_DATA" in str(error.value)


def test_the_last_paintings_are_held_out():
    paintings = np.arange(300)[:, None, None, None] * np.ones((1, 2, 2, 3), np.uint8)
    train, held = split_held_out(paintings)
    assert len(held) == HELD_OUT_PAINTINGS == 60 and len(train) == 240
    assert held[0, 0, 0, 0] == 240 % 256 and not set(train[:, 0, 0, 0]) & set(held[:, 0, 0, 0])
    train, held = split_held_out(paintings[:100])  # a smaller collection: its last fifth
    assert len(held) == 20 and held[0, 0, 0, 0] == 80
