"""Gzip members of a WARC file: inflate them one at a time, in bounded pieces, and say
where each one starts, ends or breaks, as `Event`s for a `RecordParser`.

After a broken member it finds the next good one, so one damaged record never hides the
rest; an uncompressed WARC passes through as it is.
"""

from __future__ import annotations

import os
import zlib
from collections import deque
from collections.abc import Callable
from typing import Any, cast

from isal import isal_zlib as _zlib

from archiver.warc.arc import ARC_MEMBER_STARTS, is_arc_start
from archiver.warc.reader import (
    CHECKPOINT,
    DAMAGE,
    DATA,
    END_OF_FILE,
    MEMBER_END,
    PIECE,
    PLAIN_DATA,
    Damage,
    DamageCode,
    Event,
)

# ISA-L inflates about twice as fast as zlib, with the same interface and checks.
# (isal's stubs type IsalError as an instance; it is the class.)
_INFLATE_ERRORS: tuple[type[Exception], ...] = (zlib.error,
                                                cast(type[Exception], _zlib.IsalError))

GZIP_MAGIC = b"\x1f\x8b\x08"
GZIP_WBITS = 16 + zlib.MAX_WBITS
LOOKBACK = 8 * 1024 * 1024
"""Raw bytes kept to rescan after a broken member (whose true end is unknown)."""
PROBE = 64 * 1024
SALVAGE_STEP = 4096
SCAN_WINDOW = 1024 * 1024


class _Lookback:
    """The most recent raw blocks, so a broken member can be rescanned from its second byte."""

    def __init__(self) -> None:
        self._blocks: deque[tuple[int, bytes]] = deque()
        self._size = 0

    def add(self, start: int, block: bytes) -> None:
        self._blocks.append((start, block))
        self._size += len(block)
        while self._size - len(self._blocks[0][1]) >= LOOKBACK:
            self._size -= len(self._blocks.popleft()[1])

    def forget_before(self, offset: int) -> None:
        while len(self._blocks) > 1 and self._blocks[0][0] + len(self._blocks[0][1]) <= offset:
            self._size -= len(self._blocks.popleft()[1])

    def since(self, offset: int) -> tuple[int, bytes]:
        """The bytes from `offset` (or the oldest kept, if later) to the end of what was fed."""
        start = max(offset, self._blocks[0][0]) if self._blocks else offset
        parts = [block[max(0, start - begin):] for begin, block in self._blocks
                 if begin + len(block) > start]
        return start, b"".join(parts)


def _starts_record(candidate: bytes, *, complete: bool, arc: bool = False) -> bool | None:
    """Whether a gzip magic found while resyncing opens a member that holds a WARC record
    (or, with `arc`, an ARC record).

    Three bytes of magic turn up by chance every 16 MiB of compressed data, so a candidate
    must inflate to `WARC/`. None means too few bytes to tell yet. Plain zlib: it stops at
    the fifth byte, where ISA-L inflates ahead and could fail on damage further on.
    """
    probe = zlib.decompressobj(GZIP_WBITS)
    try:
        head: bytes = probe.decompress(candidate, 5)
    except _INFLATE_ERRORS:
        return False
    if len(head) == 5:
        return head == b"WARC/" or (arc and head.startswith(ARC_MEMBER_STARTS))
    return False if complete else None


def looks_like_warc(head: bytes) -> bool:
    """Whether a file that starts with `head` is a WARC file, gzipped or not."""
    if head.startswith(GZIP_MAGIC):
        return _starts_record(head[:PROBE], complete=True) is True
    return head.lstrip(b"\r\n").startswith(b"WARC/")


def looks_like_arc(head: bytes) -> bool:
    """Whether a file that starts with `head` is an ARC file, gzipped or not."""
    if head.startswith(GZIP_MAGIC):
        try:
            head = zlib.decompressobj(GZIP_WBITS).decompress(head[:PROBE], 64)
        except _INFLATE_ERRORS:
            return False
    return is_arc_start(head)


