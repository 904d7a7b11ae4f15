"""Text and metadata of a PDF, read from a file on disk; never raises on bad input.

This reads in the calling process, with no bound on what PDFium may take: archiver reads
every PDF from outside through ``pdf_process.read_pdf_bounded``, which runs this in a process
of its own within a memory and time allowance.

    result = extract_pdf(Path("report.pdf"))
    result.page(14).text      # cite as "p. 14"
    result.to_dict()          # JSON-ready

Two libraries share the work, each where it measured best (bench/extract_pdf_bench.py):
PDFium (pypdfium2) reads the page text, pypdf the version, encryption, document info, XMP
and attachments, and gives a second opinion on pages PDFium cannot read. Neither is given
the file's bytes: both read from the file as they need, so memory stays flat for big files.
A file too damaged for PDFium to open is repaired into a temporary copy (pdf.repair).

Title and author: the document info and the XMP packet often disagree (one tool updated one
of them). Both are kept in ``info`` and ``xmp``; ``title``/``author`` take the XMP value when
the XMP packet was written no earlier than the info was last modified (xmp:MetadataDate or
xmp:ModifyDate against the info's ModDate, the rule PDF readers follow to tell whether the
packet is up to date), and the info value otherwise, including when the dates do not tell.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import IO

from archiver.extract.pdf.dates import parse_iso
from archiver.extract.pdf.meta import LazyReader, PdfMeta, header_version, read_meta
from archiver.extract.pdf.model import PAGE_SEPARATOR, PdfExtraction, PdfPage
from archiver.extract.pdf.quiet import quiet_pdf_libraries
from archiver.extract.pdf.repair import linearized_page_count, scan_objects, write_repaired_copy
from archiver.extract.pdf.text import PdfiumText, read_pages
from archiver.extract.pdf.xmp import XmpValue

__all__ = ["PAGE_SEPARATOR", "PdfExtraction", "PdfPage", "extract_pdf"]

HEAD_BYTES = 1024  # the header may follow junk within the first KB
TAIL_BYTES = 2048  # where %%EOF must be, give or take trailing junk
MAX_UNREADABLE_SHARE = 0.3  # replacement characters above this share: the fonts are gone


def extract_pdf(path: Path, *, max_pages: int | None = None) -> PdfExtraction:
    """Text (page by page, at most ``max_pages``) and metadata of the PDF at ``path``.

    Whatever cannot be read is described in ``problems``; nothing is raised for bad input.
    """
    result = PdfExtraction()
    if max_pages is not None and max_pages < 0:
        max_pages = 0
    try:
        with path.open("rb") as handle:
            head, ends_early = _probe(handle)
            if b"%PDF-" not in head:
                result.problems.append("this is not a PDF (it does not start with %PDF-)")
                return result
            with quiet_pdf_libraries() as complaints:
                _extract(path, handle, head, max_pages, result)
            _note_repairs(result, complaints)
    except OSError as exc:
        result.problems.append(f"the file could not be read ({exc.strerror or exc})")
        return result
    _note_length(result, ends_early, max_pages)
    return result


def _probe(handle: IO[bytes]) -> tuple[bytes, bool]:
    head = handle.read(HEAD_BYTES)
    size = handle.seek(0, 2)
    handle.seek(max(0, size - TAIL_BYTES))
    ends_early = b"%%EOF" not in handle.read(TAIL_BYTES)
    handle.seek(0)
    return head, ends_early


def _extract(path: Path, handle: IO[bytes], head: bytes, max_pages: int | None,
             result: PdfExtraction) -> None:
    second_opinion = LazyReader(handle)
    text = read_pages(path, max_pages, second_opinion.page_text)
    if text.opened or text.needs_password:
        meta, reader = read_meta(handle, head)
        second_opinion.set(reader)
    else:
        meta = PdfMeta(pdf_version=header_version(head))
    _merge_meta(result, meta, text)
    if text.needs_password or (meta.encrypted and not meta.decrypted and not text.opened):
        result.decrypted = False
        result.problems.append("encrypted with a user password: a password is needed to read "
                               "the text and most metadata")
        return
    result.problems.extend(text.problems)
    if text.opened:
        result.pages = text.pages
        result.page_count = text.page_count
        return
    _repair(path, handle, head, max_pages, result, text.load_error)


def _merge_meta(result: PdfExtraction, meta: PdfMeta, text: PdfiumText) -> None:
    result.pdf_version = meta.pdf_version
    result.encrypted = meta.encrypted or text.encrypted
    result.decrypted = result.encrypted and (meta.decrypted or text.opened)
    # pypdf's info is richer (dates, custom keys); PDFium's stands in when pypdf had none.
    result.info = meta.info or dict(text.info)
    result.xmp = meta.xmp
    result.embedded_files = meta.embedded_files
    result.page_count = meta.declared_pages
    result.problems.extend(meta.problems)
    result.title = choose(result.info.get("title"), result.xmp.get("dc:title"), result)
    result.author = choose(result.info.get("author"), result.xmp.get("dc:creator"), result)


def choose(from_info: str | None, from_xmp: XmpValue | None,
           result: PdfExtraction) -> str | None:
    """The single best value of info and XMP (the rule is in this module's docstring)."""
    xmp = "; ".join(from_xmp) if isinstance(from_xmp, list) else from_xmp
    xmp = xmp.strip() if xmp else None
    if not from_info or not xmp:
        return from_info or xmp
    return xmp if _xmp_is_current(result) else from_info


def _xmp_is_current(result: PdfExtraction) -> bool:
    info_date = parse_iso(result.info.get("modified", ""))
    xmp_value = result.xmp.get("xmp:MetadataDate") or result.xmp.get("xmp:ModifyDate")
    xmp_date = parse_iso(xmp_value) if isinstance(xmp_value, str) else None
    return info_date is not None and xmp_date is not None and xmp_date >= info_date


def _repair(path: Path, handle: IO[bytes], head: bytes, max_pages: int | None,
            result: PdfExtraction, why: str | None) -> None:
    result.problems.append(f"the file is damaged: PDFium could not open it ({why}); "
                           "reading the pages that are left")
    scan = scan_objects(handle, head)
    declared = linearized_page_count(head) or scan.declared_pages
    result.page_count = declared if declared is not None else scan.page_total or None
    if not scan.pages:
        result.problems.append("no page could be found in the file")
        return
    with tempfile.TemporaryDirectory(prefix="archiver-pdf-") as folder:
        copy = Path(folder) / "repaired.pdf"
        write_repaired_copy(path, scan, copy, max_pages)
        text = read_pages(copy, max_pages, lambda index: None)
    result.pages = [page for page in text.pages if _readable(page)]
    lost = len(text.pages) - len(result.pages)
    if lost:
        result.problems.append(f"{lost} damaged page(s) had lost their fonts: their text "
                               "could not be read")
    result.problems.extend(text.problems)
    if text.load_error:
        result.problems.append(f"the repaired copy could not be read either ({text.load_error})")
    if result.pages:
        result.problems.append("the page numbers of a damaged file follow the order of the "
                               "pages in the file and may not match the printed numbers")
    result.info = result.info or text.info


def _readable(page: PdfPage) -> bool:
    # A page whose fonts were destroyed gives replacement characters or nothing at all.
    visible = [char for char in page.text if not char.isspace()]
    return bool(visible) and visible.count("\ufffd") / len(visible) <= MAX_UNREADABLE_SHARE


def _note_repairs(result: PdfExtraction, complaints: list[str]) -> None:
    if complaints and not any(note.startswith("the file is damaged") for note in result.problems):
        # The libraries may quote the file's own bytes: keep the quote short and printable.
        first = "".join(char if char.isprintable() else "?" for char in complaints[0][:200])
        first = first.strip().rstrip(".")
        result.problems.append(f"the file is damaged in places and was read around the damage "
                               f"({len(complaints)} warning(s); the first: {first})")


def _note_length(result: PdfExtraction, ends_early: bool, max_pages: int | None) -> None:
    total = result.page_count
    if max_pages is not None and total is not None and total > max_pages:
        result.problems.append(f"only the first {max_pages} of {total} pages were read "
                               f"(max_pages={max_pages})")
        total = max_pages
    if result.encrypted and not result.decrypted:
        return
    read = len(result.pages)
    if ends_early:
        counted = f": only {read} of {total} pages could be read" if total and read < total else ""
        result.problems.append(f"the file ends early (no end-of-file marker){counted}")
    elif total is not None and read < total:
        result.problems.append(f"only {read} of {total} pages could be read")
