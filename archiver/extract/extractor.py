"""Extract one document: a captured record's body, or a loose file (HTML, PDF, plain text,
CSV, JSON or XML).

Each problem becomes a plain note in the result, never an exception: a bad page must not stop
the job. Bodies stream: a page is read up to a cap, a PDF is spooled to a temporary file.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from archiver.decoding import decode_html
from archiver.extract.document import (
    METADATA_FIELDS,
    PAGE_BREAK,
    Decoding,
    DocumentMetadata,
    Extraction,
)
from archiver.extract.kinds import (
    SNIFF_BYTES,
    DocumentKind,
    content_type_for,
    fallback_kind,
    kind_from_path,
    kind_from_type,
    needs_sniffing,
    sniff_kind,
)
from archiver.extract.payload import BodyReader, ByteReader, CapturedDocument, spooled_to_disk
from archiver.settings import MIB, ExtractionSettings

MAX_LABEL_SHOWN = 40  # characters of an unknown charset label quoted in a problem
TRUNCATION_NOTES = {
    "length": "the capture was cut at the size limit, so the text is of the part captured",
    "time": "the capture was cut at the time limit, so the text is of the part captured",
    "disconnect": "the connection was lost during the capture, so the text is of the part "
                  "captured",
}


def extract_captured(document: CapturedDocument, raw: ByteReader,
                     settings: ExtractionSettings | None = None) -> Extraction | None:
    """The text and metadata of a captured body, or None when it is not a document of a
    kind archiver reads (see kinds.py)."""
    settings = settings or ExtractionSettings()
    declared = kind_from_type(document.content_type)
    if declared is None and not needs_sniffing(document.content_type):
        return None
    cap = settings.max_decoded_bytes if declared in (None, "pdf") else settings.max_html_bytes
    reader = BodyReader(raw, document, cap)
    blocks = reader.blocks()
    head = _head(blocks)
    kind = declared or sniff_kind(head) or fallback_kind(document.content_type)
    if kind is None:
        return None
    result = Extraction(document, kind, decoding=Decoding(document.content_encoding,
                                                           document.chunked))
    body = itertools.chain([head], blocks)
    if kind == "pdf":
        with spooled_to_disk(body, ".pdf") as path:
            _extract_pdf_file(result, path, settings)
    else:
        # A sniffed kind was read with the PDF cap so far: a page or a text is held in
        # memory, so only max_html_bytes of it are taken.
        data, over = _bounded(body, settings.max_html_bytes)
        if over and not reader.exceeded:
            result.decoding.cut = True
            result.problems.append(_html_cut_note(settings.max_html_bytes))
        _extract_text_body(result, data, document)
    result.decoding.bytes_read = reader.produced if kind == "pdf" else len(data)
    _note_reading(result, reader, kind, cap)
    return result


def _bounded(blocks: Iterator[bytes], cap: int) -> tuple[bytes, bool]:
    """At most `cap` bytes of `blocks`, and whether there were more (read no further)."""
    pieces: list[bytes] = []
    size = 0
    for block in blocks:
        if size + len(block) > cap:
            pieces.append(block[:cap - size])
            return b"".join(pieces), True
        pieces.append(block)
        size += len(block)
    return b"".join(pieces), False


def _extract_text_body(result: Extraction, data: bytes, document: CapturedDocument) -> None:
    if result.kind == "html":
        _extract_html_body(result, data, document)
    else:
        _extract_data_body(result, data, document)


def _extract_data_body(result: Extraction, data: bytes, document: CapturedDocument) -> None:
    from archiver.extract.text_formats import extract_data_text

    assert result.kind in ("text", "csv", "json", "xml")
    found = extract_data_text(result.kind, data, document.content_type)
    result.text = found.text
    result.metadata = DocumentMetadata(title=found.title)
    result.decoding.charset = found.charset
    result.decoding.charset_source = found.charset_source
    result.problems.extend(found.problems)
    result.details = found.details


def extract_file(path: Path, settings: ExtractionSettings | None = None) -> Extraction | None:
    """The text and metadata of a loose file, or None when it is of no kind archiver reads.

    Raises OSError when the file cannot be read.
    """
    settings = settings or ExtractionSettings()
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
        kind = kind_from_path(path, head)
        if kind is None:
            return None
        document = CapturedDocument(url=None, content_type=content_type_for(kind, path),
                                    file=str(path))
        result = Extraction(document, kind)
        if kind == "pdf":
            _extract_pdf_file(result, path, settings)
            result.decoding.bytes_read = path.stat().st_size
            return result
        data = head + handle.read(settings.max_html_bytes - len(head) + 1)
    if len(data) > settings.max_html_bytes:
        data = data[:settings.max_html_bytes]
        result.decoding.cut = True
        result.problems.append(_html_cut_note(settings.max_html_bytes))
    result.decoding.bytes_read = len(data)
    _extract_text_body(result, data, document)
    return result


def read_page(document: CapturedDocument, raw: ByteReader,
              settings: ExtractionSettings | None = None) -> str:
    """A page's markup, decoded as a browser would (up to the size limit)."""
    settings = settings or ExtractionSettings()
    reader = BodyReader(raw, document, settings.max_html_bytes)
    return decode_html(reader.read_all(), document.content_type).text


