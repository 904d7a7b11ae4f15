"""What pypdf reads well: version, encryption, the document info, XMP, attachments, the
declared page count.

The reader is given an open file, never a path: given a path, pypdf copies the whole file
into memory, while with a file object it seeks and reads only the parts it needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import IO, Any

from pypdf import PasswordType, PdfReader
from pypdf.generic import DictionaryObject, NameObject, StreamObject

from archiver.extract.pdf.dates import pdf_date_to_iso
from archiver.extract.pdf.layout import clean
from archiver.extract.pdf.xmp import XmpValue, parse_xmp

# Document info keys under the names the extraction uses; other keys keep their own name.
INFO_NAMES = {
    "/Title": "title", "/Author": "author", "/Subject": "subject", "/Keywords": "keywords",
    "/Creator": "creator", "/Producer": "producer", "/CreationDate": "created",
    "/ModDate": "modified", "/Trapped": "trapped",
}
DATE_NAMES = frozenset({"created", "modified"})
MAX_INFO_VALUE = 10_000  # characters; a longer value is cut (a title is never that long)
_VERSION = re.compile(rb"%PDF-(\d\.\d)")


@dataclass
class PdfMeta:
    """Facts about the document as a whole, with notes on what could not be read."""

    pdf_version: str | None = None
    encrypted: bool = False
    decrypted: bool = False
    info: dict[str, str] = field(default_factory=dict)
    xmp: dict[str, XmpValue] = field(default_factory=dict)
    embedded_files: list[str] = field(default_factory=list)
    declared_pages: int | None = None
    problems: list[str] = field(default_factory=list)


def header_version(head: bytes) -> str | None:
    """The version in a PDF header (which may follow some junk in the first KB).

    >>> header_version(b"%PDF-1.7\\n%\\xe2\\xe3")
    '1.7'
    """
    match = _VERSION.search(head)
    return match.group(1).decode("ascii") if match else None


def read_meta(handle: IO[bytes], head: bytes) -> tuple[PdfMeta, PdfReader | None]:
    """Everything pypdf can tell about the open PDF, and the reader when it can read on
    (a second opinion on pages PDFium fails); damage is noted, never raised."""
    meta = PdfMeta(pdf_version=header_version(head))
    try:
        reader = PdfReader(handle, strict=False)
    except Exception as exc:  # pypdf raises many types on damaged files
        meta.problems.append(f"the document structure could not be read by pypdf ({_why(exc)})")
        return meta, None
    _read_encryption(reader, meta)
    if meta.encrypted and not meta.decrypted:
        return meta, None
    for step in (_read_version, _read_info, _read_xmp, _read_attachments, _read_page_count):
        try:
            step(reader, meta)
        except Exception as exc:  # one damaged part must not hide the others
            meta.problems.append(f"{_STEP_NAMES[step.__name__]} could not be read ({_why(exc)})")
    return meta, reader


def _read_encryption(reader: PdfReader, meta: PdfMeta) -> None:
    try:
        meta.encrypted = bool(reader.is_encrypted)
        # PdfReader has already tried the empty password; decrypt("") tells what it found.
        meta.decrypted = meta.encrypted and reader.decrypt("") != PasswordType.NOT_DECRYPTED
    except Exception as exc:  # e.g. AES without the optional crypto package
        meta.problems.append(f"the encryption could not be handled by pypdf ({_why(exc)})")


def _catalog(reader: PdfReader) -> DictionaryObject:
    catalog = reader.trailer["/Root"].get_object()
    if not isinstance(catalog, DictionaryObject):
        raise ValueError("the catalog is not a dictionary")
    return catalog


def _read_version(reader: PdfReader, meta: PdfMeta) -> None:
    # Since PDF 1.4 the catalog may raise the version the header announces.
    catalog_version = _catalog(reader).get("/Version")
    if isinstance(catalog_version, NameObject):
        version = str(catalog_version).lstrip("/")
        if re.fullmatch(r"\d\.\d", version) and version > (meta.pdf_version or ""):
            meta.pdf_version = version


def _read_info(reader: PdfReader, meta: PdfMeta) -> None:
    info = reader.trailer.get("/Info")
    info = info.get_object() if info is not None else None
    if not isinstance(info, DictionaryObject):
        return
    for key, raw in info.items():
        name = INFO_NAMES.get(str(key), str(key).lstrip("/"))
        value = _as_text(raw.get_object() if raw is not None else None)
        if not value:
            continue
        if name in DATE_NAMES:
            iso = pdf_date_to_iso(value)
            if iso is None:
                meta.info[f"{name}_raw"] = value
                continue
            value = iso
        meta.info[name] = value


def _as_text(value: Any) -> str:
    if value is None or isinstance(value, (DictionaryObject, StreamObject, list)):
        return ""  # a structure, not a property value
    text = str(value).lstrip("/") if isinstance(value, NameObject) else str(value)
    text = text.replace("\x00", "").strip()
    return text[:MAX_INFO_VALUE]


def _read_xmp(reader: PdfReader, meta: PdfMeta) -> None:
    stream = _catalog(reader).get("/Metadata")
    stream = stream.get_object() if stream is not None else None
    if not isinstance(stream, StreamObject):
        return
    try:
        meta.xmp = parse_xmp(stream.get_data())
    except ValueError as exc:
        meta.problems.append(f"the XMP metadata could not be read: {exc}")


def _read_attachments(reader: PdfReader, meta: PdfMeta) -> None:
    # attachment_list reads the names only; the files' bytes are never loaded here.
    names = [entry.name for entry in reader.attachment_list]
    meta.embedded_files = sorted({name for name in names if name})


def _read_page_count(reader: PdfReader, meta: PdfMeta) -> None:
    # The page tree's own /Count: cheap, and it survives when the pages themselves do not.
    pages = _catalog(reader)["/Pages"].get_object()
    count = pages.get("/Count") if isinstance(pages, DictionaryObject) else None
    if isinstance(count, int) and count >= 0:
        meta.declared_pages = int(count)


_STEP_NAMES = {
    "_read_version": "the version in the catalog",  # (the catalog: the document's root)
    "_read_info": "the document info",
    "_read_xmp": "the XMP metadata",
    "_read_attachments": "the list of embedded files",
    "_read_page_count": "the page tree",
}


def _why(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


class LazyReader:
    """A pypdf reader made on first use: most documents never need one for their pages."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self._reader: PdfReader | None = None
        self._tried = False

    def set(self, reader: PdfReader | None) -> None:
        self._reader, self._tried = reader, True

    def get(self) -> PdfReader | None:
        if not self._tried:
            self._tried = True
            try:
                reader = PdfReader(self._handle, strict=False)
                if not reader.is_encrypted or reader.decrypt("") != PasswordType.NOT_DECRYPTED:
                    self._reader = reader
            except Exception:  # no reader: the caller goes without a second opinion
                self._reader = None
        return self._reader

    def page_text(self, index: int) -> str | None:
        """pypdf's text of one page, or None when pypdf cannot read it either."""
        reader = self.get()
        if reader is None:
            return None
        try:
            return clean(reader.pages[index].extract_text())
        except Exception:  # the page is as unreadable to pypdf as it was to PDFium
            return None
