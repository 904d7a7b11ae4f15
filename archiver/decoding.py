"""Turn a body as received into text: undo chunked transfer coding and Content-Encoding (with a
cap), then pick its charset.

A decompression bomb (a few KB that inflate to gigabytes) stops at the cap; the caller sees
`exceeded` and records it. The evidence itself always keeps the encoded bytes as received:
everything here works on copies, for reading.

Charsets follow what browsers do (the WHATWG Encoding standard), because a page must read the
way its readers saw it: a byte-order mark first, then the HTTP header, then a <meta> or XML
declaration in the first bytes, and only then a guess from the bytes themselves.
"""

from __future__ import annotations

import codecs
import re
import zlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import brotli

_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)"""
    rb"""|<\?xml[^>]+encoding\s*=\s*["']([a-zA-Z0-9_.:-]+)""",
    re.IGNORECASE,
)
SNIFF_BYTES = 4096
"""How far into a page a <meta charset> is looked for (browsers look at the first 1024)."""

DETECT_BYTES = 256 * 1024
"""How much of an undeclared page the charset detector reads."""

# Labels whose bytes browsers decode differently from Python's codec of the same name: a page
# that says iso-8859-1 and uses curly quotes (bytes 0x91-0x94) means windows-1252.
_BROWSER_CHARSETS = {
    "iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252",
    "l1": "cp1252", "ascii": "cp1252", "us-ascii": "cp1252", "iso-8859-9": "cp1254",
    "latin5": "cp1254", "iso-8859-11": "cp874", "tis-620": "cp874", "gb2312": "gb18030",
    "gbk": "gb18030", "x-gbk": "gb18030", "euc-kr": "cp949", "shift_jis": "cp932",
    "shift-jis": "cp932", "sjis": "cp932", "windows-31j": "cp932", "x-sjis": "cp932",
    "utf8": "utf-8", "unicode-1-1-utf-8": "utf-8",
}

CharsetSource = Literal["bom", "header", "meta", "detected", "default"]
Encoding = Literal["identity", "gzip", "deflate", "br"]


DECODE_STEP = 256 * 1024
"""The most decoded bytes one step hands out: a bomb that expands a millionfold still arrives
in pieces this small, so memory stays flat whatever the ratio (and the cap, never a copy of
it, is what a caller holds)."""
MAX_CODINGS = 4
"""Content-Encoding layers undone at most (`gzip, br` is two); more is not a real server."""
GZIP_MAGIC = b"\x1f\x8b"


class StreamDecoder:
    """Decodes a body's Content-Encoding, never past `max_output`, in bounded steps.

    gzip (several members back to back too), deflate (zlib-wrapped, or raw as some servers
    send it), br and identity, and lists of them (`gzip, br`: undone last one first).
    """

    def __init__(self, content_encoding: str | None, max_output: int) -> None:
        codings = [_canonical(name) for name in (content_encoding or "").split(",")]
        codings = [name for name in codings if name not in ("", "identity")]
        self.encoding = ", ".join(codings) or "identity"
        self.max_output = max_output
        self.produced = 0
        self.exceeded = False
        self.failed: str | None = None
        self._layers: list[_Layer] = []
        unknown = [name for name in codings if name not in _LAYERS]
        if unknown:
            self.failed = f"content encoding {unknown[0]!r} is not supported"
        elif len(codings) > MAX_CODINGS:
            self.failed = (f"the body is encoded {len(codings)} times over; at most "
                           f"{MAX_CODINGS} encodings are undone")
        else:
            self._layers = [_LAYERS[name]() for name in reversed(codings)]

    @property
    def is_done(self) -> bool:
        """Nothing more will come out: the cap was hit or the data could not be decoded."""
        return self.exceeded or self.failed is not None

    def decode(self, data: bytes) -> Iterator[bytes]:
        """The decoded bytes `data` yields, in pieces of at most DECODE_STEP; read each before
        asking for the next. Stops at the cap, or when the data cannot be decoded."""
        if self.is_done:
            return
        try:
            for piece in self._through(0, data):
                piece = self._cap(piece)
                if piece:
                    yield piece
                if self.is_done:
                    return
        except (zlib.error, brotli.error) as exc:
            self.failed = f"the {self.encoding} body could not be decoded ({exc})"

    def _through(self, index: int, data: bytes) -> Iterator[bytes]:
        """`data` through layers `index` and after (at most MAX_CODINGS deep)."""
        if index == len(self._layers):
            for start in range(0, len(data), DECODE_STEP):
                yield data[start:start + DECODE_STEP]
            return
        for piece in self._layers[index].decode(data):
            yield from self._through(index + 1, piece)

    def _cap(self, data: bytes) -> bytes:
        room = self.max_output - self.produced
        if len(data) > room:
            self.exceeded = True
            data = data[:room]
        self.produced += len(data)
        return data


