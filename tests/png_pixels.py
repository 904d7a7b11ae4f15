"""How many different colours the top of a PNG holds: a judge of "the screenshot is not
blank" that needs no imaging library (only zlib), for the 8-bit, non-interlaced RGB and RGBA
PNGs Chromium writes."""

from __future__ import annotations

import struct
import zlib

_CHANNELS = {2: 3, 6: 4}
"""PNG colour types Chromium writes: truecolour (RGB) and truecolour with alpha (RGBA)."""


def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    chunks, offset = [], 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset:offset + 4])
        kind = png[offset + 4:offset + 8]
        chunks.append((kind, png[offset + 8:offset + 8 + length]))
        offset += 12 + length
    return chunks


def size(png: bytes) -> tuple[int, int]:
    """(width, height) from the IHDR chunk."""
    kind, header = _chunks(png)[0]
    assert kind == b"IHDR"
    width, height = struct.unpack(">II", header[:8])
    return width, height


def distinct_colours(png: bytes, rows: int = 260) -> int:
    """Distinct pixel values in the first `rows` rows (rows are unfiltered in order, so the
    top of a tall screenshot costs no more than a short one)."""
    return len(colours(png, rows))


def colours(png: bytes, rows: int = 260) -> set[tuple[int, int, int]]:
    """The RGB values of every eighth pixel of the first `rows` rows (alpha left out)."""
    chunks = _chunks(png)
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert depth == 8 and colour in _CHANNELS and interlace == 0, (depth, colour, interlace)
    step = _CHANNELS[colour]
    stride = width * step
    inflater = zlib.decompressobj()
    data = bytearray()
    wanted = min(rows, height) * (stride + 1)
    for kind, body in chunks:
        if kind == b"IDAT" and len(data) < wanted:
            data += inflater.decompress(body)
    previous = bytearray(stride)
    found: set[tuple[int, int, int]] = set()
    for row in range(min(rows, height)):
        start = row * (stride + 1)
        line = _unfilter(data[start], data[start + 1:start + 1 + stride], previous, step)
        found.update((line[i], line[i + 1], line[i + 2]) for i in range(0, stride, step * 8))
        previous = line
    return found


def _unfilter(kind: int, line: bytearray, above: bytearray, step: int) -> bytearray:
    out = bytearray(line)
    for i in range(len(out)):
        left = out[i - step] if i >= step else 0
        up = above[i]
        corner = above[i - step] if i >= step else 0
        if kind == 1:
            out[i] = (out[i] + left) & 0xFF
        elif kind == 2:
            out[i] = (out[i] + up) & 0xFF
        elif kind == 3:
            out[i] = (out[i] + (left + up) // 2) & 0xFF
        elif kind == 4:
            guess = left + up - corner
            pa, pb, pc = abs(guess - left), abs(guess - up), abs(guess - corner)
            nearest = left if pa <= pb and pa <= pc else up if pb <= pc else corner
            out[i] = (out[i] + nearest) & 0xFF
    return out
