"""Undo Content-Encoding as data streams in, with a cap on what it may expand to.

A decompression bomb (a few KB that inflate to gigabytes) stops at the cap; the caller sees
`exceeded` and records it. The evidence itself always keeps the encoded bytes as received.
"""

from __future__ import annotations

import re
import zlib

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE)


class StreamDecoder:
    """Decodes gzip, deflate (zlib or raw) or identity bodies, never past `max_output` bytes."""

    def __init__(self, content_encoding: str | None, max_output: int) -> None:
        encoding = (content_encoding or "identity").strip().lower()
        self.encoding = encoding
        self.max_output = max_output
        self.produced = 0
        self.exceeded = False
        self.failed: str | None = None
        self._inflater: zlib._Decompress | None = None
        if encoding in ("gzip", "x-gzip", "deflate"):
            # 47: accept a gzip or zlib header; raw deflate is tried if that fails.
            self._inflater = zlib.decompressobj(47)
        elif encoding != "identity":
            self.failed = f"content encoding {encoding!r} is not supported"

    def decode(self, data: bytes) -> bytes:
        if self.failed or self.exceeded:
            return b""
        if self._inflater is None:
            return self._cap(data)
        room = self.max_output - self.produced
        try:
            out = self._inflater.decompress(data, room + 1)
        except zlib.error as exc:
            if self.produced == 0 and self.encoding == "deflate":
                self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                return self.decode(data)
            self.failed = f"{self.encoding} body could not be decoded ({exc})"
            return b""
        return self._cap(out)

    def _cap(self, data: bytes) -> bytes:
        room = self.max_output - self.produced
        if len(data) > room:
            self.exceeded = True
            data = data[:room]
        self.produced += len(data)
        return data


def charset_of(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header.

    >>> charset_of('text/html; Charset="ISO-8859-1"')
    'iso-8859-1'
    """
    if not content_type:
        return None
    for part in content_type.split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip("\"'").lower() or None
    return None


def sniff_html_charset(head: bytes) -> str | None:
    """The charset a page declares in its first bytes (BOM or meta tag)."""
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    found = _CHARSET.search(head[:4096])
    return found.group(1).decode("ascii").lower() if found else None
