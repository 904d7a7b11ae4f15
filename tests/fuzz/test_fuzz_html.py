"""HTML extraction on damaged pages: seeds are the pages of fixtures/documents/html,
fixtures/documents/encodings, fixtures/site and fixtures/stories (hostile ones included).

The bytes go the way a captured page goes (charset detection and decoding, then parsing, main
text, metadata, links); the property is that each ends with an extraction whose problems name
what could not be read, never with an exception, and never with the catch-all note that
extract_html gives a bug of ours ("extraction failed (...)").
"""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given

from archiver.extract.document import Extraction
from archiver.extract.extractor import extract_html_bytes
from archiver.extract.payload import CapturedDocument
from tests.fuzz.mutations import mutated

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SEEDS = [path.read_bytes() for folder in ("documents/html", "documents/encodings", "site",
                                          "stories")
         for path in sorted((FIXTURES / folder).rglob("*.htm*"))]
PAGE = CapturedDocument(url="https://news.example.org/2024/fuzzed.html",
                        content_type="text/html")


@given(mutated(SEEDS))
def test_a_damaged_page_gives_an_extraction_with_named_problems(data: bytes) -> None:
    result = extract_html_bytes(data, PAGE)
    assert isinstance(result, Extraction)
    assert not any(problem.startswith("extraction failed (") for problem in result.problems), \
        result.problems
    json.loads(result.to_json())  # what goes into the package must serialise
