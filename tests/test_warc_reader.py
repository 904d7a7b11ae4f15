"""archiver.warc.reader and archiver.warc.members: gzip members and records found wherever
the block boundaries fall, broken members skipped to the next good one, memory bounded
whatever the record size."""

from __future__ import annotations

import gzip
import hashlib
import io
import tracemalloc
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from archiver.warc.members import Inflater, looks_like_warc
from archiver.warc.reader import (
    DAMAGE,
    DATA,
    END_OF_FILE,
    MAX_HEADER,
    MEMBER_END,
    PIECE,
    PLAIN_DATA,
    Damage,
    Event,
    RecordHeader,
    RecordParser,
    parse_header,
)
from archiver.warc.record_stream import MAX_RESCANS, RecordStream

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "warc"


def member_offsets(data: bytes) -> list[int]:
    """Where each gzip member starts, found with zlib alone."""
    offsets, position = [], 0
    while position < len(data):
        offsets.append(position)
        inflater = zlib.decompressobj(31)
        inflater.decompress(data[position:])
        position = len(data) - len(inflater.unused_data)
    return offsets


def inflate_events(data: bytes, block: int, *, expect_gzip: bool = True) -> list[Event]:
    events: list[Event] = []
    inflater = Inflater(events.append, expect_gzip=expect_gzip)
    for start in range(0, len(data), block):
        inflater.feed(data[start:start + block])
    inflater.finish()
    return events


@dataclass
class Seen:
    """A RecordSink that keeps what it was handed."""

    records: list[tuple[str | None, int, str]] = field(default_factory=list)
    damages: list[tuple[str, int, bool]] = field(default_factory=list)
    members: int = 0
    _digest: hashlib._Hash | None = None
    _current: RecordHeader | None = None

    def record_start(self, header: RecordHeader) -> None:
        self._current, self._digest = header, hashlib.sha256()

    def record_data(self, data: memoryview) -> None:
        assert self._digest is not None
        self._digest.update(data)

    def record_end(self) -> None:
        assert self._current is not None and self._digest is not None
        self.records.append((self._current.record_id, self._current.offset,
                             self._digest.hexdigest()))

    def member_end(self) -> None:
        self.members += 1

    def damage(self, damage: Damage, *, in_record: bool) -> None:
        self.damages.append((damage.code, damage.offset, in_record))


def parse(data: bytes, block: int, *, expect_gzip: bool = True) -> Seen:
    seen = Seen()
    RecordParser(seen).handle(inflate_events(data, block, expect_gzip=expect_gzip))
    return seen


def test_members_are_found_at_their_offsets() -> None:
    data = (FIXTURES / "intact-sha256.warc.gz").read_bytes()
    events = inflate_events(data, 1 << 20)
    ends = [offset for kind, offset, _ in events if kind == MEMBER_END]
    assert ends == member_offsets(data)
    assert events[-1] == (END_OF_FILE, len(data), None)
    inflated = b"".join(value for kind, _, value in events if kind == DATA)
    assert inflated == gzip.decompress(data)
    plain = (FIXTURES / "uncompressed.warc").read_bytes()
    assert inflate_events(plain, 1000)[:2] == [(PLAIN_DATA, 0, plain[:1000]),
                                              (PLAIN_DATA, 1000, plain[1000:2000])]


@pytest.mark.parametrize("block", [1, 2, 3, 7, 64, 1000, 1 << 20])
@pytest.mark.parametrize("name", ["intact-sha256.warc.gz", "uncompressed.warc",
                                  "whole-file-gzip.warc.gz", "mixed-digests.warc"])
def test_records_are_the_same_whatever_the_block_size(name: str, block: int) -> None:
    data = (FIXTURES / name).read_bytes()
    whole = parse(data, 1 << 20)
    assert len(whole.records) == 5 and not whole.damages
    assert parse(data, block).records == whole.records


def test_record_offsets_are_member_offsets_or_file_offsets() -> None:
    gzipped = (FIXTURES / "intact-sha256.warc.gz").read_bytes()
    plain = (FIXTURES / "uncompressed.warc").read_bytes()
    assert [offset for _, offset, _ in parse(gzipped, 100).records] == member_offsets(gzipped)
    offsets = [offset for _, offset, _ in parse(plain, 100).records]
    assert all(plain[offset:].startswith(b"WARC/1.1\r\n") for offset in offsets)
    assert offsets[0] == 0 and len(set(offsets)) == 5


