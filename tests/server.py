"""The test site: one real threaded HTTP/1.1 server on 127.0.0.1, and its HTTPS twin.

It serves fixtures/site/ and a set of routes that misbehave on purpose, the faults a capture
must record as evidence: redirect chains and loops, error pages, chunked and gzip bodies, resets,
stalls, oversize bodies, a cookie-guarded page, non-ASCII paths. It counts every request by its
target, exactly as received, so a test can assert that each URL was fetched once; and it keeps
the exact bytes of each response it sent, so a test can compare a WARC record with the wire.

    with SiteServer() as site:
        site.url("/story/water-meters.html")   # http://127.0.0.1:PORT/story/water-meters.html
        site.hits("/story/water-meters.html")  # requests for that target so far

Routes besides the files (a target that is neither a route nor a file gets the 404 page):

    /redirect/chain        301 -> /redirect/chain/2, 302 -> 3 (relative), 307 -> an absolute
                           URL, 308 -> /sources/smartflow-press-release.html
    /press/2019/smartflow-rollout   301 -> /sources/smartflow-press-release.html (a moved page)
    /redirect/loop/a, /b   302 to each other;  /redirect/self  302 to itself
    /redirect/many/N       302 -> /redirect/many/N-1 ... /redirect/many/0 is a 200 page
    /redirect/utf8         302 with a Location of raw UTF-8 bytes (/intl/straße/über uns), as
                           many servers send it; browsers read it as UTF-8
    /redirect/to?url=U     302 -> U, wherever it is (a cited site sending its visitors to a
                           private address)
    /embeds?src=U&src=V    a page whose images are at U, V... (requisites anywhere)
    /status/CODE           that status with a small HTML page (500, 503, 410...)
    /encoding/chunked      an HTML page in several chunks (Transfer-Encoding: chunked)
    /encoding/gzip         an HTML page with Content-Encoding: gzip
    /encoding/gzip-chunked both at once
    /encoding/until-close  a body framed by closing the connection (no length, no chunks)
    /fault/reset           Content-Length, part of the body, then a TCP reset (SO_LINGER 0)
    /fault/reset-before-reply   a TCP reset instead of any response
    /fault/flaky?fail=N    a reset for the first N requests of that target, then a 200
    /fault/early-close     Content-Length, part of the body, then a clean close (FIN)
    /fault/close-quietly   a whole 200 response, then a close it did not announce (as servers
                           do to idle keep-alive connections): the client's next request on
                           that connection finds it closed
    /fault/garbage         bytes that are not HTTP
    /fault/slow?seconds=S  waits S seconds (default 3) before replying
    /fault/drip            a 1 MB body sent 256 bytes every 50 ms
    /fault/stall           Content-Length, part of the body, then nothing for 3 seconds
    /fault/big             a 1 MiB body (`big_body()`)
    /cookie/login          sets a cookie and redirects to /cookie/members.html, which (like
                           /cookie/badge.svg) answers 403 without that cookie
    /intl/...              any path: 200, echoing the decoded path (non-ASCII URLs)
    /delay/NAME?ms=M       a small page after M ms (default 150): for concurrency
    /hostile/glued         a small page, and glued behind it in the same write a second
                           response nobody asked for (GLUED_RESPONSE)
    /hostile/overlong      a page whose Content-Length is shorter than the body it sends
    /hostile/late          a small page, then after a pause the glued response, unasked;
                           with ?tag=T, once sent, it lets /hostile/after-late?tag=T answer
    /hostile/after-late?tag=T   a small page, once /hostile/late?tag=T (on any test server)
                           has sent its late bytes: a job's last exchange ends after them
    /hostile/header-lines?count=N   a page with N extra header lines (default 40,000)
    /hostile/cookie-flood?count=N&size=S   a page setting N cookies (default 5,000) of S
                           bytes each (default 20)
    /hostile/bad-chunk     a chunked page whose second chunk size is not a number
    /hostile/nested-css?depth=N   a stylesheet of blocks nested N deep (default 20,000)
    /hostile/charset?label=L   a page declaring charset L (in its header and meta tag): L
                           may be a Python codec that is no character set (hex, base64, idna)
    /cookie/utf8           a page setting a cookie whose value is raw UTF-8 (UTF8_COOKIE)
    /gate/consent          a consent gate: without its cookie, a 302 to itself that sets it;
                           with it, the page (GATE_TITLE)
    /gate/stubborn         always sets the same cookie and redirects to itself: a true loop
    /gate/counter          sets a cookie one higher on each visit and redirects to itself:
                           never the same cookies twice, never an end
    /hostile/blank-header-line   a header line of white space only inside the header block:
                           h11 reads it as a folded header, WARC readers as the block's end
    /hostile/blank-line-redirect   a 302 whose Location comes after such a line: h11 reads
                           a redirect to HIDDEN_REDIRECT_TARGET, WARC readers a 302 without one
    /leak/NAME             a page of fixtures/replay that tries to reach this site again from
                           a replay (127.0.0.1:PORT in it becomes this server's address)
    /leak/beacon           what those pages try to reach: 204
    /leak/header/KIND      a page whose headers lead back here: a Refresh header (refresh),
                           a redirect to an absolute URL (redirect), Link preconnect and
                           preload (link)
"""

