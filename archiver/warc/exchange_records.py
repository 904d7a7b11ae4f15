"""The request and response records of one HTTP exchange, paired by WARC-Concurrent-To; and
the record that keeps apart bytes a server sent after the end of a response.

What they are made from is described here by what the records need (`RecordedExchange`,
`RecordedStray`), so the WARC layer depends on no capture module: capture's `Exchange` and
`StrayBytes` fit these shapes."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import IO, Protocol

from archiver.timestamps import utc_iso
from archiver.warc.http_head import MAX_HTTP_HEAD, STEP, HeaderBlock
from archiver.warc.records import (
    HTTP_REQUEST_TYPE,
    HTTP_RESPONSE_TYPE,
    PreparedRecord,
    new_record_id,
    prepare_record,
    sha256_label,
)


class RecordedExchange(Protocol):
    """One HTTP exchange as it crossed the wire, with the digests computed as it arrived."""

    @property
    def url(self) -> str: ...
    @property
    def started_at(self) -> datetime: ...
    @property
    def ip_address(self) -> str | None: ...
    @property
    def request_block(self) -> bytes: ...
    @property
    def request_sha256(self) -> str: ...
    @property
    def response_block(self) -> IO[bytes]: ...
    @property
    def response_length(self) -> int: ...
    @property
    def block_sha256(self) -> str: ...
    @property
    def payload_sha256(self) -> str: ...
    @property
    def truncated(self) -> str | None: ...
    @property
    def response_id(self) -> str: ...


class RecordedStray(Protocol):
    """Bytes a server sent after the end of a response, and the digest of those kept."""

    @property
    def url(self) -> str: ...
    @property
    def response_id(self) -> str: ...
    @property
    def data(self) -> bytes: ...
    @property
    def length(self) -> int: ...
    @property
    def sha256(self) -> str: ...
    @property
    def received_at(self) -> datetime: ...
    @property
    def ip_address(self) -> str | None: ...


def exchange_records(exchange: RecordedExchange, *, gzip_level: int,
                     extra: Sequence[tuple[str, str | None]] = ()) -> list[PreparedRecord]:
    """[request record, response record], compressed and ready for the writer; `extra`
    fields go into both (a browser's exchange names its WARC-Protocol)."""
    request = request_record(exchange, gzip_level=gzip_level, extra=extra)
    request_id, response_id = request.record_id, exchange.response_id
    common = [
        ("WARC-Date", utc_iso(exchange.started_at)),
        ("WARC-Target-URI", exchange.url),
        ("WARC-IP-Address", exchange.ip_address),
        *extra,
    ]
    response = prepare_record(
        [
            ("WARC-Type", "response"),
            ("WARC-Record-ID", response_id),
            *common,
            ("WARC-Concurrent-To", request_id),
            ("Content-Type", HTTP_RESPONSE_TYPE),
            ("WARC-Block-Digest", sha256_label(exchange.block_sha256)),
            ("WARC-Payload-Digest", sha256_label(exchange.payload_sha256)),
            ("WARC-Truncated", exchange.truncated),
        ],
        exchange.response_block,
        exchange.response_length,
        gzip_level=gzip_level,
    )
    return [request, response]


IDENTICAL_PAYLOAD_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"


class RevisitTarget(Protocol):
    """The record a revisit refers to: the first capture of the same payload (in another
    package, named by its id)."""

    @property
    def record_id(self) -> str: ...
    @property
    def target_uri(self) -> str: ...
    @property
    def date(self) -> str: ...


def revisit_records(exchange: RecordedExchange, original: RevisitTarget, *, gzip_level: int,
                    extra: Sequence[tuple[str, str | None]] = ()) -> list[PreparedRecord]:
    """[request record, revisit record] for an exchange whose payload was captured before
    (WARC 1.1 section 6.7.2, as Heritrix and Browsertrix write it): the revisit's block is
    the response's status line and headers alone; the payload is named by its digest and by
    the record it stands in (WARC-Refers-To, -Target-URI, -Date), not stored again. `extra`
    as for exchange_records."""
    request = request_record(exchange, gzip_level=gzip_level, extra=extra)
    request_id = request.record_id
    head = _http_head(exchange.response_block)
    revisit = prepare_record(
        [
            ("WARC-Type", "revisit"),
            ("WARC-Record-ID", exchange.response_id),
            ("WARC-Date", utc_iso(exchange.started_at)),
            ("WARC-Target-URI", exchange.url),
            ("WARC-IP-Address", exchange.ip_address),
            *extra,
            ("WARC-Concurrent-To", request_id),
            ("WARC-Profile", IDENTICAL_PAYLOAD_PROFILE),
            ("WARC-Refers-To", original.record_id),
            ("WARC-Refers-To-Target-URI", original.target_uri),
            ("WARC-Refers-To-Date", original.date),
            ("Content-Type", HTTP_RESPONSE_TYPE),
            ("WARC-Block-Digest", sha256_label(hashlib.sha256(head).hexdigest())),
            ("WARC-Payload-Digest", sha256_label(exchange.payload_sha256)),
        ],
        head,
        len(head),
        gzip_level=gzip_level,
    )
    return [request, revisit]


def _http_head(block: IO[bytes]) -> bytes:
    """The status line and headers at the front of a response block (bounded: the capture
    refused a longer head)."""
    block.seek(0)
    finder = HeaderBlock()
    head = bytearray()
    while not finder.done and len(head) < MAX_HTTP_HEAD and (data := block.read(STEP)):
        rest = finder.feed(memoryview(data))
        head += data[:len(data) - len(rest)]
    return bytes(head)


def request_record(exchange: RecordedExchange, *, gzip_level: int,
                   extra: Sequence[tuple[str, str | None]] = ()) -> PreparedRecord:
    """The request record of an exchange, concurrent to its response (or revisit)."""
    return prepare_record(
        [
            ("WARC-Type", "request"),
            ("WARC-Record-ID", new_record_id()),
            ("WARC-Date", utc_iso(exchange.started_at)),
            ("WARC-Target-URI", exchange.url),
            ("WARC-IP-Address", exchange.ip_address),
            *extra,
            ("WARC-Concurrent-To", exchange.response_id),
            ("Content-Type", HTTP_REQUEST_TYPE),
            ("WARC-Block-Digest", sha256_label(exchange.request_sha256)),
        ],
        exchange.request_block,
        len(exchange.request_block),
        gzip_level=gzip_level,
    )


STRAY_TYPE = "application/octet-stream"


def stray_record(stray: RecordedStray, *, gzip_level: int) -> PreparedRecord:
    """A `resource` record holding bytes a server sent after the end of a response, pointing
    at that response with WARC-Refers-To. Its target URI is its own
    (`urn:archiver:stray:<uuid of the response>`): replay tools index records by target URI,
    and the page's URL must only ever lead to the page. WARC-Truncated: length says that
    more arrived than it holds."""
    response_uuid = stray.response_id.strip("<>").rsplit(":", 1)[-1]
    return prepare_record(
        [
            ("WARC-Type", "resource"),
            ("WARC-Record-ID", new_record_id()),
            ("WARC-Date", utc_iso(stray.received_at)),
            ("WARC-Target-URI", f"urn:archiver:stray:{response_uuid}"),
            ("WARC-Refers-To", stray.response_id),
            ("WARC-Refers-To-Target-URI", stray.url),
            ("WARC-IP-Address", stray.ip_address),
            ("Content-Type", STRAY_TYPE),
            ("WARC-Block-Digest", sha256_label(stray.sha256)),
            ("WARC-Truncated", "length" if stray.length > len(stray.data) else None),
        ],
        stray.data,
        len(stray.data),
        gzip_level=gzip_level,
    )