def extract_html_bytes(data: bytes, document: CapturedDocument) -> Extraction:
    """The text and metadata of a page already in memory (a story draft made into HTML)."""
    result = Extraction(document, "html")
    result.decoding.bytes_read = len(data)
    _extract_html_body(result, data, document)
    return result


def _head(blocks: Iterator[bytes]) -> bytes:
    """At least the first SNIFF_BYTES of the body (less if it is shorter)."""
    pieces: list[bytes] = []
    size = 0
    for block in blocks:
        pieces.append(block)
        size += len(block)
        if size >= SNIFF_BYTES:
            break
    return b"".join(pieces)


def _extract_html_body(result: Extraction, data: bytes, document: CapturedDocument) -> None:
    from archiver.extract.html.extraction import (
        extract_html,  # imported when needed: it loads a lot
    )

    decoded = decode_html(data, document.content_type)
    result.decoding.charset = decoded.charset
    result.decoding.charset_source = decoded.source
    if decoded.declared:
        label = decoded.declared[:MAX_LABEL_SHOWN] + (
            "…" if len(decoded.declared) > MAX_LABEL_SHOWN else "")
        result.problems.append(f"the declared charset {label!r} is unknown; "
                               f"the text was read as {decoded.charset}")
    page = extract_html(decoded.text, document.url)
    details: dict[str, Any] = page.to_dict()
    result.text = page.text
    result.metadata = DocumentMetadata.from_dict(details)
    for name in METADATA_FIELDS:
        details.pop(name, None)
    details.pop("text", None)
    result.problems.extend(details.pop("problems", []))
    result.details = details


def _extract_pdf_file(result: Extraction, path: Path, settings: ExtractionSettings) -> None:
    from archiver.extract.pdf.process import read_pdf_bounded  # imported when needed

    report = read_pdf_bounded(path, settings)
    details: dict[str, Any] = report.to_dict()
    result.text = PAGE_BREAK.join(page.text for page in report.pages)
    info = report.info
    result.metadata = DocumentMetadata(
        title=report.title,
        authors=[report.author] if report.author else [],
        published=info.get("created"),
        modified=info.get("modified"),
        language=_first(report.xmp.get("dc:language")),
        description=info.get("subject") or _first(report.xmp.get("dc:description")),
    )
    result.problems.extend(details.pop("problems", []))
    details.pop("text", None)
    for name in ("title", "author"):
        details.pop(name, None)
    result.details = details


def _first(value: object) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):  # XMP language alternatives: {"x-default": "…"}
        value = next(iter(value.values()), None)
    return value if isinstance(value, str) else None


def _note_reading(result: Extraction, reader: BodyReader, kind: DocumentKind, cap: int) -> None:
    source = result.source
    if reader.failed:
        result.problems.append(reader.failed)
    if reader.exceeded:
        result.decoding.cut = True
        if kind == "html":
            result.problems.append(_html_cut_note(cap))
        elif (source.content_encoding or "identity").lower() == "identity":
            result.problems.append(f"the document is larger than {cap // MIB} MiB; only its "
                                   f"first {cap // MIB} MiB were read")
        else:
            result.problems.append(f"the body expands past {cap // MIB} MiB when decoded "
                                   "(a decompression bomb?); it was read only that far")
    if reader.chunking_broken:
        result.problems.append("the chunked body is damaged or cut short; the text is of "
                               "what could be read")
    if source.truncated:
        result.problems.append(TRUNCATION_NOTES.get(
            source.truncated, f"the capture was cut short ({source.truncated})"))


def _html_cut_note(cap: int) -> str:
    return f"the page is larger than {cap // MIB} MiB; only its first {cap // MIB} MiB were read"
