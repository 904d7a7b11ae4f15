"""Fuzz the decoding of bodies: chunked transfer coding, gzip, deflate (zlib and raw), br and
stacks of them, seeded with a real page encoded each way, then damaged and fed in pieces of
any size. Whatever the bytes, decoding ends with output (never past the cap, in bounded
steps) or a reason, never another exception."""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path

import brotli
from hypothesis import given
from hypothesis import strategies as st

from archiver.decoding import DECODE_STEP, Dechunker, StreamDecoder
from archiver.extract.payload import BodyReader, CapturedDocument
from tests.fuzz.mutations import mutated

PAGE = (Path(__file__).resolve().parent.parent.parent / "fixtures" / "site" / "story"
        / "water-meters.html").read_bytes()
CAP = 256 * 1024


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def _chunked(data: bytes, size: int = 1000) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(data[i:i + size]), data[i:i + size])
                    for i in range(0, len(data), size)) + b"0\r\n\r\n"


ENCODERS = {"gzip": lambda data: gzip.compress(data, mtime=0), "deflate": zlib.compress,
            "br": brotli.compress}
STACKS = ["gzip", "deflate", "br", "gzip, br", "br, gzip", "gzip, br, gzip", "deflate, gzip"]


def _encode(stack: str, data: bytes) -> bytes:
    for name in stack.split(", "):
        data = ENCODERS[name](data)
    return data


SEEDS = {stack: _encode(stack, PAGE) for stack in STACKS}
SEEDS["deflate-raw"] = _raw_deflate(PAGE)
SEEDS["gzip-members"] = gzip.compress(PAGE[:5000], mtime=0) + gzip.compress(PAGE[5000:], mtime=0)


@st.composite
def encoded_bodies(draw: st.DrawFn) -> tuple[str, bytes]:
    """(Content-Encoding, damaged body): the body may claim one encoding and hold another."""
    seed = draw(st.sampled_from(sorted(SEEDS)))
    label = {"deflate-raw": "deflate", "gzip-members": "gzip"}.get(seed, seed)
    label = draw(st.sampled_from([label, label, "br", "gzip", "x-gzip, identity", "bogus"]))
    return label, draw(mutated([SEEDS[seed]]))


def feed_sizes() -> st.SearchStrategy[int]:
    return st.sampled_from([1, 2, 3, 17, 4096, 65536])


@given(encoded_bodies(), feed_sizes())
def test_decoding_ends_with_output_or_a_reason(body: tuple[str, bytes], feed: int) -> None:
    encoding, data = body
    decoder = StreamDecoder(encoding, CAP)
    total = 0
    for start in range(0, len(data), feed):
        for piece in decoder.decode(data[start:start + feed]):
            assert 0 < len(piece) <= DECODE_STEP
            total += len(piece)
    assert total == decoder.produced <= CAP
    assert decoder.failed is None or decoder.failed.strip()


@given(mutated([_chunked(PAGE), _chunked(gzip.compress(PAGE, mtime=0), 333), b"0\r\n\r\n"]),
       feed_sizes())
def test_dechunking_ends_whole_or_broken(data: bytes, feed: int) -> None:
    seen: list[int] = []
    dechunker = Dechunker(lambda view: seen.append(len(view)))
    for start in range(0, len(data), feed):
        dechunker.feed(memoryview(data)[start:start + feed])
    assert sum(seen) <= len(data)
    assert not (dechunker.ok and dechunker.is_broken)


@given(encoded_bodies(), st.booleans())
def test_a_body_reads_through_chunks_and_encodings(body: tuple[str, bytes],
                                                   chunked: bool) -> None:
    encoding, data = body
    stored = _chunked(data, 777) if chunked else data
    document = CapturedDocument(url="http://x.example/", content_type="text/html",
                                content_encoding=encoding, chunked=chunked)
    reader = BodyReader(io.BytesIO(stored), document, CAP)
    assert sum(len(block) for block in reader.blocks()) == reader.produced <= CAP
