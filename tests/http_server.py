"""A throw-away HTTP server on 127.0.0.1 for tests, and helpers to build what it serves.

The `server` fixture in conftest.py starts one per test and yields its `_State`:
put bodies in `state.files[path]`, mark paths as `truncated` or `chunked` to make
the server hang up early, and read `state.requests` to see what was fetched.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import io
import threading
import zipfile
from collections.abc import Iterator


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        state = self.server.state
        state.requests.append(self.path)
        body = state.files.get(self.path)
        if body is None:
            self.send_error(404, "Not Found")
            return
        self.send_response(200)
        if self.path in state.chunked:  # no Content-Length: one chunk, then hang up before the last
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            half = body[: len(body) // 2]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(half), half))
            self.close_connection = True
            return
        self.send_header("Content-Length", str(len(body)))  # the truth, or a lie when truncating
        self.end_headers()
        if self.path in state.truncated:
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True  # hang up before the promised bytes arrive
        else:
            self.wfile.write(body)

    def log_message(self, *args):  # keep pytest output quiet
        pass


class _State:
    def __init__(self, port: int):
        self.files: dict[str, bytes] = {}
        self.truncated: set[str] = set()
        self.chunked: set[str] = set()
        self.requests: list[str] = []
        self.port = port

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@contextlib.contextmanager
def serve() -> Iterator[_State]:
    """Run a threaded HTTP server on a free port of 127.0.0.1 until the block ends."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.state = _State(httpd.server_address[1])
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield httpd.state
    finally:
        httpd.shutdown()
        httpd.server_close()


def make_zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name), data)
    return buf.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
