"""Extraction during a capture: every captured page and PDF is read back from the record just
written, and its text and metadata go into the package twice over: as files under
data/extract/ (listed in manifest.json with the record each came from) and as `conversion`
and `metadata` records in the WARC, so a WARC-only reader has them too.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archiver._types import Progress
from archiver.capture.results import CaptureResult, Resource
from archiver.extract.document import Extraction
from archiver.extract.extractor import extract_captured
from archiver.extract.files import slug, write_new
from archiver.extract.payload import open_record
from archiver.package.bag import FileDigest
from archiver.package.extraction_pool import ExtractionPool, is_extractable
from archiver.package_layout import EXTRACT_DIR, record_reference, warc_path
from archiver.settings import ExtractionSettings
from archiver.timestamps import utc_iso
from archiver.warc.derived_records import derived_record
from archiver.warc.records import PreparedRecord
from archiver.warc.writer import RecordLocation, WarcWriter

_log = logging.getLogger(__name__)


@dataclass
class DerivedFiles:
    """What extraction added to a package: files, and per resource (by index) what was made
    from it."""

    files: list[FileDigest] = field(default_factory=list)
    by_resource: dict[int, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, other: DerivedFiles) -> None:
        """Take in what was derived elsewhere (a browser capture's attachments)."""
        self.files.extend(other.files)
        for index, entries in other.by_resource.items():
            self.by_resource.setdefault(index, []).extend(entries)


RecordAt = tuple[str, int]
"""A record by its WARC file's name (in data/warc/) and offset."""


@dataclass
class KeptAttachments:
    """A browser capture's attachments: their files, and each one's entry in manifest.json
    by the page's resource (its index in the job's results is known only once the job, or
    an automatic capture's two jobs, are done)."""

    files: list[FileDigest] = field(default_factory=list)
    entries: list[tuple[Resource, dict[str, object]]] = field(default_factory=list)

    def derived(self, resources: list[Resource]) -> DerivedFiles:
        """The attachments as files derived from `resources` (by index)."""
        index_of = {id(resource): index for index, resource in enumerate(resources)}
        derived = DerivedFiles(files=list(self.files))
        for resource, entry in self.entries:
            derived.by_resource.setdefault(index_of[id(resource)], []).append(entry)
        return derived


def extract_into_package(staging: Path, writer: WarcWriter, result: CaptureResult,
                         settings: ExtractionSettings, *, gzip_level: int,
                         progress: Progress | None = None,
                         done: dict[str, Extraction] | None = None,
                         pool: ExtractionPool | None = None,
                         rendered: Mapping[int, RecordAt] | None = None) -> DerivedFiles:
    """Extract every captured page and PDF of `result` into the package being built.

    `done` holds extractions already made, by URL (a story read for its citations), so
    they are stored rather than made again; `pool` holds those extracted in the background
    while the capture went on; `rendered` names, by resource index, the record of a page's
    rendered DOM (a browser capture): the text a reader saw is read from there."""
    rendered = rendered or {}
    done = done or {}
    derived = DerivedFiles()
    superseded = set(result.superseded)  # automatic mode: the browser's capture is read
    # A browser page's text is read from its rendered DOM: its response may be a revisit.
    wanted = [(index, resource) for index, resource in enumerate(result.resources)
              if (is_extractable(resource) or index in rendered) and index not in superseded]
    if not wanted:
        return derived
    writer.flush()
    (staging / EXTRACT_DIR).mkdir(parents=True, exist_ok=True)
    for count, (index, resource) in enumerate(wanted, start=1):
        extraction = done.get(resource.url) or (
            extract_resource(staging, resource, settings, rendered[index]) if index in rendered
            else _collect(staging, resource, settings, pool))
        if extraction is not None:
            _store(staging, writer, index, resource, extraction, derived, gzip_level)
        if progress is not None:
            progress(count, len(wanted), f"extracting {resource.url}")
    return derived


def _collect(staging: Path, resource: Resource, settings: ExtractionSettings,
             pool: ExtractionPool | None) -> Extraction | None:
    if pool is not None:
        taken, extraction, failure = pool.result_for(resource)
        if failure is not None:
            resource.notes.append(f"text could not be extracted: {failure}")
        if taken:
            return extraction
    return extract_resource(staging, resource, settings)


def extract_resource(staging: Path, resource: Resource, settings: ExtractionSettings,
                     read_from: RecordAt | None = None) -> Extraction | None:
    """Read a resource's record back from the package being built and extract it; or,
    `read_from`, the record of its rendered DOM (a resource record about the page)."""
    ref = resource.record
    assert ref is not None
    warc_file, offset = read_from or (ref.warc_file, ref.offset)
    name = warc_path(warc_file)
    try:
        with open_record(staging / name, name, offset) as (document, raw):
            if read_from is not None:  # the page's, read from what the browser rendered
                document = dataclasses.replace(document, url=resource.url,
                                               status=resource.status,
                                               captured_at=resource.captured_at)
            return extract_captured(document, raw, settings)
    except (MemoryError, OSError):
        raise  # the machine failed, not the document: the job cannot go on
    except Exception as exc:
        # A page is hostile input; a fault in reading it (a bug of ours, met on a page no test
        # foresaw) costs that page's text, never the capture. The trace is logged (the tests
        # fail on it).
        _log.error("extracting %s failed unexpectedly", resource.url, exc_info=exc)
        resource.notes.append(f"text could not be extracted: an unexpected error "
                              f"({type(exc).__name__}: {exc}); please report it")
        return None


def _store(staging: Path, writer: WarcWriter, index: int, resource: Resource,
           extraction: Extraction, derived: DerivedFiles, gzip_level: int) -> None:
    """The extraction as files and records. No text, no text file and no conversion record:
    an empty record says nothing the metadata does not, and warcio cannot check the digest
    of an empty block (it never reads one)."""
    stem = f"{EXTRACT_DIR}/{index + 1:05d}-{slug(resource.url)}"
    ref = resource.record
    assert ref is not None
    text = extraction.text_bytes
    created = utc_iso()

    def make(kind: str, body: bytes) -> PreparedRecord:
        return derived_record(kind, body, refers_to=ref.record_id, source_url=resource.url,
                              source_date=resource.captured_at, created=created,
                              gzip_level=gzip_level)

    metadata = extraction.to_json(with_text=False)  # the .json file too: the text is in .txt
    records = [make("metadata", metadata)]
    if text:
        records.append(make("text", text))
    try:
        locations = writer.write(records)
    finally:
        for record in records:
            record.close()
    json_file = _write_new(staging, f"{stem}.json", metadata)
    entries = [_entry(json_file, "extraction", locations[0], records[0].record_id)]
    derived.files.append(json_file)
    if text:
        text_file = _write_new(staging, f"{stem}.txt", text)
        entries.append(_entry(text_file, "text", locations[1], records[1].record_id))
        derived.files.append(text_file)
    derived.by_resource[index] = entries


def _entry(file: FileDigest, kind: str, where: RecordLocation, record_id: str
           ) -> dict[str, Any]:
    return {"path": file.path, "kind": kind, "sha256": file.sha256,
            "record": record_reference(warc_path(where.warc_file), record_id, where.offset)}


def _write_new(root: Path, relative: str, data: bytes) -> FileDigest:
    return FileDigest(relative, len(data), write_new(root / relative, data))
