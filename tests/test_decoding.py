"""archiver.decoding: Content-Encoding undone in bounded steps (a bomb of any ratio keeps
memory flat, in a capture too), stacked encodings, raw and wrapped deflate, gzip members back
to back, and chunk framing that is not what it claims."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import tracemalloc
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import brotli
import pytest

from archiver.decoding import Dechunker, StreamDecoder
from archiver.settings import MIB
from tests.server import BR_BOMB_BYTES, SiteServer, bomb_body, br_bomb_body

ROOT = Path(__file__).resolve().parent.parent
BODY = b"The meter keeps turning with the valve shut. " * 3000


def pieces(decoder: StreamDecoder, data: bytes) -> Iterable[bytes]:
    found: Any = decoder.decode(data)
    return [found] if isinstance(found, bytes) else found  # (one piece, before steps)


def decoded(encoding: str | None, data: bytes, *, feed: int = 64 * 1024,
            cap: int = 1 << 30) -> tuple[bytes, StreamDecoder]:
    decoder = StreamDecoder(encoding, cap)
    out = bytearray()
    for start in range(0, len(data), feed):
        for piece in pieces(decoder, data[start:start + feed]):
            out += piece
    return bytes(out), decoder


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def peak_while(pieces: Iterable[bytes]) -> tuple[int, int, int]:
    """(bytes, largest piece, peak traced memory) while reading `pieces` one by one."""
    tracemalloc.start()
    try:
        total = largest = 0
        for piece in pieces:
            total += len(piece)
            largest = max(largest, len(piece))
            del piece
        return total, largest, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(("encoding", "bomb"), [("br", br_bomb_body), ("gzip", bomb_body)])
def test_a_bomb_is_decoded_in_small_steps_up_to_the_cap(encoding: str, bomb: object) -> None:
    data = bomb()  # type: ignore[operator]
    cap = 32 * MIB
    decoder = StreamDecoder(encoding, cap)
    total, largest, peak = peak_while(pieces(decoder, data))
    assert total == cap and decoder.exceeded and decoder.failed is None
    assert largest <= MIB
    assert peak < 4 * MIB  # a step or two, not the cap (and not a copy of it)


def test_nested_encodings_are_undone_last_first() -> None:
    stacked = gzip.compress(brotli.compress(gzip.compress(BODY)))
    for feed in (1, 7, 64 * 1024):
        out, decoder = decoded("gzip, br, gzip", stacked, feed=feed)
        assert out == BODY and decoder.failed is None
    out, _ = decoded("br, identity", brotli.compress(BODY))
    assert out == BODY
    _, decoder = decoded("gzip, gzip, gzip, gzip, gzip", BODY)
    assert decoder.failed and "at most 4" in decoder.failed
    _, decoder = decoded("gzip, compress", BODY)
    assert decoder.failed == "content encoding 'compress' is not supported"


def test_deflate_raw_or_wrapped_even_byte_by_byte() -> None:
    # Which one it is shows in the first two bytes; a first piece of one byte cannot tell.
    for data in (raw_deflate(BODY), zlib.compress(BODY), gzip.compress(BODY)):
        for feed in (1, 2, 1000):
            out, decoder = decoded("deflate", data, feed=feed)
            assert out == BODY and decoder.failed is None


def test_gzip_members_back_to_back_and_what_follows_them() -> None:
    members = gzip.compress(BODY[:1000]) + gzip.compress(BODY[1000:])
    for feed in (1, 5, 1000, len(members)):
        assert decoded("gzip", members, feed=feed)[0] == BODY
    assert decoded("gzip", members + bytes(10))[0] == BODY  # padding
    out, decoder = decoded("gzip", members + b"<html>trailing junk")
    assert out == BODY and decoder.failed is None  # junk after the data is not the data


def test_a_chunk_size_must_be_hex_digits() -> None:
    for size in (b"-1", b"+5", b"0x5", b"5_0", b" ", b"1" * 17):
        seen: list[bytes] = []
        dechunker = Dechunker(lambda view, seen=seen: seen.append(bytes(view)))
        dechunker.feed(memoryview(size + b"\r\nabcde\r\n0\r\n\r\n"))
        assert dechunker.is_broken and not seen, size


CAPTURE_SCRIPT = """
import json, sys
from pathlib import Path
from archiver.package.build import create_package
from tests.conftest import fast_settings
from tests.peak_rss import peak_rss_kib
result = create_package([sys.argv[1]], Path(sys.argv[2]), settings=fast_settings())
print(json.dumps({"outcomes": [s["outcome"] for s in result.manifest["sources"]],
                  "peak_kib": peak_rss_kib()}))
"""


def test_a_brotli_bomb_served_during_a_capture_keeps_memory_flat(site: SiteServer,
                                                                  tmp_path: Path) -> None:
    # 4 GiB of zeros as br, sent as application/octet-stream: extraction sniffs the body to
    # learn what it is, and the first decoding step used to be the whole 512 MiB cap.
    assert BR_BOMB_BYTES == 4 << 30
    result = subprocess.run([sys.executable, "-c", CAPTURE_SCRIPT,
                             site.url("/encoding/br-bomb"), str(tmp_path / "pkg")],
                            capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["outcomes"] == ["captured"]
    assert report["peak_kib"] / 1024 < 300
