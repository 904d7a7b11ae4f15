"""HTTP/1.1 over plain sockets, recording the exact bytes that cross the wire.

No HTTP client library hands back the status line, headers and chunked body exactly as
received, so we own the socket and let h11 (a sans-I/O parser) find the message boundaries
while every received byte goes, unchanged, into the response record's spool.
"""

from __future__ import annotations

import hashlib
import re
import socket
import ssl
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime

import h11

from archiver.capture.network_errors import NetworkError, network_errors
from archiver.capture.transport import BodySink, Exchange, Request, SinkFactory, Truncation
from archiver.capture.urls import Origin, host_header, origin_of, request_target
from archiver.settings import CaptureSettings
from archiver.warc.records import new_spool

RECEIVE_SIZE = 256 * 1024
MAX_HEADER_BYTES = 256 * 1024
_HEADER_END = re.compile(rb"\r?\n\r?\n")

ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
ACCEPT_ENCODING = "gzip, deflate"


class Connection:
    """One socket to one origin, with the h11 state machine that frames its messages."""

    def __init__(self, origin: Origin, sock: socket.socket) -> None:
        self.origin = origin
        self.sock = sock
        self.protocol = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEADER_BYTES)
        peer = sock.getpeername()
        self.ip_address: str = str(peer[0])
        self.exchanges = 0

    @property
    def is_reusable(self) -> bool:
        return self.protocol.our_state is h11.DONE and self.protocol.their_state is h11.DONE

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


class ConnectionPool:
    """Idle keep-alive connections per origin. The frontier caps how many are in use."""

    def __init__(self, settings: CaptureSettings) -> None:
        self.settings = settings
        self._idle: dict[Origin, list[Connection]] = defaultdict(list)
        self._lock = threading.Lock()
        self._tls = _tls_context(settings)

    def take(self, origin: Origin, url: str) -> Connection:
        with self._lock:
            idle = self._idle[origin]
            if idle:
                return idle.pop()
        return self.open(origin, url)

    def give_back(self, connection: Connection) -> None:
        if not connection.is_reusable:
            connection.close()
            return
        connection.protocol.start_next_cycle()
        with self._lock:
            self._idle[connection.origin].append(connection)

    def close(self) -> None:
        with self._lock:
            for connections in self._idle.values():
                for connection in connections:
                    connection.close()
            self._idle.clear()

    def open(self, origin: Origin, url: str) -> Connection:
        """A new connection, never a pooled one."""
        with network_errors(url, "connecting"):
            sock = socket.create_connection((origin.host, origin.port),
                                            timeout=self.settings.connect_timeout)
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if origin.is_tls:
                    sock = self._tls.wrap_socket(sock, server_hostname=origin.host)
                sock.settimeout(self.settings.read_timeout)
                return Connection(origin, sock)
            except BaseException:
                sock.close()
                raise


def _tls_context(settings: CaptureSettings) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if settings.ca_file is not None:
        context.load_verify_locations(cafile=str(settings.ca_file))
    if not settings.verify_tls:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["http/1.1"])
    return context


class _ResponseRecorder:
    """Spools the raw response and hashes it while it arrives: the block digest over every
    byte, the payload digest over the bytes after the header block (as warcio and pywb read it).
    """

    def __init__(self, limit: int) -> None:
        self.spool = new_spool()
        self.block = hashlib.sha256()
        self.payload = hashlib.sha256()
        self.length = 0
        self.payload_length = 0
        self.limit = limit
        self._head = bytearray()
        self._in_payload = False

    def add(self, data: bytes) -> bool:
        """Record `data`; return False once the payload reached the size limit (data is cut)."""
        if self._in_payload:
            return self._add_payload(data)
        self._head += data
        found = _HEADER_END.search(self._head)
        if found is None:
            if len(self._head) > MAX_HEADER_BYTES:
                raise h11.RemoteProtocolError("response headers larger than 256 KiB")
            self._write(data)
            return True
        already = len(self._head) - len(data)
        self._write(data[: found.end() - already])
        self._in_payload = True
        self._head = bytearray()
        return self._add_payload(data[found.end() - already:])

    def _add_payload(self, data: bytes) -> bool:
        room = self.limit - self.payload_length
        cut = len(data) > room
        if cut:
            data = data[:room]
        self.payload.update(data)
        self.payload_length += len(data)
        self._write(data)
        return not cut

    def _write(self, data: bytes) -> None:
        self.spool.write(data)
        self.block.update(data)
        self.length += len(data)


