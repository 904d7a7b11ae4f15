"""One pass over a WARC to replay, with archiver's own bounded reader: which byte ranges pywb
may index, what the index page lists, and every record that cannot be replayed, named.

A WARC from elsewhere is hostile. pywb's indexer (warcio's, inside it) stops at the first
record it cannot read: a response with no WARC-Target-URI, a missing or malformed WARC-Date, a
damaged gzip member; and it reads an HTTP header of any size into memory. One such record
would lose the whole replay. So every record is framed here first (archiver.warc: bounded
headers, damage found and passed over), judged, and only the ranges of records pywb can read
are handed to it. Each record left out is a `Skipped`, with its reason.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from archiver.decoding import Dechunker, StreamDecoder, charset_of, python_codec
from archiver.errors import EnvironmentFault, UnreadableEvidence
from archiver.replay.entry import Entry, clean_title
from archiver.untrusted_json import load_json
from archiver.warc.fields import target_uri
from archiver.warc.http_head import (
    MAX_HTTP_HEAD,
    HeaderBlock,
    HeadFacts,
    HttpHead,
    parse_http_head,
    read_facts,
)
from archiver.warc.members import Inflater
from archiver.warc.reader import Damage, Event, RecordHeader, RecordParser

READ_BLOCK = 1024 * 1024
RAW_TITLE_BYTES = 64 * 1024
"""Stored body bytes kept after the HTTP head, to find a page's <title> in."""
TITLE_SCAN_BYTES = 256 * 1024
"""Decoded bytes a <title> is looked for in."""
MAX_METADATA_JSON = 1024 * 1024
"""archiver's metadata records (an extraction, text left out) take a few KiB."""
MAX_NAMED = 100
"""Skipped records named one by one; the rest are counted."""
PAGE_TYPES = ("text/html", "application/xhtml+xml", "application/pdf")
CAPTURE_TYPES = frozenset({"response", "resource", "revisit"})
HTTP_TYPES = frozenset({"response", "request", "revisit"})
"""Record types whose block warcio reads as an HTTP message when the target is http(s)."""
UNINDEXED_TYPES = frozenset({"warcinfo", "request"})
"""Record types pywb does not index, so it never reads their date."""
_WARC_DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.\d{1,9})?Z")
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Skipped:
    """A record (or unreadable bytes) of a WARC that replay leaves out, and why."""

    warc: str
    offset: int
    reason: str
    url: str | None = None

    def __str__(self) -> str:
        """One line naming the record, its values as found (the CLI escapes what it prints)."""
        about = f" ({self.url})" if self.url else ""
        return f"{self.warc}, record at offset {self.offset}{about}: {self.reason}; skipped"


@dataclass
class SkipList:
    """The first MAX_NAMED skipped records, and how many there were in all."""

    named: list[Skipped] = field(default_factory=list)
    total: int = 0

    def add(self, skipped: Skipped) -> None:
        self.total += 1
        if len(self.named) < MAX_NAMED:
            self.named.append(skipped)

    def extend(self, other: SkipList) -> None:
        for skipped in other.named:
            self.add(skipped)
        self.total += other.total - len(other.named)

    def lines(self) -> list[str]:
        """One line each, then how many more there were."""
        more = self.total - len(self.named)
        return [str(s) for s in self.named] + ([f"and {more} more skipped"] if more else [])


@dataclass(frozen=True)
class Found:
    """A page, report or redirect of a WARC: its index entry and where its record is."""

    offset: int
    record_id: str
    entry: Entry


@dataclass
class WarcScan:
    """What one WARC holds for replay."""

    path: Path
    ranges: list[tuple[int, int]]
    """Byte ranges [start, end) of the records pywb may index, one per record (or gzip
    member), in file order."""
    found: list[Found]
    """The pages, reports and redirects among those records."""
    titles: dict[str, str]
    """{response record id: title} from archiver's metadata records."""
    skipped: SkipList
    captures: int
    """How many of those records are captures replay can serve (http(s) responses, resources
    and revisits)."""


def scan_warc(path: Path) -> WarcScan:
    """Read the WARC at `path` once; EnvironmentFault if it cannot be read."""
    scanner = _Scanner(path.name)
    parser = RecordParser(scanner, accept_arc=True)  # an ARC file is read as WARC records

    def emit(event: Event) -> None:
        parser.handle([event])

    inflater = Inflater(emit, expect_gzip=path.name.lower().endswith(".gz"), accept_arc=True)
    try:
        with path.open("rb") as handle:
            while block := handle.read(READ_BLOCK):
                inflater.feed(block)
            inflater.finish()
            size = handle.tell()
    except OSError as exc:
        raise EnvironmentFault.from_os_error(exc, path) from exc
    return scanner.finish(path, size)


