"""Hostile files for the bench, built at run time (never committed): WARCs written by hand so
that every byte is what the case needs, damaged packages and WACZs made from a real one, a zip
with a million entries, a PDF that names object 999999999, a 4 GiB brotli bomb.

Big inputs are streamed to disk, never built whole in memory.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import shutil
import struct
import uuid
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import BinaryIO

MIB = 1024 * 1024
GIB = 1024 * MIB
WARC_DATE = "2026-01-02T03:04:05Z"
NESTING = 1100
"""Deeper than Python's recursion limit (1000) and orjson's (1024)."""

# A page object numbered 999999999: the repair step of the original code wrote an object
# table with a row for every number up to it (20 GB). 71 bytes.
PDF_BIG_OBJECT_NUMBER = (b"%PDF-1.4\n999999999 0 obj <</Type /Page>> endobj\n"
                         b"trailer <</Root 1 0 R>>")


# -- WARC records ---------------------------------------------------------------------------

def sha256_label(data: bytes) -> str:
    return "sha256:" + base64.b32encode(hashlib.sha256(data).digest()).decode("ascii")


def http_response(status: str, headers: Iterable[tuple[str, str]], body: bytes) -> bytes:
    """An HTTP response block as it crossed the wire, with Content-Length."""
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers),
             f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body


@dataclass
class Record:
    """One WARC record; digests are computed unless `digests` is False."""

    warc_type: str
    block: bytes
    target_uri: str | None = None
    payload: bytes | None = None
    extra: list[tuple[str, str]] = field(default_factory=list)
    digests: bool = True
    content_length: int | None = None
    """A Content-Length to declare instead of the block's own (a framing defect)."""

    def header_bytes(self) -> bytes:
        content_type = {"response": "application/http;msgtype=response",
                        "warcinfo": "application/warc-fields"}.get(self.warc_type,
                                                                   "application/octet-stream")
        lines = [("WARC-Type", self.warc_type),
                 ("WARC-Record-ID", f"<urn:uuid:{uuid.uuid4()}>"),
                 ("WARC-Date", WARC_DATE)]
        if self.target_uri is not None:
            lines.append(("WARC-Target-URI", self.target_uri))
        lines.append(("Content-Type", content_type))
        if self.digests:
            lines.append(("WARC-Block-Digest", sha256_label(self.block)))
            if self.payload is not None:
                lines.append(("WARC-Payload-Digest", sha256_label(self.payload)))
        lines += self.extra
        length = len(self.block) if self.content_length is None else self.content_length
        lines.append(("Content-Length", str(length)))
        text = "WARC/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in lines) + "\r\n"
        return text.encode("utf-8")

    def to_bytes(self) -> bytes:
        return self.header_bytes() + self.block + b"\r\n\r\n"


def response_record(url: str | None, body: bytes, content_type: str = "text/html",
                    headers: Iterable[tuple[str, str]] = ()) -> Record:
    block = http_response("200 OK", [("Content-Type", content_type), *headers], body)
    return Record("response", block, url, payload=body)


def warcinfo_record() -> Record:
    return Record("warcinfo", b"software: archiver hostile bench\r\nformat: WARC 1.1\r\n")


def article(title: str, words: int = 300) -> bytes:
    text = " ".join(["The meter keeps turning with the valve shut."] * (words // 8))
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body><article><h1>{title}</h1><p>{text}</p><p>{text}</p></article>"
            "</body></html>").encode()


def good_records(count: int = 3) -> list[Record]:
    return [warcinfo_record(), *(response_record(f"http://bench.invalid/page-{i}.html",
                                                 article(f"Page {i}")) for i in range(count))]


def write_warc(path: Path, records: Iterable[Record], *, gzipped: bool) -> list[int]:
    """Write the records (one gzip member each when gzipped); return each one's offset."""
    offsets = []
    with path.open("wb") as out:
        for record in records:
            offsets.append(out.tell())
            data = record.to_bytes()
            out.write(gzip.compress(data, mtime=0) if gzipped else data)
    return offsets


def cut_in_record(path: Path, offsets: list[int], index: int, fraction: float) -> None:
    """Cut the file `fraction` of the way into record `index` (of its bytes in the file)."""
    end = offsets[index + 1] if index + 1 < len(offsets) else path.stat().st_size
    with path.open("r+b") as fh:
        fh.truncate(offsets[index] + int((end - offsets[index]) * fraction))


def write_long_header_line_warc(path: Path, line_bytes: int) -> None:
    """A good record, then one whose WARC header holds a line of `line_bytes` bytes, then a good
    record: streamed, the long line never held in memory."""
    first, last = good_records(2)[1:]
    victim = Record("response", http_response("200 OK", [("Content-Type", "text/html")],
                                              article("Victim")), "http://bench.invalid/long")
    head = victim.header_bytes()
    cut = head.index(b"Content-Length")
    with path.open("wb") as out:
        out.write(first.to_bytes())
        out.write(head[:cut] + b"X-Long-Line: ")
        piece = b"a" * MIB
        left = line_bytes
        while left > 0:
            out.write(piece[:left])
            left -= len(piece)
        out.write(b"\r\n" + head[cut:] + victim.block + b"\r\n\r\n")
        out.write(last.to_bytes())


# -- documents and bodies -------------------------------------------------------------------

@cache
def brotli_bomb(decoded_bytes: int = 4 * GIB) -> bytes:
    """A PDF head and then spaces, `decoded_bytes` in all, brotli-compressed in pieces (3 KB).

    A PDF, because archiver decodes a document that is not a page up to its largest cap
    (512 MiB in the original code; a page only up to 16 MiB)."""
    import brotli

    compressor = brotli.Compressor(quality=5, lgwin=24)
    head = b"%PDF-1.4\n%bomb\n"
    parts = [compressor.process(head)]
    piece = b" " * (16 * MIB)
    left = decoded_bytes - len(head)
    while left > 0:
        parts.append(compressor.process(piece[:left]))
        left -= len(piece)
    parts.append(compressor.finish())
    return b"".join(parts)


# -- zips -----------------------------------------------------------------------------------

def write_many_entry_zip(path: Path, entries: int, first: tuple[str, bytes]) -> None:
    """A zip (zip64 end record) with `first` then `entries` empty stored files, written by
    hand: zipfile would take minutes and gigabytes of its own to write a million entries."""
    central = bytearray()
    with path.open("wb") as out:
        _zip_entry(out, central, first[0], first[1])
        for index in range(entries):
            _zip_entry(out, central, f"e/{index:07d}", b"")  # the directory: ~55 MB
        at = out.tell()
        out.write(central)
        _zip64_end(out, entries + 1, len(central), at)


def _zip_entry(out: BinaryIO, central: bytearray, name: str, data: bytes) -> None:
    encoded = name.encode("ascii")
    crc = zlib.crc32(data)
    offset = out.tell()
    out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0x21, crc, len(data),
                          len(data), len(encoded), 0) + encoded + data)
    central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0x21, crc,
                           len(data), len(data), len(encoded), 0, 0, 0, 0, 0, offset) + encoded


