"""HTTP/1.1 over plain sockets, recording the exact bytes that cross the wire.

No HTTP client library hands back the status line, headers and chunked body exactly as
received, so we own the socket (connections.py) and let h11, a sans-I/O parser, find the
message boundaries while every byte of the message goes unchanged into the record
(response_reader.py). A connection is reused only after a message that ended cleanly with
nothing after it.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import h11

from archiver.capture.connections import Connection, ConnectionPool
from archiver.capture.network_errors import NetworkError, network_errors
from archiver.capture.response_reader import ResponseReader, ResponseRecorder, decode_headers
from archiver.capture.transport import (
    Exchange,
    Request,
    SinkFactory,
    StrayBytes,
    StrayReport,
)
from archiver.capture.urls import host_header, origin_of, request_target
from archiver.settings import CaptureSettings
from archiver.warc.records import new_record_id

ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
ACCEPT_ENCODING = "gzip, deflate"


class _StaleConnection(Exception):
    """A kept-alive connection the server had closed before our request reached it."""


class HttpTransport:
    """Fetches one URL per call over pooled keep-alive connections."""

    def __init__(self, settings: CaptureSettings, on_stray: StrayReport | None = None) -> None:
        """`on_stray` is told of bytes that arrive on a connection after its exchange was
        handed over (bytes in the same read come with the `Exchange`)."""
        self.settings = settings
        self.pool = ConnectionPool(settings, on_stray)

    def check_idle(self) -> None:
        self.pool.check_idle()

    def close(self) -> None:
        self.pool.close()

    def fetch(self, request: Request, sink_factory: SinkFactory | None = None) -> Exchange:
        origin = origin_of(request.url)
        connection = self.pool.take(origin, request.url)
        try:
            return self._exchange(connection, request, sink_factory)
        except _StaleConnection:
            # Not a fault of the source: try once more on a fresh connection.
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
        # Values go as bytes: a cookie holds what the server sent (read as latin-1), which h11
        # would encode as ASCII, and fail on.
        encoded = [(name.encode("latin-1", "replace"), value.encode("latin-1", "replace"))
                   for name, value in headers]
        try:
            message = h11.Request(method="GET", target=request_target(request.url),
                                  headers=encoded)
            return (connection.protocol.send(message) or b"") + (
                connection.protocol.send(h11.EndOfMessage()) or b"")
        except h11.LocalProtocolError as error:
            connection.close()
            raise NetworkError(request.url, f"the request could not be made ({error})",
                               transient=False) from error

    def _exchange(self, connection: Connection, request: Request,
                  sink_factory: SinkFactory | None) -> Exchange:
        reused = connection.exchanges > 0
        connection.exchanges += 1
        started = datetime.now(UTC)
        request_block = self._request_bytes(connection, request)
        recorder = ResponseRecorder(self.settings.max_resource_bytes)
        reader = ResponseReader(connection, request.url, recorder,
                                read_timeout=self.settings.read_timeout,
                                resource_timeout=self.settings.resource_timeout,
                                sink_factory=sink_factory)
        try:
            with network_errors(request.url, "sending the request"):
                connection.sock.sendall(request_block)
            outcome = reader.read()
        except BaseException as error:
            connection.close()
            recorder.spool.close()
            if (isinstance(error, NetworkError) and error.transient and reused
                    and recorder.length == 0):
                raise _StaleConnection from error
            raise
        response_id = new_record_id()
        stray = None
        if reader.stray_length:
            stray = StrayBytes(request.url, response_id, reader.stray, reader.stray_length,
                               datetime.now(UTC), connection.ip_address)
        if outcome.truncated or outcome.failure or stray is not None:
            connection.close()  # never read the next response where this one went wrong
        else:
            self.pool.give_back(connection, request.url, response_id)
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
            status=outcome.response.status_code,
            reason=outcome.response.reason.decode("latin-1"),
            headers=decode_headers(outcome.response),
            recorded=recorder.facts(),
            truncated=outcome.truncated,
            failure=outcome.failure,
            response_id=response_id,
            stray=stray,
            peer=connection.peer,
        )
