"""The HTTP status line and headers at the start of a response record's block: where they end,
what they say, read in bounded memory (a hostile record may hold a header that never ends).

One rule for every reader, the one WARC readers use (warcio, pywb): the header block ends at
the first line that holds nothing but white space, and the payload is everything after it.
Capture uses it on the bytes it writes (the payload digest, and the status and content type
manifest.json claims); verify reads records back with it, so every claim can be checked against
the record it names; extract reads the fields leniently, as browsers do (bare LF line ends,
folded lines, odd spacing).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

MAX_HTTP_HEAD = 1024 * 1024
"""The most bytes of HTTP header read before the record is given up as not HTTP."""
MAX_FIELDS = 10_000
"""Header fields kept; a flood of tiny ones past this is not worth the memory."""
STEP = 64 * 1024


class BlockReader(Protocol):
    def read(self, size: int = -1) -> bytes: ...

    def unread(self, data: bytes) -> None: ...


@dataclass(frozen=True)
class HttpHead:
    """A response's status and header fields (lowercase names, every value in order)."""

    status_line: str
    status: int | None
    fields: dict[str, list[str]] = field(default_factory=dict)

    def first(self, name: str) -> str | None:
        values = self.fields.get(name.lower())
        return values[0] if values else None

    def joined(self, name: str) -> str | None:
        """All values of a list-valued field, as one (two Content-Encoding lines are one
        list, as RFC 9110 says)."""
        values = self.fields.get(name.lower())
        return ", ".join(values) if values else None


def read_http_head(block: BlockReader) -> HttpHead:
    """Read the HTTP head off the front of `block`, leaving the payload to be read next.

    Raises ValueError when the block does not start with an HTTP status line, or its head
    does not end within MAX_HTTP_HEAD bytes.
    """
    finder = HeaderBlock()
    head = bytearray()
    while not finder.done:
        if len(head) >= MAX_HTTP_HEAD:
            raise ValueError(f"its HTTP header does not end within {MAX_HTTP_HEAD // 1024} KiB")
        data = block.read(STEP)
        if not data:
            if head.startswith(b"HTTP/"):
                break  # a head and no body, unterminated
            raise ValueError("its block is not an HTTP response")
        if not head and not b"HTTP/".startswith(data[:5]):
            block.unread(data)
            raise ValueError("its block is not an HTTP response")
        rest = finder.feed(memoryview(data))
        head += data[:len(data) - len(rest)]
        if rest:
            block.unread(bytes(rest))
    return parse_http_head(bytes(head))


def parse_http_head(head: bytes) -> HttpHead:
    """Parse a status line and header fields.

    >>> head = parse_http_head(b"HTTP/1.1 200 OK\\r\\nContent-Type: text/html\\r\\n"
    ...                        b"Content-Encoding: gzip\\r\\ncontent-encoding: br\\r\\n\\r\\n")
    >>> head.status, head.first("content-type"), head.joined("Content-Encoding")
    (200, 'text/html', 'gzip, br')
    """
    text = head.decode("latin-1")
    status_line, _, rest = text.partition("\n")
    status_line = status_line.strip()
    parts = status_line.split(None, 2)
    code = parts[1] if len(parts) > 1 else ""
    status = int(code) if len(code) == 3 and code.isdigit() else None
    entries: list[tuple[str, list[str]]] = []  # a folded line adds to the entry before it
    folding = False
    for line in rest.split("\n"):
        if line[:1] in (" ", "\t") and folding:
            entries[-1][1].append(line.strip())
            continue
        name, colon, value = line.partition(":")
        folding = bool(colon) and len(entries) < MAX_FIELDS
        if folding:
            entries.append((name.strip().lower(), [value.strip()]))
    fields: dict[str, list[str]] = {}
    for name, pieces in entries:
        fields.setdefault(name, []).append(" ".join(pieces))
    return HttpHead(status_line, status, fields)


KEEP_HEAD = 256 * 1024
"""At most this much of a header block is kept to be read (capture refuses longer ones)."""
_SCAN = 4096
_BLANK_LINE = re.compile(rb"\n[ \t\r\x0b\x0c]*\n")
_STATUS = re.compile(rb"[ \t]*HTTP/[^ \t]*[ \t]+([0-9]{3})(?:[ \t\r]|$)")


REDIRECTS = frozenset({301, 302, 303, 307, 308})
"""Statuses a browser follows to their Location (300 and 304 it does not)."""


class HeadFacts(NamedTuple):
    """What a response's header block says that manifest.json repeats (its status and
    content type, and through the redirect chain its Location)."""

    status: int | None
    content_type: str | None
    """The media type of the first Content-Type header, lowercased, without parameters."""
    location: str | None = None
    """The first Location header, as sent (bytes read as latin-1): where a redirect leads."""

    @property
    def is_redirect(self) -> bool:
        """A redirect a browser follows: a redirecting status and a Location."""
        return self.status in REDIRECTS and self.location is not None


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
    """The status, content type and Location a header block states (None where it states
    none).

    >>> read_facts(b"HTTP/1.1 404 Not Found\\r\\nContent-Type: Text/HTML; charset=utf-8\\r\\n")
    HeadFacts(status=404, content_type='text/html', location=None)
    >>> read_facts(b"HTTP/1.1 302 Found\\r\\nLocation: /next\\r\\n \\r\\nLocation: /other\\r\\n")
    HeadFacts(status=302, content_type=None, location='/next')
    """
    status_line = head.split(b"\n", 1)[0]
    matched = _STATUS.match(status_line)
    status = int(matched.group(1)) if matched else None
    lowered = head.lower()
    content_type = None
    if b"content-type" in lowered:
        value = next(_values(head, b"content-type"), None)
        if value is not None:
            content_type = value.decode("latin-1").split(";", 1)[0].strip().lower() or None
    location = None
    if b"location" in lowered:
        value = next(_values(head, b"location"), None)
        location = value.decode("latin-1") if value is not None else None
    return HeadFacts(status, content_type, location)


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
