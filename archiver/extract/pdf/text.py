"""Page text through PDFium (pypdfium2): fast, and the most faithful of the candidates measured
(bench/extract_pdf_bench.py). PDFium reads the file itself, page by page, so a big PDF
does not pass through Python's memory; each page is closed before the next is read.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pypdfium2.raw as pdfium_raw  # type: ignore[import-untyped]

from archiver.extract.pdf.layout import page_text
from archiver.extract.pdf.model import PdfPage

# PDFium keeps every object it has parsed (content streams included) until the document is
# closed, so memory would grow with the file; reopening every so many pages keeps it flat,
# at the cost of re-reading the cross-reference table: milliseconds, but half a second for a
# table of a million objects (a damaged file's repaired copy may list that many). So the
# pages between openings grow with the time an opening takes, to keep its share small.
PAGES_PER_OPENING = 100
PAGES_PER_SECOND_OF_OPENING = 2000  # an opening costs at most ~0.5 ms a page read

# Asked when PDFium cannot read a page: a second opinion (pypdf) on that page's text.
PageFallback = Callable[[int], str | None]


@dataclass
class PdfiumText:
    """What PDFium read: ``opened`` false means the document itself could not be loaded."""

    opened: bool = False
    needs_password: bool = False
    encrypted: bool = False
    page_count: int | None = None
    pages: list[PdfPage] = field(default_factory=list)
    info: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    load_error: str | None = None


def read_pages(path: Path, max_pages: int | None, fallback: PageFallback) -> PdfiumText:
    """The text of each page (up to ``max_pages``), noting pages that fail and going on."""
    result = PdfiumText()
    started = time.monotonic()
    try:
        document = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        result.needs_password = getattr(exc, "err_code", None) == pdfium_raw.FPDF_ERR_PASSWORD
        result.encrypted = result.needs_password
        result.load_error = str(exc)
        return result
    try:
        result.opened = True
        result.encrypted = pdfium_raw.FPDF_GetSecurityHandlerRevision(document) != -1
        result.page_count = len(document)
        result.info = _info(document)
        limit = result.page_count if max_pages is None else min(max_pages, result.page_count)
        every = max(PAGES_PER_OPENING,
                    int((time.monotonic() - started) * PAGES_PER_SECOND_OF_OPENING))
        for index in range(limit):
            if index and index % every == 0:
                document.close()
                document = pdfium.PdfDocument(path)
            page = _read_page(document, index, fallback, result.problems)
            if page is not None:
                result.pages.append(page)
    finally:
        document.close()
    return result


def _read_page(document: pdfium.PdfDocument, index: int, fallback: PageFallback,
               problems: list[str]) -> PdfPage | None:
    number = index + 1
    try:
        page = document[index]
    except pdfium.PdfiumError as exc:
        return _fall_back(number, fallback, f"PDFium could not load the page: {exc}", problems)
    try:
        textpage = page.get_textpage()
        try:
            text = page_text(textpage)
        finally:
            textpage.close()
    except pdfium.PdfiumError as exc:
        return _fall_back(number, fallback, f"PDFium could not read its text: {exc}", problems)
    finally:
        page.close()
    return PdfPage(number, text, _label(document, index, number))


def _fall_back(number: int, fallback: PageFallback, why: str,
               problems: list[str]) -> PdfPage | None:
    text = fallback(number - 1)
    if text is None:
        problems.append(f"page {number}: text could not be read ({why})")
        return None
    problems.append(f"page {number}: read with the fallback reader ({why})")
    return PdfPage(number, text)


def _label(document: pdfium.PdfDocument, index: int, number: int) -> str | None:
    try:
        label = str(document.get_page_label(index) or "").strip()
    except (pdfium.PdfiumError, UnicodeDecodeError):
        return None
    return label if label and label != str(number) else None


_INFO_KEYS = {"Title": "title", "Author": "author", "Subject": "subject",
              "Keywords": "keywords", "Creator": "creator", "Producer": "producer"}


def _info(document: pdfium.PdfDocument) -> dict[str, str]:
    # Used only when pypdf could not read the info (e.g. an encryption it cannot undo).
    try:
        raw = document.get_metadata_dict(skip_empty=True)
    except (pdfium.PdfiumError, UnicodeDecodeError):
        return {}
    return {_INFO_KEYS[key]: str(value).strip() for key, value in raw.items()
            if key in _INFO_KEYS and str(value).strip()}