def _canonical(name: str) -> str:
    name = name.strip().lower()
    return {"x-gzip": "gzip", "x-deflate": "deflate"}.get(name, name)


class _Layer(Protocol):
    def decode(self, data: bytes) -> Iterator[bytes]: ...


class _Inflate:
    """One gzip or deflate layer: zlib, with a cap on every step's output."""

    def __init__(self, *, gzip: bool) -> None:
        self._gzip = gzip
        self._inflater: Any = None
        self._members = 0
        self._pending = b""
        self._finished = False

    def decode(self, data: bytes) -> Iterator[bytes]:
        while data and not self._finished:
            if self._inflater is None:
                data = self._open(data)
                if self._inflater is None:
                    return
            data = yield from self._inflate(data)

    def _open(self, data: bytes) -> bytes:
        """Start the next stream: zlib-wrapped, gzip or (for deflate) raw, told from its first
        two bytes (RFC 1950's header check); return its bytes, or b"" until there are two."""
        data = self._pending + data
        if self._members:
            data = data.lstrip(b"\x00")  # padding some servers put between gzip members
        if len(data) < 2:
            self._pending = data
            return b""
        self._pending = b""
        if self._members and not data.startswith(GZIP_MAGIC):
            self._finished = True  # bytes after the data are not part of it (browsers agree)
            return b""
        wrapped = data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
        raw = not self._gzip and not wrapped and not data.startswith(GZIP_MAGIC)
        self._inflater = zlib.decompressobj(-zlib.MAX_WBITS if raw else 47)
        return data

    def _inflate(self, data: bytes) -> Generator[bytes, None, bytes]:
        """Inflate `data` a step at a time; what follows the stream's end, if it ended."""
        inflater = self._inflater
        while True:
            out: bytes = inflater.decompress(data, DECODE_STEP)
            data = inflater.unconsumed_tail
            if out:
                yield out
            if inflater.eof:
                self._inflater = None
                self._members += 1
                self._finished = not self._gzip  # only gzip runs member after member
                rest: bytes = inflater.unused_data
                return rest
            # A full step may leave inflated bytes inside zlib: ask again until it has none.
            if not data and len(out) < DECODE_STEP:
                return b""


class _Brotli:
    """One br layer: Google's decompressor, asked for at most a step at a time."""

    def __init__(self) -> None:
        self._decompressor = brotli.Decompressor()

    def decode(self, data: bytes) -> Iterator[bytes]:
        if self._decompressor.is_finished():
            return
        out = self._decompressor.process(data, output_buffer_limit=DECODE_STEP)
        if out:
            yield out
        # It keeps the input it could not yet turn into output, and must be drained (with
        # no input) before it takes more.
        while not self._decompressor.can_accept_more_data():
            out = self._decompressor.process(b"", output_buffer_limit=DECODE_STEP)
            if not out:
                return
            yield out


_LAYERS: dict[str, Callable[[], _Layer]] = {
    "gzip": lambda: _Inflate(gzip=True),
    "deflate": lambda: _Inflate(gzip=False),
    "br": _Brotli,
}


