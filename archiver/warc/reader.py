"""Read any WARC file's records fast and in fixed memory, for verification and extraction.

A `RecordParser` frames records in a stream of `Event`s (inflated data, gzip member ends,
damage; archiver.warc.members makes them from a file's bytes) and hands each record's
header and block bytes to a `RecordSink`, which does the hashing. Nothing here holds a whole
record. Events are plain tuples so that a verifier can make them in one thread and parse
them in another, with batches in between. Asked to, it also frames the records of an ARC
file (the format before WARC: one header line per record, see archiver.warc.arc).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal, Protocol, TypeAlias

from archiver.warc.arc import arc_header_fields, arc_line_version

PIECE = 1024 * 1024
"""The most inflated bytes in one DATA event: a gzip bomb still arrives in small pieces."""
MAX_HEADER = 1024 * 1024

DATA, PLAIN_DATA, MEMBER_END, DAMAGE, END_OF_FILE, CHECKPOINT = range(6)
_BLANK_LINE = re.compile(rb"\n\r?\n")
_WARC_LINE = b"\nWARC/"
_ARC_LINE = re.compile(rb"\n(?=[A-Za-z][A-Za-z0-9+.\-]*:[^ \n]* [^ \n]+ \d{12,17} [^ \n]+"
                       rb"(?: [^ \n]+){0,5} \d+\r?\n)")
"""The start of a line that looks like an ARC header (version 1 or 2), to resync on."""
MAX_ARC_LINE = 8 * 1024
DamageCode = Literal["truncated-gzip", "not-gzip", "gzip-member-corrupt", "record-header-invalid",
                     "truncated-record", "records-not-searched"]
"""What is wrong with bytes that cannot be read as records (a verification problem's code)."""


@dataclass(frozen=True)
class Damage:
    """Bytes that cannot be read as WARC records: a broken or truncated member, a bad header."""

    code: DamageCode
    offset: int
    message: str


Event: TypeAlias = tuple[int, int, Any]
"""(DATA, member offset, inflated bytes), (MEMBER_END, member offset, None), (DAMAGE, offset,
Damage), (END_OF_FILE, file size, None); for an uncompressed file (PLAIN_DATA, file offset of
the first byte, bytes); (CHECKPOINT, offset, whether a member ends there) when asked for."""


_field_key = cache(str.lower)
"""Field names are asked for by a few constant spellings, tens of thousands of times."""


@dataclass
class RecordHeader:
    """A record's WARC header: its fields (first value of each name) and where it starts."""

    offset: int
    version: str
    fields: dict[str, str] = field(default_factory=dict)
    content_length: int = 0
    arc_version: int | None = None
    """For an ARC record, the ARC version its header line is written in (1 or 2)."""

    def get(self, name: str) -> str | None:
        return self.fields.get(_field_key(name))

    @property
    def record_id(self) -> str | None:
        return self.get("WARC-Record-ID")

    @property
    def record_type(self) -> str:
        return (self.get("WARC-Type") or "").lower()


def parse_header(block: bytes, offset: int) -> RecordHeader:
    """Parse a WARC header block (up to and including its blank line); ValueError if bad."""
    text = block.decode("utf-8", "replace")
    version, _, rest = text.partition("\n")
    version = version.strip()
    if not version.startswith("WARC/"):
        raise ValueError(f"a record should start with a WARC version line, not {version[:40]!r}")
    header = RecordHeader(offset, version)
    if "\n " in rest or "\n\t" in rest:
        _read_folded_fields(rest, header.fields)
    else:  # the usual case, read in one sweep (16,000 headers cost 0.3 s the long way)
        fields = header.fields
        for line in rest.split("\n"):
            name, colon, value = line.partition(":")
            if colon:
                key = name.strip().lower()
                if key not in fields:
                    fields[key] = value.strip()
    length = header.get("Content-Length")
    if length is None or not length.isdigit():
        raise ValueError(f"the record has no valid Content-Length (found {length!r})")
    header.content_length = int(length)
    return header


def parse_arc_header(line: bytes, offset: int) -> RecordHeader:
    """Parse an ARC record's header line as the WARC header it stands for; ValueError if bad."""
    header = RecordHeader(offset, "ARC", arc_header_fields(line))
    header.content_length = int(header.fields["content-length"])
    header.arc_version = arc_line_version(line)
    return header


def _read_folded_fields(text: str, fields: dict[str, str]) -> None:
    """Fields where a line may continue the one before it (starting with a space or tab)."""
    name = ""
    for line in text.split("\n"):
        if line[:1] in (" ", "\t") and name:
            fields[name] += " " + line.strip()
        elif ":" in line:
            raw, value = line.split(":", 1)
            name = raw.strip().lower()
            fields.setdefault(name, value.strip())


def _header_end(data: bytes | bytearray, start: int, stop: int) -> int:
    """Index just past the blank line that ends a WARC header, or -1. (One search for either
    line end: two, one per kind, each read to `stop` when the other kind ends the header.)"""
    found = _BLANK_LINE.search(data, start, stop)
    return found.end() if found is not None else -1


class RecordSink(Protocol):
    """What `RecordParser` drives; a verifier hashes blocks here."""

    def record_start(self, header: RecordHeader) -> None: ...

    def record_data(self, data: memoryview) -> None: ...

    def record_end(self) -> None: ...

    def member_end(self) -> None: ...

    def damage(self, damage: Damage, *, in_record: bool) -> None: ...


_HEADER, _BLOCK, _SKIP = range(3)


class RecordParser:
    """Frames WARC records in the events of an `Inflater` and drives a `RecordSink`.

    After a bad header it skips to the next line that starts with `WARC/` (or the next gzip
    member), so one bad record never hides the rest. With `accept_arc`, a file whose first
    header is not a WARC one is read as an ARC file; `skipping` starts it as if after a bad
    header (to look for records inside bytes another reading took as one record's block).

    A CHECKPOINT event is clean when a member ended there and no record or header was open
    across it: a parser started afresh at that offset would see the rest of the file exactly
    as this one would. `on_checkpoint` hears of each; at the first clean one this parser
    stops (`stopped_at`), ignoring every later event: the rest is someone else's.
    """

    def __init__(self, sink: RecordSink,
                 on_checkpoint: Callable[[int, bool], object] | None = None, *,
                 accept_arc: bool = False, skipping: bool = False) -> None:
        self.stopped_at: int | None = None
        # An ARC file is known by its first record; then a header is one line, and after a
        # bad one each following line is tried, quietly, until one is a header again.
        self._accept_arc = accept_arc
        self.arc_file: bool | None = None if accept_arc else False
        """Whether the file is an ARC file: None until its first header says."""
        self._quiet = False
        self._on_checkpoint = on_checkpoint
        self._sink = sink
        self._state = _HEADER
        self._head = bytearray()
        self._head_offset = 0
        self._remaining = 0
        self._record_offset = 0
        self._gzip = False
        if skipping:  # started inside a record: look for the next one, saying nothing
            self._state, self._quiet = _SKIP, True

    def handle(self, events: list[Event]) -> None:
        for kind, offset, value in events:
            if self.stopped_at is not None:
                return
            if kind in (DATA, PLAIN_DATA):
                self._gzip = kind == DATA
                self._data(offset, value)
            elif kind == MEMBER_END:
                self._member_end()
            elif kind == DAMAGE:
                self._damage(value)
            elif kind == CHECKPOINT:
                self._checkpoint(offset, value)
            else:
                self._end_of_file()

    def _checkpoint(self, offset: int, member_ends: bool) -> None:
        clean = member_ends and self._state == _HEADER and not self._head
        if self._on_checkpoint is not None:
            self._on_checkpoint(offset, clean)
        if clean:
            self.stopped_at = offset

    def _data(self, offset: int, data: bytes) -> None:
        view = memoryview(data)
        index, size = 0, len(data)
        while index < size:
            if self._state == _BLOCK:
                take = min(size - index, self._remaining)
                self._sink.record_data(view[index:index + take])
                index += take
                self._remaining -= take
                if not self._remaining:
                    self._end_record()
            elif self._state == _HEADER:
                index = self._header(data, offset, index)
            else:
                index = self._skip(data, offset, index)

    def _header(self, data: bytes, offset: int, index: int) -> int:
        if not self._head:
            # The CRLF CRLF that closes the previous record, or a stray blank line.
            while index < len(data) and data[index] in b"\r\n":
                index += 1
            if index == len(data):
                return index
            self._head_offset = offset if self._gzip else offset + index
            end = self._head_end(data, index, index, index + MAX_HEADER)
            if end >= 0:
                self._start_record(data[index:end])
                return end
        before = len(self._head)
        taken = data[index:index + MAX_HEADER]
        self._head += taken
        end = self._head_end(self._head, 0, max(0, before - 3), MAX_HEADER)
        if end < 0:
            if len(self._head) >= MAX_HEADER:
                self._bad_header("the record header does not end within 1 MiB",
                                 at_line_start=False)
                return index  # look for the next record in these bytes too
            return index + len(taken)
        head = bytes(self._head[:end])
        self._head.clear()
        self._start_record(head)
        return index + end - before

    def _is_arc(self, first: bytes | bytearray) -> bool:
        """Whether the header starting with `first` is an ARC header line (deciding, at the
        file's first header, whether the file is an ARC file)."""
        if self.arc_file is None:
            if b"WARC/".startswith(first[:5]) and len(first) < 5:
                return False  # too few bytes to tell yet
            self.arc_file = not first.startswith(b"WARC/")
        return self.arc_file and not first.startswith(b"WARC/")

    def _head_end(self, data: bytes | bytearray, start: int, search_from: int, stop: int) -> int:
        """Index just past the end of the header starting at `start`, or -1."""
        if self._accept_arc and self._is_arc(data[start:start + 5]):
            newline = data.find(b"\n", search_from, stop)
            return newline + 1 if newline >= 0 else -1
        return _header_end(data, search_from, stop)

    def _start_record(self, head: bytes) -> None:
        try:
            if self._accept_arc and self._is_arc(head[:5]):
                header = parse_arc_header(head, self._head_offset)
            else:
                header = parse_header(head, self._head_offset)
        except ValueError as exc:
            self._bad_header(str(exc), at_line_start=True)
            return
        self._quiet = False
        self._record_offset = header.offset
        self._sink.record_start(header)
        self._state, self._remaining = _BLOCK, header.content_length
        if not self._remaining:
            self._end_record()

    def _end_record(self) -> None:
        self._state = _HEADER
        self._sink.record_end()
        if not self._gzip:
            self._sink.member_end()

    def _bad_header(self, message: str, *, at_line_start: bool) -> None:
        if not self._quiet:
            self._sink.damage(Damage("record-header-invalid", self._head_offset, message),
                              in_record=False)
        # The skip looks for a line starting WARC/: after a header's blank line, the very
        # next byte starts one.
        self._head[:] = b"\n" if at_line_start else b""
        self._state = _SKIP

    def _skip(self, data: bytes, offset: int, index: int) -> int:
        """Look for where the next record starts. Only the few bytes the head buffer carries
        from the previous piece (a start may straddle two) are ever copied, so skipping
        costs the same for one bad header as for a million of them."""
        end = min(len(data), index + PIECE)
        find = self._next_arc_line if self.arc_file else self._next_warc_line
        found = find(data, index, end)
        if found is None:
            return end
        start, seen = found
        self._head[:] = seen  # the part of the start already seen, in the carry
        self._head_offset = offset if self._gzip else offset + start
        self._state = _HEADER
        self._quiet = bool(self.arc_file)  # a line that looks like a header may still not be
        return max(index, start)

    def _next_warc_line(self, data: bytes, index: int, end: int) -> tuple[int, bytes] | None:
        """(index of the next line starting `WARC/`, its bytes already in the carry)."""
        carry = bytes(self._head)
        joint = carry + data[index:index + len(_WARC_LINE) - 1]
        found = joint.find(_WARC_LINE)
        if found >= 0:
            return index + found + 1 - len(carry), joint[found + 1:len(carry)]
        found = data.find(_WARC_LINE, index, end)
        if found >= 0:
            return found + 1, b""
        self._head[:] = (carry + data[max(index, end - 5):end])[-5:]
        return None

    def _next_arc_line(self, data: bytes, index: int, end: int) -> tuple[int, bytes] | None:
        """(index of the next line that looks like an ARC header, its bytes in the carry).
        The carry is the previous piece's unfinished last line, with its newline."""
        carry = bytes(self._head)
        newline = data.find(b"\n", index, end)
        if carry:
            line = carry + data[index:newline + 1 if newline >= 0 else end]
            if newline >= 0 and _ARC_LINE.match(line):
                return index + 1 - len(carry), line[1:len(carry)]
            if newline < 0:
                self._head[:] = line if len(line) <= MAX_ARC_LINE else b""
                return None
        if newline >= 0:
            found = _ARC_LINE.search(data, newline, end)
            if found is not None:
                return found.start() + 1, b""
            last = data.rfind(b"\n", newline, end)
            self._head[:] = data[last:end] if end - last <= MAX_ARC_LINE else b""
        return None

    def _member_end(self) -> None:
        if self._state == _SKIP:
            self._head.clear()
            self._state = _HEADER
            self._quiet = bool(self.arc_file)
        self._sink.member_end()

    def _damage(self, damage: Damage) -> None:
        in_record = self._state == _BLOCK or (self._state == _HEADER and bool(self._head))
        self._head.clear()
        self._state = _HEADER
        self._sink.damage(damage, in_record=in_record)

    def _end_of_file(self) -> None:
        if self._state == _BLOCK:
            self._state = _HEADER
            self._sink.damage(Damage("truncated-record", self._record_offset,
                                     f"the file ends inside the record, {self._remaining} "
                                     "bytes before the end its Content-Length gives"),
                              in_record=True)
        elif self._state == _HEADER and self._head.strip() and not self._quiet:
            self._head.clear()
            self._sink.damage(Damage("truncated-record", self._head_offset,
                                     "the file ends inside a record header"), in_record=False)
