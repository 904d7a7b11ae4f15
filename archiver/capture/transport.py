"""The seam between a capture job and the network.

A `Transport` performs one HTTP exchange and hands back everything that crossed the wire.
Plain HTTP/1.1 over sockets is `archiver.capture.http_transport.HttpTransport`; a
browser-driven transport can sit beside it later without the job changing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Literal, Protocol

from archiver._types import HeaderList, header_value

Truncation = Literal["length", "time", "disconnect"]


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


@dataclass
class Exchange:
    """One HTTP exchange as it crossed the wire, ready to become a request and a response record.

    `response_block` holds the status line, headers and body exactly as received; it belongs to
    the exchange, and `close()` releases it.
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
    truncated: Truncation | None = None
    failure: str | None = None
    """Set when the body was cut by the network (reset, stall): the partial response is kept."""

    def header(self, name: str) -> str | None:
        return header_value(self.headers, name)

    @property
    def content_type(self) -> str | None:
        value = self.header("Content-Type")
        return value.split(";", 1)[0].strip().lower() if value else None

    @property
    def is_redirect(self) -> bool:
        return self.status in (301, 302, 303, 307, 308) and self.header("Location") is not None

    def close(self) -> None:
        self.response_block.close()


class Transport(Protocol):
    def fetch(self, request: Request, sink_factory: SinkFactory | None = None) -> Exchange:
        """Perform one exchange; raise CaptureError if no response could be had."""
        ...

    def close(self) -> None: ...
