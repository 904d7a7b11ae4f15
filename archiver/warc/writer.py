"""Append prepared records to WARC files, rolling over at a size limit.

Many fetch threads prepare (compress) their records in parallel; the writer only appends each
finished gzip member under a lock, so the records of one exchange stay together and the file's
own SHA-256 is computed as it is written, never by reading the file back.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from archiver.provenance_format import warc_fields_bytes
from archiver.timestamps import utc_iso
from archiver.warc.records import (
    BLOCK_SIZE,
    PreparedRecord,
    new_record_id,
    prepare_record,
    sha256_label,
)


@dataclass(frozen=True)
class RecordLocation:
    """Where a record landed: enough for anyone to seek straight to it."""

    warc_file: str
    offset: int
    length: int


@dataclass(frozen=True)
class WrittenFile:
    path: Path
    size: int
    sha256: str
    records: int
    warcinfo_id: str | None = None
    """The WARC-Record-ID of its warcinfo record (at offset 0)."""


WarcinfoFactory = Callable[[str, str], PreparedRecord]
"""Makes the warcinfo record for a new file, given its name and a fresh record id."""


class _OpenFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: IO[bytes] = path.open("xb")  # x: never overwrite an existing file
        self.size = 0
        self.records = 0
        self.sha256 = hashlib.sha256()
        self.warcinfo_id: str | None = None

    def append(self, record: PreparedRecord) -> RecordLocation:
        offset = self.size
        record.member.seek(0)
        while chunk := record.member.read(BLOCK_SIZE):
            self.handle.write(chunk)
            self.sha256.update(chunk)
            self.size += len(chunk)
        self.records += 1
        return RecordLocation(self.path.name, offset, self.size - offset)

    def close(self) -> WrittenFile:
        self.handle.flush()
        self.handle.close()
        return WrittenFile(self.path, self.size, self.sha256.hexdigest(), self.records,
                           self.warcinfo_id)


class WarcWriter:
    """Thread-safe writer of gzip-per-record WARC files named `{prefix}-{serial:05d}.warc.gz`."""

    def __init__(
        self,
        directory: Path,
        *,
        prefix: str,
        max_bytes: int,
        make_warcinfo: WarcinfoFactory,
    ) -> None:
        self.directory = directory
        self.prefix = prefix
        self.max_bytes = max_bytes
        self._make_warcinfo = make_warcinfo
        self._lock = threading.Lock()
        self._current: _OpenFile | None = None
        self._serial = 0
        self._written: list[WrittenFile] = []

    def write(self, records: Sequence[PreparedRecord]) -> list[RecordLocation]:
        """Append records, kept together in one file; return where each one landed."""
        total = sum(record.member_length for record in records)
        with self._lock:
            current = self._file_for(total)
            return [current.append(record) for record in records]

    def flush(self) -> None:
        """Push what is written to the file system, so readers of the file see every record."""
        with self._lock:
            if self._current is not None:
                self._current.handle.flush()

    def close(self, *, at_least_one: bool = True) -> list[WrittenFile]:
        """Close the file being written; every file written back. `at_least_one=False`:
        a writer that wrote nothing leaves no file (a part of a job whose other parts
        leave theirs)."""
        with self._lock:
            if self._current is None and not self._written and at_least_one:
                # A job whose every fetch failed still leaves a WARC with its warcinfo record:
                # what was run, with which settings, where; and every package has a WARC.
                self._open_next()
            if self._current is not None:
                self._written.append(self._current.close())
                self._current = None
            return list(self._written)

    def _file_for(self, incoming: int) -> _OpenFile:
        current = self._current
        if current is not None and current.records > 1 and current.size + incoming > self.max_bytes:
            self._written.append(current.close())
            current = None
        if current is None:
            current = self._open_next()
        return current

    def _open_next(self) -> _OpenFile:
        self._serial += 1
        name = f"{self.prefix}-{self._serial:05d}.warc.gz"
        opened = _OpenFile(self.directory / name)
        warcinfo = self._make_warcinfo(name, new_record_id())
        opened.warcinfo_id = warcinfo.record_id
        try:
            opened.append(warcinfo)
        finally:
            warcinfo.close()
        self._current = opened
        return opened


def warcinfo_factory(fields: dict[str, str], *, gzip_level: int) -> WarcinfoFactory:
    """A factory for warcinfo records holding `fields` as application/warc-fields."""
    body = warc_fields_bytes(fields.items())

    def make(filename: str, record_id: str) -> PreparedRecord:
        return prepare_record(
            [
                ("WARC-Type", "warcinfo"),
                ("WARC-Record-ID", record_id),
                ("WARC-Date", utc_iso()),
                ("WARC-Filename", filename),
                ("Content-Type", "application/warc-fields"),
                ("WARC-Block-Digest", sha256_label(hashlib.sha256(body).hexdigest())),
            ],
            body,
            len(body),
            gzip_level=gzip_level,
        )

    return make