from __future__ import annotations

import gzip
import socket
import ssl
import struct
import tempfile
import threading
import traceback
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import formatdate
from functools import cache
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import brotli

from archiver.sample_site import CONTENT_TYPES, NOT_FOUND_PAGE, content_type_for, resolve_file

SITE_ROOT = Path(__file__).resolve().parent.parent / "fixtures" / "site"
DOCUMENTS_ROOT = SITE_ROOT.parent / "documents"
STORIES_ROOT = SITE_ROOT.parent / "stories"
REPLAY_ROOT = SITE_ROOT.parent / "replay"
BOMB_BYTES = 48 * 1024 * 1024
"""What /encoding/bomb inflates to (from about 47 KB on the wire)."""
HOSTILE_TITLE = "Evil \x1b[2J\x07\r\u202eeulav \u009b31m \x1b]0;pwned\x07 title"
"""The title of /hostile/title: it would clear the screen, ring the bell, rewrite the line,
turn the text around, colour it and set the window title, if printed raw."""
BR_BOMB_BYTES = 4 << 30
"""What /encoding/br-bomb inflates to (from under 1 MB of brotli on the wire)."""
HOST = "127.0.0.1"
SERVER_NAME = "archiver-test-site/1"

STORY_PATH = "/story/water-meters.html"
REPORT_PATH = "/reports/harrow-point-meter-audit-2024.pdf"
DEAD_LINK_PATH = "/sources/utility-rate-notice-2018.html"
MOVED_PAGE_PATH = "/press/2019/smartflow-rollout"
MOVED_PAGE_TARGET = "/sources/smartflow-press-release.html"
BASE_HREF_PAGE_PATH = "/sources/council-minutes-2019.html"
SAMPLE_PATHS = (STORY_PATH, REPORT_PATH, DEAD_LINK_PATH, MOVED_PAGE_PATH)
"""What `sample_package` captures: the story and requisites, the report, a 404, a redirect."""

BIG_BODY_BYTES = 1024 * 1024
DRIP_BODY_BYTES = 1_000_000
DRIP_PIECE, DRIP_PAUSE = 256, 0.05
RESET_DECLARED_BYTES, RESET_SENT_BYTES = 40_000, 8_000
EARLY_CLOSE_DECLARED_BYTES, EARLY_CLOSE_SENT_BYTES = 10_000, 1_000
STALL_SENT_BYTES = 3_000
COOKIE_NAME, COOKIE_VALUE = "ledger_reader", "granted"
GLUED_STATUS, GLUED_TYPE = 418, "application/x-glued"
GLUED_RESPONSE = (f"HTTP/1.1 {GLUED_STATUS} I'm a teapot\r\nContent-Type: {GLUED_TYPE}\r\n"
                  "Content-Length: 13\r\n\r\nnot your page").encode("ascii")
"""A whole response a hostile server sends behind the one asked for, hoping the client reads
it as its answer to the next request on the connection."""
OVERLONG_DECLARED, OVERLONG_BODY = 5, b"hello, and bytes past the declared length"
LATE_PAUSE = 0.3
LATE_WAIT = 30.0
"""How long /hostile/after-late waits for the late bytes it follows (a hang fails, not blocks)."""
HIDDEN_REDIRECT_TARGET = "/sources/hidden-redirect-target.html"
BAD_CHUNK_GOOD_PART = b"5\r\nhello\r\n"
UTF8_COOKIE = "café=crème brûlée"
GATE_COOKIE, GATE_TITLE = "consent", "Behind the consent gate"

HTML = CONTENT_TYPES[".html"]

