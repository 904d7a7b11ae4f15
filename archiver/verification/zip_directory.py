"""A zip's end record, read before Python's zipfile reads the central directory it points
at: zipfile takes the directory whole into memory and makes an object of every entry (a
million entries: 640 MB and 40 s), so a directory over the limits is refused from the 22
bytes (or, for ZIP64, the 98) that describe it.
"""

from __future__ import annotations

import os
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from archiver.errors import NotEvidenceError
from archiver.settings import ReadLimits
from archiver.verification.problems import Problem

WHOLE_ZIP = "(zip)"
"""The path problems about the zip as a whole are reported under."""
_END = struct.Struct("<4s4H2LH")
_END_MAGIC = b"PK\x05\x06"
_LOCATOR = struct.Struct("<4sLQL")
_LOCATOR_MAGIC = b"PK\x06\x07"
_END64 = struct.Struct("<4sQ2H2L4Q")
_END64_MAGIC = b"PK\x06\x06"
_MAX_COMMENT = 0xFFFF
_UNREADABLE = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, struct.error,
               NotImplementedError, OverflowError)
"""What zipfile raises on a central directory it cannot make sense of (ValueError includes
a name that is not the UTF-8 its flag says)."""
ENTRY_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError,
                ValueError)
"""What reading an entry's data raises when the entry is damaged: a bad local header or CRC,
a corrupt deflate stream, a cut file, an unknown compression method, an encrypted entry."""


@dataclass(frozen=True)
class ZipEnd:
    """What a zip's end record says of its central directory."""

    entries: int
    directory_size: int
    end_offset: int
    """Where the end record (the ZIP64 one, if any) starts: the directory ends there."""


def read_zip_end(path: Path) -> ZipEnd | None:
    """The end record of the zip at `path`; None if it has none (not a zip: zipfile says
    so). Raises OSError."""
    with path.open("rb") as handle:
        size = handle.seek(0, os.SEEK_END)
        tail_start = max(0, size - _END.size - _MAX_COMMENT)
        handle.seek(tail_start)
        tail = handle.read()
        at = _end_record_at(tail)
        if at is None:
            return None
        fields = _END.unpack_from(tail, at)
        end = ZipEnd(entries=fields[4], directory_size=fields[5], end_offset=tail_start + at)
        locator_at = at - _LOCATOR.size
        if locator_at >= 0 and tail[locator_at:locator_at + 4] == _LOCATOR_MAGIC:
            return _zip64_end(handle, tail[locator_at:at]) or end
        return end


def _end_record_at(tail: bytes) -> int | None:
    """Where the end record starts in the zip's last bytes, found as zipfile finds it: a
    record with no comment in the very last 22 bytes first (its own fields may hold the
    signature's bytes, which a search from the end would take for a record), else the last
    whole record whose comment fits before the end of the file.

    >>> _end_record_at(b"junk" + _END.pack(_END_MAGIC, 0, 0, 3, 3, 46, 0, 0))
    4
    >>> _end_record_at(b"PK\x05\x06 too short") is None
    True
    """
    last = len(tail) - _END.size
    if last >= 0 and tail.startswith(_END_MAGIC, last) and tail.endswith(b"\0\0"):
        return last
    at = tail.rfind(_END_MAGIC, 0, max(0, last + 4))
    while at >= 0:
        comment = _END.unpack_from(tail, at)[7] if at <= last else -1
        if comment >= 0 and at + _END.size + comment <= len(tail):
            return at
        at = tail.rfind(_END_MAGIC, 0, at)
    return None


def _zip64_end(handle: BinaryIO, locator: bytes) -> ZipEnd | None:
    _, _, offset, _ = _LOCATOR.unpack(locator)
    handle.seek(offset)
    record = handle.read(_END64.size)
    if len(record) < _END64.size or not record.startswith(_END64_MAGIC):
        return None
    fields = _END64.unpack(record)
    return ZipEnd(entries=fields[7], directory_size=fields[8], end_offset=offset)


def directory_problems(path: Path, limits: ReadLimits) -> list[Problem]:
    """Why the zip at `path` is refused before its central directory is read: more entries,
    or a larger directory, than `limits` allow, or a directory larger than the file.
    Raises OSError."""
    end = read_zip_end(path)
    if end is None:
        return []
    problems = []
    if end.entries > limits.max_zip_entries:
        problems.append(Problem("zip-too-many-entries", WHOLE_ZIP, f"the zip lists "
                                f"{end.entries:,} entries, more than the "
                                f"{limits.max_zip_entries:,} archiver reads; refused"))
    if end.directory_size > end.end_offset:
        problems.append(Problem("zip-directory-invalid", WHOLE_ZIP, f"its central directory "
                                f"claims {end.directory_size:,} bytes, more than the "
                                f"{end.end_offset:,} that come before its end; refused"))
    elif end.directory_size > limits.max_zip_directory_bytes:
        problems.append(Problem("zip-directory-too-large", WHOLE_ZIP, f"its central "
                                f"directory (the list of its entries) is "
                                f"{end.directory_size:,} bytes, more than the "
                                f"{limits.max_zip_directory_bytes:,} archiver reads; refused"))
    return problems


def open_zip(path: Path, not_zip: str) -> zipfile.ZipFile:
    """The zip at `path`, open for reading (its central directory read: bound it first with
    `directory_problems`). Raises NotEvidenceError with the reason `not_zip` when its
    directory cannot be read, and OSError."""
    try:
        return zipfile.ZipFile(path)
    except _UNREADABLE:
        raise NotEvidenceError(path, not_zip) from None