def _zip64_end(out: BinaryIO, count: int, size: int, at: int) -> None:
    record = out.tell()
    out.write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, size, at))
    out.write(struct.pack("<IIQI", 0x07064B50, 0, record, 1))
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF,
                          0xFFFFFFFF, 0))


def rewrite_wacz(source: Path, target: Path, datapackage: Iterable[bytes]) -> None:
    """A copy of the WACZ at `source` whose datapackage.json is the given stream of bytes
    (stored, so no zip-bomb ratio hides it) and whose datapackage-digest.json matches it."""
    digest = hashlib.sha256()
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            if info.filename in ("datapackage.json", "datapackage-digest.json"):
                continue
            with old.open(info) as src, new.open(info, "w") as dst:
                shutil.copyfileobj(src, dst, MIB)
        entry = zipfile.ZipInfo("datapackage.json", (2026, 1, 2, 3, 4, 5))
        entry.compress_type = zipfile.ZIP_STORED
        with new.open(entry, "w", force_zip64=True) as dst:
            for piece in datapackage:
                digest.update(piece)
                dst.write(piece)
        new.writestr("datapackage-digest.json", json.dumps(
            {"path": "datapackage.json", "hash": f"sha256:{digest.hexdigest()}"}))


def read_datapackage(wacz: Path) -> dict[str, object]:
    with zipfile.ZipFile(wacz) as archive:
        document: dict[str, object] = json.loads(archive.read("datapackage.json"))
        return document


def padded_datapackage(document: dict[str, object], total_bytes: int) -> Iterator[bytes]:
    """The datapackage with its real resources followed by empty `{}` entries (each one a
    problem to report) up to `total_bytes`."""
    resources = document.get("resources") or []
    assert isinstance(resources, list)
    rest = {k: v for k, v in document.items() if k != "resources"}
    head = (json.dumps(rest)[:-1] + ', "resources": ' + json.dumps(resources)[:-1]).encode()
    if resources:
        head += b", "
    yield head
    count = max(0, (total_bytes - len(head)) // 3)
    piece = b"{}," * (MIB // 3)
    left = count
    while left > 0:
        n = min(left, MIB // 3)
        yield piece[: n * 3]
        left -= n
    yield b"{}]}"


def nested_json(document: dict[str, object], key: str, depth: int = NESTING) -> bytes:
    """The document with `key` holding arrays nested `depth` deep."""
    text = json.dumps({**document, key: None})
    marker = json.dumps(key) + ": null"
    return text.replace(marker, json.dumps(key) + ": " + "[" * depth + "]" * depth).encode()


# -- packages -------------------------------------------------------------------------------

def copy_package(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, symlinks=True)
    return target


def rebuild_tag_line(package: Path, name: str) -> None:
    """Put the new SHA-256 of the tag file `name` into tagmanifest-sha256.txt."""
    tags = package / "tagmanifest-sha256.txt"
    digest = hashlib.sha256((package / name).read_bytes()).hexdigest()
    lines = [line for line in tags.read_text().splitlines()
             if line.split(maxsplit=1)[-1].strip() != name]
    tags.write_text("\n".join([*lines, f"{digest}  {name}"]) + "\n")


def payload_files(package: Path) -> list[str]:
    """The payload files manifest-sha256.txt lists, in its order (paths from the bag root)."""
    text = (package / "manifest-sha256.txt").read_text()
    return [line.split(maxsplit=1)[1].strip() for line in text.splitlines() if line.strip()]


def victim_file(package: Path) -> Path:
    """A listed payload file that is not a WARC (an extraction file when there is one)."""
    listed = payload_files(package)
    others = [name for name in listed if ".warc" not in name]
    return package / (others[0] if others else listed[-1])
