"""Tests for cyclegan_lab.plumbing.download, using a throw-away HTTP server on 127.0.0.1 (the `server`
fixture from conftest.py)."""

from __future__ import annotations

import io
import os
import pathlib
import socket
import stat
import tarfile
import zipfile

import pytest
from http_server import make_zip, sha

from cyclegan_lab.plumbing.download import DownloadError, Remote, cache_dir, download, extract_tar, extract_zip

HINT = "Set CYCLEGAN_LAB_DATA to a folder that holds the images."


# --------------------------------------------------------------------------- helpers
def leftovers(folder: pathlib.Path) -> list[str]:
    """Temporary files or folders: ours (.part-, .tmp-) and pooch's (tempfile's "tmp...")."""
    return [p.name for p in folder.iterdir() if ".part-" in p.name or ".tmp-" in p.name or p.name.startswith("tmp")]


ZIP = make_zip({"gan_getting_started_300/monet_jpg_300/a.jpg": b"\xff\xd8 fake jpeg " * 500})


# --------------------------------------------------------------------------- download
def test_download_happy_path_and_cache_hit(server, tmp_path):
    server.files["/data/monet.zip"] = ZIP
    remote = Remote(server.url("/data/monet.zip"), size=len(ZIP), sha256=sha(ZIP))

    path = download(remote, tmp_path / "new" / "folder", progress=True)

    assert path == tmp_path / "new" / "folder" / "monet.zip"
    assert path.read_bytes() == ZIP
    assert leftovers(path.parent) == []
    assert len(server.requests) == 1

    again = download(remote, tmp_path / "new" / "folder", progress=False)
    assert again == path
    assert len(server.requests) == 1, "a verified file must not be downloaded again"


def test_progress_shows_a_bar_and_quiet_shows_nothing(server, tmp_path, capfd):
    server.files["/monet.zip"] = ZIP
    download(Remote(server.url("/monet.zip")), tmp_path / "loud", progress=True)
    assert "100%" in capfd.readouterr().err, "pooch's tqdm progress bar"
    download(Remote(server.url("/monet.zip")), tmp_path / "quiet", progress=False)
    assert capfd.readouterr().err == ""


def test_filename_overrides_url_name(server, tmp_path):
    server.files["/download?id=42"] = b"abc"
    path = download(Remote(server.url("/download?id=42"), filename="x.bin"), tmp_path, progress=False)
    assert path.name == "x.bin" and path.read_bytes() == b"abc"


def test_truncated_download_fails_cleanly(server, tmp_path):
    server.files["/monet.zip"] = ZIP
    server.truncated.add("/monet.zip")

    with pytest.raises(DownloadError) as err:
        download(Remote(server.url("/monet.zip")), tmp_path, progress=False)

    message = str(err.value)
    assert "stopped early" in message and server.url("/monet.zip") in message and "Run again" in message
    assert not (tmp_path / "monet.zip").exists()
    assert leftovers(tmp_path) == []