def find_record_member(fd: int, start: int, limit: int) -> int | None:
    """The offset of the first gzip magic at or after `start` (and before `start + limit`)
    that opens a member inflating to `WARC/`, read with os.pread from `fd`; None if none.

    Only a guess at a member boundary: the same bytes can sit inside a record (a captured
    .warc.gz), so whoever splits a file here must confirm that reading from the start really
    ends a member at this offset (see `Inflater`'s checkpoint).
    """
    position = start
    while position < start + limit:
        window = os.pread(fd, SCAN_WINDOW + PROBE, position)
        found = window.find(GZIP_MAGIC)
        usable = min(SCAN_WINDOW, start + limit - position)
        while 0 <= found < usable:
            if _starts_record(window[found:found + PROBE], complete=True):
                return position + found
            found = window.find(GZIP_MAGIC, found + 1)
        if len(window) <= SCAN_WINDOW:
            return None  # the end of the file
        position += SCAN_WINDOW
    return None


class Inflater:
    """Splits a WARC file's bytes into inflated data events (see `Event`).

    Compression is decided by the first bytes: a gzip magic means gzip members, `WARC/` means
    an uncompressed file, and anything else is taken as gzip when `expect_gzip` (the name says
    .gz: then it is reported as not gzip) and as an uncompressed file otherwise.

    To read part of a file: `start` is the offset of the first byte fed, and `is_gzip` says
    what the file's first bytes said; `resyncing` when that byte may be inside a member (the
    next member that holds a record is looked for, and the bytes before it are not damage).
    `accept_arc`: members holding ARC records count as record members too.

    For each of the `checkpoints` (ascending offsets) it emits a CHECKPOINT event as soon as
    it knows: true when a gzip member ends exactly there (the next member starts there, as it
    would for an Inflater fed from there on with nothing left to finish), false when the
    offset is passed in any other way.
    """

    def __init__(self, emit: Callable[[Event], object], *, expect_gzip: bool, start: int = 0,
                 is_gzip: bool | None = None, checkpoints: tuple[int, ...] = (),
                 accept_arc: bool = False, resyncing: bool = False) -> None:
        self.is_gzip = is_gzip
        self._emit = emit
        self._expect_gzip = expect_gzip
        self._fed = start
        self._checkpoints = deque(checkpoints)
        self._member: Any = None
        self._member_offset = 0
        self._member_out = 0
        self._accept_arc = accept_arc
        self._resyncing = resyncing
        self._tail = b""
        self._recent = _Lookback()
        # Invariant: the bytes being worked on always run to the end of what was fed, so the
        # file offset of their first byte is `self._fed - len(data)`.

    def feed(self, block: bytes) -> None:
        if self.is_gzip is None:
            self._tail += block
            if len(self._tail) < 5:
                return
            block, self._tail = self._tail, b""
            self._decide(block)
        if not self.is_gzip:
            self._emit((PLAIN_DATA, self._fed, block))
            self._fed += len(block)
        else:
            self._recent.add(self._fed, block)
            self._fed += len(block)
            self._inflate(self._tail + block if self._tail else block, final=False)
        if self._checkpoints and self._checkpoints[0] <= self._fed:
            # Every byte fed has been worked through (bar a partial magic in the tail, which
            # no member holds): a member ending at these checkpoints would have ended by now.
            self._pass_checkpoints(self._fed + 1)

    def finish(self) -> None:
        """Say what is wrong with the end of the file, then END_OF_FILE."""
        if self.is_gzip is None and self._tail:
            block, self._tail = self._tail, b""
            self._decide(block)
            self.feed(block)
        if self.is_gzip:
            self._inflate(self._tail, final=True)
            if self._member is not None:
                self._emit(_damage("truncated-gzip", self._member_offset,
                                   "the file ends inside this gzip member"))
                self._member = None
        if self._checkpoints:
            self._pass_checkpoints(self._checkpoints[-1] + 1)
        self._emit((END_OF_FILE, self._fed, None))

    def _pass_checkpoints(self, before: int, *, clean_at: int = -1) -> None:
        """Tell of every checkpoint before `before`: clean if at `clean_at`."""
        while self._checkpoints and self._checkpoints[0] < before:
            offset = self._checkpoints.popleft()
            self._emit((CHECKPOINT, offset, offset == clean_at))

    def _decide(self, first: bytes) -> None:
        if first.startswith(GZIP_MAGIC):
            self.is_gzip = True
        elif first.lstrip(b"\r\n").startswith(b"WARC/"):
            self.is_gzip = False
        else:
            self.is_gzip = self._expect_gzip

    def _inflate(self, data: bytes, *, final: bool) -> None:
        self._tail = b""
        # At the end of the file, a member may still hold inflated bytes it could not hand out.
        more = bool(data) or (final and self._member is not None)
        while more:
            if self._member is None:
                data = self._start_member(data, final=final)
                more = bool(data)
                continue
            try:
                piece = self._member.decompress(data, PIECE)
            except _INFLATE_ERRORS as exc:
                data = self._broken(f"this gzip member is damaged ({exc})")
                more = bool(data)
                continue
            if piece:
                self._member_out += len(piece)
                self._emit((DATA, self._member_offset, piece))
            if self._member.eof:
                data = self._member.unused_data
                self._emit((MEMBER_END, self._member_offset, None))
                self._member = None
                more = bool(data)
                if self._checkpoints:
                    end = self._fed - len(data)
                    self._pass_checkpoints(end + 1, clean_at=end)
            else:
                data = self._member.unconsumed_tail
                # A full piece may leave inflated bytes inside zlib: call again to get them.
                more = bool(data) or len(piece) == PIECE

    def _start_member(self, data: bytes, *, final: bool) -> bytes:
        """Open the member at the start of `data`, or find the next one; return what is left."""
        if not data or (len(data) < len(GZIP_MAGIC) and not final):
            self._tail = data
            return b""
        if not self._resyncing:
            if data.startswith(GZIP_MAGIC):
                self._open_member(data)
                return data
            self._emit(_damage("not-gzip", self._fed - len(data),
                               "these bytes are not a gzip member"))
            self._resyncing = True
        found = data.find(GZIP_MAGIC)
        while found >= 0:
            candidate = data[found:found + PROBE]
            verdict = _starts_record(candidate, complete=final or len(candidate) == PROBE,
                                     arc=self._accept_arc)
            if verdict is None:
                self._tail = data[found:]
                return b""
            if verdict:
                self._resyncing = False
                self._open_member(data[found:])
                return data[found:]
            found = data.find(GZIP_MAGIC, found + 1)
        if not final:  # keep what could be the start of a magic split across blocks
            self._tail = data[-(len(GZIP_MAGIC) - 1):]
        return b""

    def _open_member(self, data: bytes) -> None:
        self._member = _zlib.decompressobj(GZIP_WBITS)
        self._member_offset = self._fed - len(data)
        self._member_out = 0
        self._recent.forget_before(self._member_offset)

    def _broken(self, message: str) -> bytes:
        """Report the member, and return the bytes to rescan: from its second byte on."""
        self._salvage()
        self._emit(_damage("gzip-member-corrupt", self._member_offset, message))
        self._member = None
        self._resyncing = True
        return self._recent.since(self._member_offset + 1)[1]

    def _salvage(self) -> None:
        """Hand on what the broken member still inflates to before its damage, in small steps.

        A call that fails returns nothing, not even the bytes before the damage; those hold
        the record's header, which names the record the damage is in. Plain zlib, because
        ISA-L inflates ahead in large blocks and fails before handing out any of them.
        """
        start, raw = self._recent.since(self._member_offset)
        if start != self._member_offset:
            return
        again = zlib.decompressobj(GZIP_WBITS)
        produced = 0
        try:
            while raw:
                # Small steps over the first bytes, where the header is.
                piece = again.decompress(raw, 64 if produced < SALVAGE_STEP else SALVAGE_STEP)
                raw = again.unconsumed_tail
                fresh = piece[max(0, self._member_out - produced):]
                produced += len(piece)
                if fresh:
                    self._member_out += len(fresh)
                    self._emit((DATA, self._member_offset, fresh))
                if not piece:
                    break
        except _INFLATE_ERRORS:
            pass


def _damage(code: DamageCode, offset: int, message: str) -> Event:
    return (DAMAGE, offset, Damage(code, offset, message))
