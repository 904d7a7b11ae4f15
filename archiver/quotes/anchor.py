"""An anchor: where a passage stands in a package, as a fact-checker cites it: the source,
the WARC record and its payload SHA-256, the offset in the extracted text (and the page of
a PDF), and a link that opens the passage in replay."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from archiver.replay_address import replay_address
from archiver.textsearch.align import Span
from archiver.textsearch.fragment import fragment_link, text_directive
from archiver.textsearch.fts import IndexedDocument
from archiver.textsearch.normalise import collapse, verbatim_form

PAGE_BREAK = "\f"
"""Between the pages of a PDF's text (archiver.extract.document.PAGE_BREAK)."""
MAX_SHOWN_CHARS = 2_000


@dataclass(frozen=True)
class Anchor:
    """One place a passage stands (or the closest place, `similarity` below 1)."""

    url: str | None
    record_id: str | None
    """The WARC record the text was extracted from (the source's response)."""
    warc_file: str | None
    record_offset: int | None
    payload_sha256: str | None
    """That record's payload SHA-256 (manifest.json's, which verify checks against it)."""
    captured_at: str | None
    kind: str
    layer: str
    """`text` (the main text) or `visible` (all the text a reader of the page sees)."""
    text_file: str
    """The package file holding that text."""
    text_record_id: str | None
    """The record that carries the text too (conversion, or the extraction's metadata)."""
    start: int
    """Offset in the text, in characters (Unicode code points), from 0."""
    end: int
    page: int | None
    """For a PDF, the page the passage starts on (from 1)."""
    end_page: int | None
    passage: str
    """The passage as the source has it, on one line."""
    similarity: float
    verbatim: bool
    """Word for word and sign for sign the same, once typographic quotes and dashes, case,
    white space and hyphens at line ends are set aside."""
    replay_url: str | None
    """The capture in `archiver replay PACKAGE --port 8080`."""
    fragment_url: str | None
    """replay_url with a text fragment (`#:~:text=`) that opens the passage."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def anchor_at(document: IndexedDocument, text: str, span: Span, looked_for: str) -> Anchor:
    """The anchor of `span` in `text`, the text `document` stands for."""
    page = end_page = None
    if document.kind == "pdf":
        page = text.count(PAGE_BREAK, 0, span.start) + 1
        end_page = text.count(PAGE_BREAK, 0, span.end) + 1
    replay = replay_address(document.url, document.captured_at, document.status)
    fragment = (fragment_link(replay, text_directive(text, span.start, span.end), page)
                if replay else None)
    original = text[span.start:span.end]
    return Anchor(url=document.url, record_id=document.record_id,
                  warc_file=document.warc_file, record_offset=document.record_offset,
                  payload_sha256=document.payload_sha256, captured_at=document.captured_at,
                  kind=document.kind, layer=document.layer, text_file=document.path,
                  text_record_id=document.text_record_id, start=span.start, end=span.end,
                  page=page, end_page=end_page,
                  passage=collapse(original)[:MAX_SHOWN_CHARS], similarity=span.similarity,
                  verbatim=_bare(verbatim_form(original)) == _bare(verbatim_form(looked_for)),
                  replay_url=replay, fragment_url=fragment)


def _bare(text: str) -> str:
    """Without the signs around it: a quotation's own quote marks, a closing full stop.

    >>> _bare('"it works."')
    'it works'
    """
    start, end = 0, len(text)
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return text[start:end]
