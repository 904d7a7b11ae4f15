"""One exchange a browser made, as the WARC layer records it (it fits
`archiver.warc.exchange_records.RecordedExchange`), and the spool its body goes to.

A body comes from the browser in pieces (one protocol message, or a stream read block by
block) and goes to a spooled temporary file, hashed as it arrives: it is held in memory only
while small (`archiver.warc.records.SPOOL_IN_MEMORY`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO

from archiver.capture.transport import Truncation
from archiver.warc.http_head import HeadFacts, read_facts
from archiver.warc.records import BLOCK_SIZE, new_record_id, new_spool


class BodySpool:
    """A response body as it arrives from the browser: spooled, hashed, capped."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.file = new_spool()
        self.sha256 = hashlib.sha256()
        self.length = 0
        self.truncated: Truncation | None = None

    def feed(self, data: bytes) -> bool:
        """Keep `data` (up to the limit); False once the limit is reached."""
        room = self.limit - self.length
        if len(data) > room:
            data = data[:room]
            self.truncated = "length"
        self.file.write(data)
        self.sha256.update(data)
        self.length += len(data)
        return self.truncated is None

    def read_all(self) -> bytes:
        """The whole body (only for one small enough to hand back to the page)."""
        self.file.seek(0)
        return self.file.read()

    def close(self) -> None:
        self.file.close()


@dataclass
class BrowserExchange:
    """A request the browser sent and the response it received, ready to become records."""

    url: str
    started_at: datetime
    request_block: bytes
    response_block: IO[bytes]
    response_length: int
    block_sha256: str
    payload_sha256: str
    payload_length: int
    recorded: HeadFacts
    resource_type: str
    network_id: str
    """The browser's id for the request: the same for every hop of a redirect chain."""
    frame_id: str | None
    truncated: Truncation | None = None
    ip_address: str | None = None
    protocol: str | None = None
    """WARC-Protocol: the application protocol and TLS version the exchange used."""
    notes: list[str] = field(default_factory=list)
    response_id: str = field(default_factory=new_record_id)

    @property
    def request_sha256(self) -> str:
        return hashlib.sha256(self.request_block).hexdigest()

    def close(self) -> None:
        self.response_block.close()


def joined_block(head: bytes, body: BodySpool) -> tuple[IO[bytes], int, str]:
    """The response block (head, then body) in a spool of its own, its length and SHA-256;
    `body` is closed."""
    block = new_spool()
    digest = hashlib.sha256(head)
    block.write(head)
    body.file.seek(0)
    try:
        while chunk := body.file.read(BLOCK_SIZE):
            block.write(chunk)
            digest.update(chunk)
    finally:
        body.close()
    return block, len(head) + body.length, digest.hexdigest()


def head_facts(head: bytes) -> HeadFacts:
    return read_facts(head)
