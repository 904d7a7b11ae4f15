"""The request and response records of one HTTP exchange, paired by WARC-Concurrent-To."""

from __future__ import annotations

from archiver.capture.transport import Exchange
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
    request_id, response_id = new_record_id(), new_record_id()
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
