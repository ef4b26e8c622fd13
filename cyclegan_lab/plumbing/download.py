"""Fetch a file over HTTP with pooch, and unpack archives without surprises.

`pooch <https://www.fatiando.org/pooch>`_ (behind SciPy's and scikit-image's datasets)
does the fetching: ``pooch.retrieve`` streams the body with a tqdm progress bar into a
temporary file beside the final one, checks its SHA-256, and only then *renames* it, so
a dropped connection never leaves a half-written file that looks finished; a file
already there whose hash matches is reused offline.  Downloaded without a hash, pooch
prints the file's SHA-256: that is the value for `Remote.sha256`.

What we still do ourselves: check the size (pooch checks only the hash, and the lab's
files publish none); turn requests' errors into a `DownloadError` that says what to do
next; and unpack, because pooch's Unzip and Untar extract in place and refuse no member
(on Python 3.11 Untar writes ``../x`` outside the folder, and links to ``/etc/passwd``).
`extract_zip`/`extract_tar` check every member first and fill a temporary folder that
is renamed only once complete.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import pathlib
import posixpath
import secrets
import shutil
import stat
import tarfile
import urllib.parse
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import pooch
import requests

__all__ = ["DownloadError", "Remote", "cache_dir", "download", "extract_zip", "extract_tar"]


class DownloadError(RuntimeError):
    """A download or an extraction failed; the message says what to do next."""


@dataclass(frozen=True)
class Remote:
    """A file we download: where from, how big, and (once known) its SHA-256 (or the MD5 its publisher gives)."""

    url: str
    size: int | None = None  # expected size in bytes, checked after download
    sha256: str | None = None  # expected hex digest, checked after download when given
    filename: str | None = None  # name to save under; default: last part of the URL path
    md5: str | None = None  # the publisher's MD5 where it gives no SHA-256 (Keras' weight files)

    @property
    def known_hash(self) -> str | None:
        """The digest pooch checks: "sha256:..." or "md5:...", or None."""
        return f"sha256:{self.sha256}" if self.sha256 else f"md5:{self.md5}" if self.md5 else None


def cache_dir() -> pathlib.Path:
    """$CYCLEGAN_LAB_CACHE if set, else $XDG_CACHE_HOME/cyclegan-lab, else ~/.cache/cyclegan-lab (not created here)."""
    if os.environ.get("CYCLEGAN_LAB_CACHE"):
        return pathlib.Path(os.environ["CYCLEGAN_LAB_CACHE"]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (pathlib.Path(xdg) if xdg else pathlib.Path.home() / ".cache") / "cyclegan-lab"


def download(remote: Remote, folder, *, progress: bool = True, hint: str = "", timeout: float = 60) -> pathlib.Path:
    """Download ``remote.url`` into ``folder/filename`` with `pooch.retrieve` and return the path.

    A file already there that passes the size/SHA-256 checks is reused, offline.  A new
    one replaces it only once complete and verified, so a failure never touches it.
    ``progress`` shows pooch's progress bar and log lines; ``hint`` ends every error.
    """

    def fail(message: str) -> DownloadError:
        return DownloadError(f"{message} {hint}".strip())

    def fetch(url: str, output_file: str, _pooch: None) -> None:
        """A pooch downloader: pooch.HTTPDownloader, then the size check pooch lacks."""
        try:
            pooch.HTTPDownloader(progressbar=progress, timeout=timeout)(url, output_file, _pooch)
        except requests.HTTPError as e:
            raise fail(f"Could not download {url}: HTTP {e.response.status_code} {e.response.reason}.") from e
        except requests.exceptions.ChunkedEncodingError as e:  # the server hung up mid-body
            raise fail(f"Download of {url} stopped early (the connection broke). Run again to retry.") from e
        except requests.RequestException as e:
            raise fail(f"Could not download {url}: {_reason(e)}. Check the URL and your connection.") from e
        if remote.size is not None and (got := os.path.getsize(output_file)) != remote.size:
            raise fail(
                f"{url} has the wrong size: got {got} bytes, expected {remote.size}. "
                "The file on the server may have changed; check the URL and Remote.size."
            )

    name = remote.filename or posixpath.basename(urllib.parse.urlparse(remote.url).path)
    if not name:
        raise fail(f"Cannot tell a file name from {remote.url}; pass Remote(..., filename='...').")
    _check_folder(pathlib.Path(folder), fail)
    final = pathlib.Path(folder) / name
    # With no hash to compare, pooch trusts any file already under `name`; if ours has the
    # wrong size, download beside it, to be swapped in only once complete and verified.
    stale = final.is_file() and remote.known_hash is None and remote.size not in (None, final.stat().st_size)
    fname = f"{name}.part-{secrets.token_hex(4)}" if stale else name
    log = pooch.get_logger()  # pooch's "Downloading data from ..." lines go with the progress bar
    was_disabled, log.disabled = log.disabled, log.disabled or not progress
    try:
        got = pooch.retrieve(
            remote.url,
            known_hash=remote.known_hash,
            fname=fname,
            path=folder,
            downloader=fetch,
        )
    except ValueError as e:  # pooch: the hash does not match; it deleted the download
        raise fail(
            f"{remote.url} failed its checksum: {e} "
            "Run again; if it persists, do not use this source: it may have been tampered with."
        ) from e
    finally:
        log.disabled = was_disabled
    os.replace(got, final)  # atomic; a no-op when pooch saved it under `name` already
    return final


def _check_folder(folder: pathlib.Path, fail) -> None:
    """Raise fail(...) when `folder`, or a folder above it, is a file: pooch would stop with NotADirectoryError."""
    blocker = next((p for p in (folder, *folder.parents) if os.path.lexists(p) and not os.path.isdir(p)), None)
    if blocker is None:
        return
    cache = os.environ.get("CYCLEGAN_LAB_CACHE")
    named = cache and pathlib.Path(cache).expanduser() in (folder, *folder.parents)
    how = (
        f"Point CYCLEGAN_LAB_CACHE (now {cache}) at a folder, or move that file away."
        if named
        else "Move that file away, or choose another folder."
    )
    raise fail(f"Cannot download into {folder}: {blocker} is a file, not a folder. {how}")


def _reason(error: Exception) -> str:
    """The innermost cause of a requests error ("[Errno 111] Connection refused"), not its long wrapper."""
    while error.__cause__ or error.__context__:
        error = error.__cause__ or error.__context__
    return str(error) or type(error).__name__


def _bad_path(name: str) -> str | None:
    """Why a member path would land outside the extraction folder, or None if it is safe."""
    norm = posixpath.normpath(name.replace("\\", "/"))  # "a/../../x" -> "../x"
    if norm.startswith("/") or pathlib.PureWindowsPath(name).drive:
        return "has an absolute path"
    return "has a '..' that leaves the target folder" if norm == ".." or norm.startswith("../") else None


def _inside_file(name: str, file_names: set[str]) -> str | None:
    """Why member `name` cannot be written: a folder of its path is also a member that is a file (one of
    `file_names`); None if not."""
    parents = [str(p) for p in pathlib.PurePosixPath(posixpath.normpath(name)).parents]
    clash = next((p for p in parents if p in file_names), None)
    return f"lies inside {clash!r}, which the archive also makes a file" if clash else None


def _unsafe(archive: pathlib.Path, member: str, why: str) -> DownloadError:
    return DownloadError(
        f"Refusing to extract {archive}: member {member!r} {why}. "
        "Do not use this archive; get it again from a trusted source."
    )


def _corrupt(archive: pathlib.Path, kind: str, error: Exception) -> DownloadError:
    reason = str(error).splitlines()[0].rstrip(":") if str(error) else type(error).__name__
    return DownloadError(
        f"{archive} is not a readable {kind} archive ({reason}). Delete {archive} so it is downloaded again."
    )


@contextlib.contextmanager
def _staging(target: pathlib.Path) -> Iterator[pathlib.Path]:
    """Yield a fresh sibling folder; it becomes `target` only if the block succeeds."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise DownloadError(
            f"{target} already exists and is not empty; delete it (or choose another folder) and extract again."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.tmp-{secrets.token_hex(4)}")
    tmp.mkdir()
    try:
        yield tmp
        if target.exists():
            target.rmdir()  # empty, checked above
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # no-op after a successful rename


