"""ARC files written by hand, as the Internet Archive's ARC file format spec describes them
(version 1), for the tests of extract and replay."""

from __future__ import annotations

import gzip
from pathlib import Path

ARC_DATE = "20010912085300"
ARC_PAGES = {"http://old.example/index.html": "The front page, 2001",
             "http://old.example/reports/water.html": "A report kept in ARC"}


def _arc_page(url: str, title: str) -> bytes:
    body = f"<html><head><title>{title}</title></head><body><p>{url}</p></body></html>".encode()
    http = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % (
        len(body)) + body
    return b"%s 192.0.2.9 %s text/html %d\n" % (url.encode(), ARC_DATE.encode(), len(http)) + (
        http + b"\n")


def write_arc(path: Path, *, gzipped: bool) -> None:
    """An ARC file as the Internet Archive's spec writes it: a version 1 `filedesc://` record
    whose header block names the fields, then one record per capture, each `URL IP-address
    Archive-date Content-type Archive-length`, its block, a newline; in an .arc.gz, each
    record a gzip member of its own."""
    description = (b"1 0 Example Crawl\n"
                   b"URL IP-address Archive-date Content-type Archive-length\n")
    records = [b"filedesc://%s 0.0.0.0 %s text/plain %d\n" % (
        path.name.encode(), ARC_DATE.encode(), len(description)) + description + b"\n"]
    records += [_arc_page(url, title) for url, title in ARC_PAGES.items()]
    path.write_bytes(b"".join(gzip.compress(r) if gzipped else r for r in records))
