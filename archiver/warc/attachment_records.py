"""The record that keeps an attachment of a browser capture (a screenshot, a PDF snapshot,
the rendered DOM): a `resource` record pointing at the page's response record with
WARC-Refers-To.

Its target URI is its own (`urn:archiver:<kind>:<uuid of the page's response>`), as for
extractions: replay tools index records by target URI, and the page's URL must lead to the
page as it was served, never to a picture of it. Like every record archiver writes that is
not HTTP, it carries a block digest only.
"""

from __future__ import annotations

from typing import IO

from archiver.warc.records import PreparedRecord, new_record_id, prepare_record, sha256_label


def attachment_record(kind: str, content_type: str, block: IO[bytes], length: int,
                      sha256: str, *, refers_to: str, source_url: str,
                      source_date: str | None, created: str,
                      gzip_level: int) -> PreparedRecord:
    """A resource record holding `block` (`length` bytes, SHA-256 `sha256`) about the
    response record `refers_to`."""
    source_uuid = refers_to.strip("<>").rsplit(":", 1)[-1]
    return prepare_record(
        [
            ("WARC-Type", "resource"),
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
