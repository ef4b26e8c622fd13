"""Find the Monet paintings and photos and load them (`pipeline.py` feeds them to training).

Where the images come from, in this order:

1. a folder you name (the `path` argument, or the `CYCLEGAN_LAB_DATA` variable);
2. the user cache (`~/.cache/cyclegan-lab`, or `CYCLEGAN_LAB_CACHE`), if a
   previous run put the data there;
3. the lab's zip (300 Monet paintings + 300 photos, 9 MB), downloaded into
   the cache.

A data folder may hold any of these layouts (at its top or one or two levels
down): the lab zip's `monet_jpg_300/` + `photo_jpg_300/`, Kaggle's
`monet_jpg/` + `photo_jpg/`, CycleGAN's monet2photo `trainA/` + `trainB/`,
or plain `monet/` + `photo/`.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import TrainConfig
from .images import image_files, load_image
from .plumbing.download import Remote, cache_dir, download, extract_zip

__all__ = ["LabData", "DataFolders", "find_data", "load_data", "load_folder", "steps_per_epoch", "split_held_out"]

DATA_ENV = "CYCLEGAN_LAB_DATA"
LAB_DATA = Remote(
    url="https://cf-courses-data.s3.us.cloud-object-storage.appdomain.cloud/"
    "IBM-GPXX0KSEEN/data/gan_getting_started_300.zip",
    size=9_155_521,
)
LAYOUTS = [  # (Monet folder, photo folder)
    ("monet_jpg_300", "photo_jpg_300"),  # the lab's zip
    ("monet_jpg", "photo_jpg"),  # Kaggle "I'm Something of a Painter Myself"
    ("trainA", "trainB"),  # CycleGAN's monet2photo
    ("monet", "photo"),  # plain folders
]
HOW_TO_GET_DATA = (
    "Point the notebook's DATA_DIR parameter (or --data on the command line, path= in Python, "
    f"or the {DATA_ENV} variable) at a folder holding Monet and photo images "
    "as monet/ + photo/, monet_jpg/ + photo_jpg/ or trainA/ + trainB/, "
    "or allow the download of the lab's data."
)


class DataNotFoundError(FileNotFoundError):
    """No usable Monet and photo images where we looked."""


class BadImageWarning(UserWarning):
    """An image file could not be read and was skipped."""


@dataclass(frozen=True)
class DataFolders:
    """The two folders of one data set."""

    monet: Path
    photo: Path


def find_layout(root: str | os.PathLike) -> DataFolders | None:
    """The Monet and photo folders under root (itself, or up to two levels down), or None."""
    root = Path(root)
    candidates = [root] + sorted(p for p in root.glob("*") if p.is_dir())
    candidates += sorted(p for p in root.glob("*/*") if p.is_dir())
    for folder in candidates:
        for monet, photo in LAYOUTS:
            if (folder / monet).is_dir() and (folder / photo).is_dir():
                return DataFolders(folder / monet, folder / photo)
    return None


def find_data(
    path: str | os.PathLike | None = None,
    *,
    download_ok: bool = True,
    remote: Remote = LAB_DATA,
    cache: str | os.PathLike | None = None,
    progress: bool = True,
) -> DataFolders:
    """Locate the Monet and photo folders, downloading the lab's data if needed.

    Raises DataNotFoundError, saying where it looked, when nothing is found, and
    `download.DownloadError` (naming the URL) when the download fails.
    """
    path = path if path is not None else os.environ.get(DATA_ENV) or None
    if path is not None:
        if not Path(path).is_dir():
            what = "is a file, not a folder" if Path(path).exists() else "does not exist"
            raise DataNotFoundError(f"Data folder {path} {what}. {HOW_TO_GET_DATA}")
        found = find_layout(path)
        if found is None:
            raise DataNotFoundError(f"No Monet and photo folders in {path}. {HOW_TO_GET_DATA}")
        return found

    cache = Path(cache) if cache is not None else cache_dir()
    unpacked = cache / "data"
    if unpacked.is_dir() and (found := find_layout(unpacked)) is not None:
        return found
    if not download_ok:
        raise DataNotFoundError(f"No data in the cache {unpacked}, and downloading is off. {HOW_TO_GET_DATA}")

    archive = download(remote, cache, progress=progress, hint=HOW_TO_GET_DATA)
    if unpacked.exists():  # an unpacked folder without the images: unpack again beside it
        unpacked.rename(unpacked.with_name(f"data.broken-{os.getpid()}"))
    extract_zip(archive, unpacked)
    found = find_layout(unpacked)
    if found is None:
        raise DataNotFoundError(f"The archive {archive} holds no Monet and photo folders. {HOW_TO_GET_DATA}")
    return found


# --- Loading the images (each file read by images.load_image) ---------------


def load_folder(folder: str | os.PathLike, size: int = 256, limit: int | None = None) -> np.ndarray:
    """Load a folder of images as one (n, size, size, 3) uint8 array (each read by `images.load_image`).

    Files that are not readable images are skipped, each with one
    BadImageWarning that names it. Raises DataNotFoundError when the folder is
    missing or holds no readable image.
    """
    folder = Path(folder)
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "does not exist"
        raise DataNotFoundError(f"Image folder {folder} {what}. {HOW_TO_GET_DATA}")
    images = []
    for path in image_files(folder):
        if limit is not None and len(images) >= limit:
            break
        try:
            images.append(load_image(path, size))
        except ValueError as error:
            warnings.warn(f"skipped: {error}", BadImageWarning, stacklevel=2)
    if not images:
        raise DataNotFoundError(f"No readable images in {folder}. {HOW_TO_GET_DATA}")
    return np.stack(images)


HELD_OUT_PAINTINGS = 60  # the last 60 of the 300 sorted paintings: the judge's reference, never trained on


def split_held_out(paintings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(paintings to train on, held-out paintings): the last HELD_OUT_PAINTINGS of the sorted files are held out
    (of a collection smaller than 300, the last fifth, so that a small test folder still trains). The shipped
    model's runs never train on them, so `judge.Judge` can compare its paintings with paintings it never saw."""
    held = min(HELD_OUT_PAINTINGS, len(paintings) // 5)
    return paintings[: len(paintings) - held], paintings[len(paintings) - held :]


@dataclass
class LabData:
    """The images a training run uses, as uint8 arrays (n, size, size, 3)."""

    monet: np.ndarray
    photo: np.ndarray
    folders: DataFolders


def load_data(config: TrainConfig | None = None, path=None, **find_kwargs) -> LabData:
    """Find the data (see `find_data`) and load both domains into memory."""
    config = config or TrainConfig()
    folders = find_data(path, **find_kwargs)
    monet = load_folder(folders.monet, config.image_size, config.max_images)
    photo = load_folder(folders.photo, config.image_size, config.max_images)
    return LabData(monet, photo, folders)


def steps_per_epoch(data: LabData, config: TrainConfig, replicas: int = 1) -> int:
    """config.steps_per_epoch, or one pass over the smaller domain in global batches."""
    if config.steps_per_epoch:
        return config.steps_per_epoch
    return max(1, min(len(data.monet), len(data.photo)) // (config.batch_size * replicas))
