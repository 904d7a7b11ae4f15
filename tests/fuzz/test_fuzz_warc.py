"""Fuzz the reading of WARC and ARC files (framing, HTTP heads, bodies, extraction): seeded
with every named fixture under fixtures/warc, plain and gzipped, then damaged. Whatever the
bytes, a read ends with records and named problems, never another exception, and never holds
more than a step of the file."""

from __future__ import annotations

import gzip
import io
import re
import tempfile
import zlib
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from archiver.errors import ArchiverError
from archiver.extract.api import extract
from archiver.warc.http_head import MAX_HTTP_HEAD, parse_http_head, read_http_head
from archiver.warc.record_stream import RecordStream
from tests.fuzz.mutations import mutated

FIXTURES = Path(__file__).resolve().parent.parent.parent / "fixtures" / "warc"
READ = 64 * 1024


def _plain(path: Path) -> bytes:
    data = path.read_bytes()
    if not data.startswith(b"\x1f\x8b"):
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error):
        return zlib.decompressobj(31).decompress(data)  # what a damaged one still holds


SEEDS = sorted(FIXTURES.glob("*.warc*")) + sorted(FIXTURES.glob("*.arc*"))
PLAIN_SEEDS = [data for data in (_plain(path) for path in SEEDS) if data]
GZIP_SEEDS = [path.read_bytes() for path in SEEDS if path.name.endswith(".gz")]
_RECORD_START = re.compile(rb"(?=WARC/1\.[01]\r\n)")


def _member_per_record(data: bytes) -> bytes:
    """Gzip each piece that starts a record into a member of its own, as crawlers write."""
    return b"".join(gzip.compress(piece, mtime=0) for piece in _RECORD_START.split(data) if piece)


@st.composite
def warc_files(draw: st.DrawFn) -> tuple[bytes, str]:
    """(bytes, file name): a damaged WARC or ARC, plain, gzipped per record or as a whole."""
    form = draw(st.sampled_from(["plain", "per-record", "whole", "damaged-gzip"]))
    if form == "damaged-gzip":
        return draw(mutated(GZIP_SEEDS)), "fuzz.warc.gz"
    data = draw(mutated(PLAIN_SEEDS))
    if form == "per-record":
        return _member_per_record(data), "fuzz.warc.gz"
    if form == "whole":
        return gzip.compress(data, mtime=0), "fuzz.warc.gz"
    return data, draw(st.sampled_from(["fuzz.warc", "fuzz.arc"]))


def read_everything(data: bytes, name: str) -> int:
    """Frame every record and read every block; the bytes read."""
    stream = RecordStream(io.BytesIO(data), expect_gzip=name.endswith(".gz"))
    total = 0
    for record in stream:
        while block := record.read(READ):
            assert len(block) <= READ
            total += len(block)
        assert record.ended
        assert record.damage is None or record.damage.code
    assert all(problem.code and problem.message for problem in stream.problems)
    return total


@given(warc_files())
def test_framing_ends_with_records_and_named_damage(case: tuple[bytes, str]) -> None:
    data, name = case
    read_everything(data, name)


@given(warc_files())
def test_extract_ends_with_documents_or_named_problems(case: tuple[bytes, str]) -> None:
    data, name = case
    with tempfile.TemporaryDirectory(prefix="fuzz-warc-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            run = extract(path)
            found = list(run)
        except ArchiverError:
            return  # not a WARC at all, say: a usage error with its reason
        assert all(isinstance(problem, str) and problem for problem in run.problems)
        for document in found:
            assert document.outcome in ("complete", "partial", "failed")


@given(mutated([b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip, br"
                b"\r\nTransfer-Encoding: chunked\r\nX-Folded: one\r\n two\r\n\r\n<html>",
                b"HTTP/1.0 404\nContent-Length: 3\n\nabc"]))
def test_http_heads_are_read_or_refused(data: bytes) -> None:
    class Block:
        def __init__(self) -> None:
            self.rest = io.BytesIO(data)
            self.back = b""

        def read(self, size: int = -1) -> bytes:
            if self.back:
                out, self.back = self.back, b""
                return out
            return self.rest.read(size)

        def unread(self, back: bytes) -> None:
            self.back = back + self.back

    try:
        head = read_http_head(Block())
    except ValueError as exc:
        assert str(exc)
        return
    assert head.status is None or 100 <= head.status <= 999
    assert len(head.status_line) <= MAX_HTTP_HEAD
    parse_http_head(data[:MAX_HTTP_HEAD])