# Pages the encoding routes serve: each loads an image, so a test can see requisites found
# through chunks and through gzip.
ENCODED_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1>
<p>{filler}</p>
<img src="/static/images/favicon.png" alt="">
</body></html>
"""


def wire_target(path: str) -> str:
    """`path` as a browser puts it on the request line: non-ASCII and spaces percent-encoded.

    >>> wire_target("/intl/straße/über uns?q=café")
    '/intl/stra%C3%9Fe/%C3%BCber%20uns?q=caf%C3%A9'
    """
    return quote(path, safe="/?&=%:@!$'()*+,;~-._#[]")


def big_body() -> bytes:
    """The body of /fault/big: a counting pattern, so any cut shows where it was made."""
    line = b"".join(b"%07d\n" % n for n in range(BIG_BODY_BYTES // 8 + 1))
    return line[:BIG_BODY_BYTES]


@cache
def bomb_body() -> bytes:
    head = b"<!doctype html><html><head><title>Bomb</title></head><body><p>"
    return gzip.compress(head + b" " * (BOMB_BYTES - len(head)), compresslevel=9, mtime=0)


@cache
def br_bomb_body() -> bytes:
    """BR_BOMB_BYTES of zeros as brotli (quality 1: made in about a second)."""
    compressor = brotli.Compressor(quality=1, lgwin=24)
    zeros = bytes(64 << 20)
    parts = [compressor.process(zeros) for _ in range(BR_BOMB_BYTES // len(zeros))]
    return b"".join([*parts, compressor.finish()])


def encoded_page(title: str) -> bytes:
    # Long enough to cross several reads, and to compress well.
    filler = " ".join(["The meter keeps turning with the valve shut."] * 120)
    return ENCODED_PAGE.format(title=title, filler=filler).encode("utf-8")


@dataclass(frozen=True)
class SeenRequest:
    target: str
    headers: dict[str, str]
    """Header names lower-cased."""
    connection: int


class SiteLog:
    """What the server saw and sent, shared by its handler threads under one lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.hits: Counter[str] = Counter()
        self.requests: list[SeenRequest] = []
        self.sent: dict[str, bytearray] = {}
        self.open_connections = 0
        self.max_connections = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.delayed = 0
        self.max_delayed = 0
        """/delay/ pages being answered at once, and the most at once (pages only, where
        in_flight counts every request: a browser's subresources too)."""
        self._serial = 0

    def reset(self) -> None:
        with self.lock:
            self.hits.clear()
            self.requests.clear()
            self.sent.clear()
            self.max_connections = self.open_connections
            self.max_in_flight = self.in_flight
            self.max_delayed = self.delayed

    def connection_opened(self) -> int:
        with self.lock:
            self._serial += 1
            self.open_connections += 1
            self.max_connections = max(self.max_connections, self.open_connections)
            return self._serial

    def connection_closed(self) -> None:
        with self.lock:
            self.open_connections -= 1

    def request_started(self, request: SeenRequest) -> int:
        """Count the request; return how many times its target was asked for, this one too."""
        with self.lock:
            self.hits[request.target] += 1
            self.requests.append(request)
            self.sent[request.target] = bytearray()
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            return self.hits[request.target]

    def request_finished(self) -> None:
        with self.lock:
            self.in_flight -= 1

    def delay_started(self) -> None:
        with self.lock:
            self.delayed += 1
            self.max_delayed = max(self.max_delayed, self.delayed)

    def delay_finished(self) -> None:
        with self.lock:
            self.delayed -= 1

    def record_sent(self, target: str, data: bytes) -> None:
        with self.lock:
            self.sent.setdefault(target, bytearray()).extend(data)


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, root: Path, tls: ssl.SSLContext | None) -> None:
        super().__init__((HOST, 0), SiteHandler)
        self.root = root
        self.tls = tls
        self.log = SiteLog()
        self.stopping = threading.Event()
        self.errors: list[str] = []
        port = self.server_address[1]
        self.base_url = f"{'https' if tls else 'http'}://{HOST}:{port}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gives up (a timeout, a failed TLS handshake) is part of the tests;
        # keep the note for debugging instead of printing tracebacks.
        self.errors.append(traceback.format_exc(limit=2))


Route = Callable[["SiteHandler"], None]


class SiteHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = SERVER_NAME
    timeout = 15  # a keep-alive connection a client forgot ends by itself
    server: _HttpServer

    # -- connection bookkeeping ------------------------------------------------------------------

    def setup(self) -> None:
        if self.server.tls is not None:
            self.request = self.server.tls.wrap_socket(self.request, server_side=True)
        super().setup()
        self.connection_id = self.server.log.connection_opened()

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.log.connection_closed()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the log is SiteLog

    # -- dispatch ------------------------------------------------------------------------------

    def do_GET(self) -> None:
        headers = {name.lower(): value for name, value in self.headers.items()}
        seen = SeenRequest(self.path, headers, self.connection_id)
        self.nth = self.server.log.request_started(seen)
        try:
            route, self.rest = _route_for(urlsplit(self.path).path)
            route(self)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True  # the client went away: a test made it do so
        finally:
            self.server.log.request_finished()

    @property
    def query(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}

    def cookie(self, name: str) -> str | None:
        for part in (self.headers.get("Cookie") or "").split(";"):
            key, _, value = part.strip().partition("=")
            if key == name:
                return value
        return None

    # -- writing, every byte kept ----------------------------------------------------------------

    def send(self, data: bytes) -> None:
        self.server.log.record_sent(self.path, data)
        self.wfile.write(data)

    def head(self, status: int, headers: list[tuple[str, str]]) -> bytes:
        reason = self.responses.get(status, ("Unknown",))[0]
        lines = [f"HTTP/1.1 {status} {reason}", f"Date: {formatdate(usegmt=True)}",
                 f"Server: {SERVER_NAME}", *(f"{name}: {value}" for name, value in headers)]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def respond(self, status: int, body: bytes, content_type: str = HTML,
                extra: list[tuple[str, str]] | None = None) -> None:
        headers = [("Content-Type", content_type), ("Content-Length", str(len(body))),
                   *(extra or [])]
        self.send(self.head(status, headers) + body)

    def page(self, status: int, title: str, extra: list[tuple[str, str]] | None = None) -> None:
        body = (f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                f"<title>{title}</title></head><body><h1>{title}</h1></body></html>\n")
        self.respond(status, body.encode("utf-8"), HTML, extra)

    def redirect(self, status: int, location: str) -> None:
        body = f'<!doctype html>\n<p>Moved to <a href="{location}">{location}</a></p>\n'
        self.respond(status, body.encode("utf-8"), HTML, [("Location", location)])

    def reset(self) -> None:
        """Abort the connection with a TCP RST (not a FIN), as a crashed server or proxy does."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()  # the descriptor goes (and the RST with it) when finish() runs

    def pause(self, seconds: float) -> bool:
        """Sleep unless the server is stopping; say whether to go on."""
        return not self.server.stopping.wait(seconds)

    # -- the routes ---------------------------------------------------------------------------

    def serve_file(self) -> None:
        path = resolve_file(self.server.root, urlsplit(self.path).path)
        if path is None:
            self.not_found()
            return
        self.respond(200, path.read_bytes(), content_type_for(path))

    def not_found(self) -> None:
        self.respond(404, (self.server.root / NOT_FOUND_PAGE.lstrip("/")).read_bytes())

    def redirect_chain(self) -> None:
        hops = {"": (301, "/redirect/chain/2"), "/2": (302, "3"),
                "/3": (307, f"{self.server.base_url}/redirect/chain/4"),
                "/4": (308, MOVED_PAGE_TARGET)}
        if self.rest not in hops:
            self.not_found()
            return
        self.redirect(*hops[self.rest])

    def moved_press_release(self) -> None:
        self.redirect(301, MOVED_PAGE_TARGET)

    def redirect_loop(self) -> None:
        other = {"/a": "/redirect/loop/b", "/b": "/redirect/loop/a"}
        self.redirect(302, other.get(self.rest, "/redirect/loop/a"))

    def redirect_self(self) -> None:
        self.redirect(302, "/redirect/self")

    def redirect_many(self) -> None:
        left = int(self.rest.strip("/") or 0)
        if left > 0:
            self.redirect(302, f"/redirect/many/{left - 1}")
        else:
            self.page(200, "The end of the redirects")

    def redirect_utf8(self) -> None:
        raw_utf8 = "/intl/straße/über uns".encode().decode("latin-1")  # written as latin-1
        self.respond(302, b"", HTML, [("Location", raw_utf8)])

    def redirect_to(self) -> None:
        self.redirect(302, self.query["url"])

    def embeds(self) -> None:
        sources = parse_qs(urlsplit(self.path).query).get("src", [])
        images = "".join(f'<img src="{escape(src)}" alt="">' for src in sources)
        body = f"<!doctype html>\n<title>Embeds</title><h1>Embeds</h1>{images}\n"
        self.respond(200, body.encode("utf-8"))

    def status(self) -> None:
        code = int(self.rest.strip("/"))
        self.page(code, f"{code} {self.responses.get(code, ('Status',))[0]}")

    def chunked(self, body: bytes, headers: list[tuple[str, str]]) -> None:
        self.send(self.head(200, [("Content-Type", HTML), ("Transfer-Encoding", "chunked"),
                                  *headers]))
        pieces = [body[:7], body[7:150], body[150:]]
        for piece in filter(None, pieces):  # an empty chunk would end the body
            self.send(b"%x\r\n" % len(piece) + piece + b"\r\n")
            self.pause(0.01)  # each chunk its own segment: the client reads across them
        self.send(b"0\r\n\r\n")

    def encoding_chunked(self) -> None:
        self.chunked(encoded_page("Chunked"), [])

    def encoding_gzip(self) -> None:
        body = gzip.compress(encoded_page("Gzip"), mtime=0)
        self.respond(200, body, HTML, [("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")])

    def encoding_gzip_chunked(self) -> None:
        self.chunked(gzip.compress(encoded_page("Gzip and chunked"), mtime=0),
                     [("Content-Encoding", "gzip")])

    def encoding_deflate(self) -> None:
        body = zlib.compress(encoded_page("Deflate"))
        self.respond(200, body, HTML, [("Content-Encoding", "deflate")])

    def encoding_raw_deflate(self) -> None:
        packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        body = packer.compress(encoded_page("Raw deflate")) + packer.flush()
        self.respond(200, body, HTML, [("Content-Encoding", "deflate")])

    def encoding_br(self) -> None:
        body = brotli.compress(encoded_page("Brotli"))
        self.respond(200, body, HTML, [("Content-Encoding", "br")])

    def hostile_title(self) -> None:
        title = HOSTILE_TITLE.replace("&", "&amp;").replace("<", "&lt;")
        self.respond(200, f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}"
                     f"</title></head><body><p>{title}</p></body></html>\n".encode(), HTML)

    def encoding_br_bomb(self) -> None:
        # A type that says nothing, so readers sniff (and may decode) the body to learn it.
        self.respond(200, br_bomb_body(), "application/octet-stream",
                     [("Content-Encoding", "br")])

    def encoding_bomb(self) -> None:
        """A page of a few KB on the wire that inflates to BOMB_BYTES."""
        self.respond(200, bomb_body(), HTML, [("Content-Encoding", "gzip")])

    def encoding_document(self) -> None:
        """A file of fixtures/documents (?file=folder/name) served as ?type= says."""
        query = self.query
        path = resolve_file(DOCUMENTS_ROOT, "/" + query.get("file", ""))
        if path is None:
            self.not_found()
            return
        self.respond(200, path.read_bytes(), query.get("type", "application/octet-stream"))

    def story_page(self) -> None:
        """A story of fixtures/stories; `127.0.0.1:PORT` in it becomes this server's address."""
        path = resolve_file(STORIES_ROOT, self.rest)
        if path is None:
            self.not_found()
            return
        body = path.read_bytes().replace(b"127.0.0.1:PORT", self.server.base_url.split("//")[1]
                                         .encode())
        self.respond(200, body, content_type_for(path))

    def leak_page(self) -> None:
        """A hostile page of fixtures/replay, or a response whose headers lead back here."""
        here = self.server.base_url
        if self.rest == "/beacon":
            self.respond(204, b"")
        elif self.rest.startswith("/header/"):
            beacon = f"{here}/leak/beacon?page=header&via={self.rest[8:]}"
            headers = {"/header/refresh": [("Refresh", f"0;url={beacon}")],
                       "/header/redirect": [("Location", beacon)],
                       "/header/link": [("Link", f"<{beacon}>; rel=preload; as=script"),
                                        ("Link", f"<{here}>; rel=preconnect")]}
            status = 302 if self.rest == "/header/redirect" else 200
            self.respond(status, b"<!doctype html><title>Headers</title><p>Headers</p>\n", HTML,
                         headers.get(self.rest, []))
        else:
            path = resolve_file(REPLAY_ROOT, self.rest)
            if path is None:
                self.not_found()
                return
            body = path.read_bytes().replace(b"127.0.0.1:PORT", here.split("//")[1].encode())
            self.respond(200, body, content_type_for(path))

    def encoding_until_close(self) -> None:
        self.send(self.head(200, [("Content-Type", HTML), ("Connection", "close")]))
        self.send(encoded_page("Until close"))
        self.close_connection = True

    def fault_reset(self) -> None:
        self.send(self.head(200, [("Content-Type", "application/octet-stream"),
                                  ("Content-Length", str(RESET_DECLARED_BYTES))]))
        self.send(big_body()[:RESET_SENT_BYTES])
        self.pause(0.2)  # let the client read what was sent before the reset destroys it
        self.reset()

    def fault_reset_before_reply(self) -> None:
        self.reset()

    def fault_flaky(self) -> None:
        if self.nth <= int(self.query.get("fail", "1")):
            self.reset()
        else:
            self.page(200, "Third time lucky")

    def fault_early_close(self) -> None:
        self.send(self.head(200, [("Content-Type", "application/octet-stream"),
                                  ("Content-Length", str(EARLY_CLOSE_DECLARED_BYTES)),
                                  ("Connection", "close")]))
        self.send(big_body()[:EARLY_CLOSE_SENT_BYTES])
        self.close_connection = True

    def fault_close_quietly(self) -> None:
        self.page(200, "Closing without saying so")
        self.close_connection = True

    def fault_garbage(self) -> None:
        self.send(b"THIS IS NOT HTTP\r\n\r\n")
        self.close_connection = True

    def fault_slow(self) -> None:
        if self.pause(float(self.query.get("seconds", "3"))):
            self.page(200, "Finally")

    def fault_drip(self) -> None:
        body = big_body()[:DRIP_BODY_BYTES]
        self.send(self.head(200, [("Content-Type", "application/octet-stream"),
                                  ("Content-Length", str(len(body)))]))
        for start in range(0, len(body), DRIP_PIECE):
            self.send(body[start:start + DRIP_PIECE])
            if not self.pause(DRIP_PAUSE):
                break
        self.close_connection = True

    def fault_stall(self) -> None:
        # One write, so that a loaded machine cannot make the client time out between the
        # head and the first part of the body.
        self.send(self.head(200, [("Content-Type", "application/octet-stream"),
                                  ("Content-Length", str(BIG_BODY_BYTES))])
                  + big_body()[:STALL_SENT_BYTES])
        if self.pause(3):
            self.send(big_body()[STALL_SENT_BYTES:])

    def fault_big(self) -> None:
        self.respond(200, big_body(), "application/octet-stream")

    def cookie_login(self) -> None:
        body = b'<!doctype html>\n<p>Signed in: <a href="/cookie/members.html">members</a></p>\n'
        self.respond(302, body, HTML, [
            ("Set-Cookie", f"{COOKIE_NAME}={COOKIE_VALUE}; Path=/cookie; HttpOnly"),
            ("Location", "/cookie/members.html")])

    def cookie_guarded(self) -> None:
        if self.cookie(COOKIE_NAME) != COOKIE_VALUE:
            self.page(403, "Members only")
        elif self.rest == "/badge.svg":
            self.respond(200, (self.server.root / "static/images/quote-rule.svg").read_bytes(),
                         CONTENT_TYPES[".svg"])
        else:
            body = ('<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
                    "<title>Members</title></head><body><h1>Welcome back</h1>"
                    '<img src="badge.svg" alt=""></body></html>\n')
            self.respond(200, body.encode("utf-8"))

    def intl(self) -> None:
        decoded = unquote(urlsplit(self.path).path)
        query = unquote(urlsplit(self.path).query)
        if decoded.endswith(".svg"):
            image = (self.server.root / "static/images/quote-rule.svg").read_bytes()
            self.respond(200, image, CONTENT_TYPES[".svg"])
            return
        body = (f'<!doctype html>\n<html lang="de"><head><meta charset="utf-8"><title>{decoded}'
                f'</title></head><body><p>{decoded} {query}</p><img src="karte-für-straße.svg" '
                'alt=""></body></html>\n')
        self.respond(200, body.encode("utf-8"))

    def delay(self) -> None:
        self.server.log.delay_started()
        try:
            if self.pause(int(self.query.get("ms", "150")) / 1000):
                self.page(200, f"Delayed page {self.rest.strip('/')}")
        finally:
            self.server.log.delay_finished()

    def hostile_glued(self) -> None:
        body = b"<!doctype html><title>Glued</title><p>The page asked for.</p>\n"
        self.send(self.head(200, [("Content-Type", HTML), ("Content-Length", str(len(body)))])
                  + body + GLUED_RESPONSE)

    def hostile_overlong(self) -> None:
        self.send(self.head(200, [("Content-Type", "text/plain"),
                                  ("Content-Length", str(OVERLONG_DECLARED))]) + OVERLONG_BODY)

    def hostile_late(self) -> None:
        self.page(200, "Late bytes follow")
        self.wfile.flush()
        if self.pause(LATE_PAUSE):
            self.send(GLUED_RESPONSE)
            if "tag" in self.query:
                late_bytes_sent(self.query["tag"]).set()

    def hostile_after_late(self) -> None:
        late_bytes_sent(self.query.get("tag", "")).wait(LATE_WAIT)
        self.page(200, "After the late bytes")

    def hostile_blank_line_redirect(self) -> None:
        body = b"<!doctype html><title>Moved, or not</title>\n"
        self.send(f"HTTP/1.1 302 Found\r\nContent-Type: text/html\r\n \r\n"
                  f"Location: {HIDDEN_REDIRECT_TARGET}\r\nContent-Length: {len(body)}\r\n"
                  "\r\n".encode("latin-1") + body)

    def hostile_header_lines(self) -> None:
        count = int(self.query.get("count", "40000"))
        extra = [(f"X-Line-{n}", "x") for n in range(count)]
        self.page(200, f"{count} header lines", extra)

    def hostile_cookie_flood(self) -> None:
        count, size = int(self.query.get("count", "5000")), int(self.query.get("size", "20"))
        extra = [("Set-Cookie", f"flood{n}={'v' * size}; Path=/") for n in range(count)]
        self.page(200, f"{count} cookies", extra)

    def hostile_bad_chunk(self) -> None:
        self.send(self.head(200, [("Content-Type", "text/plain"),
                                  ("Transfer-Encoding", "chunked")]))
        self.send(BAD_CHUNK_GOOD_PART + b"zz\r\nnot a chunk\r\n0\r\n\r\n")

    def hostile_nested_css(self) -> None:
        depth = int(self.query.get("depth", "20000"))
        body = b"a{" * depth + b"b:url(/static/images/favicon.png)" + b"}" * depth
        self.respond(200, body, CONTENT_TYPES[".css"])

    def hostile_blank_header_line(self) -> None:
        body = b"<!doctype html><title>Blank line</title>\n"
        self.send(f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n \r\n"
                  f"Content-Length: {len(body)}\r\n\r\n".encode("latin-1") + body)

    def hostile_charset(self) -> None:
        label = self.query.get("label", "hex")
        body = (f"<!doctype html><meta charset=\"{label}\"><title>Council minutes</title>"
                "<article><h1>Council minutes</h1><p>The council met on Tuesday and voted to "
                "publish the audit of the water fund in full.</p></article>").encode("ascii")
        self.respond(200, body, f"text/html; charset={label}")

    def gate(self) -> None:
        here = urlsplit(self.path).path
        if self.rest == "/consent" and self.cookie(GATE_COOKIE) == "yes":
            self.page(200, GATE_TITLE)
            return
        value = ("yes" if self.rest in ("/consent", "/stubborn")
                 else str(int(self.cookie(GATE_COOKIE) or 0) + 1))
        body = f'<!doctype html>\n<p>Please wait: <a href="{here}">continue</a></p>\n'
        self.respond(302, body.encode("utf-8"), HTML, [
            ("Set-Cookie", f"{GATE_COOKIE}={value}; Path=/gate"), ("Location", here)])

    def cookie_utf8(self) -> None:
        self.page(200, "A cookie in UTF-8",
                  [("Set-Cookie", UTF8_COOKIE.encode().decode("latin-1") + "; Path=/")])


