"""Which documents are worth extracting: HTML pages and PDF reports.

The declared Content-Type decides first; where it is missing or generic (servers often send
PDFs as application/octet-stream), the first bytes decide, as a browser would sniff them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

DocumentKind = Literal["html", "pdf"]

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
PDF_TYPES = frozenset({"application/pdf", "application/x-pdf"})
GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream",
                           "application/download", "application/force-download",
                           "text/plain", "application/unknown"})
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
PDF_SUFFIXES = (".pdf",)
SNIFF_BYTES = 1024

_HTML_STARTS = (b"<head", b"<body", b"<!--", b"<title", b"<meta", b"<p>", b"<div", b"<?xml")
_HTML_TAGS = (b"<html", b"<body", b"<head", b"<p>", b"<p ")


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
    return None


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
    if text.startswith(_HTML_STARTS) and any(tag in text for tag in _HTML_TAGS):
        return "html"
    return None


def kind_from_path(path: Path, head: bytes) -> DocumentKind | None:
    """A loose file's kind: its bytes first, then its name."""
    sniffed = sniff_kind(head)
    if sniffed is not None:
        return sniffed
    name = path.name.lower()
    if name.endswith(HTML_SUFFIXES):
        return "html"
    return None