def test_truncated_chunked_download_fails_cleanly(server, tmp_path):
    """Without Content-Length (chunked transfer) a dropped connection must still be noticed."""
    server.files["/monet.zip"] = ZIP
    server.chunked.add("/monet.zip")
    with pytest.raises(DownloadError, match="stopped early"):
        download(Remote(server.url("/monet.zip")), tmp_path, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_failed_download_keeps_existing_files(server, tmp_path):
    server.files["/good.zip"] = ZIP
    server.files["/bad.zip"] = ZIP
    server.truncated.add("/bad.zip")
    good = download(Remote(server.url("/good.zip"), size=len(ZIP)), tmp_path, progress=False)

    # A different remote failing does not touch the good file.
    with pytest.raises(DownloadError):
        download(Remote(server.url("/bad.zip"), filename="other.zip"), tmp_path, progress=False)
    assert good.read_bytes() == ZIP
    assert not (tmp_path / "other.zip").exists()

    # An outdated file (wrong size) is only replaced by a complete download, never deleted.
    stale = tmp_path / "bad.zip"
    stale.write_bytes(b"old but precious")
    with pytest.raises(DownloadError):
        download(Remote(server.url("/bad.zip"), size=len(ZIP)), tmp_path, progress=False)
    assert stale.read_bytes() == b"old but precious"
    assert leftovers(tmp_path) == []


def test_a_file_of_the_wrong_size_is_downloaded_again(server, tmp_path):
    """With no SHA-256 pooch would trust any file under the name; the size check catches a stale one."""
    server.files["/monet.zip"] = ZIP
    (tmp_path / "monet.zip").write_bytes(b"an older, shorter version")
    path = download(Remote(server.url("/monet.zip"), size=len(ZIP)), tmp_path, progress=False)
    assert path.read_bytes() == ZIP and len(server.requests) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["monet.zip"]


def test_wrong_size_is_rejected(server, tmp_path):
    server.files["/monet.zip"] = ZIP
    with pytest.raises(DownloadError, match=f"got {len(ZIP)} bytes, expected {len(ZIP) + 1}"):
        download(Remote(server.url("/monet.zip"), size=len(ZIP) + 1), tmp_path, progress=False)
    assert not (tmp_path / "monet.zip").exists()
    assert leftovers(tmp_path) == []


def test_sha256_mismatch_is_rejected(server, tmp_path):
    server.files["/monet.zip"] = ZIP
    wrong = "0" * 64
    with pytest.raises(DownloadError, match="tampered|corrupt") as err:
        download(Remote(server.url("/monet.zip"), sha256=wrong), tmp_path, progress=False)
    assert wrong in str(err.value) and sha(ZIP) in str(err.value)
    assert not (tmp_path / "monet.zip").exists()
    assert leftovers(tmp_path) == []


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens here once the socket is closed


@pytest.mark.parametrize("case", ["unreachable", "404"])
def test_network_errors_name_url_and_hint(server, tmp_path, case):
    url = f"http://127.0.0.1:{_closed_port()}/monet.zip" if case == "unreachable" else server.url("/missing.zip")
    with pytest.raises(DownloadError) as err:
        download(Remote(url), tmp_path, progress=False, hint=HINT, timeout=5)
    assert url in str(err.value) and HINT in str(err.value)
    if case == "404":
        assert "404" in str(err.value)
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- extract_zip
def test_extract_zip_happy_path(tmp_path):
    archive = tmp_path / "monet.zip"
    archive.write_bytes(make_zip({"a/b.txt": b"hello", "c.txt": b"world"}))
    target = extract_zip(archive, tmp_path / "out" / "monet")
    assert (target / "a" / "b.txt").read_bytes() == b"hello"
    assert (target / "c.txt").read_bytes() == b"world"
    assert leftovers(target.parent) == []


def test_extract_zip_into_empty_folder_but_not_full_one(tmp_path):
    archive = tmp_path / "x.zip"
    archive.write_bytes(make_zip({"c.txt": b"world"}))
    (tmp_path / "empty").mkdir()
    assert (extract_zip(archive, tmp_path / "empty") / "c.txt").exists()
    with pytest.raises(DownloadError, match="not empty"):
        extract_zip(archive, tmp_path / "empty")


def _symlink_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo("link")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    return buf.getvalue()


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "symlink"])
def test_extract_zip_refuses_unsafe_members(tmp_path, kind):
    parent = tmp_path / "work"
    parent.mkdir()
    absolute = tmp_path / "abs_evil.txt"
    evil = {"dotdot": "../evil.txt", "absolute": str(absolute)}.get(kind)
    data = _symlink_zip() if kind == "symlink" else make_zip({"ok.txt": b"fine", evil: b"pwned"})
    archive = tmp_path / "evil.zip"
    archive.write_bytes(data)

    with pytest.raises(DownloadError, match="evil.txt" if evil else "link"):
        extract_zip(archive, parent / "out")

    assert list(parent.iterdir()) == [], "nothing may be written next to (or instead of) the target"
    assert not absolute.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil.zip", "work"]


def test_extract_zip_corrupt_archive(tmp_path):
    archive = tmp_path / "monet.zip"
    archive.write_bytes(os.urandom(512))
    with pytest.raises(DownloadError, match="Delete") as err:
        extract_zip(archive, tmp_path / "out")
    assert str(archive) in str(err.value)
    assert not (tmp_path / "out").exists()


