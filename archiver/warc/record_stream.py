"""The records of any WARC (or ARC) file, one at a time, each with its block as a stream.

The framing is the one verify uses (archiver.warc.members and .reader), so both name the same
damage at the same offsets, bound every header, and inflate a gzip bomb in small pieces.
Here its events are pulled rather than pushed: a reader asks for the next record and reads its
block like a file, and the file is read only as far as that needs. Memory holds at most what
one small step of the file inflates to, whatever the records hold.

A record whose Content-Length runs past the end of the file would swallow every record after
it; when the file ends inside a record, the bytes after that record's start are searched
again for records, so they are read too rather than silently lost.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import BinaryIO

from archiver.capped import Capped
from archiver.warc.members import Inflater
from archiver.warc.reader import Damage, Event, RecordHeader, RecordParser

FEED = 16 * 1024
"""File bytes read at a time: deflate expands at most ~1,030 times, so one step of the file
inflates to at most ~16 MiB, however hostile it is."""
MAX_RESCANS = 8
"""Records cut by the end of the file whose bytes are searched again: each search reads to
the end of the file, so a file made of nothing but such records stays bounded."""
CUT_AT_END = frozenset({"truncated-record", "truncated-gzip"})
MAX_PROBLEMS = 100
"""Damage kept per file; past it only counted (`more_problems`): a file of a million bad
headers must not become a million problems in memory."""


class WarcRecord:
    """One record: its header, its block as a stream (`read`), and once the block has been
    read to its end (`skip_rest`), the damage that ended it early, if any."""

    def __init__(self, header: RecordHeader, stream: RecordStream) -> None:
        self.header = header
        self.damage: Damage | None = None
        self.ended = False
        self.discarding = False
        self._stream = stream
        self._chunks: deque[bytes | memoryview] = deque()

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes of the block (all the rest when negative); b"" at its end."""
        if size < 0:
            return b"".join(iter(lambda: self.read(1 << 20), b""))
        while not self._chunks and not self.ended and not self._stream.is_done:
            self._stream.pump()
        if not self._chunks:
            return b""
        chunk = self._chunks.popleft()
        if len(chunk) > size:
            self._chunks.appendleft(memoryview(chunk)[size:])  # no copy of the rest
            chunk = chunk[:size]
        return bytes(chunk)

    def unread(self, data: bytes) -> None:
        """Put bytes back at the front of the block (what a header parser read too far)."""
        if data:
            self._chunks.appendleft(data)

    def skip_rest(self) -> None:
        """Read past the rest of the block without keeping it, to learn how the record ends."""
        self.discarding = True
        self._chunks.clear()
        while not self.ended and not self._stream.is_done:
            self._stream.pump()

    def add(self, data: bytes) -> None:
        if not self.discarding:
            self._chunks.append(data)


class _Collector:
    """The RecordSink that queues records (and their blocks) for the pulling side."""

    def __init__(self, stream: RecordStream) -> None:
        self.stream = stream
        self.ready: deque[WarcRecord] = deque()
        self.current: WarcRecord | None = None
        self.cut_at_end: WarcRecord | None = None

    def record_start(self, header: RecordHeader) -> None:
        self.current = WarcRecord(header, self.stream)
        self.ready.append(self.current)

    def record_data(self, data: memoryview) -> None:
        if self.current is not None:
            self.current.add(bytes(data))

    def record_end(self) -> None:
        if self.current is not None:
            self.current.ended = True
            self.current = None

    def member_end(self) -> None:
        pass

    def damage(self, damage: Damage, *, in_record: bool) -> None:
        record = self.current
        if in_record and record is not None:
            record.damage, record.ended, self.current = damage, True, None
            if damage.code in CUT_AT_END:
                self.cut_at_end = record
        else:
            self.stream.add_problem(damage)


class RecordStream:
    """Iterate it for the records of a WARC or ARC file read from `handle` (at its current
    position, `start` in the file); `problems` collects the damage found outside any record.

    `expect_gzip`: the file's name says it is gzipped (then bytes that are not gzip are
    reported so). `limit`: stop after that many records (1 to read the record at an offset).
    The first MAX_PROBLEMS pieces of damage are kept, the rest counted.
    """

    def __init__(self, handle: BinaryIO, *, expect_gzip: bool, start: int = 0,
                 limit: int | None = None) -> None:
        self._problems = Capped[Damage](MAX_PROBLEMS)
        self._handle = handle
        self._expect_gzip = expect_gzip
        self._limit = limit
        self._events: list[Event] = []
        self._collector = _Collector(self)
        self._inflater = Inflater(self._events.append, expect_gzip=expect_gzip, start=start,
                                  accept_arc=True)
        self._parser = RecordParser(self._collector, accept_arc=True)
        self._done = False
        self._rescans = 0

    def add_problem(self, damage: Damage) -> None:
        self._problems.add(damage)

    @property
    def problems(self) -> list[Damage]:
        return self._problems.kept

    @property
    def more_problems(self) -> int:
        """Damage found past the first MAX_PROBLEMS, counted only."""
        return self._problems.more

    @property
    def is_done(self) -> bool:
        """The whole file has been read (and searched again where a record was cut)."""
        return self._done

    @property
    def is_arc(self) -> bool:
        """Whether the file read so far is an ARC file (its first record said so)."""
        return bool(self._parser.arc_file)

    def __iter__(self) -> Iterator[WarcRecord]:
        count = 0
        while self._limit is None or count < self._limit:
            while not self._collector.ready and not self._done:
                self.pump()
            if not self._collector.ready:
                return
            record = self._collector.ready.popleft()
            count += 1
            yield record
            record.skip_rest()

    def pump(self) -> None:
        """Read one step of the file and frame what it holds."""
        if self._done:
            return
        block = self._handle.read(FEED)
        if block:
            self._inflater.feed(block)
        else:
            self._inflater.finish()
        self._parser.handle(self._events)
        self._events.clear()
        if not block:
            self._after_end()

    def _after_end(self) -> None:
        """At the end of the file: search the bytes of a record it cut for more records."""
        cut, self._collector.cut_at_end = self._collector.cut_at_end, None
        if cut is None or self._limit is not None:
            self._done = True
            return
        if self._rescans >= MAX_RESCANS:
            self.add_problem(Damage(
                "records-not-searched", cut.header.offset,
                f"after {MAX_RESCANS} records cut short by the end of the file, the bytes "
                "after this one were not searched for more records"))
            self._done = True
            return
        self._rescans += 1
        self._search_from(cut.header.offset + 1)

    def _search_from(self, start: int) -> None:
        is_gzip = self._inflater.is_gzip
        arc_file = self._parser.arc_file
        self._handle.seek(start)
        # Gzip: the inflater looks for the next member holding a record. Plain: the parser
        # looks for the next line that starts one.
        self._inflater = Inflater(self._events.append, expect_gzip=self._expect_gzip,
                                  start=start, is_gzip=is_gzip, accept_arc=True,
                                  resyncing=True)
        self._parser = RecordParser(self._collector, accept_arc=True, skipping=not is_gzip)
        self._parser.arc_file = arc_file