ROUTES: dict[str, Route] = {
    "/redirect/chain": SiteHandler.redirect_chain,
    "/press/2019/smartflow-rollout": SiteHandler.moved_press_release,
    "/redirect/loop": SiteHandler.redirect_loop,
    "/redirect/self": SiteHandler.redirect_self,
    "/redirect/many": SiteHandler.redirect_many,
    "/redirect/utf8": SiteHandler.redirect_utf8,
    "/redirect/to": SiteHandler.redirect_to,
    "/embeds": SiteHandler.embeds,
    "/status": SiteHandler.status,
    "/encoding/chunked": SiteHandler.encoding_chunked,
    "/encoding/gzip": SiteHandler.encoding_gzip,
    "/encoding/gzip-chunked": SiteHandler.encoding_gzip_chunked,
    "/encoding/until-close": SiteHandler.encoding_until_close,
    "/encoding/deflate": SiteHandler.encoding_deflate,
    "/encoding/raw-deflate": SiteHandler.encoding_raw_deflate,
    "/encoding/br": SiteHandler.encoding_br,
    "/encoding/bomb": SiteHandler.encoding_bomb,
    "/encoding/br-bomb": SiteHandler.encoding_br_bomb,
    "/hostile/title": SiteHandler.hostile_title,
    "/encoding/document": SiteHandler.encoding_document,
    "/stories": SiteHandler.story_page,
    "/fault/reset": SiteHandler.fault_reset,
    "/fault/reset-before-reply": SiteHandler.fault_reset_before_reply,
    "/fault/flaky": SiteHandler.fault_flaky,
    "/fault/early-close": SiteHandler.fault_early_close,
    "/fault/close-quietly": SiteHandler.fault_close_quietly,
    "/fault/garbage": SiteHandler.fault_garbage,
    "/fault/slow": SiteHandler.fault_slow,
    "/fault/drip": SiteHandler.fault_drip,
    "/fault/stall": SiteHandler.fault_stall,
    "/fault/big": SiteHandler.fault_big,
    "/cookie/login": SiteHandler.cookie_login,
    "/cookie/utf8": SiteHandler.cookie_utf8,
    "/gate": SiteHandler.gate,
    "/cookie": SiteHandler.cookie_guarded,
    "/intl": SiteHandler.intl,
    "/delay": SiteHandler.delay,
    "/hostile/glued": SiteHandler.hostile_glued,
    "/hostile/overlong": SiteHandler.hostile_overlong,
    "/hostile/late": SiteHandler.hostile_late,
    "/hostile/after-late": SiteHandler.hostile_after_late,
    "/hostile/blank-line-redirect": SiteHandler.hostile_blank_line_redirect,
    "/hostile/header-lines": SiteHandler.hostile_header_lines,
    "/hostile/cookie-flood": SiteHandler.hostile_cookie_flood,
    "/hostile/bad-chunk": SiteHandler.hostile_bad_chunk,
    "/hostile/nested-css": SiteHandler.hostile_nested_css,
    "/hostile/blank-header-line": SiteHandler.hostile_blank_header_line,
    "/hostile/charset": SiteHandler.hostile_charset,
    "/leak": SiteHandler.leak_page,
}