def test_extract_zip_failing_halfway_leaves_nothing(tmp_path):
    """The first member extracts fine, the second has a bad CRC: no half-filled target remains."""
    data = bytearray(make_zip({"first.txt": b"good", "second.txt": b"SECRET-PAYLOAD"}))
    data[data.index(b"SECRET-PAYLOAD")] ^= 0xFF  # stored (uncompressed), so flip one byte in place
    archive = tmp_path / "broken.zip"
    archive.write_bytes(bytes(data))
    with pytest.raises(DownloadError, match="Delete"):
        extract_zip(archive, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.zip"]


@pytest.mark.parametrize("order", [["a", "a/b.jpg"], ["a/b.jpg", "a"]], ids=["file first", "file last"])
def test_extract_zip_refuses_a_member_inside_a_file(tmp_path, order):
    """Members `a` (a file) and `a/b.jpg` gave a raw NotADirectoryError (as the tar once did)."""
    archive = tmp_path / "clash.zip"
    archive.write_bytes(make_zip({name: b"data" for name in order}))
    with pytest.raises(DownloadError) as err:
        extract_zip(archive, tmp_path / "out")
    assert str(err.value) == (
        f"Refusing to extract {archive}: member 'a/b.jpg' lies inside 'a', which the archive also makes a file. "
        "Do not use this archive; get it again from a trusted source."
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clash.zip"]


# --------------------------------------------------------------------------- extract_tar
def make_tgz(path: pathlib.Path, members: list[tarfile.TarInfo | tuple[str, bytes]]) -> pathlib.Path:
    with tarfile.open(path, "w:gz") as tf:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                tf.addfile(member)
            else:
                name, data = member
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    return path


def test_extract_tar_happy_path(tmp_path):
    members = [("photo_jpg/a.jpg", b"jpeg"), ("b.txt", b"hi"), _link("photo_jpg/latest.jpg", "a.jpg")]
    target = extract_tar(make_tgz(tmp_path / "photos.tgz", members), tmp_path / "out")
    assert (target / "photo_jpg" / "a.jpg").read_bytes() == b"jpeg"
    assert (target / "b.txt").read_bytes() == b"hi"
    assert (target / "photo_jpg" / "latest.jpg").read_bytes() == b"jpeg", "links inside the target are fine"
    assert leftovers(tmp_path) == []


def _link(name: str, to: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, to
    return info


def _device() -> tarfile.TarInfo:
    info = tarfile.TarInfo("null")
    info.type, info.devmajor, info.devminor = tarfile.CHRTYPE, 1, 3
    return info


@pytest.mark.parametrize(
    "evil",
    [
        ("../evil.txt", b"pwned"),
        ("/abs_evil.txt", b"pwned"),
        _link("passwd", "/etc/passwd"),
        _link("sub/up", "../../evil.txt"),
        _link("hard", "../evil.txt", tarfile.LNKTYPE),
        _device(),
        ("ok.txt/inner.txt", b"a file inside a file"),
    ],
    ids=["dotdot", "absolute", "symlink-abs", "symlink-dotdot", "hardlink", "device", "inside-a-file"],
)
def test_extract_tar_refuses_unsafe_members(tmp_path, evil):
    parent = tmp_path / "work"
    parent.mkdir()
    archive = make_tgz(tmp_path / "evil.tgz", [("ok.txt", b"fine"), evil])

    with pytest.raises(DownloadError, match="Refusing"):
        extract_tar(archive, parent / "out")

    assert list(parent.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil.tgz", "work"]


def test_extract_tar_corrupt_archive(tmp_path):
    archive = tmp_path / "photos.tgz"
    archive.write_bytes(os.urandom(512))
    with pytest.raises(DownloadError, match="Delete"):
        extract_tar(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- cache_dir
def test_cache_dir_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("CYCLEGAN_LAB_CACHE", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "mine"

    monkeypatch.delenv("CYCLEGAN_LAB_CACHE")
    assert cache_dir() == tmp_path / "xdg" / "cyclegan-lab"

    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_dir() == tmp_path / "home" / ".cache" / "cyclegan-lab"
    assert list(tmp_path.iterdir()) == [], "cache_dir() only computes the path"


@pytest.mark.parametrize("where", ["the folder", "a folder above it"])
def test_a_download_folder_that_is_a_file_is_one_clear_error(server, tmp_path, monkeypatch, where):
    """CYCLEGAN_LAB_CACHE naming a file gave a raw NotADirectoryError from pooch."""
    blocker = tmp_path / "cache"
    blocker.write_text("my notes")
    monkeypatch.setenv("CYCLEGAN_LAB_CACHE", str(blocker))
    folder = cache_dir() if where == "the folder" else cache_dir() / "weights"
    server.files["/f.bin"] = b"x" * 10
    with pytest.raises(DownloadError) as err:
        download(Remote(server.url("/f.bin")), folder, progress=False, hint="HINT.")
    message = str(err.value)
    assert f"{blocker} is a file, not a folder" in message and "CYCLEGAN_LAB_CACHE" in message, message
    assert message.endswith("HINT.") and "\n" not in message
    assert blocker.read_text() == "my notes" and server.requests == []
