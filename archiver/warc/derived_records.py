"""The records that carry an extraction inside the WARC: the text as a `conversion` record and
the metadata as a `metadata` record, each pointing at its source with WARC-Refers-To.

Both get a target URI of their own (`urn:archiver:text:…`, `urn:archiver:metadata:…`) rather
than the source's URL, so replay tools that index every record by its target URI (pywb does)
never mistake extracted text for a capture of the page.

Like every record we write that is not HTTP, they carry a block digest only: the block is
the payload, and `fastwarc check --verify-payloads` rejects a WARC-Payload-Digest on any
record it does not read as HTTP (docs/decisions.md).
"""

from __future__ import annotations

import hashlib
from typing import IO

from archiver.warc.records import PreparedRecord, new_record_id, prepare_record, sha256_label

TEXT_TYPE = "text/plain; charset=utf-8"
METADATA_TYPE = "application/json"


def derived_record(kind: str, body: bytes, *, refers_to: str, source_url: str | None,
                   source_date: str | None, created: str, gzip_level: int) -> PreparedRecord:
    """A `conversion` (kind "text") or `metadata` (kind "metadata") record about the record
    `refers_to`."""
    record_type, content_type = (("conversion", TEXT_TYPE) if kind == "text"
                                 else ("metadata", METADATA_TYPE))
    return record_about(record_type, kind, content_type, body, len(body),
                        hashlib.sha256(body).hexdigest(), refers_to=refers_to,
                        source_url=source_url, source_date=source_date, created=created,
                        gzip_level=gzip_level)


def record_about(record_type: str, kind: str, content_type: str, block: bytes | IO[bytes],
                 length: int, sha256: str, *, refers_to: str, source_url: str | None,
                 source_date: str | None, created: str, gzip_level: int) -> PreparedRecord:
    """A record of `record_type` holding `block` (`length` bytes, SHA-256 `sha256`) made from
    the record `refers_to`, under a target URI of its own: `urn:archiver:<kind>:<uuid of
    refers_to>`. Every record archiver derives from another (extractions, a browser
    capture's attachments) is written here."""
    source_uuid = refers_to.strip("<>").rsplit(":", 1)[-1]
    return prepare_record(
        [
            ("WARC-Type", record_type),
            ("WARC-Record-ID", new_record_id()),
            ("WARC-Date", created),
            ("WARC-Target-URI", f"urn:archiver:{kind}:{source_uuid}"),
            ("WARC-Refers-To", refers_to),
            ("WARC-Refers-To-Target-URI", source_url),
            ("WARC-Refers-To-Date", source_date),
            ("Content-Type", content_type),
            ("WARC-Block-Digest", sha256_label(sha256)),
        ],
        block,
        length,
        gzip_level=gzip_level,
    )
