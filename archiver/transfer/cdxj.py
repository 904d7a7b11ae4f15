"""The CDXJ index of a WACZ, built while the WARC streams into the zip.

One line per capture a replay tool can serve (response, resource and revisit records with an
http(s) target URI): `<SURT key> <14-digit timestamp> <JSON>`, the JSON holding url, mime,
status, digest, length, offset and filename (the WARC's name under archive/), numbers as
strings as pywb and py-wacz write them. Lines sort as bytes, as pywb's binary search needs.

archiver's `conversion` and `metadata` records (target URIs urn:archiver:...) and requests are
not indexed: no replay tool serves them, and leaving them out means nothing in the index can
ever stand in for a page. They stay in the WARC, named in archiver/manifest.json.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from archiver.transfer.surt import surt
from archiver.warc.reader import Damage, RecordHeader
from archiver.warc.records import payload_digest

INDEXED_TYPES = frozenset({"response", "resource", "revisit"})
_HEAD_LIMIT = 64 * 1024


@dataclass
class _Capture:
    header: RecordHeader
    url: str
    head: bytearray = field(default_factory=bytearray)


def timestamp14(warc_date: str) -> str:
    """The 14-digit timestamp of a WARC-Date.

    >>> timestamp14("2025-03-14T06:00:01.123456Z")
    '20250314060001'
    """
    return "".join(char for char in warc_date if char.isdigit())[:14].ljust(14, "0")


class CdxjIndexer:
    """A `RecordSink` that collects the index lines of one WARC file.

    A record's length runs from its offset to the next record's (its gzip member, as we
    write one record per member), or to the end of the file for the last one.
    """

    def __init__(self, filename: str, file_size: int) -> None:
        self.filename = filename
        self.lines: list[str] = []
        self.damaged = False
        self._file_size = file_size
        self._current: _Capture | None = None
        self._waiting: list[_Capture] = []

    def record_start(self, header: RecordHeader) -> None:
        self._finish_waiting(header.offset)
        url = (header.get("WARC-Target-URI") or "").strip("<>")
        indexed = header.record_type in INDEXED_TYPES and url.lower().startswith("http")
        self._current = _Capture(header, url) if indexed else None

    def record_data(self, data: memoryview) -> None:
        current = self._current
        if current is not None and len(current.head) < _HEAD_LIMIT:
            current.head += data[:_HEAD_LIMIT - len(current.head)]

    def record_end(self) -> None:
        if self._current is not None:
            self._waiting.append(self._current)
        self._current = None

    def member_end(self) -> None:
        pass

    def damage(self, damage: Damage, *, in_record: bool) -> None:
        self.damaged = True  # the export verified the package first: this is a race
        self._current = None

    def finish(self) -> list[str]:
        self._finish_waiting(self._file_size)
        return self.lines

    def _finish_waiting(self, next_offset: int) -> None:
        for capture in self._waiting:
            self.lines.append(self._line(capture, next_offset - capture.header.offset))
        self._waiting = []

    def _line(self, capture: _Capture, length: int) -> str:
        header = capture.header
        status, mime = _http_head(bytes(capture.head)) if _is_http(header) else (None, None)
        if header.record_type == "revisit":
            mime = "warc/revisit"
        elif header.record_type == "resource":
            status, mime = "200", _mime(header.get("Content-Type"))
        fields = {"url": capture.url, "mime": mime or "unk", "status": status,
                  "digest": payload_digest(header.get, http=_is_http(header)),
                  "length": str(length),
                  "offset": str(header.offset), "filename": self.filename}
        data = {name: value for name, value in fields.items() if value is not None}
        key = surt(capture.url)
        return f"{key} {timestamp14(header.get('WARC-Date') or '')} {json.dumps(data)}"


def _is_http(header: RecordHeader) -> bool:
    return (header.get("Content-Type") or "").lower().startswith("application/http")


def _http_head(head: bytes) -> tuple[str | None, str | None]:
    """The status code and media type of an HTTP response head.

    >>> _http_head(b"HTTP/1.1 404 Not Found\\r\\nContent-Type: text/HTML; q=1\\r\\n\\r\\n")
    ('404', 'text/html')
    """
    end = head.find(b"\r\n\r\n")
    lines = head[:end if end >= 0 else len(head)].decode("latin-1").split("\n")
    words = lines[0].split()
    status = words[1] if len(words) > 1 and words[1].isdigit() else None
    mime = None
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-type":
            mime = _mime(value)
            break
    return status, mime


def _mime(content_type: str | None) -> str | None:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media or None


def sorted_index(lines: list[str]) -> bytes:
    """The index file: lines sorted (by code point, which is UTF-8 byte order)."""
    return "".join(line + "\n" for line in sorted(lines)).encode("utf-8")
