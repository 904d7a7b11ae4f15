"""Adapters for the extraction scorer (../shared/extraction-dev/evaluate.py --callable).

Each function takes (html, url) and returns {"text", "title", "author", "date"}. html is the
scorer's decoded str, or raw bytes with --bytes; bytes are decoded here as a browser would
(BOM, then a <meta charset> in the first 4 KB, then UTF-8, else windows-1252), so every tool
sees the same text.
"""

from __future__ import annotations

import re
from typing import Any

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def as_text(html: str | bytes) -> str:
    """A browser-like decoding of raw bytes (str passes through)."""
    if isinstance(html, str):
        return html
    for bom, codec in _BOMS:
        if html.startswith(bom):
            return html[len(bom) :].decode(codec, errors="replace")
    match = _META_CHARSET.search(html[:4096])
    if match:
        label = match.group(1).decode("ascii").lower()
        codec = "cp1252" if label in ("iso-8859-1", "latin1", "us-ascii", "ascii") else label
        try:
            return html.decode(codec, errors="replace")
        except LookupError:
            pass
    try:
        return html.decode("utf-8")
    except UnicodeDecodeError:
        return html.decode("cp1252", errors="replace")


def archiver(html: str | bytes, url: str | None) -> dict[str, Any]:
    from archiver.extract.html.extraction import extract_html

    result = extract_html(as_text(html), url)
    return {"text": result.text, "title": result.title,
            "author": "; ".join(result.authors) or None, "date": result.published}


def _trafilatura(html: str | bytes, url: str | None, fast: bool) -> dict[str, Any]:
    import trafilatura

    doc = trafilatura.bare_extraction(as_text(html), url=url, with_metadata=True, fast=fast)
    if doc is None:
        return {}
    return {"text": doc.text, "title": doc.title, "author": doc.author, "date": doc.date}


def trafilatura_default(html: str | bytes, url: str | None) -> dict[str, Any]:
    """trafilatura's defaults (with its readability/justext second opinions)."""
    return _trafilatura(html, url, fast=False)


def trafilatura_fast(html: str | bytes, url: str | None) -> dict[str, Any]:
    """trafilatura fast=True: its own extractor only (what archiver builds on)."""
    return _trafilatura(html, url, fast=True)


def readability_lxml(html: str | bytes, url: str | None) -> dict[str, Any]:
    import lxml.html
    from readability import Document

    doc = Document(as_text(html), url=url)
    summary = doc.summary(html_partial=True)
    text = ""
    if summary.strip():
        tree = lxml.html.fromstring(summary)
        # one paragraph per block, like the others' output
        for block in tree.iter("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "pre"):
            block.tail = "\n\n" + (block.tail or "")
        text = tree.text_content()
    return {"text": text, "title": doc.short_title()}
