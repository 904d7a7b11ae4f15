"""Callables f(path) -> {"text", "title", "author", "pages"} for the PDF scorer.

`archiver` is the extraction under test; `pypdf_alone` and `pdfminer_alone` are the
libraries used plainly (pdfminer.six is a bench-only install). Usable with the dev set's own
scorer too:

    python ../shared/extraction-dev/evaluate.py pdf --callable bench/extract_pdf_adapter.py:archiver
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any


def archiver(path: str) -> dict[str, Any]:
    from archiver.extract.pdf.extraction import extract_pdf

    result = extract_pdf(Path(path))
    return {"text": result.text, "title": result.title, "author": result.author,
            "pages": result.page_count}


def pypdf_alone(path: str) -> dict[str, Any]:
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    reader = PdfReader(path)
    meta = reader.metadata or {}
    return {"text": "\f".join(page.extract_text() or "" for page in reader.pages),
            "title": meta.get("/Title"), "author": meta.get("/Author"),
            "pages": len(reader.pages)}


def pdfminer_alone(path: str) -> dict[str, Any]:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTTextContainer
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfparser import PDFParser

    logging.getLogger("pdfminer").setLevel(logging.CRITICAL)
    pages = ["".join(box.get_text() for box in page if isinstance(box, LTTextContainer))
             for page in extract_pages(path)]
    title = author = None
    with open(path, "rb") as handle:
        info = PDFDocument(PDFParser(handle)).info
        if info:
            title, author = _decode(info[0].get("Title")), _decode(info[0].get("Author"))
    return {"text": "\f".join(pages), "title": title, "author": author, "pages": len(pages)}


def _decode(value: Any) -> str | None:
    if isinstance(value, bytes):
        if value.startswith((b"\xfe\xff", b"\xff\xfe")):
            return value.decode("utf-16")
        return value.decode("latin-1")
    return None if value is None else str(value)
