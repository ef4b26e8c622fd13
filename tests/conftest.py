"""Fixtures shared by every test file.

* `server`: a throw-away HTTP server on 127.0.0.1 (see http_server.py).
* `real_data`: the folder of real Monet paintings and photos (monet/ + photo/).
* `killed_write`: what a process killed while writing a file leaves behind.
* `lab_cache` (autouse): every test gets its own empty CYCLEGAN_LAB_CACHE and no
  CYCLEGAN_LAB_DATA, so no test touches the user's cache or depends on their env.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest
from http_server import serve

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
REAL_DATA_ENV = "CYCLEGAN_LAB_TEST_DATA"


@pytest.fixture
def server():
    """A local HTTP server; yields its state (files to serve, requests seen, url())."""
    with serve() as state:
        yield state


@pytest.fixture
def killed_write():
    """A function that writes `path` with `files.atomic_write` in another process, which is killed in
    the middle of it: what a kill during a save leaves behind (its temporary file), named as the code
    names it today. Returns that leftover's path."""

    def write(path: pathlib.Path) -> pathlib.Path:
        code = (
            "import os, sys; from cyclegan_lab.plumbing.files import atomic_write; "
            "atomic_write(sys.argv[1], lambda file: (file.write(b'half a file'), file.flush(), os._exit(9)))"
        )
        before = set(path.parent.iterdir())
        subprocess.run([sys.executable, "-c", code, str(path)], check=False, timeout=120)
        (leftover,) = set(path.parent.iterdir()) - before
        return leftover

    return write


@pytest.fixture(scope="session")
def real_data() -> pathlib.Path:
    """The real image folder: $CYCLEGAN_LAB_TEST_DATA, else <repo>/../shared/data/monet2photo."""
    path = pathlib.Path(os.environ.get(REAL_DATA_ENV) or REPO_ROOT.parent / "shared" / "data" / "monet2photo")
    if not ((path / "monet").is_dir() and (path / "photo").is_dir()):
        pytest.fail(
            f"Real images not found at {path}: set {REAL_DATA_ENV} to a folder with monet/ and photo/ "
            "(the Kaggle Monet and photo JPEGs)"
        )
    return path


@pytest.fixture(autouse=True)
def lab_cache(tmp_path_factory, monkeypatch) -> pathlib.Path:
    """A fresh, empty cache folder per test (outside tmp_path), and no CYCLEGAN_LAB_DATA."""
    cache = tmp_path_factory.mktemp("lab-cache")
    monkeypatch.setenv("CYCLEGAN_LAB_CACHE", str(cache))
    monkeypatch.delenv("CYCLEGAN_LAB_DATA", raising=False)
    return cache
