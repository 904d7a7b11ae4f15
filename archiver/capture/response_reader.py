"""Read one HTTP response off a connection, recording exactly its bytes as they arrive.

Each received block goes to h11, which finds where the message ends; then the block, up to
that end, goes unchanged into the response record's spool (hashed on the way). Bytes after
the end belong to no response: they are handed back apart (`ResponseReader.stray`), and the
connection must not be used again. The entity body h11 hands back goes to the optional sink
(requisite discovery). Limits end the read: size and time cut the body (WARC-Truncated), a
reset, a close or a malformed body keeps what came and says why.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import h11

from archiver._types import HeaderList
from archiver.capture.connections import STRAY_KEPT_BYTES, Connection
from archiver.capture.network_errors import (
    MAX_HEADER_BYTES,
    TOO_LONG,
    NetworkError,
    network_errors,
)
from archiver.capture.transport import BodySink, SinkFactory, Truncation
from archiver.warc.http_head import HeaderBlock, HeadFacts
from archiver.warc.records import new_spool

RECEIVE_SIZE = 256 * 1024


class ResponseRecorder:
    """Spools the raw response and hashes it while it arrives: the block digest over every
    byte, the payload digest over the bytes after the header block, found as warcio and pywb
    find it (see archiver.warc.http_head), which also reads what the header block states.
    """

    def __init__(self, limit: int) -> None:
        self.spool = new_spool()
        self.block = hashlib.sha256()
        self.payload = hashlib.sha256()
        self.length = 0
        self.payload_length = 0
        self.limit = limit
        self.head = HeaderBlock()

    def add(self, data: bytes) -> bool:
        """Record `data`; return False once the payload reached the size limit (data is cut)."""
        view = memoryview(data)
        if not self.head.done:
            rest = self.head.feed(view)
            self._write(view[:len(view) - len(rest)])
            if not self.head.done:
                return True
            view = rest
        return self._add_payload(view)

    def facts(self) -> HeadFacts:
        """What the recorded header block states (status, content type)."""
        return self.head.facts()

    def _add_payload(self, data: memoryview) -> bool:
        room = self.limit - self.payload_length
        cut = len(data) > room
        if cut:
            data = data[:room]
        self.payload.update(data)
        self.payload_length += len(data)
        self._write(data)
        return not cut

    def _write(self, data: memoryview) -> None:
        self.spool.write(data)
        self.block.update(data)
        self.length += len(data)


@dataclass
class ReadOutcome:
    """How the read ended: the parsed response head, and whether and why the body was cut."""

    response: h11.Response
    truncated: Truncation | None
    failure: str | None


def decode_headers(response: h11.Response) -> HeaderList:
    return [(name.decode("latin-1"), value.decode("latin-1"))
            for name, value in response.headers.raw_items()]


class ResponseReader:
    """Reads one response from `connection` into `recorder` within the time limits."""

    def __init__(self, connection: Connection, url: str, recorder: ResponseRecorder, *,
                 read_timeout: float, resource_timeout: float,
                 sink_factory: SinkFactory | None) -> None:
        self.connection = connection
        self.url = url
        self.recorder = recorder
        self.read_timeout = read_timeout
        self.deadline = time.monotonic() + resource_timeout
        self.sink_factory = sink_factory
        self.response: h11.Response | None = None
        self.sink: BodySink | None = None
        self.done = False
        self.stray = b""
        """Bytes received after the end of the message (the first STRAY_KEPT_BYTES)."""
        self.stray_length = 0
        self._fed = 0

    def read(self) -> ReadOutcome:
        """Read to the end of the message or a limit; raise NetworkError if no reply came."""
        try:
            truncated, failure = self._read_loop()
        finally:
            if self.sink is not None:
                self.sink.close()
        if self.response is None:  # unreachable: the loop raises before a reply
            raise NetworkError(self.url, "no response", transient=True)
        return ReadOutcome(self.response, truncated, failure)

    def _read_loop(self) -> tuple[Truncation | None, str | None]:
        while not self.done:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                if self.response is None:
                    raise NetworkError(self.url, "no response within the time limit",
                                       transient=True)
                return "time", None
            wait = min(self.read_timeout, remaining)
            try:
                data = self._receive(wait)
            except NetworkError as error:
                return self._cut_by_network(error, wait)
            try:
                self._parse(data)
            except NetworkError as error:
                return self._malformed(error, data)
            within_limit = self.recorder.add(self._message_part(data))
            if not data and not self.done:
                return self._closed_early()
            if not within_limit:
                return "length", None
        return None, None

    def _message_part(self, data: bytes) -> bytes:
        """The part of `data` that belongs to the message; what follows its end is stray.

        h11 parses every block as it arrives, so when the message ends, all it holds unread
        came in this block (before, it held only the unfinished part of the message)."""
        if not self.done:
            return data
        trailing, _ = self.connection.protocol.trailing_data
        if not trailing:
            return data
        self.stray, self.stray_length = trailing[:STRAY_KEPT_BYTES], len(trailing)
        return data[:max(0, len(data) - len(trailing))]

    def _malformed(self, error: NetworkError, data: bytes) -> tuple[Truncation, str]:
        """h11 refused the response. Before its header block was read that is a failed
        exchange; after it, the head and the body so far are evidence: what arrived is kept,
        marked as cut short, and the source fails with the reason."""
        if self.response is None:
            raise error
        self.recorder.add(data)
        return "unspecified", (f"{error.reason}; the {self.recorder.payload_length} bytes of "
                               "the body that came are kept")

    def _receive(self, wait: float) -> bytes:
        self.connection.sock.settimeout(wait)
        with network_errors(self.url, self._stage):
            self.connection.ack_quickly()
            return self.connection.sock.recv(RECEIVE_SIZE)

    @property
    def _stage(self) -> str:
        return "reading the response body" if self.response else "waiting for a response"

    def _cut_by_network(self, error: NetworkError, wait: float) -> tuple[Truncation, str | None]:
        if self.response is None:
            raise error
        timed_out = isinstance(error.__cause__, TimeoutError)
        if timed_out and wait < self.read_timeout:
            # The wait ran into the resource's time limit, not a stalled server: a cut body,
            # like the size limit, not a failure.
            return "time", None
        return ("time" if timed_out else "disconnect",
                f"{error.reason} after {self.recorder.payload_length} bytes of the body")

    def _closed_early(self) -> tuple[Truncation, str]:
        if self.response is None:
            raise NetworkError(self.url, "the server closed the connection without replying",
                               transient=True)
        return ("disconnect", f"the server closed the connection after "
                f"{self.recorder.payload_length} bytes of the body")

    def _parse(self, data: bytes) -> None:
        protocol = self.connection.protocol
        try:
            with network_errors(self.url, self._stage):
                self._fed += len(data)
                protocol.receive_data(data)
                while not self.done:
                    event = protocol.next_event()
                    if event in (h11.NEED_DATA, h11.PAUSED) or isinstance(event,
                                                                          h11.ConnectionClosed):
                        break  # a close is judged by the read loop, from the empty read
                    self._on_event(event)
        except NetworkError:
            # h11 calls a close in mid-message a protocol error. For us it is the server
            # closing the connection, handled by the read loop: before a reply (a stale
            # keep-alive connection, worth a retry) or mid-body (the cut body is kept).
            if data:
                raise

    def _on_event(self, event: object) -> None:
        if isinstance(event, h11.Response):
            # h11 checks its limit only while a header block is incomplete, so one that
            # completes in the next read may pass it by up to a read's size.
            unread = len(self.connection.protocol.trailing_data[0])
            if self._fed - unread > MAX_HEADER_BYTES:
                raise NetworkError(self.url, TOO_LONG, transient=False)
            self.response = event
            if self.sink_factory is not None:
                self.sink = self.sink_factory(self.url, event.status_code,
                                              decode_headers(event))
        elif isinstance(event, h11.Data):
            if self.sink is not None:
                self.sink.feed(bytes(event.data))
        elif isinstance(event, h11.EndOfMessage):
            self.done = True
