"""Pages that misbehave in a browser, on purpose: a real threaded HTTP/1.1 server on 127.0.0.1
for tests/test_browser_hostile.py.

    with HostilePages() as pages:
        pages.url("/crash.html")        # http://127.0.0.1:PORT/crash.html
        pages.other_host("/away.html")  # the same server under another name (localhost)
        pages.hits("/away.html")        # requests for that path so far

Routes (every page says what it is in its <h1>):

    /quiet.html        a well-behaved page ("A quiet page."): the job goes on to it
    /crash.html        allocates memory without end: its renderer dies when it reaches the
                       heap archiver allows a page
    /popups.html       opens 1,000 windows by script (window.open in a loop), then more
                       every 50 ms
    /dialogs.html      alert() in a loop without end, then confirm() on a timer, and an
                       onbeforeunload that asks the user to stay
    /download          a file the server sends as a download (Content-Disposition: attachment)
    /download-page.html   a page that starts a download by script once loaded
    /leaves.html       navigates by itself to /away.html once loaded (location.href)
    /refresh.html      a meta refresh to /away.html on another host name (localhost)
    /pushstate.html    history.pushState 100,000 times, then on a timer without end
    /spin.html         a script that never returns, once loaded (while (true) {})
    /away.html         where the pages that leave go: it must never be captured as theirs
    /media.html        a <video> of /media.webm, which is served in ranges: a request with
                       a Range header gets 206 and at most RANGE_PIECE bytes
    /media.webm        the video (fixtures/site/static/media/meter-dial.webm)
    /worker.html       a page whose dedicated worker fetch()es /worker-data.json and posts
                       its text back to the page, which writes it into the page
    /worker.js, /worker-data.json
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from archiver.sample_site import send_body

MEDIA = Path(__file__).resolve().parent.parent / "fixtures" / "site" / "static" / "media" \
    / "meter-dial.webm"
RANGE_PIECE = 4096
"""The most bytes one ranged answer of /media.webm holds: the player asks several times."""
DOWNLOAD_BODY = b"serial,reading\n" + b"".join(b"V-%04d,%d\n" % (n, n * 7) for n in range(500))
WORKER_TEXT = "Readings came from the worker's own request."


def _page(title: str, body: str = "", head: str = "") -> bytes:
    return (f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}"
            f"</title>{head}</head><body><h1>{title}</h1>{body}</body></html>\n").encode()


PAGES: dict[str, tuple[str, str, str]] = {
    "/quiet.html": ("A quiet page.", "<p>Nothing happens here.</p>", ""),
    "/crash.html": ("A page that eats memory.", """<p>Allocating.</p><script>
        const hoard = [];
        setTimeout(() => { for (;;) hoard.push(new Array(1 << 20).fill(hoard.length)); }, 0);
        </script>""", ""),
    "/popups.html": ("A page that opens windows.", """<p>Opening a thousand windows.</p>
        <script>
        for (let i = 0; i < 1000; i++) window.open('/away.html?popup=' + i, '_blank');
        setInterval(() => window.open('/away.html?later', '_blank'), 50);
        </script>""", ""),
    "/dialogs.html": ("A page of endless dialogs.", """<p>Dialogs without end.</p><script>
        window.onbeforeunload = (event) => { event.preventDefault(); return 'Stay'; };
        setTimeout(() => { for (;;) alert('again'); }, 0);
        setInterval(() => confirm('Really?'), 10);
        </script>""", ""),
    "/download-page.html": ("A page that starts a download.", """<p>Downloading.</p><script>
        window.addEventListener('load', () => {
          const link = document.createElement('a');
          link.href = '/download'; link.download = 'readings.csv';
          document.body.appendChild(link); link.click();
          setTimeout(() => { location.href = '/download'; }, 50);
        });</script>""", ""),
    "/leaves.html": ("A page that leaves.", """<p>Leaving soon.</p><script>
        window.addEventListener('load', () => setTimeout(() => {
          location.href = '/away.html?by=script'; }, 100));
        </script>""", ""),
    "/pushstate.html": ("A page that rewrites its address.", """<p>Pushing.</p><script>
        let n = 0;
        for (; n < 100000; n++) history.pushState({n}, '', '?state=' + n);
        setInterval(() => history.pushState({n: ++n}, '', '?state=' + n), 1);
        </script>""", ""),
    "/spin.html": ("A page that spins.", """<p>Spinning.</p><script>
        window.addEventListener('load', () => setTimeout(() => { for (;;) {} }, 200));
        </script>""", ""),
    "/away.html": ("Somewhere else.", "<p>Not the page that was asked for.</p>", ""),
    "/media.html": ("A page with a video.",
                    '<video src="/media.webm" preload="auto" muted></video>', ""),
    "/worker.html": ("A page whose worker fetches.", """<p id="out">Waiting.</p><script>
        const worker = new Worker('/worker.js');
        worker.onmessage = (event) => { document.getElementById('out').textContent = event.data; };
        </script>""", ""),
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 15
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        with self.server.lock:
            self.server.hits[path] += 1
            self.server.ranges.append((path, self.headers.get("Range")))
        try:
            self._route(path)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _route(self, path: str) -> None:
        if path in PAGES:
            title, body, head = PAGES[path]
            self._send(200, _page(title, body, head), "text/html; charset=utf-8")
        elif path == "/refresh.html":
            away = self.server.other_host("/away.html?by=refresh")
            self._send(200, _page("A page that refreshes elsewhere.", "<p>Refreshing.</p>",
                                  f'<meta http-equiv="refresh" content="0;url={away}">'),
                       "text/html; charset=utf-8")
        elif path == "/download":
            self._send(200, DOWNLOAD_BODY, "text/csv",
                       [("Content-Disposition", 'attachment; filename="readings.csv"')])
        elif path == "/media.webm":
            self._media()
        elif path == "/worker.js":
            self._send(200, b"fetch('/worker-data.json').then(r => r.json())"
                            b".then(d => postMessage(d.text));\n", "text/javascript")
        elif path == "/worker-data.json":
            self._send(200, json.dumps({"text": WORKER_TEXT}).encode(), "application/json")
        else:
            self._send(404, _page("Not here."), "text/html; charset=utf-8")

    def _media(self) -> None:
        data = MEDIA.read_bytes()
        asked = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range") or "")
        if asked is None:
            self._send(200, data, "video/webm", [("Accept-Ranges", "bytes")])
            return
        start = int(asked.group(1))
        if start >= len(data):
            self._send(416, b"", "video/webm", [("Content-Range", f"bytes */{len(data)}")])
            return
        end = min(int(asked.group(2) or len(data) - 1), len(data) - 1, start + RANGE_PIECE - 1)
        self._send(206, data[start:end + 1], "video/webm", [
            ("Accept-Ranges", "bytes"), ("Content-Range", f"bytes {start}-{end}/{len(data)}")])

    def _send(self, status: int, body: bytes, content_type: str,
              extra: list[tuple[str, str]] | None = None) -> None:
        send_body(self, status, body, content_type, extra)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.hits: Counter[str] = Counter()
        self.ranges: list[tuple[str, str | None]] = []

    def other_host(self, path: str) -> str:
        return f"http://localhost:{self.server_address[1]}{path}"


class HostilePages:
    """The server, running on a thread of its own while the `with` block runs."""

    def __init__(self) -> None:
        self._server = _Server()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> HostilePages:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def other_host(self, path: str) -> str:
        return self._server.other_host(path)

    def hits(self, path: str) -> int:
        with self._server.lock:
            return self._server.hits[path]

    def ranges(self, path: str) -> list[str | None]:
        """The Range header of each request for `path` (None: asked whole)."""
        with self._server.lock:
            return [asked for seen, asked in self._server.ranges if seen == path]
