"""From PDFium's text page to plain text: lines in reading order (pdf.order), line breaks
normalised, control characters dropped."""

from __future__ import annotations

import re

import pypdfium2 as pdfium  # type: ignore[import-untyped]

from archiver.extract.pdf.order import reordered_text

# PDFium ends lines with CR LF and marks a hyphen it kept at a line end as U+0002. Other C0
# controls come from fonts without a Unicode map, where glyph 3 (a space in most TrueType
# fonts) comes out as U+0003: they become spaces, so the words on either side stay apart (a
# form feed too: it is the page break of the joined text).
_CONTROLS = re.compile(r"[\x00\x01\x03-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def page_text(textpage: pdfium.PdfTextPage) -> str:
    """The text of one page in the order PDFium reads it (the content order, line by line),
    unless that order visibly is not a reading order: then in the order of the layout."""
    ordered = reordered_text(textpage)
    return clean(ordered if ordered is not None else str(textpage.get_text_bounded()))


def clean(text: str) -> str:
    """Plain text: LF line ends, the kept-hyphen marker as a hyphen, no control characters.

    >>> clean("Audit of the\\r\\nwater\\x02\\r\\nworks\\x00")
    'Audit of the\\nwater-\\nworks'
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x02", "-")
    return _CONTROLS.sub(" ", text).strip()
