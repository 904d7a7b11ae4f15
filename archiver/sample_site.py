"""A static web server for the bundled sample story, on 127.0.0.1 only.

`archiver demo` serves the sample with it, and the tests build their misbehaving server on
it. Beside the files, a `_redirects` file in the served folder maps paths to redirects, one
`/from /to STATUS` a line, so the sample can show a source that moved.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import unquote, urlsplit

REDIRECTS_FILE = "_redirects"
NOT_FOUND_PAGE = "/errors/404.html"

# A fixed table, not `mimetypes`: that reads /etc/mime.types, so types would vary by machine.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png",
    ".jpg": "image/jpeg", ".pdf": "application/pdf", ".ttf": "font/ttf",
    ".webm": "video/webm", ".mp4": "video/mp4", ".wav": "audio/wav",
    ".vtt": "text/vtt; charset=utf-8", ".txt": "text/plain; charset=utf-8",
}


def content_type_for(file: Path) -> str:
    return CONTENT_TYPES.get(file.suffix.lower(), "application/octet-stream")


def resolve_file(root: Path, url_path: str) -> Path | None:
    """The file under `root` a URL path names (a folder's index.html); None for anything
    missing, outside `root`, or private to the server (names starting with `_`)."""
    candidate = (root / unquote(url_path).lstrip("/")).resolve()
    if candidate.is_dir():
        candidate = candidate / "index.html"
    if not candidate.is_relative_to(root.resolve()) or not candidate.is_file():
        return None
    return None if candidate.name.startswith("_") else candidate


def read_redirects(root: Path) -> dict[str, tuple[str, int]]:
    table: dict[str, tuple[str, int]] = {}
    path = root / REDIRECTS_FILE
    if path.is_file():
        for line in path.read_text("utf-8").splitlines():
            parts = line.split("#", 1)[0].split()
            if len(parts) >= 2:
                table[parts[0]] = (parts[1], int(parts[2]) if len(parts) > 2 else 302)
    return table


class StaticHandler(BaseHTTPRequestHandler):
    """Serves files under `server.root`; never anything outside it."""

    protocol_version = "HTTP/1.1"
    server: SampleServer

    def log_message(self, format: str, *args: object) -> None:  # quiet: tests and demo
        pass

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        redirect = self.server.redirects.get(unquote(path))
        if redirect:
            self.send_body(redirect[1], b"", "text/plain", [("Location", redirect[0])])
            return
        file = resolve_file(self.server.root, path)
        if file is None:
            self.send_not_found()
            return
        self.send_body(200, file.read_bytes(), content_type_for(file))

    def send_not_found(self) -> None:
        page = resolve_file(self.server.root, NOT_FOUND_PAGE)
        body = page.read_bytes() if page else b"not found"
        self.send_body(404, body, "text/html; charset=utf-8")

    def send_body(self, status: int, body: bytes, content_type: str,
                  extra: list[tuple[str, str]] | None = None) -> None:
        send_body(self, status, body, content_type, extra)


def send_body(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str,
              extra: list[tuple[str, str]] | None = None) -> None:
    """Answer with `body` whole: status, Content-Type, Content-Length, `extra` headers."""
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in extra or []:
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


class SampleServer(ThreadingHTTPServer):
    """Serve `root` on 127.0.0.1 (port 0: any free port) in a background thread."""

    daemon_threads = True

    def __init__(self, root: Path, port: int = 0,
                 handler: type[StaticHandler] = StaticHandler) -> None:
        super().__init__(("127.0.0.1", port), handler)
        self.root = root.resolve()
        self.redirects = read_redirects(self.root)
        self._thread: threading.Thread | None = None

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/{path.lstrip('/')}"

    def handle_error(self, request: object, client_address: object) -> None:
        """Stay quiet: the only client is archiver itself, and when it goes away mid-reply
        (Ctrl-C during `archiver demo`) that is no news for the user's terminal. The
        socketserver default prints a traceback for each such request."""

    def __enter__(self) -> SampleServer:
        self._thread = threading.Thread(target=self.serve_forever, name="sample-server",
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.shutdown()
        self.server_close()
