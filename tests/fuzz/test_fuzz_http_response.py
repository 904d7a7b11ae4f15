"""Fuzz capture's reading of HTTP responses: the real transport against a loopback server
that sends damaged real responses (fixtures/http/, and huge header blocks made here).

The server answers the first connection with the damaged response, sent in pieces, and then
(when keeping the connection alive) the next request with a known good one; every later
connection gets the good one at once. The properties:

- a fetch ends with an Exchange or a CaptureError, never another exception, within its time
  limits;
- the record holds a prefix of what was sent, byte for byte, and bytes kept apart as stray
  follow it exactly, whether they came in the same read or later, on the idle connection
  (found by the job's last look at idle connections, `check_idle`);
- a redirect is followed exactly when the record, read by warcio (a peer, as replay tools
  read it), states a redirect status and a Location, and its Location is read without error;
- the next fetch, on whatever connection, gets exactly the good response: nothing of the
  damaged one is ever read as its answer, even with the cookies the damaged one set.
"""

from __future__ import annotations

import hashlib
import io
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from warcio.statusandheaders import StatusAndHeadersParser

from archiver.capture.cookies import JobCookies
from archiver.capture.http_transport import HttpTransport
from archiver.capture.transport import REDIRECTS, Exchange, Request, StrayBytes
from archiver.capture.urls import try_normalize, url_from_header
from archiver.errors import CaptureError
from tests.conftest import fast_settings
from tests.fuzz.mutations import mutated

SEEDS_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "http"
GOOD = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\n"
        b"good answer\n")
WAIT_FOR_NEXT_REQUEST = 0.3
"""How long the server keeps a connection open for a second request."""
PACE = 0.01


def _huge_heads() -> list[bytes]:
    lines = b"".join(b"X-Line-%d: x\r\n" % n for n in range(40_000))
    cookies = b"".join(b"Set-Cookie: c%d=%s; Path=/\r\n" % (n, b"v" * 20) for n in range(5_000))
    return [b"HTTP/1.1 200 OK\r\n" + lines + b"Content-Length: 2\r\n\r\nok",
            b"HTTP/1.1 200 OK\r\n" + cookies + b"Content-Length: 2\r\n\r\nok"]


SEEDS = [path.read_bytes() for path in sorted(SEEDS_DIR.glob("*.http"))]
assert SEEDS, f"no seed responses in {SEEDS_DIR}"


@dataclass(frozen=True)
class Scenario:
    first: bytes
    cuts: tuple[int, ...]
    """Where `first` is split into separate sends."""
    keep_alive: bool
    paced: bool = False
    """A short pause before each send after the first: bytes past the end of the message
    then arrive while the connection sits idle."""


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, scenario: Scenario) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.scenario = scenario
        self.first_sent = threading.Event()
        """Set once the damaged response was sent (or sending it failed)."""
        self._count = 0
        self._lock = threading.Lock()

    def next_connection(self) -> int:
        with self._lock:
            self._count += 1
            return self._count


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        sock: socket.socket = self.request
        scenario = self.server.scenario
        try:
            sock.settimeout(5)
            if not _read_request(sock):
                return
            if self.server.next_connection() == 1:
                try:
                    self._send_first(sock, scenario)
                finally:
                    self.server.first_sent.set()
                if not scenario.keep_alive:
                    return
                sock.settimeout(WAIT_FOR_NEXT_REQUEST)
                if not _read_request(sock):
                    return
            sock.sendall(GOOD)
        except OSError:
            pass  # the client gave up on this connection: allowed

    @staticmethod
    def _send_first(sock: socket.socket, scenario: Scenario) -> None:
        start = 0
        for cut in (*scenario.cuts, len(scenario.first)):
            if scenario.paced and start:
                time.sleep(PACE)
            sock.sendall(scenario.first[start:cut])
            start = cut


def _read_request(sock: socket.socket) -> bool:
    received = b""
    while b"\r\n\r\n" not in received:
        try:
            data = sock.recv(65536)
        except OSError:
            return False
        if not data:
            return False
        received += data
    return True


@contextmanager
def _serving(scenario: Scenario) -> Iterator[_Server]:
    server = _Server(scenario)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01},
                              daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    seeds = SEEDS + _HUGE if draw(st.integers(0, 9)) == 0 else SEEDS
    first = draw(mutated(seeds))
    cuts = set(draw(st.lists(st.integers(0, len(first)), max_size=3)))
    if draw(st.booleans()):  # also where a glued response starts: it may come late
        cuts |= {index for index in _starts_of(b"HTTP/", first) if index}
    return Scenario(first, tuple(sorted(cuts)), draw(st.booleans()), draw(st.booleans()))


def _starts_of(needle: bytes, data: bytes) -> Iterator[int]:
    index = data.find(needle)
    while index >= 0:
        yield index
        index = data.find(needle, index + 1)


_HUGE = _huge_heads()
SETTINGS = fast_settings(connect_timeout=2.0, read_timeout=2.0, resource_timeout=5.0)


def _fetch(transport: HttpTransport, url: str,
           headers: list[tuple[str, str]] | None = None) -> Exchange | None:
    try:
        return transport.fetch(Request(url, headers or []))
    except CaptureError:
        return None


def _block(exchange: Exchange) -> bytes:
    exchange.response_block.seek(0)
    return exchange.response_block.read()


def _warcio_says_redirect(block: bytes) -> bool:
    """Whether warcio, reading the record's block, sees a redirect with a Location."""
    try:
        head = StatusAndHeadersParser([], verify=False).parse(io.BytesIO(block))
        status = int(head.get_statuscode())
    except (EOFError, ValueError):
        return False
    return status in REDIRECTS and head.get_header("Location") is not None


def _check_first(first: Exchange, scenario: Scenario, late: list[StrayBytes]) -> None:
    block = _block(first)
    assert block == scenario.first[:len(block)]
    assert first.response_length == len(block)
    assert first.block_sha256 == hashlib.sha256(block).hexdigest()
    after = scenario.first[len(block):]
    for stray in ([first.stray] if first.stray is not None else []) + late:
        assert stray.response_id == first.response_id
        assert after.startswith(stray.data)
        assert len(stray.data) <= stray.length <= len(after)
        assert stray.sha256 == hashlib.sha256(stray.data).hexdigest()
    assert first.is_redirect == _warcio_says_redirect(block)
    if first.is_redirect:
        try_normalize(url_from_header(first.recorded.location or ""), first.url)


@given(scenarios())
def test_a_damaged_response_is_recorded_as_sent_and_never_read_as_the_next(
        scenario: Scenario) -> None:
    cookies = JobCookies()
    late: list[StrayBytes] = []
    with _serving(scenario) as server:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        transport = HttpTransport(SETTINGS, on_stray=late.append)
        try:
            first = _fetch(transport, base + "/damaged")
            if first is not None:
                try:
                    server.first_sent.wait(5)  # all of it is here, or on its way
                    transport.check_idle()
                    _check_first(first, scenario, late)
                    cookies.remember(first.url, first.headers)
                finally:
                    first.close()
            cookie = cookies.header_for(base + "/next")
            second = _fetch(transport, base + "/next", [("Cookie", cookie)] if cookie else None)
        finally:
            transport.close()
    assert second is not None, "the good response could not be had"
    try:
        assert _block(second) == GOOD
        assert (second.status, second.recorded.status) == (200, 200)
    finally:
        second.close()
