"""The documents inside WARC records, and their bodies as a reader sees them.

warcio finds and frames the records (of any tool's WARC); the body is then de-chunked and its
Content-Encoding undone here, streamed, with a cap on what it may expand to, because warcio
would read a whole chunk, or inflate a bomb, without limit.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from archiver.decoding import Dechunker, StreamDecoder
from archiver.warc.records import payload_digest

READ_BLOCK = 64 * 1024
DOCUMENT_RECORD_TYPES = ("response", "resource")


@dataclass(frozen=True)
class RecordPointer:
    """Where a document's record is: enough for anyone to seek straight to it."""

    warc_file: str
    record_id: str
    offset: int

    def to_dict(self) -> dict[str, Any]:
        return {"warc_file": self.warc_file, "record_id": self.record_id, "offset": self.offset}


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

    def __init__(self, raw: IO[bytes], document: CapturedDocument, max_output: int) -> None:
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
                decoded = self._decoder.decode(piece)
                if decoded:
                    yield decoded
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


def iter_documents(warc: Path, name: str) -> Iterator[tuple[CapturedDocument, IO[bytes]]]:
    """Every response or resource record of a WARC from any tool, with its raw payload stream.

    Raises ArchiveLoadFailed (from warcio) when the file is not a readable WARC.
    """
    with warc.open("rb") as handle:
        records = ArchiveIterator(handle)
        for record in records:
            if record.rec_type not in DOCUMENT_RECORD_TYPES:
                continue
            # `offset` is where this record began (get_record_offset() would read it away).
            yield describe_record(record, name, records.offset), record.raw_stream


@contextmanager
def open_record(warc: Path, name: str, offset: int) -> Iterator[
        tuple[CapturedDocument, IO[bytes]]]:
    """The record at `offset` of a WARC, with its raw payload stream."""
    with warc.open("rb") as handle:
        handle.seek(offset)
        try:
            record = next(iter(ArchiveIterator(handle)))
        except StopIteration:
            raise ArchiveLoadFailed(f"no record at offset {offset}") from None
        yield describe_record(record, name, offset), record.raw_stream


def describe_record(record: Any, name: str, offset: int) -> CapturedDocument:
    headers = record.rec_headers
    http = record.http_headers
    digest = payload_digest(headers.get_header, http=http is not None) or ""
    if http is not None and record.rec_type == "response":
        status = _status(http.get_statuscode())
        content_type = http.get_header("Content-Type")
        encoding = http.get_header("Content-Encoding")
        chunked = "chunked" in (http.get_header("Transfer-Encoding") or "").lower()
    else:
        status, encoding, chunked = None, None, False
        content_type = headers.get_header("Content-Type")
    return CapturedDocument(
        url=headers.get_header("WARC-Target-URI"),
        content_type=content_type,
        status=status,
        content_encoding=encoding,
        chunked=chunked,
        captured_at=headers.get_header("WARC-Date"),
        payload_sha256=digest[7:].lower() if digest.lower().startswith("sha256:") else None,
        truncated=headers.get_header("WARC-Truncated"),
        record=RecordPointer(name, headers.get_header("WARC-Record-ID") or "", offset),
    )


def _status(code: str | None) -> int | None:
    try:
        return int(code) if code else None
    except ValueError:
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
