"""The documents inside WARC records, and their bodies as a reader sees them.

archiver.warc.record_stream frames the records of any tool's WARC (or ARC) file, as verify
does; each body is then de-chunked and its Content-Encoding undone here, streamed, with a cap
on what it may expand to. What is wrong with a record (cut short, no target URI, a header that
never ends) is a problem named with the record, and never stops the records after it.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from archiver.capped import Capped
from archiver.decoding import Dechunker, StreamDecoder
from archiver.package_layout import record_reference
from archiver.warc.fields import date_defect, target_uri
from archiver.warc.http_head import HttpHead, read_http_head
from archiver.warc.reader import Damage, RecordHeader
from archiver.warc.record_stream import MAX_PROBLEMS, RecordStream, WarcRecord
from archiver.warc.records import payload_digest

READ_BLOCK = 64 * 1024
DOCUMENT_RECORD_TYPES = ("response", "resource")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s\x00-\x1f\x7f-\x9f\u061c\u200e\u200f"
                  r"\u202a-\u202e\u2066-\u2069]+")


class ByteReader(Protocol):
    """Where a body is read from: a record's payload, or a file."""

    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class RecordPointer:
    """Where a document's record is: enough for anyone to seek straight to it."""

    warc_file: str
    record_id: str
    offset: int

    def to_dict(self) -> dict[str, Any]:
        return record_reference(self.warc_file, self.record_id, self.offset)


@dataclass(frozen=True)
class CapturedDocument:
    """What is known about one captured document before its body is read."""

    url: str | None
    content_type: str | None
    status: int | None = None
    content_encoding: str | None = None
    chunked: bool = False
    captured_at: str | None = None
    payload_sha256: str | None = None
    truncated: str | None = None
    """The record's WARC-Truncated: the body was cut at capture time."""
    record: RecordPointer | None = None
    file: str | None = None
    """For a loose file: its path as given."""


class BodyReader:
    """A record's payload as a reader sees it: de-chunked, decoded, at most `max_output` bytes.

    `exceeded` is set when the decoded body would go past the cap (a decompression bomb, or
    just a very large document), `failed` when its encoding could not be undone.
    """

    def __init__(self, raw: ByteReader, document: CapturedDocument, max_output: int) -> None:
        self._raw = raw
        self._decoder = StreamDecoder(document.content_encoding, max_output)
        self._pending: list[bytes] = []
        self._dechunker = Dechunker(self._collect) if document.chunked else None
        self._finished = False
        self._started = False

    @property
    def exceeded(self) -> bool:
        return self._decoder.exceeded

    @property
    def produced(self) -> int:
        """Decoded bytes handed out so far."""
        return self._decoder.produced

    @property
    def failed(self) -> str | None:
        return self._decoder.failed

    @property
    def chunking_broken(self) -> bool:
        """The body said it was chunked but its framing is broken or cut short."""
        return self._dechunker is not None and self._finished and not self._dechunker.ok

    def blocks(self) -> Iterator[bytes]:
        """The decoded body, block by block, until the end or the cap."""
        while not self._decoder.is_done:
            data = self._raw.read(READ_BLOCK)
            if not data:
                break
            for piece in self._dechunked(data):
                yield from self._decoder.decode(piece)
        self._finished = True

    def read_all(self) -> bytes:
        return b"".join(self.blocks())

    def _collect(self, piece: memoryview) -> None:
        self._pending.append(bytes(piece))

    def _dechunked(self, data: bytes) -> list[bytes]:
        if self._dechunker is None:
            return [data]
        first = not self._started
        self._started = True
        self._dechunker.feed(memoryview(data))
        if first and self._dechunker.is_broken and not self._pending:
            # Said chunked, but is not (servers do this): read the body as it is, as
            # browsers and warcio do.
            self._dechunker = None
            return [data]
        pieces = list(self._pending)
        self._pending.clear()
        return pieces


def where(name: str, record_id: str | None, offset: int) -> str:
    """`file record <id> at offset N`, as verify names a record."""
    return f"{name} record {record_id} at offset {offset}" if record_id else \
        f"{name} at offset {offset}"


def damage_text(name: str, damage: Damage, record_id: str | None = None) -> str:
    return f"{where(name, record_id, damage.offset)}: {damage.message} [{damage.code}]"


class FoundDocument:
    """A document record: what is known of it, its payload to read, and `finish()`, which
    reads past the rest of the record and says what cut it short, if anything did."""

    def __init__(self, document: CapturedDocument, record: WarcRecord) -> None:
        self.document = document
        self.body: ByteReader = record
        self._record = record

    def finish(self) -> Damage | None:
        self._record.skip_rest()
        return self._record.damage


