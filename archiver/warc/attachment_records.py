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

from archiver.warc.derived_records import record_about
from archiver.warc.records import PreparedRecord


def attachment_record(kind: str, content_type: str, block: IO[bytes], length: int,
                      sha256: str, *, refers_to: str, source_url: str,
                      source_date: str | None, created: str,
                      gzip_level: int) -> PreparedRecord:
    """A resource record holding `block` (`length` bytes, SHA-256 `sha256`) about the
    response record `refers_to`."""
    return record_about("resource", kind, content_type, block, length, sha256,
                        refers_to=refers_to, source_url=source_url, source_date=source_date,
                        created=created, gzip_level=gzip_level)