_LATE_BYTES_SENT: dict[str, threading.Event] = {}
_LATE_BYTES_LOCK = threading.Lock()


def late_bytes_sent(tag: str) -> threading.Event:
    """Set once /hostile/late?tag=`tag` has sent its late bytes, on whichever test server:
    the event is shared, so a route of another server (another origin) can wait for it."""
    with _LATE_BYTES_LOCK:
        return _LATE_BYTES_SENT.setdefault(tag, threading.Event())


def _route_for(path: str) -> tuple[Route, str]:
    """The route for a path (the longest matching prefix, whole segments only) and the rest."""
    for prefix in sorted(ROUTES, key=len, reverse=True):
        if path == prefix or path.startswith(prefix + "/"):
            return ROUTES[prefix], path[len(prefix):]
    return SiteHandler.serve_file, path


class SiteServer:
    """The test site on 127.0.0.1 at an ephemeral port, served from a background thread."""

    def __init__(self, root: Path = SITE_ROOT, *, tls: ssl.SSLContext | None = None,
                 ca_file: Path | None = None) -> None:
        self._server = _HttpServer(root, tls)
        self.ca_file = ca_file
        """The PEM of the CA that signed an HTTPS site's certificate (None for plain HTTP)."""
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="test-site", daemon=True)

    @property
    def base_url(self) -> str:
        return self._server.base_url

    @property
    def log(self) -> SiteLog:
        return self._server.log

    def start(self) -> SiteServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SiteServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

    def url(self, path: str) -> str:
        """The absolute URL of `path`, left as written (non-ASCII stays, for the URL tests)."""
        return self.base_url + path

    def hits(self, path: str) -> int:
        """How many requests the server received for `path` (with its query) since the last
        `reset_counts()`; `path` may be written with non-ASCII characters."""
        with self.log.lock:
            return self.log.hits[wire_target(path)]

    def sent(self, path: str) -> bytes:
        """The exact bytes of the last response sent for `path`."""
        with self.log.lock:
            return bytes(self.log.sent[wire_target(path)])

    def requests(self, path: str) -> list[SeenRequest]:
        with self.log.lock:
            return [r for r in self.log.requests if r.target == wire_target(path)]

    @property
    def all_hits(self) -> Counter[str]:
        with self.log.lock:
            return Counter(self.log.hits)

    @property
    def max_connections(self) -> int:
        """The most connections open at once since the last `reset_counts()`."""
        return self.log.max_connections

    @property
    def max_in_flight(self) -> int:
        """The most requests being answered at once since the last `reset_counts()`."""
        return self.log.max_in_flight

    def reset_counts(self) -> None:
        self.log.reset()


