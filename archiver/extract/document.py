"""One extraction: a document's text and metadata, as the JSON of
schemas/extraction.schema.json and a plain-text file beside it."""

from __future__ import annotations

import hashlib
import json
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
    metadata: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    """The HTML or PDF specifics (links, OpenGraph, JSON-LD; pages, info, XMP)."""
    problems: list[str] = field(default_factory=list)
    decoding: Decoding = field(default_factory=Decoding)
    extracted_at: str = field(default_factory=utc_iso)

    @property
    def outcome(self) -> Outcome:
        if not self.problems:
            return "complete"
        if self.text.strip() or any(self.metadata.get(name) for name in METADATA_FIELDS):
            return "partial"
        return "failed"

    @property
    def title(self) -> str | None:
        title = self.metadata.get("title")
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
            **{name: self.metadata.get(name, [] if name == "authors" else None)
               for name in METADATA_FIELDS},
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

    def summary(self) -> dict[str, Any]:
        """A few lines' worth, for tables and scripts."""
        pages = self.details.get("page_count") if self.kind == "pdf" else None
        return {"url": self.source.url, "file": self.source.file, "kind": self.kind,
                "outcome": self.outcome, "title": self.title,
                "published": self.metadata.get("published"),
                "authors": self.metadata.get("authors", []), "words": len(self.text.split()),
                "pages": pages, "problems": list(self.problems)}


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
