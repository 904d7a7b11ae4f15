"""Extractions as Parquet: one row per document, the form researchers load into pandas,
DuckDB or Spark (`extract --format parquet`).

A JSON Schema cannot describe a Parquet file, so its columns are this module's
`PARQUET_SCHEMA`, documented in docs/cluster.md and checked against the written file by the
tests. Rows are written as they come, in row groups of at most `ROWS_PER_GROUP` documents or
`BYTES_PER_GROUP` bytes of text: a WARC of a million pages never sits in memory.

An output directory holds `part-NNNNN.parquet` files: one from a run on this machine, one
per input from a run on a cluster; every Parquet reader reads the directory as one table.
pyarrow is an optional part (archiver[cluster]): it is imported when Parquet is asked for.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from archiver.errors import EnvironmentFault
from archiver.extract.document import Extraction

if TYPE_CHECKING:
    import pyarrow as pa

ROWS_PER_GROUP = 1000
BYTES_PER_GROUP = 64 * 1024 * 1024
INSTALL_HINT = "pip install 'archiver[cluster]'"

COLUMNS: tuple[tuple[str, str, str], ...] = (
    # (name, Arrow type, what it holds)
    ("package", "string", "the input the document was read from, as given: a package, a "
                          "WARC, ARC or WACZ file, or a loose file"),
    ("source_url", "string", "the URL the document was captured from (null for a loose file)"),
    ("file", "string", "the loose file's path (null for a captured document)"),
    ("record_id", "string", "the WARC-Record-ID of the document's response record"),
    ("warc_file", "string", "the WARC file holding that record, as its input names it"),
    ("record_offset", "int64", "the record's offset in that file"),
    ("captured_at", "string", "when it was captured (UTC, ISO 8601)"),
    ("status", "int32", "its HTTP status"),
    ("content_type", "string", "its Content-Type"),
    ("payload_sha256", "string", "SHA-256 of the payload as captured"),
    ("kind", "string", "html, pdf, text, csv, json or xml"),
    ("outcome", "string", "complete, partial or failed"),
    ("title", "string", "its title"),
    ("authors", "list<string>", "its authors"),
    ("published", "string", "its date of publication, as found"),
    ("modified", "string", "its date of last change, as found"),
    ("language", "string", "its language"),
    ("description", "string", "its description"),
    ("site_name", "string", "the site's name"),
    ("canonical_url", "string", "its canonical URL"),
    ("text", "string", "its main text"),
    ("visible_text", "string", "all the text a reader sees (a page's menus and captions "
                               "too); a PDF's or data file's text"),
    ("text_sha256", "string", "SHA-256 of the main text (UTF-8)"),
    ("problems", "list<string>", "what got in the way of reading it"),
    ("extracted_at", "string", "when it was extracted (UTC, ISO 8601)"),
)
"""The columns of every Parquet file archiver writes, in order."""


def parquet_schema() -> pa.Schema:
    """The Arrow schema of `COLUMNS` (pyarrow loaded on first use)."""
    import pyarrow as pa

    types = {"string": pa.string(), "int64": pa.int64(), "int32": pa.int32(),
             "list<string>": pa.list_(pa.string())}
    return pa.schema([pa.field(name, types[kind]) for name, kind, _ in COLUMNS])


def parquet_row(extraction: Extraction, package: str) -> dict[str, Any]:
    """One document's row."""
    import hashlib

    source = extraction.source
    record = source.record
    meta = extraction.metadata
    return {
        "package": package, "source_url": source.url, "file": source.file,
        "record_id": record.record_id if record else None,
        "warc_file": record.warc_file if record else None,
        "record_offset": record.offset if record else None,
        "captured_at": source.captured_at, "status": source.status,
        "content_type": source.content_type, "payload_sha256": source.payload_sha256,
        "kind": extraction.kind, "outcome": extraction.outcome, "title": extraction.title,
        "authors": [str(author) for author in meta.authors],
        "published": meta.published, "modified": meta.modified, "language": meta.language,
        "description": meta.description, "site_name": meta.site_name,
        "canonical_url": meta.canonical_url, "text": extraction.text,
        "visible_text": extraction.visible_text,
        "text_sha256": hashlib.sha256(extraction.text_bytes).hexdigest(),
        "problems": list(extraction.problems), "extracted_at": extraction.extracted_at,
    }


class ParquetWriter:
    """Writes rows to a new Parquet file as they come, a row group at a time."""

    def __init__(self, path: Path) -> None:
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise EnvironmentFault("--format parquet", "pyarrow is not installed; install "
                                   f"it with {INSTALL_HINT}") from None
        self.path = path
        self.schema = parquet_schema()
        self.rows = 0
        self._pending: list[dict[str, Any]] = []
        self._pending_bytes = 0
        try:
            self._sink = path.open("xb")  # x: never overwrite
        except OSError as exc:
            raise EnvironmentFault.from_os_error(exc, path) from exc
        self._writer = pq.ParquetWriter(self._sink, self.schema, compression="zstd")

    def write(self, extraction: Extraction, package: str) -> None:
        row = parquet_row(extraction, package)
        self._pending.append(row)
        self._pending_bytes += len(row["text"]) + len(row["visible_text"])
        if len(self._pending) >= ROWS_PER_GROUP or self._pending_bytes >= BYTES_PER_GROUP:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        if self._pending:
            self._writer.write_table(pa.Table.from_pylist(self._pending, schema=self.schema))
            self.rows += len(self._pending)
            self._pending = []
            self._pending_bytes = 0

    def close(self) -> None:
        """Write what is pending and the file's footer (without it, no reader opens it)."""
        try:
            self._flush()
            self._writer.close()
        finally:
            self._sink.close()