@contextmanager
def tls_site(root: Path = SITE_ROOT) -> Iterator[SiteServer]:
    """The same site over HTTPS, its certificate (for 127.0.0.1) signed by a throwaway trustme
    CA whose PEM is at `site.ca_file`. Needs trustme (the [test] extra)."""
    import trustme

    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(HOST).configure_cert(context)
    with tempfile.TemporaryDirectory(prefix="archiver-test-ca-") as folder:
        ca_file = Path(folder) / "ca.pem"
        authority.cert_pem.write_to_path(str(ca_file))
        with SiteServer(root, tls=context, ca_file=ca_file) as site:
            yield site


def refused_base_url() -> str:
    """A base URL on 127.0.0.1 where nothing listens: connecting is refused."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return f"http://{HOST}:{probe.getsockname()[1]}"


@contextmanager
def unanswered_base_url() -> Iterator[str]:
    """A base URL on 127.0.0.1 whose listener never accepts and whose backlog is full, so a
    new connection's SYN is dropped and connecting times out (like a host behind a firewall
    that drops packets)."""
    with socket.socket() as listener, socket.socket() as filler:
        listener.bind((HOST, 0))
        listener.listen(0)
        filler.connect(listener.getsockname())  # takes the one place in the backlog
        yield f"http://{HOST}:{listener.getsockname()[1]}"
