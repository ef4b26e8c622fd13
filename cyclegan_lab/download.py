"""Fetch a file over HTTP safely and unpack archives without surprises.

Two habits make this trustworthy (standard library + tqdm only):

* Write to a temporary file/folder and *rename* it to its final name only once it
  is complete and verified.  A crash or a dropped connection then never leaves a
  half-written result that looks finished.
* Never trust paths inside an archive: a member called ``../../.bashrc`` or a
  symlink to ``/etc/passwd`` is refused before anything is written.
"""
from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.client
import os
import pathlib
import posixpath
import secrets
import shutil
import stat
import tarfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from tqdm.auto import tqdm

CHUNK_SIZE = 1 << 20  # read the body 1 MiB at a time


class DownloadError(RuntimeError):
    """A download or an extraction failed; the message says what to do next."""


@dataclass(frozen=True)
class Remote:
    """A file we download: where from, how big, and (once known) its SHA-256."""

    url: str
    size: int | None = None  # expected size in bytes, checked after download
    sha256: str | None = None  # expected hex digest, checked after download when given
    filename: str | None = None  # name to save under; default: last part of the URL path


def cache_dir() -> pathlib.Path:
    """$CYCLEGAN_LAB_CACHE if set, else $XDG_CACHE_HOME/cyclegan-lab, else ~/.cache/cyclegan-lab (not created here)."""
    if os.environ.get("CYCLEGAN_LAB_CACHE"):
        return pathlib.Path(os.environ["CYCLEGAN_LAB_CACHE"]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (pathlib.Path(xdg) if xdg else pathlib.Path.home() / ".cache") / "cyclegan-lab"


def _is_complete(path: pathlib.Path, remote: Remote) -> bool:
    """True if `path` exists and passes every check `remote` knows about."""
    if not path.is_file() or (remote.size is not None and path.stat().st_size != remote.size):
        return False
    if remote.sha256 is None:
        return True
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest() == remote.sha256.lower()


def download(remote: Remote, folder, *, progress: bool = True, hint: str = "", timeout: float = 60) -> pathlib.Path:
    """Download ``remote.url`` into ``folder/filename`` and return the path.

    A file already there that passes the size/SHA-256 checks is reused.  Otherwise the
    body streams into ``<name>.part-<random>``, which replaces the final file only once
    complete and verified, so a failure never touches it.  ``hint`` ends every error.
    """
    def fail(message: str) -> DownloadError:
        return DownloadError(f"{message} {hint}".strip())

    name = remote.filename or posixpath.basename(urllib.parse.urlparse(remote.url).path)
    if not name:
        raise fail(f"Cannot tell a file name from {remote.url}; pass Remote(..., filename='...').")
    final = pathlib.Path(folder) / name
    if _is_complete(final, remote):
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    part = final.with_name(f"{name}.part-{secrets.token_hex(4)}")
    digest, got, expected, cut = hashlib.sha256(), 0, remote.size, False
    try:
        with part.open("xb") as out:
            try:
                with urllib.request.urlopen(remote.url, timeout=timeout) as response:
                    length = response.headers.get("Content-Length", "")
                    expected = int(length) if length.isdigit() else expected
                    with tqdm(total=expected, unit="B", unit_scale=True, unit_divisor=1024,
                              desc=name, disable=not progress) as bar:
                        while chunk := response.read(CHUNK_SIZE):
                            out.write(chunk)
                            digest.update(chunk)
                            got += len(chunk)
                            bar.update(len(chunk))
            except http.client.IncompleteRead as e:  # the server hung up mid-body
                got, cut = got + len(e.partial), True
            except urllib.error.HTTPError as e:
                raise fail(f"Could not download {remote.url}: HTTP {e.code} {e.reason}.") from e
            except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as e:
                reason = str(getattr(e, "reason", None) or e) or type(e).__name__
                raise fail(f"Could not download {remote.url}: {reason}. Check the URL and your connection.") from e
        if cut or (expected is not None and got != expected):
            raise fail(f"Download of {remote.url} stopped early: got {got} bytes, expected {expected or 'more'}. "
                       "Run again to retry.")
        if remote.size is not None and got != remote.size:
            raise fail(f"{remote.url} has the wrong size: got {got} bytes, expected {remote.size}. "
                       "The file on the server may have changed; check the URL and Remote.size.")
        if remote.sha256 is not None and digest.hexdigest() != remote.sha256.lower():
            raise fail(f"SHA-256 of {remote.url} is {digest.hexdigest()}, expected {remote.sha256}: "
                       "the file may be corrupt or tampered with. Run again; if it persists, do not use this source.")
        os.replace(part, final)  # atomic: `final` is either the old file or the new, complete one
    finally:
        part.unlink(missing_ok=True)
    return final


def _bad_path(name: str) -> str | None:
    """Why a member path would land outside the extraction folder, or None if it is safe."""
    norm = posixpath.normpath(name.replace("\\", "/"))  # "a/../../x" -> "../x"
    if norm.startswith("/") or pathlib.PureWindowsPath(name).drive:
        return "has an absolute path"
    return "has a '..' that leaves the target folder" if norm == ".." or norm.startswith("../") else None


def _unsafe(archive: pathlib.Path, member: str, why: str) -> DownloadError:
    return DownloadError(f"Refusing to extract {archive}: member {member!r} {why}. "
                         "Do not use this archive; get it again from a trusted source.")


def _corrupt(archive: pathlib.Path, kind: str, error: Exception) -> DownloadError:
    reason = str(error).splitlines()[0].rstrip(":") if str(error) else type(error).__name__
    return DownloadError(f"{archive} is not a readable {kind} archive ({reason}). "
                         f"Delete {archive} so it is downloaded again.")


@contextlib.contextmanager
def _staging(target: pathlib.Path) -> Iterator[pathlib.Path]:
    """Yield a fresh sibling folder; it becomes `target` only if the block succeeds."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise DownloadError(f"{target} already exists and is not empty; "
                            "delete it (or choose another folder) and extract again.")
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

    Every member is checked first (no absolute paths, no escaping '..', no symlinks);
    files go to a temporary sibling folder that is renamed to `target` only when all
    members are written, so you get everything or nothing.
    """
    archive, target = pathlib.Path(archive), pathlib.Path(target)
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():  # check every member before writing anything
                is_link = stat.S_ISLNK(info.external_attr >> 16)  # Unix mode lives in the high 16 bits
                if why := _bad_path(info.filename) or ("is a symbolic link" if is_link else None):
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
            for m in tf.getmembers():  # check every member before writing anything
                # a symlink is relative to its own folder, a hard link to the archive root
                link = posixpath.join(posixpath.dirname(m.name), m.linkname) if m.issym() else m.linkname
                outside = (m.issym() or m.islnk()) and _bad_path(link)
                why = _bad_path(m.name) or ("is a device file" if m.isdev() else None) or (
                    f"is a link to {m.linkname!r}, outside the target" if outside else None)
                if why:
                    raise _unsafe(archive, m.name, why)
            with _staging(target) as tmp:
                tf.extractall(tmp, filter="data")  # second line of defence
    except tarfile.FilterError as e:
        raise _unsafe(archive, e.tarinfo.name, f"was rejected ({e})") from e
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as e:
        raise _corrupt(archive, "tar", e) from e
    return target
