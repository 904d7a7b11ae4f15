"""One extraction: a document's text and metadata, as the JSON of
schemas/extraction.schema.json and a plain-text file beside it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from archiver import __version__
from archiver.extract.kinds import DocumentKind
from archiver.extract.payload import CapturedDocument
from archiver.timestamps import utc_iso

FORMAT = "archiver-extraction/1"
PAGE_BREAK = "\f"
"""Between the pages of a PDF's text file (as pdftotext writes them): page N follows the
(N-1)th form feed, so a citation can say "p. 14"."""

Outcome = Literal["complete", "partial", "failed"]
METADATA_FIELDS = ("title", "authors", "published", "modified", "language", "description",
                   "site_name", "canonical_url")


@dataclass
class DocumentMetadata:
    """What a document says about itself: one shape for a page, a PDF and a data file. Its
    `to_dict()` is the metadata of the extraction JSON (schemas/extraction.schema.json)."""

    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    modified: str | None = None
    language: str | None = None
    description: str | None = None
    site_name: str | None = None
    canonical_url: str | None = None

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> DocumentMetadata:
        """The metadata among `values` (an extraction JSON, a page's details): fields that
        are missing are None (authors: none)."""
        return cls(**{name: values.get(name) for name in METADATA_FIELDS
                      if name != "authors"}, authors=list(values.get("authors") or []))

    def has_any(self) -> bool:
        """Whether the document said anything of itself."""
        return any(getattr(self, name) for name in METADATA_FIELDS)

    def to_dict(self) -> dict[str, Any]:
        return {name: (list(self.authors) if name == "authors" else getattr(self, name))
                for name in METADATA_FIELDS}


@dataclass
class ExtractionSummary:
    """A few lines' worth of one extraction, for tables and scripts."""

    url: str | None
    file: str | None
    kind: DocumentKind
    outcome: Outcome
    title: str | None
    published: str | None
    authors: list[str]
    words: int
    pages: int | None
    problems: list[str]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Decoding:
    """How the body was turned into something readable."""

    content_encoding: str | None = None
    chunked: bool = False
    charset: str | None = None
    charset_source: str | None = None
    bytes_read: int = 0
    cut: bool = False
    """Reading stopped at a limit (see problems for which)."""

    def to_dict(self) -> dict[str, Any]:
        return {"content_encoding": self.content_encoding, "chunked": self.chunked,
                "charset": self.charset, "charset_source": self.charset_source,
                "bytes_read": self.bytes_read, "cut": self.cut}


@dataclass
class Extraction:
    """The text and metadata of one document, and what got in the way."""

    source: CapturedDocument
    kind: DocumentKind
    text: str = ""
    metadata: DocumentMetadata = field(default_factory=DocumentMetadata)
    details: dict[str, Any] = field(default_factory=dict)
    """The HTML or PDF specifics (links, OpenGraph, JSON-LD; pages, info, XMP)."""
    problems: list[str] = field(default_factory=list)
    decoding: Decoding = field(default_factory=Decoding)
    extracted_at: str = field(default_factory=utc_iso)

    @property
    def outcome(self) -> Outcome:
        if not self.problems:
            return "complete"
        if self.text.strip() or self.metadata.has_any():
            return "partial"
        return "failed"

    @property
    def title(self) -> str | None:
        title = self.metadata.title
        return title if isinstance(title, str) else None

    @property
    def visible_text(self) -> str:
        """All the text a reader sees: a page's visible text (html.visible_text), and for any
        other kind, its text."""
        visible = self.details.get("visible_text") if self.kind == "html" else None
        return visible if isinstance(visible, str) else self.text

    @property
    def text_bytes(self) -> bytes:
        return self.text.encode("utf-8")

    def to_dict(self, *, with_text: bool = True) -> dict[str, Any]:
        """The JSON document; without the text (and page texts) for a WARC metadata record,
        whose conversion record beside it already holds the text."""
        text = self.text_bytes
        document: dict[str, Any] = {
            "format": FORMAT,
            "extracted_at": self.extracted_at,
            "tool": {"name": "archiver", "version": __version__},
            "source": _source(self.source),
            "kind": self.kind,
            "outcome": self.outcome,
            "problems": list(self.problems),
            "decoding": self.decoding.to_dict(),
            **self.metadata.to_dict(),
            "text": self.text if with_text else None,
            "text_chars": len(self.text),
            "text_sha256": hashlib.sha256(text).hexdigest(),
            "html": None,
            "pdf": None,
            "data": None,
        }
        details = self.details if with_text else _without_page_text(self.details)
        document[details_key(self.kind)] = details
        return document

    def to_json(self, *, with_text: bool = True) -> bytes:
        return (json.dumps(self.to_dict(with_text=with_text), indent=2, ensure_ascii=False)
                + "\n").encode("utf-8")

    def summary(self) -> ExtractionSummary:
        """A few lines' worth, for tables and scripts."""
        pages = self.details.get("page_count") if self.kind == "pdf" else None
        return ExtractionSummary(self.source.url, self.source.file, self.kind, self.outcome,
                                 self.title, self.metadata.published,
                                 list(self.metadata.authors), len(self.text.split()), pages,
                                 list(self.problems))


def details_key(kind: str) -> str:
    """Where a kind's specifics go in the JSON: `html`, `pdf`, or `data` (plain text, CSV,
    JSON, XML)."""
    return kind if kind in ("html", "pdf") else "data"


def _source(source: CapturedDocument) -> dict[str, Any]:
    return {"url": source.url, "file": source.file, "content_type": source.content_type,
            "status": source.status, "captured_at": source.captured_at,
            "payload_sha256": source.payload_sha256, "truncated": source.truncated,
            "record": source.record.to_dict() if source.record else None}


def _without_page_text(details: dict[str, Any]) -> dict[str, Any]:
    pages = details.get("pages")
    if not isinstance(pages, list):
        return details
    slim = [{**page, "text": None} if isinstance(page, dict) else page for page in pages]
    return {**details, "pages": slim}
