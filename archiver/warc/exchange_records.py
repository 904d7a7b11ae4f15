"""The request and response records of one HTTP exchange, paired by WARC-Concurrent-To; and
the record that keeps apart bytes a server sent after the end of a response."""

from __future__ import annotations

import hashlib

from archiver.capture.transport import Exchange, StrayBytes
from archiver.timestamps import utc_iso
from archiver.warc.records import (
    HTTP_REQUEST_TYPE,
    HTTP_RESPONSE_TYPE,
    PreparedRecord,
    new_record_id,
    prepare_record,
    sha256_label,
)


def exchange_records(exchange: Exchange, *, gzip_level: int) -> list[PreparedRecord]:
    """[request record, response record], compressed and ready for the writer."""
    request_id, response_id = new_record_id(), exchange.response_id
    date = utc_iso(exchange.started_at)
    common = [
        ("WARC-Date", date),
        ("WARC-Target-URI", exchange.url),
        ("WARC-IP-Address", exchange.ip_address),
    ]
    request = prepare_record(
        [
            ("WARC-Type", "request"),
            ("WARC-Record-ID", request_id),
            *common,
            ("WARC-Concurrent-To", response_id),
            ("Content-Type", HTTP_REQUEST_TYPE),
            ("WARC-Block-Digest", sha256_label(exchange.request_sha256)),
        ],
        exchange.request_block,
        len(exchange.request_block),
        gzip_level=gzip_level,
    )
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


STRAY_TYPE = "application/octet-stream"


def stray_record(stray: StrayBytes, *, gzip_level: int) -> PreparedRecord:
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
            ("WARC-Block-Digest", sha256_label(hashlib.sha256(stray.data).hexdigest())),
            ("WARC-Truncated", "length" if stray.length > len(stray.data) else None),
        ],
        stray.data,
        len(stray.data),
        gzip_level=gzip_level,
    )
