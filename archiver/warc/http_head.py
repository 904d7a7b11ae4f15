"""The HTTP status line and headers at the start of a response record's block, read in
bounded memory (a hostile record may hold a header that never ends) and leniently, the way
browsers and warcio read what servers send: bare LF line ends, folded lines, odd spacing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

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
    buffer = bytearray()
    searched = 0
    while True:
        end = _head_end(buffer, max(0, searched - 3))
        searched = len(buffer)
        if end >= 0:
            block.unread(bytes(buffer[end:]))
            return parse_http_head(bytes(buffer[:end]))
        if len(buffer) >= MAX_HTTP_HEAD:
            raise ValueError(f"its HTTP header does not end within {MAX_HTTP_HEAD // 1024} KiB")
        data = block.read(STEP)
        if not data:
            if buffer.startswith(b"HTTP/"):
                return parse_http_head(bytes(buffer))  # a head and no body, unterminated
            raise ValueError("its block is not an HTTP response")
        if not buffer and not b"HTTP/".startswith(data[:5]):
            block.unread(data)
            raise ValueError("its block is not an HTTP response")
        buffer += data


def _head_end(data: bytearray, start: int) -> int:
    """Index just past the blank line that ends a head (looking from `start`), or -1."""
    crlf = data.find(b"\r\n\r\n", start)
    bare = data.find(b"\n\n", start, crlf + 2 if crlf >= 0 else len(data))
    if bare >= 0:
        return bare + 2
    return crlf + 4 if crlf >= 0 else -1


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