def warc_timestamp(date: str) -> str | None:
    """The 14 digits of a WARC-Date in the form WARC 1.1 requires, or None.

    >>> warc_timestamp("2024-05-01T12:00:09.5Z"), warc_timestamp("2024-02-30T12:00:00Z")
    ('20240501120009', None)
    """
    matched = _WARC_DATE.fullmatch(date.strip())
    if matched is None:
        return None
    year, month, day, hour, minute, second = (int(part) for part in matched.groups())
    try:
        datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    return "".join(matched.groups())


class _Record:
    """One record as it streams by: its header, its first bytes, what is wrong with it."""

    def __init__(self, header: RecordHeader) -> None:
        self.header = header
        self.kind = header.record_type
        self.url = target_uri(header)
        self.is_web = self.url is not None and self.url.lower().startswith(("http://", "https://"))
        self.is_http = self.kind in HTTP_TYPES and self.is_web
        self.problem = _header_problem(header, self.url)
        self.data = bytearray()
        self._wanted = 0
        if self.problem is None and self.is_http and self._has_head_to_read:
            self._wanted = MAX_HTTP_HEAD + 4 + (RAW_TITLE_BYTES if self.kind == "response" else 0)
        elif self.problem is None and self._is_metadata_json:
            self._wanted = MAX_METADATA_JSON

    @property
    def _has_head_to_read(self) -> bool:
        """A request's head is only checked for length: one shorter than the limit is not
        read."""
        return self.kind != "request" or self.header.content_length > MAX_HTTP_HEAD

    @property
    def _is_metadata_json(self) -> bool:
        content_type = (self.header.get("Content-Type") or "").lower()
        return self.kind == "metadata" and content_type.startswith("application/json")

    def take(self, data: memoryview) -> None:
        room = self._wanted - len(self.data)
        if room > 0:
            self.data += data[:room]

    def http_head(self) -> _Head | str:
        """The HTTP head, or what is wrong with it. It ends where warcio's (so pywb's) ends:
        at the first line of nothing but white space."""
        if not self.header.content_length:
            return _NO_HEAD if self.kind != "response" else "its HTTP response is empty"
        if not self._has_head_to_read:
            return _NO_HEAD
        finder = HeaderBlock()
        window = memoryview(self.data)[:MAX_HTTP_HEAD + 4]  # the record is whole: no more data
        payload_at = len(window) - len(finder.feed(window))
        if not finder.done and self.header.content_length > MAX_HTTP_HEAD:
            return "its HTTP header does not end within 1 MiB"
        head = bytes(finder.kept)
        facts = read_facts(head) if self.kind != "request" else _NO_HEAD.facts
        if self.kind != "request" and facts.status is None:
            return "its HTTP response has no status line that can be read"
        return _Head(head, payload_at, facts)


class _Head(NamedTuple):
    """A record's HTTP head: its bytes, where its payload starts, its status and type."""

    head: bytes
    payload_at: int
    facts: HeadFacts


_NO_HEAD = _Head(b"", 0, HeadFacts(None, None))


