"""Which documents are worth extracting: HTML pages, PDF reports, and the plain-text, CSV,
JSON and XML files (datasets, feeds) a story cites too.

The declared Content-Type decides first; where it is missing or generic (servers often send
PDFs as application/octet-stream), the first bytes decide, as a browser would sniff them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

DocumentKind = Literal["html", "pdf", "text", "csv", "json", "xml"]

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
PDF_TYPES = frozenset({"application/pdf", "application/x-pdf"})
CSV_TYPES = frozenset({"text/csv", "application/csv", "text/x-csv",
                       "text/tab-separated-values"})
JSON_TYPES = frozenset({"application/json", "text/json", "application/x-ndjson",
                        "application/jsonl"})
XML_TYPES = frozenset({"application/xml", "text/xml"})
NOT_XML_TYPES = frozenset({"image/svg+xml"})
"""+xml types that are not documents to read (SVG is a picture)."""
TEXT_TYPE = "text/plain"
"""Read as plain text unless its bytes show a page or a PDF (servers send those as
text/plain too)."""
GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream",
                           "application/download", "application/force-download",
                           "text/plain", "application/unknown"})
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
PDF_SUFFIXES = (".pdf",)
DATA_SUFFIXES: dict[str, DocumentKind] = {
    ".txt": "text", ".text": "text", ".csv": "csv", ".tsv": "csv", ".json": "json",
    ".jsonl": "json", ".ndjson": "json", ".geojson": "json", ".xml": "xml", ".rss": "xml",
    ".atom": "xml"}
SUFFIX_TYPES = {".tsv": "text/tab-separated-values"}
SNIFF_BYTES = 1024

_HTML_STARTS = (b"<head", b"<body", b"<!--", b"<title", b"<meta", b"<p>", b"<div")
_HTML_TAGS = (b"<html", b"<body", b"<head", b"<p>", b"<p ")
_XML_STARTS = (b"<rss", b"<feed")


def media_type(content_type: str | None) -> str:
    """The bare, lowercase media type of a Content-Type value.

    >>> media_type("Text/HTML; charset=utf-8")
    'text/html'
    """
    return (content_type or "").split(";", 1)[0].strip().lower()


def kind_from_type(content_type: str | None) -> DocumentKind | None:
    kind = media_type(content_type)
    if kind in HTML_TYPES:
        return "html"
    if kind in PDF_TYPES:
        return "pdf"
    if kind in CSV_TYPES:
        return "csv"
    if kind in JSON_TYPES or kind.endswith("+json"):
        return "json"
    if (kind in XML_TYPES or kind.endswith("+xml")) and kind not in NOT_XML_TYPES:
        return "xml"
    return None


def fallback_kind(content_type: str | None) -> DocumentKind | None:
    """The kind of a generic type whose bytes showed nothing else: text/plain is text."""
    return "text" if media_type(content_type) == TEXT_TYPE else None


def content_type_for(kind: DocumentKind, path: Path) -> str:
    """The Content-Type a loose file of `kind` stands for."""
    return SUFFIX_TYPES.get(path.suffix.lower()) or {
        "html": "text/html", "pdf": "application/pdf", "text": TEXT_TYPE, "csv": "text/csv",
        "json": "application/json", "xml": "application/xml"}[kind]


def needs_sniffing(content_type: str | None) -> bool:
    return media_type(content_type) in GENERIC_TYPES


def sniff_kind(head: bytes) -> DocumentKind | None:
    """The kind the first bytes show, if any.

    >>> sniff_kind(b"%PDF-1.7\\n"), sniff_kind(b"\\xef\\xbb\\xbf <!DOCTYPE html>")
    ('pdf', 'html')
    >>> sniff_kind(b"GIF89a") is None
    True
    """
    if b"%PDF-" in head[:SNIFF_BYTES]:  # readers accept junk before the header
        return "pdf"
    text = head[:SNIFF_BYTES].lstrip(b"\xef\xbb\xbf\t\n\r ").lower()
    if text.startswith((b"<!doctype html", b"<html")):
        return "html"
    if text.startswith(b"<?xml"):  # XHTML is a page; any other XML a document of its own
        return "html" if b"<html" in text or b"<!doctype html" in text else "xml"
    if text.startswith(_HTML_STARTS) and any(tag in text for tag in _HTML_TAGS):
        return "html"
    if text.startswith(_XML_STARTS):
        return "xml"
    return None


def kind_from_path(path: Path, head: bytes) -> DocumentKind | None:
    """A loose file's kind: its bytes first, then its name."""
    sniffed = sniff_kind(head)
    if sniffed is not None:
        return sniffed
    name = path.name.lower()
    if name.endswith(HTML_SUFFIXES):
        return "html"
    return DATA_SUFFIXES.get(path.suffix.lower())
