"""The result of reading a PDF: pages with their text, metadata, and what went wrong."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from archiver.extract.pdf.xmp import XmpValue

PAGE_SEPARATOR = "\f"  # form feed: the traditional page break of plain text (pdftotext too)


@dataclass(frozen=True)
class PdfPage:
    """One page: ``number`` counts from 1 in file order (cite it as "p. 14"); ``label`` is the
    page label the document prints, when it defines one that differs ("xiv", "A-3")."""

    number: int
    text: str
    label: str | None = None


@dataclass
class PdfExtraction:
    """Text and metadata of one PDF. Values never raise; ``problems`` says what is missing."""

    pages: list[PdfPage] = field(default_factory=list)
    page_count: int | None = None
    pdf_version: str | None = None
    encrypted: bool = False
    decrypted: bool = False
    info: dict[str, str] = field(default_factory=dict)
    xmp: dict[str, XmpValue] = field(default_factory=dict)
    title: str | None = None
    author: str | None = None
    embedded_files: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """All pages' text, one form feed between pages."""
        return PAGE_SEPARATOR.join(page.text for page in self.pages)

    def page(self, number: int) -> PdfPage | None:
        """The page with this 1-based number, if it was read."""
        return next((page for page in self.pages if page.number == number), None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values (the text of all pages included as ``text``)."""
        data = asdict(self)
        data["text"] = self.text
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PdfExtraction:
        """The extraction ``to_dict`` gave (the joined ``text`` is left out: it is derived).

        Raises KeyError, TypeError or ValueError when ``data`` is not such a dict.
        """
        values = {name: data[name] for name in _FIELDS if name != "pages"}
        pages = [PdfPage(int(page["number"]), str(page["text"]), page.get("label"))
                 for page in data["pages"]]
        return cls(pages=pages, **values)


_FIELDS = [item.name for item in fields(PdfExtraction)]