class HttpTransport:
    """Fetches one URL per call over pooled keep-alive connections."""

    def __init__(self, settings: CaptureSettings) -> None:
        self.settings = settings
        self.pool = ConnectionPool(settings)

    def close(self) -> None:
        self.pool.close()

    def fetch(self, request: Request, sink_factory: SinkFactory | None = None) -> Exchange:
        origin = origin_of(request.url)
        connection = self.pool.take(origin, request.url)
        try:
            return self._exchange(connection, request, sink_factory)
        except _StaleConnection:
            # A kept-alive connection the server had already closed: not a fault of the
            # source. Try once more on a fresh connection.
            connection = self.pool.open(origin, request.url)
            return self._exchange(connection, request, sink_factory)

    def _request_bytes(self, connection: Connection, request: Request) -> bytes:
        headers = [
            ("Host", host_header(request.url)),
            ("User-Agent", self.settings.user_agent),
            ("Accept", ACCEPT),
            ("Accept-Encoding", ACCEPT_ENCODING),
            ("Connection", "keep-alive"),
            *request.headers,
        ]
        message = h11.Request(method="GET", target=request_target(request.url), headers=headers)
        return connection.protocol.send(message) + (connection.protocol.send(h11.EndOfMessage())
                                                    or b"")

    def _exchange(self, connection: Connection, request: Request,
                  sink_factory: SinkFactory | None) -> Exchange:
        reused = connection.exchanges > 0
        connection.exchanges += 1
        started = datetime.now(UTC)
        request_block = self._request_bytes(connection, request)
        recorder = _ResponseRecorder(self.settings.max_resource_bytes)
        try:
            with network_errors(request.url, "sending the request"):
                connection.sock.sendall(request_block)
            exchange = self._receive(connection, request, recorder, sink_factory, started,
                                     request_block)
        except NetworkError as error:
            connection.close()
            recorder.spool.close()
            if reused and recorder.length == 0 and error.transient:
                raise _StaleConnection from error
            raise
        except BaseException:
            connection.close()
            recorder.spool.close()
            raise
        if exchange.truncated or exchange.failure:
            connection.close()
        else:
            self.pool.give_back(connection)
        return exchange

    def _receive(self, connection: Connection, request: Request, recorder: _ResponseRecorder,
                 sink_factory: SinkFactory | None, started: datetime,
                 request_block: bytes) -> Exchange:
        deadline = time.monotonic() + self.settings.resource_timeout
        protocol = connection.protocol
        response: h11.Response | None = None
        sink: BodySink | None = None
        truncated: Truncation | None = None
        failure: str | None = None
        done = False
        try:
            while not done:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    if response is None:
                        raise NetworkError(request.url, "no response within the time limit",
                                           transient=True)
                    truncated, failure = "time", None
                    break
                connection.sock.settimeout(min(self.settings.read_timeout, remaining))
                stage = "reading the response body" if response else "waiting for a response"
                try:
                    with network_errors(request.url, stage):
                        data = connection.sock.recv(RECEIVE_SIZE)
                except NetworkError as error:
                    if response is None:
                        raise
                    truncated = "time" if "timed out" in error.reason else "disconnect"
                    failure = (f"{error.reason} after {recorder.payload_length} bytes "
                               "of the body")
                    break
                within_limit = recorder.add(data)
                with network_errors(request.url, stage):
                    protocol.receive_data(data)
                    while True:
                        event = protocol.next_event()
                        if event is h11.NEED_DATA or event is h11.PAUSED:
                            break
                        if isinstance(event, h11.Response):
                            response = event
                            if sink_factory is not None:
                                sink = sink_factory(request.url, event.status_code,
                                                    _decode_headers(event))
                        elif isinstance(event, h11.Data):
                            if sink is not None:
                                sink.feed(bytes(event.data))
                        elif isinstance(event, h11.EndOfMessage):
                            done = True
                            break
                        elif isinstance(event, h11.ConnectionClosed):
                            raise h11.RemoteProtocolError("connection closed before a response")
                if not data and not done:
                    if response is None:
                        raise NetworkError(request.url, "the server closed the connection "
                                           "without replying", transient=True)
                    truncated = "disconnect"
                    failure = (f"the server closed the connection after "
                               f"{recorder.payload_length} bytes of the body")
                    break
                if not within_limit:
                    truncated = "length"
                    break
        finally:
            if sink is not None:
                sink.close()
        assert response is not None
        return Exchange(
            url=request.url,
            started_at=started,
            ip_address=connection.ip_address,
            request_block=request_block,
            request_sha256=hashlib.sha256(request_block).hexdigest(),
            response_block=recorder.spool,
            response_length=recorder.length,
            block_sha256=recorder.block.hexdigest(),
            payload_sha256=recorder.payload.hexdigest(),
            payload_length=recorder.payload_length,
            status=response.status_code,
            reason=response.reason.decode("latin-1"),
            headers=_decode_headers(response),
            truncated=truncated,
            failure=failure,
        )


class _StaleConnection(Exception):
    pass


def _decode_headers(response: h11.Response) -> list[tuple[str, str]]:
    return [(name.decode("latin-1"), value.decode("latin-1"))
            for name, value in response.headers.raw_items()]