def test_a_broken_member_is_reported_and_the_next_one_read() -> None:
    data = (FIXTURES / "corrupt-member.warc.gz").read_bytes()
    intact = parse((FIXTURES / "intact-sha256.warc.gz").read_bytes(), 1 << 20)
    for block in (5, 333, 1 << 20):
        seen = parse(data, block)
        broken = member_offsets((FIXTURES / "intact-sha256.warc.gz").read_bytes())[2]
        assert [(code, offset) for code, offset, _ in seen.damages] == [
            ("gzip-member-corrupt", broken)]
        # The broken record may end (with the wrong bytes) before the CRC check fails, or not.
        assert [record for record in seen.records if record[1] != broken] == [
            record for record in intact.records if record[1] != broken]


def test_a_member_that_runs_past_its_end_does_not_hide_the_next() -> None:
    # Cut a member's deflate end: the inflater reads on into the next member, fails there, and
    # must come back to find that member from the broken one's second byte.
    members = [zlib.compressobj(6, zlib.DEFLATED, 31) for _ in range(3)]
    records = [b"WARC/1.1\r\nWARC-Record-ID: <r%d>\r\nContent-Length: 3\r\n\r\nabc\r\n\r\n" % i
               for i in range(3)]
    parts = [m.compress(r) + m.flush() for m, r in zip(members, records, strict=True)]
    parts[0] = parts[0][:-9]  # no trailer and no final deflate byte
    seen = parse(b"".join(parts), 4096)
    assert [code for code, _, _ in seen.damages] == ["gzip-member-corrupt"]
    assert [record_id for record_id, _, _ in seen.records] == ["<r1>", "<r2>"]


def test_truncated_and_garbage_files() -> None:
    truncated = parse((FIXTURES / "truncated-record.warc.gz").read_bytes(), 1000)
    assert [(code, in_record) for code, _, in_record in truncated.damages] == [
        ("truncated-gzip", True)]
    plain = parse((FIXTURES / "truncated-record.warc").read_bytes(), 1000)
    assert [code for code, _, _ in plain.damages] == ["truncated-record"]
    garbage = parse((FIXTURES / "not-gzip-garbage.warc.gz").read_bytes(), 1000)
    assert garbage.damages == [("not-gzip", 0, False)] and not garbage.records
    trailing = parse((FIXTURES / "trailing-garbage.warc.gz").read_bytes(), 1000)
    assert [code for code, _, _ in trailing.damages] == ["not-gzip"]
    assert len(trailing.records) == 5


def test_a_bad_header_is_skipped_to_the_next_record() -> None:
    seen = parse((FIXTURES / "bad-header.warc").read_bytes(), 50, expect_gzip=False)
    assert [code for code, _, _ in seen.damages] == ["record-header-invalid"]
    assert [record_id for record_id, _, _ in seen.records] == [
        "<urn:uuid:00000000-0000-4000-8000-000000000001>",
        "<urn:uuid:00000000-0000-4000-8000-000000000003>",
        "<urn:uuid:00000000-0000-4000-8000-000000000004>",
        "<urn:uuid:00000000-0000-4000-8000-000000000005>",
    ]


def test_a_header_that_never_ends_is_damage_not_a_hang() -> None:
    record = b"WARC/1.1\r\nContent-Length: 0\r\n\r\n"
    endless = b"WARC/1.1\r\nX-Junk: " + b"j" * (MAX_HEADER + 10) + b"\r\n"
    no_length = b"WARC/1.1\r\nX-Junk: j\r\n\r\n"
    for block in (1000, 1 << 20):
        for junk in (endless, no_length):
            data = record + junk + record
            seen = parse(data, block, expect_gzip=False)
            assert [code for code, _, _ in seen.damages] == ["record-header-invalid"]
            assert [offset for _, offset, _ in seen.records] == [0, len(record + junk)]


def test_a_gzip_bomb_arrives_in_small_pieces() -> None:
    size = 64 * PIECE
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = b"WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: %d\r\n\r\n" % size
    data = compressor.compress(head) + compressor.compress(bytes(size)) + compressor.compress(
        b"\r\n\r\n") + compressor.flush()
    assert len(data) < size // 500
    events = inflate_events(data, 1 << 20)
    pieces = [len(value) for kind, _, value in events if kind == DATA]
    assert max(pieces) <= PIECE and sum(pieces) == len(head) + size + 4
    seen = Seen()
    RecordParser(seen).handle(events)
    assert seen.records[0][2] == hashlib.sha256(bytes(size)).hexdigest()


