"""The HTTP header block at the start of a record's block: where it ends and what it says.

Read the way WARC readers read it (warcio, pywb): the header block ends at the first line
that holds nothing but white space, and the payload is everything after it. Capture uses
these rules on the bytes it writes, to take a response record's payload digest and the claims
manifest.json makes about it (status, content type); verify reads the record back with the
same rules, so every such claim can be checked against the record it names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

KEEP_HEAD = 256 * 1024
"""At most this much of a header block is kept to be read (capture refuses longer ones)."""
_SCAN = 4096
_BLANK_LINE = re.compile(rb"\n[ \t\r\x0b\x0c]*\n")
_STATUS = re.compile(rb"[ \t]*HTTP/[^ \t]*[ \t]+([0-9]{3})(?:[ \t\r]|$)")


class HeadFacts(NamedTuple):
    """What a response's header block says that manifest.json repeats."""

    status: int | None
    content_type: str | None
    """The media type of the first Content-Type header, lowercased, without parameters."""


class HeaderBlock:
    """Finds where an HTTP header block ends, as warcio does: at the first line holding
    nothing but white space (the status line itself, if it is blank)."""

    def __init__(self) -> None:
        self.done = False
        self.kept = bytearray()
        # Bytes from the last newline on, while they are all white space: a blank line may
        # straddle two pieces. It starts as a newline so a blank status line also ends it.
        self._tail = b"\n"

    def feed(self, data: memoryview) -> memoryview:
        """Consume header bytes; return the rest of `data` (the start of the payload)."""
        index, size = 0, len(data)
        while index < size and not self.done:
            index += self._scan(bytes(data[index:index + _SCAN]))
        return data[index:]

    def _scan(self, window: bytes) -> int:
        """Look for the blank line in `window`; return how many of its bytes are header."""
        joined = self._tail + window
        found = _BLANK_LINE.search(joined)
        used = found.end() - len(self._tail) if found else len(window)
        self.done = found is not None
        if len(self.kept) < KEEP_HEAD:
            self.kept += window[:used]
        last = joined.rfind(b"\n")
        self._tail = joined[last:] if last >= 0 and not joined[last:].strip() else b""
        return used

    @property
    def is_chunked(self) -> bool:
        if b"chunked" not in self.kept.lower():
            return False
        for line in bytes(self.kept).split(b"\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"transfer-encoding" and b"chunked" in value.lower():
                return True
        return False

    def facts(self) -> HeadFacts:
        return read_facts(bytes(self.kept))


def read_facts(head: bytes) -> HeadFacts:
    """The status and content type a header block states (None where it states none).

    >>> read_facts(b"HTTP/1.1 404 Not Found\\r\\nContent-Type: Text/HTML; charset=utf-8\\r\\n")
    HeadFacts(status=404, content_type='text/html')
    """
    status_line = head.split(b"\n", 1)[0]
    matched = _STATUS.match(status_line)
    status = int(matched.group(1)) if matched else None
    content_type = None
    if b"content-type" in head.lower():
        value = next(_values(head, b"content-type"), None)
        if value is not None:
            content_type = value.decode("latin-1").split(";", 1)[0].strip().lower() or None
    return HeadFacts(status, content_type)


def _values(head: bytes, wanted: bytes) -> Iterator[bytes]:
    """The values of header `wanted` (lowercase name), continuation lines joined, in order."""
    name: bytes | None = None
    value = b""
    for line in head.split(b"\n")[1:]:
        line = line.rstrip(b"\r")
        blank = not line.strip()
        if line[:1] in (b" ", b"\t") and not blank and name is not None:
            value += b" " + line.strip()
            continue
        if name == wanted:
            yield value
        if blank:
            return  # the blank line ends the block
        name, colon, rest = line.partition(b":")
        name, value = (name.strip().lower(), rest.strip()) if colon else (None, b"")
    if name == wanted:
        yield value
