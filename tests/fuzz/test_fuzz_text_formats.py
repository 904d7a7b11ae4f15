"""Plain-text, CSV, JSON and XML extraction on damaged files: each ends with an extraction
whose problems name what could not be read, never with an exception, and never with the
catch-all note a bug of ours gives ("extraction failed (...)")."""

from __future__ import annotations

import json

import pytest
from hypothesis import given

from archiver.extract.document import Extraction
from archiver.extract.extractor import extract_captured
from archiver.extract.payload import CapturedDocument
from tests.fuzz.mutations import mutated

SEEDS = {
    "text/csv": [b'Town;Meters;Note\nHarrow Point;3812;"billed, never used"\n',
                 b'a,b\n"unterminated,1\n2,3\n', b"x\ty\n1\t2\n"],
    "application/json": [b'{"title": "T", "rows": [{"t": "Water bills rose"}], "n": 1.5e3}',
                         b'[{"a": "\\u00e9t\\u00e9"}, "x y", null, true]', b'{"a": "x\n{"b": 1}'],
    "application/rss+xml": [
        b'<?xml version="1.0" encoding="iso-8859-1"?><rss><channel><title>C\xe9</title>'
        b"<item><description>A <b>b</b> c &amp; d</description></item></channel></rss>",
        b'<!DOCTYPE r [<!ENTITY e "x">]><r>&e;<![CDATA[raw <b>]]></r>', b"<a><b></a>"],
    "text/plain": [b"\xef\xbb\xbfline one\r\nline two", "caf\u00e9".encode("utf-16"),
                   b"\x00\x1b[2J"],
}


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def read(self, size: int = -1) -> bytes:
        data, self._data = (self._data, b"") if size < 0 else (self._data[:size],
                                                                 self._data[size:])
        return data


@pytest.mark.parametrize("content_type", sorted(SEEDS))
def test_a_damaged_data_file_gives_an_extraction_with_named_problems(content_type: str) -> None:
    @given(mutated(SEEDS[content_type]))
    def check(data: bytes) -> None:
        document = CapturedDocument(url="https://data.example/fuzzed", content_type=content_type)
        result = extract_captured(document, _Body(data))
        assert isinstance(result, Extraction)
        assert not any(p.startswith("extraction failed (") for p in result.problems), \
            result.problems
        json.loads(result.to_json())

    check()