def extract_zip(archive, target) -> pathlib.Path:
    """Safely extract a zip into `target` (missing or an empty folder) and return `target`.

    Every member is checked first (no absolute paths, no escaping '..', no symlinks,
    none inside a path another member makes a file);
    files go to a temporary sibling folder that is renamed to `target` only when all
    members are written, so you get everything or nothing.
    """
    archive, target = pathlib.Path(archive), pathlib.Path(target)
    try:
        with zipfile.ZipFile(archive) as zf:
            members = zf.infolist()
            file_names = {posixpath.normpath(m.filename) for m in members if not m.is_dir()}
            for info in members:  # check every member before writing anything
                is_link = stat.S_ISLNK(info.external_attr >> 16)  # Unix mode lives in the high 16 bits
                why = (
                    _bad_path(info.filename)
                    or ("is a symbolic link" if is_link else None)
                    or _inside_file(info.filename, file_names)
                )
                if why:
                    raise _unsafe(archive, info.filename, why)
            with _staging(target) as tmp:
                zf.extractall(tmp)
    except (zipfile.BadZipFile, EOFError, zlib.error) as e:
        raise _corrupt(archive, "zip", e) from e
    return target


def extract_tar(archive, target) -> pathlib.Path:
    """Same contract as `extract_zip` for .tar/.tgz/.tar.gz; also refuses device files and
    links pointing outside `target`, and extracts with tarfile's filter="data" (Python >= 3.11.4)."""
    archive, target = pathlib.Path(archive), pathlib.Path(target)
    try:
        with tarfile.open(archive) as tf:
            members = tf.getmembers()
            file_names = {posixpath.normpath(m.name) for m in members if not m.isdir()}
            for m in members:  # check every member before writing anything
                # a symlink is relative to its own folder, a hard link to the archive root
                link = posixpath.join(posixpath.dirname(m.name), m.linkname) if m.issym() else m.linkname
                outside = (m.issym() or m.islnk()) and _bad_path(link)
                why = (
                    _bad_path(m.name)
                    or ("is a device file" if m.isdev() else None)
                    or (f"is a link to {m.linkname!r}, outside the target" if outside else None)
                    or _inside_file(m.name, file_names)
                )
                if why:
                    raise _unsafe(archive, m.name, why)
            with _staging(target) as tmp:
                tf.extractall(tmp, filter="data")  # second line of defence
    except tarfile.FilterError as e:
        raise _unsafe(archive, e.tarinfo.name, f"was rejected ({e})") from e
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as e:
        raise _corrupt(archive, "tar", e) from e
    return target