class WarcDocuments:
    """The document records (response and resource) of a WARC or ARC file from any tool,
    in file order. `problems` names, in file order, every damaged or unusable record found
    so far, and the damage between records."""

    def __init__(self, warc: Path, name: str,
                 opener: Callable[[], AbstractContextManager[BinaryIO]] | None = None) -> None:
        self.warc = warc
        self.name = name
        self._open = opener or (lambda: warc.open("rb"))
        """How to open the file: a path on disk, or (a WACZ's member) a stream from a zip."""
        self._problems = Capped[tuple[int, str]](MAX_PROBLEMS)
        self._stream: RecordStream | None = None

    @property
    def problems(self) -> list[str]:
        found = list(self._problems)
        more = self._problems.more
        if self._stream is not None:
            found += [(d.offset, damage_text(self.name, d)) for d in self._stream.problems]
            more += self._stream.more_problems
        texts = [text for _, text in sorted(found, key=lambda item: item[0])]
        if more:
            texts.append(f"{self.name}: {more} more problems, not listed one by one")
        return texts

    def __iter__(self) -> Iterator[FoundDocument]:
        """Raises OSError when the file cannot be read."""
        with self._open() as handle:
            self._stream = RecordStream(handle, expect_gzip=self.name.lower().endswith(".gz"))
            for record in self._stream:
                if record.header.record_type in DOCUMENT_RECORD_TYPES:
                    found = self._document(record)
                    if found is not None:
                        yield found
                record.skip_rest()  # how every record ends is worth knowing, not only pages'
                if record.damage is not None:
                    self._add(record.header.offset, damage_text(
                        self.name, record.damage, record.header.record_id))

    def _document(self, record: WarcRecord) -> FoundDocument | None:
        header = record.header
        try:
            document, notes = describe_record(record, self.name)
        except ValueError as exc:
            self._note(header, f"{exc}; it was skipped")
            return None
        for note in notes:
            self._note(header, note)
        return FoundDocument(document, record)

    def _note(self, header: RecordHeader, text: str) -> None:
        self._add(header.offset, f"{where(self.name, header.record_id, header.offset)}: {text}")

    def _add(self, offset: int, text: str) -> None:
        self._problems.add((offset, text))


@contextmanager
def open_record(warc: Path, name: str, offset: int) -> Iterator[tuple[CapturedDocument,
                                                                      WarcRecord]]:
    """The record at `offset` of a WARC, with its payload stream.

    Raises ValueError when no readable document record starts there, OSError when the file
    cannot be read.
    """
    with warc.open("rb") as handle:
        if offset >= os.fstat(handle.fileno()).st_size:
            raise ValueError("the file ends before this offset: it was cut short")
        handle.seek(offset)
        stream = RecordStream(handle, expect_gzip=name.lower().endswith(".gz"), start=offset,
                              limit=1)
        record = next(iter(stream), None)
        if record is None or record.header.offset != offset:
            reason = f": {stream.problems[0].message}" if stream.problems else ""
            raise ValueError(f"no record at offset {offset}{reason}")
        document, _ = describe_record(record, name)
        yield document, record


def describe_record(record: WarcRecord, name: str) -> tuple[CapturedDocument, list[str]]:
    """What a document record says of itself, and what is wrong with what it says; reads
    a response's HTTP head off its block. ValueError when it cannot be read as a document."""
    header = record.header
    http = _http_head(record)
    url, notes = _target(header)
    digest = payload_digest(header.get, http=http is not None) or ""
    if http is not None:
        status = http.status
        content_type = http.first("Content-Type")
        encoding = http.joined("Content-Encoding")
        chunked = "chunked" in (http.joined("Transfer-Encoding") or "").lower()
    else:
        status, encoding, chunked = None, None, False
        content_type = header.get("Content-Type")
    document = CapturedDocument(
        url=url,
        content_type=content_type,
        status=status,
        content_encoding=encoding,
        chunked=chunked,
        captured_at=_date(header, notes),
        payload_sha256=digest[7:].lower() if digest.lower().startswith("sha256:") else None,
        truncated=header.get("WARC-Truncated"),
        record=RecordPointer(name, header.record_id or "", header.offset),
    )
    return document, notes


def _http_head(record: WarcRecord) -> HttpHead | None:
    """A response's HTTP head (None for a record that is not HTTP, such as a resource or a
    dns: response)."""
    header = record.header
    if header.record_type != "response":
        return None
    uri = (header.get("WARC-Target-URI") or "").lower()
    try:
        return read_http_head(record)
    except ValueError:
        if uri.startswith(("http:", "https:")) or (not uri and header.version != "ARC"):
            raise
        return None


def _target(header: RecordHeader) -> tuple[str | None, list[str]]:
    uri = target_uri(header)
    if uri is None:
        return None, ["it has no WARC-Target-URI, so its document has no source URL"]
    if not _URI.fullmatch(uri):
        return None, [f"its WARC-Target-URI is not a URI ({uri[:80]!r}), so its document "
                      "has no source URL"]
    return uri, []


def _date(header: RecordHeader, notes: list[str]) -> str | None:
    problem = date_defect(header)
    if problem is None:
        return header.get("WARC-Date")
    if header.get("WARC-Date") is None:
        problem += ", so when it was captured is not known"
    notes.append(problem)
    return None



@contextmanager
def spooled_to_disk(blocks: Iterator[bytes], suffix: str) -> Iterator[Path]:
    """Write blocks to a temporary file (never into memory); removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="archiver-extract-"))
    try:
        path = folder / f"document{suffix}"
        with path.open("wb") as out:
            for block in blocks:
                out.write(block)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)
