"""A TensorFlow SavedModel from the web, as a Keras model: downloaded once, checked, unpacked all or nothing.

`load_saved_model` downloads an archive (`download.download`: size and, where
published, SHA-256 checked), reads its whole gzip stream so a damaged file is
caught by its checksum, unpacks it into the user cache under a temporary name
and renames it when complete, and wraps the model's ``serving_default``
signature as a `keras.Model` (`SavedModelGenerator`). `pretrained` loads the
original lab's generator this way.
"""

from __future__ import annotations

import gzip
import os
import pathlib
import secrets
import shutil
import zlib

import keras

from .download import DownloadError, Remote, cache_dir, download, extract_tar

__all__ = ["SavedModelGenerator", "load_saved_model"]


def load_saved_model(remote: Remote, name: str, progress: bool = True, hint: str = "", what: str = "a model"):
    """Download (once) and unpack a TensorFlow SavedModel archive into the user cache, and wrap it as a
    Keras model named `name` (`SavedModelGenerator`). Later calls reuse the unpacked folder without the
    network. `hint` is added to a failed download's message; `what` names the model in errors."""
    root = cache_dir() / "pretrained"
    archive_name = remote.filename or remote.url.rsplit("/", 1)[-1]
    stem = archive_name.removesuffix(".tgz").removesuffix(".tar.gz").removesuffix(".tar")
    unpacked = root / stem  # monet_generator_50_epochs.tgz -> monet_generator_50_epochs/
    if not unpacked.is_dir():  # only ever created complete (see _unpack), so present means usable
        archive = download(
            remote,
            root,
            progress=progress,
            hint=hint,
        )
        _unpack(archive, unpacked, remote.url, what)
    saved = _find_saved_model(unpacked)
    if saved is None:
        raise DownloadError(f"No saved_model.pb under {unpacked}. Delete {unpacked} so it is downloaded again.")
    try:
        return SavedModelGenerator(saved, name=name)
    except Exception as error:  # a damaged graph fails in TF, protobuf or Keras, each its own way
        raise DownloadError(
            f"Could not load the SavedModel in {saved} ({error}). Delete {unpacked} so it is downloaded again."
        ) from error


def _unpack(archive: pathlib.Path, unpacked: pathlib.Path, url: str, what: str) -> None:
    """Check and unpack `archive` into `unpacked`, all or nothing, then delete the archive.

    There is no SHA-256 to check, so the whole gzip stream is read first: its
    CRC catches a damaged file. A bad archive is deleted, so the next run
    downloads it again instead of failing on the same bytes.
    """
    staging = unpacked.with_name(f"{unpacked.name}.unpack-{secrets.token_hex(4)}")
    try:
        _check_gzip(archive)
        extract_tar(archive, staging)
        if _find_saved_model(staging) is None:
            raise DownloadError(f"The archive from {url} holds no saved_model.pb; it is not {what}.")
        os.replace(staging, unpacked)
    except DownloadError as error:
        raise DownloadError(f"{error} The downloaded file was removed; run again to download it again.") from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        archive.unlink(missing_ok=True)  # unpacked (or useless): keep 193 MiB off the disk


def _check_gzip(archive: pathlib.Path) -> None:
    """Read a gzip file to the end so its checksum is verified; DownloadError if it is damaged."""
    with archive.open("rb") as f:
        if f.read(2) != b"\x1f\x8b":
            return  # not gzip (a plain .tar): extract_tar checks what it can
    try:
        with gzip.open(archive, "rb") as f:
            while f.read(1 << 20):
                pass
    except (OSError, EOFError, zlib.error) as error:
        raise DownloadError(f"{archive} is damaged ({error}).") from error


def _find_saved_model(folder: pathlib.Path) -> pathlib.Path | None:
    """The folder holding saved_model.pb, at any depth under `folder` (the shallowest), or None."""
    found = sorted(folder.rglob("saved_model.pb"), key=lambda p: (len(p.parts), str(p)))
    return found[0].parent if found else None


class SavedModelGenerator(keras.Model):
    """A TensorFlow SavedModel's ``serving_default`` signature, called like our generators.

    The signature takes one image batch and returns a dict with one entry
    (named after the original's last layer); ``model(images)`` returns that
    one tensor. `image_shape` is the (height, width) the signature requires,
    or None when it takes any size; `saved_model_path` is the folder it came
    from. It is for inference only: ``training`` is accepted and ignored.
    """

    def __init__(self, path, **kwargs):
        super().__init__(**kwargs)
        self.saved_model_path = str(path)
        self.saved = keras.layers.TFSMLayer(self.saved_model_path, call_endpoint="serving_default", trainable=False)
        args, kwargs_spec = self.saved.call_endpoint_fn.structured_input_signature
        specs = list(args) + list(kwargs_spec.values())
        outputs = self.saved.call_endpoint_fn.structured_outputs
        if len(specs) != 1 or (isinstance(outputs, dict) and len(outputs) != 1):
            raise ValueError(f"expected one image batch in and one out, got inputs {specs} and outputs {outputs}")
        height, width = (list(specs[0].shape) + [None] * 4)[1:3]
        self.image_shape = (height, width) if height and width else None

    def call(self, images, training=False):
        outputs = self.saved(images)
        if isinstance(outputs, dict):
            (outputs,) = outputs.values()
        return outputs
