"""Check an ARC file (the format before WARC, see archiver.warc.arc): its structure only.

ARC records carry no digests, so nothing can say their content is what was captured. What
can be checked is that the file is what an ARC file must be: it opens with a version block
(a `filedesc://` record whose first lines give the version and the names of the header
fields), every record's header line has the fields that version declares (a URL, an
address, a 12 to 14 digit date, a content type, a length), and every record's length ends
where the next record's header line starts, or at the end of the file (a length that is
off leaves bytes that are no header line, or runs past the end of the file: both are named
by the reader), and in a gzipped file within its own gzip member. Damaged gzip members are
found as in a WARC.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from archiver.regular_files import open_binary
from archiver.verification.coverage import ARC_VERDICT, DAMAGED, STRUCTURE_ONLY, Coverage
from archiver.verification.pipeline import read_warc
from archiver.verification.problems import Note, Problem
from archiver.verification.record_check import MAX_KEPT
from archiver.verification.warc_parts import WarcResult
from archiver.warc.arc import ARC_FIELDS_V1, ARC_FIELDS_V2, has_arc_name
from archiver.warc.members import looks_like_arc
from archiver.warc.reader import Damage, RecordHeader, RecordParser

VERSION_BLOCK_BYTES = 4096
"""The version block's first two lines are read from at most this much of its record."""
_VERSION_LINE = re.compile(r"(\d+) (\d+)(?: .*)?")
_FIELDS_BY_VERSION = {1: ARC_FIELDS_V1, 2: ARC_FIELDS_V2}


def is_arc_file(path: Path, head: bytes) -> bool:
    """Whether to read the file that starts with `head` as an ARC file: by its first
    record, or (when its first bytes say nothing else) by its name."""
    return looks_like_arc(head) or has_arc_name(path.name)


class ArcChecker:
    """A `RecordSink` that checks the structure of an ARC file's records."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []
        self.omitted = 0
        self.records = 0
        self.coverage = Coverage()
        self.version: int | None = None
        """The version the file's version block declares, once read."""
        self._current: RecordHeader | None = None
        self._overran = False
        """Whether the open record has been reported running past its gzip member."""
        self._version_block: bytearray | None = None

    def record_start(self, header: RecordHeader) -> None:
        self.records += 1
        self._current = header
        self._overran = False
        if self.records == 1:
            if header.record_type == "warcinfo":  # a filedesc:// record
                self._version_block = bytearray()
            else:
                self._keep(Problem("arc-version-block-invalid", self.path,
                                   "the file does not open with an ARC version block (a "
                                   "filedesc:// record)", found=header.get("WARC-Target-URI"),
                                   offset=header.offset))
        elif self.version is not None and header.arc_version != self.version:
            fields = _FIELDS_BY_VERSION.get(header.arc_version or 1, ARC_FIELDS_V1)
            self._keep(Problem("arc-header-version-mismatch", self.path,
                               f"the record's header line has the {fields} fields of ARC "
                               f"version {header.arc_version}, but the file's version block "
                               f"declares version {self.version}",
                               found=header.get("WARC-Target-URI"), offset=header.offset))

    def record_data(self, data: memoryview) -> None:
        block = self._version_block
        if block is not None and len(block) < VERSION_BLOCK_BYTES:
            block += data[:VERSION_BLOCK_BYTES - len(block)]

    def record_end(self) -> None:
        header, self._current = self._current, None
        if self._version_block is not None:
            block, self._version_block = bytes(self._version_block), None
            problem = self._judge_version_block(block, header)
            if problem is not None:
                self._keep(problem)
        if header is not None:
            self.coverage.count(STRUCTURE_ONLY, header.record_type)

    def member_end(self) -> None:
        # The reader calls this after each record of an uncompressed file, and at each gzip
        # member's end: a record still open here ran past the end of its member.
        header = self._current
        if header is not None and not self._overran:
            self._overran = True
            self._keep(Problem("arc-record-length-mismatch", self.path,
                               f"the record's length ({header.content_length}) runs past the "
                               "end of its gzip member, into the next record's",
                               found=header.get("WARC-Target-URI"), offset=header.offset))

    def damage(self, damage: Damage, *, in_record: bool) -> None:
        broken, self._current = self._current, None
        self._version_block = None
        if in_record and broken is not None:
            self.coverage.count(DAMAGED, broken.record_type)
        self._keep(Problem(damage.code, self.path, damage.message, offset=damage.offset))

    def _judge_version_block(self, block: bytes, header: RecordHeader | None) -> Problem | None:
        """The version block's first line is `<version> <reserved> <origin>`, its second the
        names of the header fields, as many as the version has."""
        lines = block.decode("utf-8", "replace").replace("\r", "").split("\n")
        offset = header.offset if header is not None else None
        first = lines[0].strip()
        matched = _VERSION_LINE.fullmatch(first)
        if matched is None or int(matched[1]) not in _FIELDS_BY_VERSION:
            return Problem("arc-version-block-invalid", self.path, "the version block does "
                           "not start with an ARC version (1 or 2) line",
                           expected="1 0 <origin> or 2 0 <origin>", found=first[:80],
                           offset=offset)
        version = int(matched[1])
        names = lines[1].split() if len(lines) > 1 else []
        if len(names) != _FIELDS_BY_VERSION[version]:
            return Problem("arc-version-block-invalid", self.path, f"the version block "
                           f"declares ARC version {version}, whose header lines have "
                           f"{_FIELDS_BY_VERSION[version]} fields, but names {len(names)}",
                           found=" ".join(names)[:120], offset=offset)
        self.version = version
        return None

    def _keep(self, problem: Problem) -> None:
        if len(self.problems) < MAX_KEPT:
            self.problems.append(problem)
        else:
            self.omitted += 1  # a structure problem: never one of NOT_COVERED_CODES


def check_arc_file(path: Path, name: str, *, strict: bool = False,
                   on_read: Callable[[int], object] | None = None) -> WarcResult:
    """Check the ARC file at `path` (named `name` in problems). Whatever its structure, its
    content cannot be verified: a note says so, or under `strict` a problem. Raises OSError."""
    checker = ArcChecker(name)
    with open_binary(path) as handle:
        read = read_warc(handle, RecordParser(checker, accept_arc=True),
                         expect_gzip=name.lower().endswith(".gz"), on_read=on_read,
                         accept_arc=True)
    result = WarcResult(checker.problems, checker.omitted, records=checker.records,
                        coverage=checker.coverage, bytes_read=read)
    if not checker.records and not checker.problems:
        result.problems.append(Problem("arc-version-block-invalid", name,
                                       "the file holds no ARC record"))
    counted = f"{checker.records:,} record{'s' if checker.records != 1 else ''}"
    if strict:
        result.problems.append(Problem("arc-no-digests", name, f"{ARC_VERDICT} ({counted} "
                                       "not covered by any digest)"))
    else:
        result.notes.append(Note("arc-no-digests", name, f"{ARC_VERDICT} ({counted})"))
    return result
