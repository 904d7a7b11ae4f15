"""The extract API: text and metadata from a package, a WARC or ARC file made by any tool, a
WACZ, or a loose HTML, PDF, text, CSV, JSON or XML file. Readers only: a sealed package is
never written to.

Extractions stream out one by one (a WARC may hold thousands of pages); problems with the
input itself (a record manifest.json names is not there, a WARC breaks off) are collected on
the run, so one bad record never stops the others.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, BinaryIO, Literal

from archiver._types import StrPath
from archiver.errors import ArchiverUsageError, NotEvidenceError, UnreadableEvidence
from archiver.evidence_kind import sniff_evidence
from archiver.extract.document import Extraction
from archiver.extract.extractor import extract_captured, extract_file
from archiver.extract.kinds import kind_from_path
from archiver.extract.payload import WarcDocuments, open_record
from archiver.extract.wacz_input import READ_ERRORS, wacz_warcs
from archiver.package_layout import MANIFEST_JSON, WARC_DIR, warc_name
from archiver.regular_files import is_regular_file, real_directory
from archiver.settings import ExtractionSettings, ReadLimits
from archiver.untrusted_json import read_json_file
from archiver.warc.arc import has_arc_name
from archiver.warc.members import looks_like_arc
from archiver.warc.reader import Damage

InputKind = Literal["package", "warc", "wacz", "file"]
WaczMember = Callable[[], AbstractContextManager[BinaryIO]]
SKIPPED_STATUSES = range(300, 400)
"""Redirects: their bodies are the server's boilerplate, not the document."""


class ExtractionRun:
    """Iterate it for the extractions of one input; `problems` fill in as it goes."""

    def __init__(self, path: Path, kind: InputKind, settings: ExtractionSettings,
                 name: str | None = None) -> None:
        self.path = path
        self.kind = kind
        self.settings = settings
        self.name = name or str(path)
        """How the input is named in what is written and said (a storage URL, where `path`
        is its local copy)."""
        self.problems: list[str] = []

    def __iter__(self) -> Iterator[Extraction]:
        if self.kind == "package":
            yield from self._package()
        elif self.kind == "warc":
            yield from self._warc(self.path, self.name)
        elif self.kind == "wacz":
            yield from self._wacz()
        else:
            found = extract_file(self.path, self.settings)
            if found is not None:
                if found.source.file != self.name:
                    found.source = dataclasses.replace(found.source, file=self.name)
                yield found

    def _warc(self, warc: Path, name: str, member: WaczMember | None = None,
              errors: tuple[type[BaseException], ...] = (OSError,)) -> Iterator[Extraction]:
        documents = WarcDocuments(warc, name, member)
        try:
            for found in documents:
                document = found.document
                extraction = None
                if document.status not in SKIPPED_STATUSES:
                    extraction = extract_captured(document, found.body, self.settings)
                damage = found.finish()
                if extraction is not None:
                    _note_damage(extraction, damage)
                    yield extraction
        except errors as exc:
            self.problems.append(f"{name}: reading stopped early: {_reason(exc)}; the "
                                 "documents before that point were extracted")
        self.problems.extend(documents.problems)

    def _wacz(self) -> Iterator[Extraction]:
        """Every WARC under archive/, streamed from the zip (never unpacked); a record is
        named `archive/….warc.gz`, its path in the WACZ."""
        try:
            with wacz_warcs(self.path, ReadLimits()) as found:
                self.problems.extend(found.refusals)
                for info in found.members:
                    said = len(self.problems)
                    yield from self._warc(self.path, info.filename,
                                          functools.partial(found.open_member, info),
                                          READ_ERRORS)
                    # Named inside the WACZ, as its record pointers are: say which WACZ.
                    self.problems[said:] = [f"{self.name}: {problem}"
                                            for problem in self.problems[said:]]
        except NotEvidenceError as exc:
            self.problems.append(str(exc))
        except READ_ERRORS as exc:
            self.problems.append(f"{self.name}: cannot be read as a zip ({_reason(exc)})")

    def _package(self) -> Iterator[Extraction]:
        try:
            manifest = read_json_file(self.path / MANIFEST_JSON, MANIFEST_JSON)
            resources = list(manifest["resources"])
        except (OSError, UnreadableEvidence, KeyError, TypeError) as exc:
            self.problems.append(f"{self.path / MANIFEST_JSON}: cannot be read "
                                 f"({_reason(exc)}); the WARC files are read instead")
            yield from self._package_warcs()
            return
        for resource in resources:
            found = self._resource(resource)
            if found is not None:
                yield found

    def _package_warcs(self) -> Iterator[Extraction]:
        folder = real_directory(self.path, WARC_DIR)
        for warc in sorted(folder.glob("*.warc*")) if folder is not None else ():
            if is_regular_file(warc):  # never through a link, never a FIFO
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
                extraction = extract_captured(document, raw, self.settings)
                raw.skip_rest()
                if raw.damage is not None:
                    self.problems.append(f"{name} at offset {offset}: {raw.damage.message} "
                                         f"[{raw.damage.code}]")
                if extraction is not None:
                    _note_damage(extraction, raw.damage)
                return extraction
        except (OSError, ValueError) as exc:
            self.problems.append(f"{name} at offset {offset}: cannot be read ({_reason(exc)})")
            return None

    def _inside(self, name: object) -> Path | None:
        """The package's WARC file called `name`, never a path outside the package."""
        file_name = warc_name(name) if isinstance(name, str) else None
        if file_name is None:
            return None
        folder = real_directory(self.path, WARC_DIR)
        if folder is None or file_name in ("", ".", ".."):
            return None
        candidate = folder / file_name
        return candidate if is_regular_file(candidate) else None


def extract(path: StrPath, settings: ExtractionSettings | None = None, *,
            name: str | None = None) -> ExtractionRun:
    """Extract text and metadata from a package, a WARC, ARC or WACZ file, or a loose HTML,
    PDF, plain-text, CSV, JSON or XML file. `name` is how the input is named in the
    extractions and problems (default: `path`; a storage URL read into a local copy).

    Raises InputNotFoundError (no such path) and ArchiverUsageError (a path of another
    kind) at once; problems with the evidence itself are collected on the returned run.

    >>> for page in extract("evidence/story1"):              # doctest: +SKIP
    ...     print(page.source.url, page.title)
    """
    target = Path(path)
    return ExtractionRun(target, input_kind(target), settings or ExtractionSettings(), name)


def input_kind(path: Path) -> InputKind:
    if path.exists() and not path.is_dir() and not path.is_file():
        # A device or a pipe never ends (/dev/zero named crawl.warc would be read forever).
        raise ArchiverUsageError(f"{path}: not a regular file (a device, pipe or socket); "
                                 "extract reads files and package directories")
    sniffed = sniff_evidence(path)
    if sniffed.kind != "other":
        return sniffed.kind
    if has_arc_name(path.name) or looks_like_arc(sniffed.head):
        return "warc"  # read as the WARC records it stands for
    if kind_from_path(path, sniffed.head) is None:
        raise ArchiverUsageError(f"{path}: not an evidence package, a WARC, ARC or WACZ file, "
                                 "nor an HTML, PDF, text, CSV, JSON or XML file")
    return "file"


def _note_damage(extraction: Extraction, damage: Damage | None) -> None:
    if damage is not None:
        extraction.problems.append(f"its record is damaged or cut short ({damage.message}); "
                                   "the text is of what could be read")


def _reason(exc: BaseException) -> str:
    """One printable line."""
    if isinstance(exc, UnreadableEvidence):
        return exc.reason
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return "".join(char if char.isprintable() else "?" for char in text)[:200]
