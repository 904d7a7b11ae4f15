"""WARC 1.1 record headers and gzip members.

A record is built in one pass: its block was hashed while it arrived, so here we only frame it
(headers, block, two CRLFs) and compress it into its own gzip member, which the writer then
appends to a file in one piece.
"""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from tempfile import SpooledTemporaryFile
from typing import IO, Any

from isal import isal_zlib

WARC_VERSION = "WARC/1.1"
BLOCK_SIZE = 256 * 1024
SPOOL_IN_MEMORY = 1024 * 1024
"""Bodies up to this size stay in memory; larger ones spill to a temporary file."""

GZIP_WBITS = 16 + zlib.MAX_WBITS

HTTP_REQUEST_TYPE = "application/http;msgtype=request"
HTTP_RESPONSE_TYPE = "application/http;msgtype=response"


def new_record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def sha256_label(hex_digest: str) -> str:
    """Our digest spelling: `sha256:` and lowercase hex, which warcio and FastWARC accept."""
    return f"sha256:{hex_digest}"


def payload_digest(get: Callable[[str], str | None], *, http: bool) -> str | None:
    """A record's WARC-Payload-Digest, read with `get`. A record that is not HTTP has its block
    as its payload, and archiver gives such records the block digest only (fastwarc rejects
    a payload digest on them: docs/decisions.md), so for them the block digest serves."""
    digest = get("WARC-Payload-Digest")
    return get("WARC-Block-Digest") if digest is None and not http else digest


def new_spool() -> SpooledTemporaryFile[bytes]:
    return SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, mode="w+b")


def header_block(fields: Iterable[tuple[str, str | None]]) -> bytes:
    """The record's header lines; fields whose value is None are left out."""
    lines = [WARC_VERSION]
    for name, value in fields:
        if value is None:
            continue
        if "\r" in value or "\n" in value:
            raise ValueError(f"WARC header {name} would contain a line break")
        lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


@dataclass
class PreparedRecord:
    """One record compressed into a gzip member, ready to be appended to a WARC file."""

    record_id: str
    record_type: str
    member: IO[bytes]
    member_length: int
    block_length: int

    def close(self) -> None:
        self.member.close()


INCOMPRESSIBLE_SAMPLE = 64 * 1024
INCOMPRESSIBLE_RATIO = 0.97
SMALLEST_SAMPLED = 2 * 1024
"""Blocks smaller than this are compressed without a test: whatever they cost is small."""


def is_compressible(block: IO[bytes] | bytes, block_length: int) -> bool:
    """Whether deflate is worth it for a block (JPEG, video, ZIP data are not).

    It matters twice over. Deflating such data takes time for nothing, and ISA-L then writes
    Huffman-coded blocks that inflate at ~190 MB/s, where zlib's stored blocks inflate at
    GB/s: every later read (verify, replay, extract) of a capture full of images paid for it.
    The sample is taken past the block's start, where an HTTP header block would make any
    body look compressible."""
    if block_length < SMALLEST_SAMPLED:
        return True
    size = min(INCOMPRESSIBLE_SAMPLE, block_length // 2)
    start = min(INCOMPRESSIBLE_SAMPLE, block_length - size)
    if isinstance(block, bytes):
        sample = block[start:start + size]
    else:
        block.seek(start)
        sample = block.read(size)
    # ISA-L level 1 tells as well as zlib does, ~20 times faster on data that will not shrink.
    return len(isal_zlib.compress(sample, 1)) < INCOMPRESSIBLE_RATIO * len(sample)


def _compressor(level: int | None) -> Any:
    """A gzip compressor: ISA-L at `level` (it deflates text ~20 times faster than zlib at
    level 6, for ~15% larger output), or zlib's stored blocks (None) for data that will not
    shrink. Both write standard gzip members."""
    if level is None:
        return zlib.compressobj(0, zlib.DEFLATED, GZIP_WBITS)
    return isal_zlib.compressobj(level, isal_zlib.DEFLATED, GZIP_WBITS)


def prepare_record(
    fields: list[tuple[str, str | None]],
    block: IO[bytes] | bytes,
    block_length: int,
    *,
    gzip_level: int,
) -> PreparedRecord:
    """Frame and compress one record. `fields` must hold WARC-Type and WARC-Record-ID."""
    named = {name: value for name, value in fields}
    record_id = named["WARC-Record-ID"]
    record_type = named["WARC-Type"]
    if record_id is None or record_type is None:
        raise RuntimeError("a record needs WARC-Record-ID and WARC-Type")
    headers = header_block([*fields, ("Content-Length", str(block_length))])
    member = new_spool()
    compressor = _compressor(gzip_level if is_compressible(block, block_length) else None)
    member.write(compressor.compress(headers))
    if isinstance(block, bytes):
        member.write(compressor.compress(block))
    else:
        block.seek(0)
        while chunk := block.read(BLOCK_SIZE):
            member.write(compressor.compress(chunk))
    member.write(compressor.compress(b"\r\n\r\n"))
    member.write(compressor.flush())
    length = member.tell()
    member.seek(0)
    return PreparedRecord(record_id, record_type, member, length, block_length)