def charset_of(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header.

    >>> charset_of('text/html; Charset="ISO-8859-1"')
    'iso-8859-1'
    """
    if not content_type:
        return None
    for part in content_type.split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip("\"'").lower() or None
    return None


def sniff_html_charset(head: bytes) -> str | None:
    """The charset a page declares in its first bytes (BOM, meta tag or XML declaration)."""
    bom = _bom_charset(head)
    if bom:
        return bom
    found = _META_CHARSET.search(head[:SNIFF_BYTES])
    if not found:
        return None
    return (found.group(1) or found.group(2)).decode("ascii").lower()


_NOT_CHARSETS = frozenset({"idna", "punycode", "undefined", "unicode-escape",
                           "raw-unicode-escape", "charmap", "mbcs", "oem", "utf-7"})
"""Python text codecs that no browser offers as a page's charset (UTF-7 is refused by the
WHATWG Encoding Standard: it lets markup hide in innocent-looking text)."""


def python_codec(label: str | None) -> str | None:
    """The Python codec that decodes `label` the way browsers do, or None if unknown.

    >>> python_codec("ISO-8859-1"), python_codec("utf8"), python_codec("klingon")
    ('cp1252', 'utf-8', None)
    >>> python_codec("hex"), python_codec("base64"), python_codec("idna"), python_codec("utf-7")
    (None, None, None, None)
    """
    if not label:
        return None
    label = label.strip().lower()
    try:
        info = codecs.lookup(_BROWSER_CHARSETS.get(label, label))
    except LookupError:
        return None
    # A page names its charset; Python also knows codecs that are no character set at all
    # (hex, base64, rot13, zlib: bytes to bytes) or that refuse most text (idna, punycode,
    # undefined). None of them is a label a browser would use.
    name = info.name
    if not getattr(info, "_is_text_encoding", True) or name in _NOT_CHARSETS:
        return None
    # Python's own spellings of the same labels (a detector answers in these).
    return _BROWSER_CHARSETS.get(name.replace("iso8859", "iso-8859"), name)


@dataclass(frozen=True)
class DecodedText:
    text: str
    charset: str
    """The Python codec used."""
    source: CharsetSource
    """Where the charset came from: byte-order mark, HTTP header, meta tag, detection, default."""
    declared: str | None = None
    """A declared charset that could not be used (unknown label), if any."""


def decode_html(data: bytes, content_type: str | None = None) -> DecodedText:
    """Decode a page's bytes as a browser would.

    >>> decode_html('café'.encode('cp1252'), 'text/html; charset=iso-8859-1').text
    'café'
    >>> decode_html(b'<meta charset="utf-8"><p>caf\\xc3\\xa9').source
    'meta'
    """
    bom = _bom_charset(data)
    if bom is not None:
        size = 3 if bom == "utf-8" else 2
        return DecodedText(data[size:].decode(bom, errors="replace"), bom, "bom")
    unknown: str | None = None
    for label, source in ((charset_of(content_type), "header"),
                          (sniff_html_charset(data), "meta")):
        codec = python_codec(label)
        if codec is not None:
            if source == "meta" and codec.startswith("utf-16"):
                codec = "utf-8"  # a meta tag read as ASCII cannot truly be UTF-16
            return DecodedText(data.decode(codec, errors="replace"), codec,
                               "header" if source == "header" else "meta", unknown)
        unknown = unknown or label
    codec, how = detect_charset(data)
    return DecodedText(data.decode(codec, errors="replace"), codec, how, unknown)


def detect_charset(data: bytes) -> tuple[str, CharsetSource]:
    """Guess the charset of undeclared text: UTF-8 if the bytes are valid UTF-8, else what
    charset-normalizer finds most likely, else windows-1252 (the browsers' default)."""
    sample = data[:DETECT_BYTES]
    try:
        sample.decode("utf-8")
        return "utf-8", "detected"
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 3 and len(data) > len(sample):
            return "utf-8", "detected"  # only a character cut by the sample's end
    from charset_normalizer import from_bytes  # imported late: it is slow to import

    best = from_bytes(sample).best()
    codec = python_codec(best.encoding) if best is not None else None
    if codec is not None:
        return codec, "detected"
    return "cp1252", "default"


def _bom_charset(data: bytes) -> str | None:
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if data.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le"
    if data.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be"
    return None


# -- chunked transfer coding ---------------------------------------------------------------

_MAX_CHUNK_LINE = 1024
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")
_SIZE, _DATA, _DATA_END, _DONE, _BROKEN = range(5)


class Dechunker:
    """Undoes HTTP chunked transfer coding as a body streams by, handing the entity inside to
    `sink` piece by piece; `ok` once the last chunk is seen, `is_broken` when the framing is
    not chunked after all (or is damaged)."""

    def __init__(self, sink: Callable[[memoryview], object]) -> None:
        self._sink = sink
        self._state = _SIZE
        self._remaining = 0
        self._line = bytearray()

    @property
    def ok(self) -> bool:
        return self._state == _DONE

    @property
    def is_broken(self) -> bool:
        """The framing is not chunked after all (or is damaged): nothing more comes out."""
        return self._state == _BROKEN

    def feed(self, data: memoryview) -> None:
        index, size = 0, len(data)
        while index < size and self._state in (_SIZE, _DATA, _DATA_END):
            if self._state == _DATA:
                take = min(size - index, self._remaining)
                self._sink(data[index:index + take])
                index += take
                self._remaining -= take
                if not self._remaining:
                    self._state = _DATA_END
            else:
                index = self._read_line(data, index)

    def _read_line(self, data: memoryview, index: int) -> int:
        window = bytes(data[index:index + _MAX_CHUNK_LINE])
        newline = window.find(b"\n")
        if newline < 0:
            self._line += window
            if len(self._line) > _MAX_CHUNK_LINE:
                self._state = _BROKEN
            return index + len(window)
        self._line += window[:newline]
        line = bytes(self._line).strip()
        self._line.clear()
        self._end_of_line(line)
        return index + newline + 1

    def _end_of_line(self, line: bytes) -> None:
        if self._state == _DATA_END:
            self._state = _SIZE if not line else _BROKEN
            return
        size = line.split(b";", 1)[0].strip()
        if not _CHUNK_SIZE.fullmatch(size):  # int() would take "-1", "+5", "0x5" and "5_0"
            self._state = _BROKEN
            return
        self._remaining = int(size, 16)
        self._state = _DATA if self._remaining else _DONE
