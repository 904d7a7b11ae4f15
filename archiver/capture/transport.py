"""The seam between a capture job and the network.

A `Transport` performs one HTTP exchange and hands back everything that crossed the wire.
Plain HTTP/1.1 over sockets is `archiver.capture.http_transport.HttpTransport`; a
browser-driven transport can sit beside it later without the job changing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Literal, Protocol

from archiver._types import HeaderList, header_value
from archiver.capture.peer import PeerFacts
from archiver.warc.http_head import REDIRECTS, HeadFacts
from archiver.warc.records import new_record_id

Truncation = Literal["length", "time", "disconnect", "unspecified"]
"""Why a stored body is shorter than what the server meant to send (WARC-Truncated):
a size limit, a time limit, the connection lost, or a body the server framed wrongly."""


class BodySink(Protocol):
    """Receives a response's entity body (de-chunked, still content-encoded) as it arrives."""

    def feed(self, data: bytes) -> None: ...

    def close(self) -> None: ...


class SinkFactory(Protocol):
    """Called once the response headers are in; returns a sink, or None to not look at the body."""

    def __call__(self, url: str, status: int, headers: HeaderList) -> BodySink | None: ...


@dataclass(frozen=True)
class Request:
    url: str
    headers: HeaderList = field(default_factory=list)
    """Extra headers for this request (Cookie, Referer); the transport adds Host, User-Agent..."""


@dataclass(frozen=True)
class StrayBytes:
    """Bytes a server sent after the end of a response, on its connection: part of no
    response (neither that one nor the next on the connection, which is never reused), so
    they are kept apart, as an anomaly of the exchange they came after."""

    url: str
    response_id: str
    """The WARC-Record-ID of the response they followed."""
    data: bytes
    """The first of them, up to a limit."""
    length: int
    """How many arrived (at least; reading stops at the limit)."""
    received_at: datetime
    ip_address: str | None
    sha256: str = field(init=False)
    """SHA-256 of `data`, computed once, here: the record's block digest and the manifest's
    claim about it are both this value."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha256", hashlib.sha256(self.data).hexdigest())


@dataclass
class Exchange:
    """One HTTP exchange as it crossed the wire, ready to become a request and a response record.

    `response_block` holds the status line, headers and body exactly as received, and not a
    byte more; it belongs to the exchange, and `close()` releases it. `recorded` is what the
    block's header block states, read from the bytes recorded (the way WARC readers read
    them): manifest.json's claims about the record come from there.
    """

    url: str
    started_at: datetime
    ip_address: str | None
    request_block: bytes
    request_sha256: str
    response_block: IO[bytes]
    response_length: int
    block_sha256: str
    payload_sha256: str
    payload_length: int
    status: int
    reason: str
    headers: HeaderList
    recorded: HeadFacts
    truncated: Truncation | None = None
    failure: str | None = None
    """Set when the body was cut by the network (reset, stall): the partial response is kept."""
    response_id: str = field(default_factory=new_record_id)
    """The WARC-Record-ID its response record gets."""
    stray: StrayBytes | None = None
    """Bytes that came after the end of the response, in the same read."""
    peer: PeerFacts | None = None
    """Who answered, over what: the connection's addresses, TLS session and certificates
    (None when the transport cannot tell)."""

    def header(self, name: str) -> str | None:
        return header_value(self.headers, name)

    @property
    def is_redirect(self) -> bool:
        """Whether the recorded response redirects: its status and Location as the record
        states them (`recorded`), which replay and verify will read, not as h11 parsed them.
        The two differ only for a malformed header block (a line of white space in it, say)."""
        return self.recorded.is_redirect

    @property
    def is_redirect_as_parsed(self) -> bool:
        """Whether h11's reading of the header block is a redirect (a note, when the
        record's is not)."""
        return self.status in REDIRECTS and self.header("Location") is not None

    def close(self) -> None:
        self.response_block.close()


StrayReport = Callable[[StrayBytes], object]
"""Told of stray bytes found on a kept-alive connection after its exchange was handed over
(they arrived later, while the connection was idle)."""


class Transport(Protocol):
    def fetch(self, request: Request, sink_factory: SinkFactory | None = None) -> Exchange:
        """Perform one exchange; raise CaptureError if no response could be had."""
        ...

    def check_idle(self) -> None:
        """Report (StrayReport) what arrived on idle connections since their last exchange,
        without waiting; called when a job's work is done, never on an interrupt."""
        ...

    def close(self) -> None: ...
