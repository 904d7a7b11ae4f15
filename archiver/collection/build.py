"""`archiver index PKG_OR_DIR... -o collection.db`: put packages into a collection.

Packages are read one at a time, and their texts one at a time (memory stays flat with the
collection's size); each is only read, never written (files are opened read-only, as
regular files). A package already in the collection with the same id and the same seal
(the SHA-256 of its tag manifest, which covers every byte) is not indexed again; one of the
same id with another seal replaces it. The collection is written beside its target and
renamed into place (textsearch.collection.CollectionWriter): a killed run leaves the
collection as it was.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archiver.errors import ArchiverError, InputNotFoundError, NotEvidenceError
from archiver.package.text_index import extraction_of, package_resources, resource_texts
from archiver.package_layout import BAGIT, MANIFEST_JSON, TAG_MANIFEST
from archiver.partial_paths import is_partial_name
from archiver.regular_files import is_regular_file, open_binary
from archiver.textsearch.collection import (
    CollectedPackage,
    CollectedSource,
    CollectionWriter,
)
from archiver.untrusted_json import read_json_file

MAX_DEPTH = 4
"""How deep under a folder given packages are looked for."""


@dataclass
class IndexSummary:
    """What `archiver index` did."""

    collection: Path
    added: list[str] = field(default_factory=list)
    """Package ids indexed now (new, or replacing one of the same id and another seal)."""
    unchanged: list[str] = field(default_factory=list)
    """Package ids indexed before with the same seal: not read again."""
    problems: list[tuple[str, str]] = field(default_factory=list)
    """Packages that could not be indexed: path, reason (nothing of them was kept)."""
    documents: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"collection": str(self.collection), "added": self.added,
                "unchanged": self.unchanged, "documents": self.documents,
                "problems": [{"path": path, "reason": reason}
                             for path, reason in self.problems]}


def is_package(path: Path) -> bool:
    return (path.is_dir() and not path.is_symlink() and is_regular_file(path / MANIFEST_JSON)
            and is_regular_file(path / BAGIT))


def find_packages(inputs: Sequence[Path]) -> list[Path]:
    """The packages `inputs` name: each a package, or a folder holding packages (looked for
    down to MAX_DEPTH levels, in name order; links and unfinished work are passed by).
    Raises a usage error for an input that is neither, before anything is read."""
    found: list[Path] = []
    for given in inputs:
        if not given.exists():
            raise InputNotFoundError(given, "package or folder")
        if is_package(given):
            found.append(given)
            continue
        inside = list(_packages_under(given, 0)) if given.is_dir() else []
        if not inside:
            raise NotEvidenceError(given, "neither a package nor a folder holding packages")
        found.extend(inside)
    return list(dict.fromkeys(found))


def _packages_under(folder: Path, depth: int) -> Iterator[Path]:
    if depth >= MAX_DEPTH:
        return
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError:
        return
    for entry in entries:
        if is_partial_name(entry.name) or not entry.is_dir(follow_symlinks=False):
            continue
        path = Path(entry.path)
        if is_package(path):
            yield path
        else:
            yield from _packages_under(path, depth + 1)


def seal_sha256(root: Path) -> str:
    """SHA-256 of the package's tag manifest: it covers every byte of the bag."""
    digest = hashlib.sha256()
    with open_binary(root / TAG_MANIFEST, TAG_MANIFEST) as handle:
        while block := handle.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def index_packages(inputs: Sequence[Path], collection: Path, *,
                   progress: Callable[[int, int, str], object] | None = None) -> IndexSummary:
    """Add the packages `inputs` name to `collection` (made when it does not exist)."""
    packages = find_packages(inputs)
    summary = IndexSummary(collection)
    with CollectionWriter(collection) as writer:
        for number, root in enumerate(packages, 1):
            if progress:
                progress(number, len(packages), str(root))
            try:
                _add_package(writer, root, summary)
            except ArchiverError as error:
                writer.undo()
                summary.problems.append((str(root), str(error)))
    from archiver.textsearch.collection import Collection

    with Collection(collection) as done:
        summary.documents = done.count()
    return summary


def _add_package(writer: CollectionWriter, root: Path, summary: IndexSummary) -> None:
    seal = seal_sha256(root)
    manifest = read_json_file(root / MANIFEST_JSON, MANIFEST_JSON)
    resources, package_id, _ = package_resources(root)
    if package_id is None:
        raise NotEvidenceError(root, "its manifest.json names no package_id")
    if writer.seal_of(package_id) == seal:
        summary.unchanged.append(package_id)
        return
    created = manifest.get("created") if isinstance(manifest, dict) else None
    writer.begin(CollectedPackage(package_id, seal, str(root.resolve()),
                                  created if isinstance(created, str) else None))
    for number, resource in enumerate(resources):
        details = extraction_of(root, resource)
        writer.add_source(collected_source(package_id, number, resource, details))
        if details is not None:
            for document, text in resource_texts(root, number, resource, details, package_id):
                writer.add_text(document, text)
    writer.end()
    summary.added.append(package_id)


def collected_source(package_id: str, number: int, resource: dict[str, Any],
                     details: Any) -> CollectedSource:
    record = resource.get("record")
    record = record if isinstance(record, dict) else {}
    revisit = resource.get("revisit")
    details = details if isinstance(details, dict) else {}
    return CollectedSource(
        package=package_id, resource=number, url=_text(resource.get("url")),
        role=_text(resource.get("role")), outcome=_text(resource.get("outcome")),
        reason=_text(resource.get("reason")), status=_int(resource.get("status")),
        content_type=_text(resource.get("content_type")),
        captured_at=_text(resource.get("captured_at")),
        record_id=_text(record.get("record_id")), warc_file=_text(record.get("warc_file")),
        record_offset=_int(record.get("offset")),
        payload_sha256=_text(resource.get("payload_sha256")),
        title=_text(details.get("title")), published=_text(details.get("published")),
        revisit_of=(f"{revisit.get('package')} {revisit.get('record_id')}"
                    if isinstance(revisit, dict) else None))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
