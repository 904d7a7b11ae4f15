"""JSON from elsewhere (a package's manifest.json, a WACZ's datapackage.json, extraction
files and records, JSON-LD in a page): bounded in size, values and nesting before any parser
or validator sees it.

The parsers and validators archiver uses recurse on nesting (json, jsonschema) or stop at a
depth of their own (orjson: 1024), so a document nested 1,100 deep ended in RecursionError.
Here the nesting is measured first, by a linear scan that counts brackets outside strings,
with no recursion; the same scan counts the values, since a small file of many tiny values
(`[{},{},...]`) takes 20 times its size in memory once parsed.

>>> load_json(b'{"a": [1, 2]}', "x.json")
{'a': [1, 2]}
>>> try:
...     load_json(b"[" * 70 + b"]" * 70, "x.json")
... except UnreadableEvidence as refused:
...     print(refused)
x.json: nested deeper than 64 levels, the most archiver reads
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Any, Final

import orjson

from archiver.errors import UnreadableEvidence
from archiver.regular_files import read_regular, too_large
from archiver.settings import ReadLimits

JSON_INVALID: Final = "json-invalid"
JSON_TOO_LARGE: Final = "json-too-large"
JSON_TOO_DEEP: Final = "json-too-deep"
_DEFAULTS = ReadLimits()
_CHUNK = 1024 * 1024
_NOT_STRUCTURE = bytes(byte for byte in range(256) if byte not in b'"[]{},')
_STEPS = bytes.maketrans(b"[]{}", b"\x01\xff\x01\xff")
_OPEN, _CLOSE = 1, 0xFF


@dataclass(frozen=True)
class Shape:
    """What the scan found: the deepest nesting (as far as it read) and the values."""

    depth: int
    values: int


def load_json(data: bytes, what: str, *, limits: ReadLimits = _DEFAULTS,
              max_depth: int | None = None, strict: bool = True) -> Any:
    """The document in `data`, parsed, once it is known to be within `limits`
    (`max_depth`, if given, instead of `limits.max_json_depth`). `strict=False` lets raw
    control characters (a newline, a tab) stand inside strings, as pages' JSON-LD has them.

    Raises UnreadableEvidence naming `what`: larger, deeper or with more values than the
    limits allow, not UTF-8, or not JSON.
    """
    if len(data) > limits.max_json_bytes:
        raise too_large(what, len(data), limits.max_json_bytes)
    deepest = limits.max_json_depth if max_depth is None else max_depth
    shape = measure(data, deepest, most_values=limits.max_json_values)
    if shape.depth > deepest:
        raise UnreadableEvidence(what, f"nested deeper than {deepest} levels, the most "
                                 "archiver reads", JSON_TOO_DEEP)
    if shape.values > limits.max_json_values:
        raise UnreadableEvidence(what, f"more than {limits.max_json_values:,} values, the "
                                 "most archiver reads in one file", JSON_TOO_LARGE)
    return _parse(data, what, strict)


def load_json_object(data: bytes, what: str, *,
                     limits: ReadLimits = _DEFAULTS) -> dict[str, Any]:
    """`load_json` of a document that must be one JSON object (manifest.json,
    datapackage.json). Raises UnreadableEvidence as `load_json` does, and when it is not."""
    document = load_json(data, what, limits=limits)
    if not isinstance(document, dict):
        raise UnreadableEvidence(what, "the document is not a JSON object", JSON_INVALID)
    return document


def read_json_file(path: Path, what: str, *, limits: ReadLimits = _DEFAULTS) -> Any:
    """`load_json` of the regular file at `path` (never through a link, never a FIFO).

    Raises UnreadableEvidence and OSError."""
    return load_json(read_regular(path, limits.max_json_bytes, what), what, limits=limits)


def _parse(data: bytes, what: str, strict: bool) -> Any:
    try:
        # orjson parses several times faster than json, to the same values, and refuses
        # bytes that are not UTF-8 (so they need no decoding first: a copy of the file).
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        pass
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableEvidence(what, f"byte {exc.start} is not valid UTF-8",
                                 JSON_INVALID) from None
    try:  # json reads a few things orjson refuses (NaN, integers past 64 bits)
        return json.loads(text, strict=strict)
    except json.JSONDecodeError as exc:
        raise UnreadableEvidence(what, f"not valid JSON: {exc.msg} at line {exc.lineno} "
                                 f"column {exc.colno}", JSON_INVALID) from None
    except (ValueError, RecursionError) as exc:  # an integer of 5,000 digits, say
        raise UnreadableEvidence(what, f"not JSON archiver can read: {exc}",
                                 JSON_INVALID) from None


def measure(data: bytes, give_up_past: int, *, most_values: int | None = None,
            chunk_size: int = _CHUNK) -> Shape:
    r"""The deepest nesting of arrays and objects in `data`, and how many values it holds,
    found without parsing, a chunk of `chunk_size` bytes at a time; it stops as soon as the
    nesting passes `give_up_past` or the values `most_values`. Malformed JSON gets some
    answer; its parser then says what is wrong with it.

    >>> measure(b'{"a": [1, {"b": "]]]"}], "c": "\\\\", "d": "\\"["}', 64)
    Shape(depth=3, values=7)
    """
    depth = deepest = values = 0
    in_string = False
    carry = b""
    for start in range(0, len(data), chunk_size):
        chunk = carry + data[start:start + chunk_size]
        chunk, carry = _drop_escapes(chunk)
        # Only quotes, brackets and commas matter: keeping just them first (in C) leaves
        # strings empty or nearly so, and splitting at the quotes cheap.
        pieces = chunk.translate(None, _NOT_STRUCTURE).split(b'"')
        outside = b"".join(pieces[1::2] if in_string else pieces[0::2])
        if len(pieces) % 2 == 0:
            in_string = not in_string
        commas = outside.count(b",")
        steps = outside.translate(_STEPS, b",")
        values += commas + steps.count(_OPEN)
        depth, deepest = _climb(steps, depth, deepest)
        if deepest > give_up_past or (most_values is not None and values > most_values):
            break
    return Shape(deepest, values + (1 if data.strip() else 0))


def _drop_escapes(chunk: bytes) -> tuple[bytes, bytes]:
    """The chunk without its escaped characters' backslashes and escaped quotes, and a
    backslash to carry into the next chunk (when this one ends in the middle of an escape)."""
    run = len(chunk) - len(chunk.rstrip(b"\\"))
    carry = b"\\" if run % 2 else b""
    if carry:
        chunk = chunk[:-1]
    if b"\\" in chunk:
        # Pairs first, left to right as JSON reads them: in \\" the quote ends the string.
        chunk = chunk.replace(b"\\\\", b"").replace(b'\\"', b"")
    return chunk, carry


def _climb(steps: bytes, depth: int, deepest: int) -> tuple[int, int]:
    """Follow the steps up (1) and down (0xff) from `depth`: where it ends, and the highest
    it went (or `deepest`, if higher)."""
    if not steps:
        return depth, deepest
    end = depth + steps.count(_OPEN) - steps.count(_CLOSE)
    # A step down then up again never reaches a new height: dropping each such pair (in C,
    # a pass at a time) leaves far fewer steps to add up one by one.
    for _ in range(8):
        shorter = steps.replace(b"\xff\x01", b"")
        settled = len(shorter) * 10 > len(steps) * 9
        steps = shorter
        if settled:
            break
    if steps:
        deepest = max(deepest, max(accumulate(memoryview(steps).cast("b"), initial=depth)))
    return end, deepest
