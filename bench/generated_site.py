"""The sites the benchmark scripts in bench/ capture, on 127.0.0.1 only.

- `shared_site`: ../shared/bench/site.py (pages, PDFs and their requisites), on a free port;
- `GeneratedSite` and `Corpus`: a threaded HTTP/1.1 server serving deterministic generated
  bodies (text pages, random "images", large files), streamed, never held whole.

Nothing here ever contacts anything but 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import http.server
import random
import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from measurement import REPO_DIR

LOOPBACK = "127.0.0.1"


def default_shared_dir() -> Path:
    """The shared/ folder beside the repository (the repository's parent holds it)."""
    return REPO_DIR.parent / "shared"


def site_script(shared: Path | None) -> Path:
    path = (shared or default_shared_dir()) / "bench" / "site.py"
    if not path.is_file():
        raise SystemExit(f"bench: no site.py at {path} (use --shared DIR)")
    return path

# -- serving on loopback --------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"bench: the server exited early (code {proc.returncode})")
        with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), timeout=1):
            return
        time.sleep(0.1)
    raise SystemExit(f"bench: nothing listening on {LOOPBACK}:{port} after {timeout:.0f} s")


@contextlib.contextmanager
def shared_site(shared: Path | None, workdir: Path, *, pages: int, pdfs: int,
                latency_ms: float) -> Iterator[tuple[int, Path]]:
    """Run ../shared/bench/site.py on a free loopback port; yield (port, urls.txt)."""
    port = free_port()
    urls = workdir / "urls.txt"
    log = (workdir / "site.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, str(site_script(shared)), "--port", str(port), "--pages", str(pages),
         "--pdfs", str(pdfs), "--latency-ms", str(latency_ms), "--urls-out", str(urls)],
        stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    try:
        wait_for_port(port, 120, proc)
        yield port, urls
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


Body = Callable[[], Iterator[bytes]]


@dataclass
class Resource:
    content_type: str
    length: int
    body: Body
    """Yields the body in chunks; called once per request, so nothing is held in memory."""


@dataclass
class GeneratedSite:
    """A threaded HTTP/1.1 server on 127.0.0.1 serving generated bodies with Content-Length."""

    resources: dict[str, Resource] = field(default_factory=dict)
    port: int = 0

    @contextlib.contextmanager
    def running(self) -> Iterator[str]:
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                found = site.resources.get(self.path.split("?", 1)[0])
                if found is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", found.content_type)
                self.send_header("Content-Length", str(found.length))
                self.end_headers()
                sent = 0
                for chunk in found.body():
                    self.wfile.write(chunk)
                    sent += len(chunk)
                assert sent == found.length, (self.path, sent, found.length)

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
            allow_reuse_address = True
            request_queue_size = 256

        server = Server((LOOPBACK, self.port), Handler)
        self.port = int(server.server_address[1])
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://{LOOPBACK}:{self.port}"
        finally:
            server.shutdown()
            server.server_close()


# -- generated content -------------------------------------------------------------------------

MIB = 1024 * 1024


class Corpus:
    """Deterministic generated content: every body is a function of its path and the seed."""

    def __init__(self, seed: int = 7) -> None:
        rnd = random.Random(seed)
        self.random_pool = rnd.randbytes(8 * MIB)
        syllables = ["ka", "ri", "to", "ne", "sa", "mu", "lo", "pe", "di", "fa", "go", "hu",
                     "ji", "be", "ze", "qu", "vi", "wo", "xa", "yu", "ch", "st", "tr", "an",
                     "er", "in", "on", "el"]
        vocab = ["".join(rnd.choice(syllables) for _ in range(rnd.randint(1, 4)))
                 for _ in range(3000)]
        weights = [1 / (i + 1) for i in range(len(vocab))]  # Zipf-like, as in prose
        words = rnd.choices(vocab, weights, k=700_000)
        sentences = (" ".join(words[i:i + 15]).capitalize() for i in range(0, len(words), 15))
        self.text_pool = ("<p>" + ".</p>\n<p>".join(sentences) + ".</p>\n").encode()

    @staticmethod
    def _slices(pool: bytes, start: int, length: int) -> Iterator[bytes]:
        start %= len(pool)
        while length > 0:
            chunk = pool[start:start + min(length, MIB)]
            yield chunk
            length -= len(chunk)
            start = (start + len(chunk)) % len(pool)

    def random_body(self, index: int, length: int) -> Resource:
        start = index * 7919 * 64
        return Resource("image/jpeg", length,
                        lambda: self._slices(self.random_pool, start, length))

    def html_body(self, index: int, length: int) -> Resource:
        head = (f'<!doctype html><html><head><meta charset="utf-8"><title>Page {index}</title>'
                f'</head><body><article><h1>Page {index}</h1>\n').encode()
        tail = b"</article></body></html>\n"
        middle = length - len(head) - len(tail)
        start = index * 104729

        def body() -> Iterator[bytes]:
            yield head
            yield from self._slices(self.text_pool, start, middle)
            yield tail

        return Resource("text/html; charset=utf-8", length, body)

    def site(self, scale: float) -> GeneratedSite:
        rnd = random.Random(11)
        site = GeneratedSite()
        for i in range(int(4000 * scale)):
            site.resources[f"/page/{i}.html"] = self.html_body(i, rnd.randint(20_000, 120_000))
            site.resources[f"/img/{i}.jpg"] = self.random_body(i, rnd.randint(10_000, 150_000))
        for i in range(int(8 * scale)):
            site.resources[f"/media/{i}.bin"] = self.random_body(100_000 + i, 16 * MIB)
        for i in range(int(4 * scale)):
            site.resources[f"/text/{i}.html"] = self.html_body(200_000 + i, 32 * MIB)
        return site