def test_parse_header() -> None:
    header = parse_header(b"WARC/1.0\r\nWARC-Type: response\r\nX-Long: one\r\n two\r\n"
                          b"content-length: 12\r\n\r\n", 7)
    assert (header.version, header.record_type, header.content_length, header.offset) == (
        "WARC/1.0", "response", 12, 7)
    assert header.get("x-long") == "one two"
    with pytest.raises(ValueError, match="WARC version"):
        parse_header(b"HTTP/1.1 200 OK\r\n\r\n", 0)
    with pytest.raises(ValueError, match="Content-Length"):
        parse_header(b"WARC/1.1\r\nContent-Length: ten\r\n\r\n", 0)


def test_looks_like_warc() -> None:
    assert looks_like_warc((FIXTURES / "intact-sha256.warc.gz").read_bytes())
    assert looks_like_warc(b"WARC/1.1\r\n")
    assert not looks_like_warc(gzip.compress(b"%PDF-1.7"))
    assert not looks_like_warc(b"%PDF-1.7")


def test_damage_events_carry_offsets() -> None:
    events = inflate_events((FIXTURES / "trailing-garbage.warc.gz").read_bytes(), 64)
    damages = [value for kind, _, value in events if kind == DAMAGE]
    size = len((FIXTURES / "intact-sha256.warc.gz").read_bytes())
    assert damages == [Damage("not-gzip", size, "these bytes are not a gzip member")]


# -- ARC files, and records pulled one at a time ------------------------------------------------


def parse_arc(data: bytes, block: int) -> Seen:
    seen = Seen()
    events = inflate_events(data, block, expect_gzip=False)
    RecordParser(seen, accept_arc=True).handle(events)
    return seen


@pytest.mark.parametrize("block", [1, 7, 1 << 20])
def test_arc_records_are_framed_like_warc_records(block: int) -> None:
    for name in ("intact.arc", "intact.arc.gz"):
        seen = parse_arc((FIXTURES / name).read_bytes(), block)
        assert not seen.damages
        assert seen.records[0][1] == 0 and len(seen.records) == 4
    stream = RecordStream(io.BytesIO((FIXTURES / "intact.arc").read_bytes()), expect_gzip=False)
    headers = [(r.header.record_type, r.header.get("WARC-Target-URI"), r.header.get("WARC-Date"))
               for r in stream]
    assert stream.is_arc and headers == [
        ("warcinfo", "filedesc://fixture.arc", "2005-06-14T07:01:44Z"),
        ("response", "http://127.0.0.1:8000/arc-one.html", "2005-06-14T07:01:44Z"),
        ("resource", "dns:127.0.0.1", "2005-06-14T07:01:44Z"),
        ("response", "http://127.0.0.1:8000/arc-two.html", "2005-06-14T07:01:44Z")]


def test_a_bad_arc_header_is_damage_and_the_next_line_that_is_one_is_read() -> None:
    for block in (3, 1 << 20):
        seen = parse_arc((FIXTURES / "bad-header.arc").read_bytes(), block)
        assert [(code, in_record) for code, _, in_record in seen.damages] == [
            ("record-header-invalid", False)]
        assert len(seen.records) == 3  # the description, the dns record, the second page


def test_pulled_records_hold_one_step_of_a_bomb() -> None:
    size = 256 * 1024 * 1024
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = b"WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: %d\r\n\r\n" % size
    data = compressor.compress(head) + compressor.compress(bytes(size)) + compressor.compress(
        b"\r\n\r\n") + compressor.flush()
    data += (FIXTURES / "intact-sha256.warc.gz").read_bytes()
    tracemalloc.start()
    try:
        stream = RecordStream(io.BytesIO(data), expect_gzip=True)
        records = iter(stream)
        bomb = next(records)
        assert bomb.read(10) == bytes(10)  # read a little, leave the rest
        rest = [record.header.record_id for record in records]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert bomb.ended and bomb.damage is None and len(rest) == 5
    assert peak < 40 * 1024 * 1024


def test_records_cut_by_the_end_of_the_file_are_searched_a_bounded_number_of_times() -> None:
    record = b"WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: %d\r\n\r\nabc\r\n\r\n"
    overlong = b"".join(record % (1 << 40) for _ in range(MAX_RESCANS + 5))
    stream = RecordStream(io.BytesIO(overlong + record % 3), expect_gzip=False)
    found = list(stream)
    assert len(found) == MAX_RESCANS + 1
    assert all(r.damage is not None and r.damage.code == "truncated-record" for r in found)
    assert [d.code for d in stream.problems] == ["records-not-searched"]