class _Scanner:
    """A `RecordSink` that judges each record as it streams by."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.skipped = SkipList()
        self._units: dict[int, bool] = {}
        self._found: list[Found] = []
        self._captures: list[int] = []
        self._titles: dict[str, str] = {}
        self._record: _Record | None = None

    def record_start(self, header: RecordHeader) -> None:
        self._units.setdefault(header.offset, True)
        self._record = _Record(header)

    def record_data(self, data: memoryview) -> None:
        if self._record is not None:
            self._record.take(data)

    def record_end(self) -> None:
        record, self._record = self._record, None
        if record is not None:
            self._judge(record)

    def member_end(self) -> None:
        pass

    def damage(self, damage: Damage, *, in_record: bool) -> None:
        record, self._record = self._record, None
        if in_record and record is not None:
            self._skip(record.header.offset, damage.message, record.url)
        else:
            self._skip(damage.offset, damage.message)

    def finish(self, path: Path, size: int) -> WarcScan:
        starts = sorted(self._units)
        ends = [*starts[1:], size] if starts else []
        ranges = [(start, end) for start, end in zip(starts, ends, strict=True)
                  if self._units[start] and end > start]
        good = {start for start, _ in ranges}
        return WarcScan(path, ranges, [f for f in self._found if f.offset in good],
                        self._titles, self.skipped,
                        sum(1 for offset in self._captures if offset in good))

    def _skip(self, offset: int, reason: str, url: str | None = None) -> None:
        self._units[offset] = False
        self.skipped.add(Skipped(self.name, offset, reason, url))

    def _judge(self, record: _Record) -> None:
        offset = record.header.offset
        if record.problem is not None:
            self._skip(offset, record.problem, record.url)
            return
        head = record.http_head() if record.is_http else _NO_HEAD
        if isinstance(head, str):
            self._skip(offset, head, record.url)
            return
        if record.kind in CAPTURE_TYPES and record.is_web:
            self._captures.append(offset)
        if record.kind == "response" and record.is_http:
            entry = _page_entry(record, head)
            if entry is not None:
                self._found.append(Found(offset, record.header.record_id or "", entry))
        elif record.kind == "metadata":
            self._metadata_title(record)

    def _metadata_title(self, record: _Record) -> None:
        refers_to = record.header.get("WARC-Refers-To")
        if not refers_to or not record.data or record.header.content_length > MAX_METADATA_JSON:
            return
        try:
            document = load_json(bytes(record.data), "metadata record")
        except UnreadableEvidence:
            return  # a label for the index, no more: verify names damaged records
        title = clean_title(document.get("title")) if isinstance(document, dict) else None
        if title:
            self._titles[refers_to] = title


def _header_problem(header: RecordHeader, url: str | None) -> str | None:
    """Why pywb could not index this record from its WARC header alone, or None."""
    kind = header.record_type
    if url is None and (kind in CAPTURE_TYPES or (kind in HTTP_TYPES and header.content_length)):
        return "it has no WARC-Target-URI"
    content_type = (header.get("Content-Type") or "").lower()
    if kind in UNINDEXED_TYPES or content_type.startswith("application/warc-fields"):
        return None
    date = header.get("WARC-Date")
    if date is None:
        return "it has no WARC-Date"
    if warc_timestamp(date) is None:
        return f"its WARC-Date {date[:60]!r} is not a date"
    return None


def _page_entry(record: _Record, head: _Head) -> Entry | None:
    """The index entry of a page, a report or a redirect; None for anything else."""
    status, mime = head.facts.status, head.facts.content_type
    if status is None:
        return None
    is_redirect = 300 <= status < 400
    if mime not in PAGE_TYPES and not is_redirect:
        return None
    parsed = parse_http_head(head.head)
    content_type = parsed.first("content-type")
    title = None
    if mime is not None and "html" in mime:
        title = _html_title(bytes(record.data[head.payload_at:]), parsed)
    location = parsed.first("location") if is_redirect else None
    return Entry(record.url or "", title, record.header.get("WARC-Date"), status, content_type,
                 note=f"redirects to {location}" if location else None)


def _html_title(stored: bytes, head: HttpHead) -> str | None:
    """A label for the index from the page's <title>, in the charset its Content-Type names
    (else UTF-8); archiver extract does the real reading."""
    match = _TITLE.search(_decoded(stored, head))
    if match is None:
        return None
    codec = python_codec(charset_of(head.first("content-type"))) or "utf-8"
    return clean_title(html.unescape(match.group(1).decode(codec, "replace")))


def _decoded(stored: bytes, head: HttpHead) -> bytes:
    """The first bytes of a body as a browser reads them: de-chunked and decoded, capped."""
    if "chunked" in (head.joined("transfer-encoding") or "").lower():
        stored = _dechunked(stored)
    encoding = head.joined("content-encoding")
    if not encoding:  # most pages: nothing to undo, and no decoder to set up
        return stored[:TITLE_SCAN_BYTES]
    return b"".join(StreamDecoder(encoding, TITLE_SCAN_BYTES).decode(stored))


def _dechunked(stored: bytes) -> bytes:
    """The chunks' data, or the bytes as they are when they are not chunked at all (as
    browsers read a body that says it is chunked but is not)."""
    pieces: list[bytes] = []

    def collect(piece: memoryview) -> None:
        pieces.append(bytes(piece))

    dechunker = Dechunker(collect)
    dechunker.feed(memoryview(stored))
    return stored if dechunker.is_broken and not pieces else b"".join(pieces)
