"""The extract API: text and metadata from a package, a WARC made by any tool, or a loose
HTML or PDF file. Readers only: a sealed package is never written to.

Extractions stream out one by one (a WARC may hold thousands of pages); problems with the
input itself (a record manifest.json names is not there, a WARC breaks off) are collected on
the run, so one bad record never stops the others.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from warcio.exceptions import ArchiveLoadFailed

from archiver._types import StrPath
from archiver.errors import ArchiverUsageError, UnreadableEvidence
from archiver.evidence_kind import sniff_evidence
from archiver.extract.document import Extraction
from archiver.extract.extractor import extract_captured, extract_file
from archiver.extract.kinds import kind_from_path
from archiver.extract.payload import iter_documents, open_record
from archiver.regular_files import real_directory
from archiver.settings import ExtractionSettings
from archiver.untrusted_json import read_json_file

InputKind = Literal["package", "warc", "file"]
SKIPPED_STATUSES = range(300, 400)
"""Redirects: their bodies are the server's boilerplate, not the document."""


class ExtractionRun:
    """Iterate it for the extractions of one input; `problems` fill in as it goes."""

    def __init__(self, path: Path, kind: InputKind, settings: ExtractionSettings) -> None:
        self.path = path
        self.kind = kind
        self.settings = settings
        self.problems: list[str] = []

    def __iter__(self) -> Iterator[Extraction]:
        if self.kind == "package":
            yield from self._package()
        elif self.kind == "warc":
            yield from self._warc(self.path, str(self.path))
        else:
            found = extract_file(self.path, self.settings)
            if found is not None:
                yield found

    def _warc(self, warc: Path, name: str) -> Iterator[Extraction]:
        try:
            for document, raw in iter_documents(warc, name):
                if document.status in SKIPPED_STATUSES:
                    continue
                found = extract_captured(document, raw, self.settings)
                if found is not None:
                    yield found
        except (ArchiveLoadFailed, EOFError, OSError, ValueError) as exc:
            self.problems.append(f"{name}: reading stopped early: {_reason(exc)}; the "
                                 "documents before that point were extracted")

    def _package(self) -> Iterator[Extraction]:
        try:
            manifest = read_json_file(self.path / "manifest.json", "manifest.json")
            resources = list(manifest["resources"])
        except (OSError, UnreadableEvidence, KeyError, TypeError) as exc:
            self.problems.append(f"{self.path / 'manifest.json'}: cannot be read "
                                 f"({_reason(exc)}); the WARC files are read instead")
            yield from self._package_warcs()
            return
        for resource in resources:
            found = self._resource(resource)
            if found is not None:
                yield found

    def _package_warcs(self) -> Iterator[Extraction]:
        folder = real_directory(self.path, "data/warc")
        for warc in sorted(folder.glob("*.warc*")) if folder is not None else ():
            if _is_regular(warc):  # never through a link, never a FIFO
                yield from self._warc(warc, str(warc.relative_to(self.path)))

    def _resource(self, resource: Any) -> Extraction | None:
        record = resource.get("record") if isinstance(resource, dict) else None
        if not isinstance(record, dict) or resource.get("status") in SKIPPED_STATUSES:
            return None
        name, offset = record.get("warc_file"), record.get("offset")
        warc = self._inside(name)
        if warc is None or not isinstance(offset, int):
            self.problems.append(f"manifest.json names a record in {name!r}, which is not a "
                                 "WARC file of this package")
            return None
        try:
            with open_record(warc, str(name), offset) as (document, raw):
                if document.record is None or document.record.record_id != record.get(
                        "record_id"):
                    self.problems.append(f"{name} at offset {offset}: not the record "
                                         f"manifest.json names ({record.get('record_id')})")
                    return None
                return extract_captured(document, raw, self.settings)
        except (ArchiveLoadFailed, EOFError, OSError, ValueError) as exc:
            self.problems.append(f"{name} at offset {offset}: cannot be read ({_reason(exc)})")
            return None

    def _inside(self, name: object) -> Path | None:
        """The package's WARC file called `name`, never a path outside the package."""
        if not isinstance(name, str) or not name.startswith("data/warc/"):
            return None
        folder = real_directory(self.path, "data/warc")
        file_name = name.removeprefix("data/warc/")
        if folder is None or file_name in ("", ".", "..") or "/" in file_name:
            return None
        candidate = folder / file_name
        return candidate if _is_regular(candidate) else None


def extract(path: StrPath, settings: ExtractionSettings | None = None) -> ExtractionRun:
    """Extract text and metadata from a package, a WARC or an HTML or PDF file.

    Raises InputNotFoundError (no such path) and ArchiverUsageError (a path of another
    kind) at once; problems with the evidence itself are collected on the returned run.

    >>> for page in extract("evidence/story1"):              # doctest: +SKIP
    ...     print(page.source.url, page.title)
    """
    target = Path(path)
    return ExtractionRun(target, input_kind(target), settings or ExtractionSettings())


def input_kind(path: Path) -> InputKind:
    sniffed = sniff_evidence(path)
    if sniffed.kind == "wacz":
        raise ArchiverUsageError(f"{path}: a WACZ; extract from the package it was exported "
                                 "from, or from the WARCs under archive/ once unpacked")
    if sniffed.kind != "other":
        return sniffed.kind
    if kind_from_path(path, sniffed.head) is None:
        raise ArchiverUsageError(f"{path}: not an evidence package, a WARC, an HTML page or a "
                                 "PDF file")
    return "file"


def _is_regular(path: Path) -> bool:
    """A regular file, not a link to one (nor a FIFO, a device...)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _reason(exc: BaseException) -> str:
    """One printable line: warcio quotes the bytes it could not read, which may be binary."""
    if isinstance(exc, UnreadableEvidence):
        return exc.reason
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    if isinstance(exc, ArchiveLoadFailed):
        return "what follows is not a WARC record (damaged, or cut short: archiver verify " \
               "says where)"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return "".join(char if char.isprintable() else "?" for char in text)[:200]
