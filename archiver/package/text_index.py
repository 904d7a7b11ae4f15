"""A package's text index (data/index/text.sqlite3): every extracted text of the package,
the main text and a page's full visible text, indexed with SQLite FTS5 so that a passage is
found among ten thousand documents in well under a second (archiver.textsearch).

Made at seal time from the files just extracted, listed in manifest.json (`text_index`) and
the bag like the other derived files. It is derived data: made again from the same texts
it gives the same answers, so a package sealed before indexes existed is indexed in a
temporary folder when asked (`temporary_index`), never changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archiver.errors import SearchUnavailable, TextIndexError, UnreadableEvidence
from archiver.package.bag import FileDigest
from archiver.package_layout import INDEX_DIR, MANIFEST_JSON, TEXT_INDEX, is_payload_path
from archiver.regular_files import read_regular
from archiver.textsearch.fts import FORMAT, IndexedDocument, IndexWriter, has_fts5
from archiver.textsearch.normalise import index_words
from archiver.untrusted_json import read_json_file

MAX_TEXT_BYTES = 512 * 1024 * 1024
"""The largest text file read (extraction never writes more: ExtractionSettings)."""

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TextIndexFile:
    """The index as sealed into a package: its file, and manifest.json's section."""

    file: FileDigest
    documents: int

    def section(self) -> dict[str, Any]:
        """manifest.json's `text_index`."""
        return {"path": self.file.path, "format": FORMAT, "documents": self.documents}


def indexed_texts(root: Path, resources: Iterable[dict[str, Any]], package_id: str | None
                  ) -> Iterator[tuple[IndexedDocument, str]]:
    """Each text of a package (by manifest.json's `resources` and their derived files),
    with the facts the index keeps of it; read one at a time."""
    for number, resource in enumerate(resources):
        details = extraction_of(root, resource)
        if details is not None:
            yield from resource_texts(root, number, resource, details, package_id)


def extraction_of(root: Path, resource: dict[str, Any]) -> Any | None:
    """The extraction JSON made from a resource (None: nothing was extracted)."""
    for item in _list(resource.get("derived")):
        if isinstance(item, dict) and item.get("kind") == "extraction":
            return read_json_file(inside(root, item.get("path")), str(item.get("path")))
    return None


def resource_texts(root: Path, number: int, resource: dict[str, Any], details: Any,
                   package_id: str | None) -> Iterator[tuple[IndexedDocument, str]]:
    """The texts extracted from one resource (its place `number` in `resources`)."""
    derived = {str(item.get("kind")): item for item in _list(resource.get("derived"))
               if isinstance(item, dict)}
    extraction = derived["extraction"]
    record = resource.get("record") or {}
    kind = details.get("kind") if isinstance(details, dict) else None
    facts = dict(url=resource.get("url"), kind=str(kind),
                 content_type=resource.get("content_type"),
                 record_id=record.get("record_id"), warc_file=record.get("warc_file"),
                 record_offset=record.get("offset"),
                 payload_sha256=resource.get("payload_sha256"),
                 captured_at=resource.get("captured_at"), status=resource.get("status"),
                 resource=number, package=package_id)
    text = ""
    if (entry := derived.get("text")) is not None:
        text = read_text(root, str(entry["path"]))
        yield _document(facts, entry, "text", text), text
    visible = visible_text(details)
    if visible and visible != text:
        yield _document(facts, extraction, "visible", visible), visible


def read_text(root: Path, path: str) -> str:
    """A text file of the package (UTF-8)."""
    data = read_regular(inside(root, path), MAX_TEXT_BYTES, path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TextIndexError(path, f"byte {exc.start} is not UTF-8") from None


def visible_text(details: Any) -> str:
    """A page's full visible text, from its extraction JSON (html.visible_text)."""
    html = details.get("html") if isinstance(details, dict) else None
    visible = html.get("visible_text") if isinstance(html, dict) else None
    return visible if isinstance(visible, str) else ""


def text_of(root: Path, document: IndexedDocument) -> str:
    """The text a document row stands for, read again and checked against the SHA-256 the
    index recorded. Raises TextIndexError when it differs (the package changed)."""
    if document.layer == "visible":
        text = visible_text(read_json_file(inside(root, document.path), document.path))
    else:
        text = read_text(root, document.path)
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != document.text_sha256:
        raise TextIndexError(document.path, "its text is not the text the package's index "
                             "was made from")
    return text


def write_text_index(root: Path, resources: Iterable[dict[str, Any]], package_id: str | None,
                     target: Path) -> int:
    """Index every text of the package at `root` into a new file `target`; returns how many
    texts."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with IndexWriter(target) as writer:
        for document, text in indexed_texts(root, resources, package_id):
            writer.add(document, index_words(text))
        return writer.count


def seal_text_index(staging: Path, resources: Iterable[dict[str, Any]], package_id: str
                    ) -> TextIndexFile | None:
    """The index of a package being built, from manifest.json's resources (read once, as
    they come); none when nothing was extracted, or when this Python's SQLite has no FTS5:
    `archiver quote` then says so."""
    index = TextIndexBuilder(staging, package_id)
    try:
        index.add(resources)
    except BaseException:
        index.abandon()
        raise
    return index.seal()


class TextIndexBuilder:
    """The index of a package being built, fed its resources in the order of manifest.json,
    as many at a time as come: a cluster capture indexes each batch as it takes it in, while
    the workers still capture the next (the index is no longer left for the end)."""

    def __init__(self, staging: Path, package_id: str) -> None:
        self.staging = staging
        self.package_id = package_id
        self.target = staging / TEXT_INDEX
        self._writer: IndexWriter | None = None
        self._numbered = 0
        """Resources seen so far: the next one's place in `resources`."""
        self._extracted = False
        self._fts5 = has_fts5()

    def add(self, resources: Iterable[dict[str, Any]]) -> None:
        """Index the texts of the next resources of the package."""
        for resource in resources:
            number = self._numbered
            self._numbered += 1
            details = extraction_of(self.staging, resource)
            if details is None:
                continue
            self._extracted = True
            if not self._fts5:
                continue
            if self._writer is None:
                self.target.parent.mkdir(parents=True, exist_ok=True)
                self._writer = IndexWriter(self.target)
            for document, text in resource_texts(self.staging, number, resource, details,
                                                 self.package_id):
                self._writer.add(document, index_words(text))

    def seal(self) -> TextIndexFile | None:
        """Close the index and say what it is; None when there is none."""
        if not self._fts5:
            if self._extracted:
                _log.warning(str(SearchUnavailable()))
            return None
        writer, self._writer = self._writer, None
        if writer is None:
            return None  # nothing was extracted: no index, as before there was one
        count = writer.count
        writer.close()
        if count == 0:
            self.target.unlink()
            with contextlib.suppress(OSError):
                self.target.parent.rmdir()
            return None
        data_sha256 = hashlib.sha256()
        with self.target.open("rb") as handle:
            while block := handle.read(1024 * 1024):
                data_sha256.update(block)
        return TextIndexFile(FileDigest(TEXT_INDEX, self.target.stat().st_size,
                                        data_sha256.hexdigest()), count)

    def abandon(self) -> None:
        """Stop without sealing (the run failed: its staging goes, index and all)."""
        if self._writer is not None:
            self._writer.abandon()
            self._writer = None


def package_resources(root: Path) -> tuple[list[dict[str, Any]], str | None, str | None]:
    """manifest.json's resources, package id and text index path (None: no index)."""
    manifest = read_json_file(root / MANIFEST_JSON, MANIFEST_JSON)
    if not isinstance(manifest, dict):
        raise UnreadableEvidence(MANIFEST_JSON, "not a JSON object", "json-invalid")
    resources = [item for item in _list(manifest.get("resources")) if isinstance(item, dict)]
    section = manifest.get("text_index")
    path = section.get("path") if isinstance(section, dict) else None
    if path is not None and (not isinstance(path, str) or not path.startswith(f"{INDEX_DIR}/")
                             or ".." in path.split("/")):
        raise TextIndexError(MANIFEST_JSON, f"text_index names {path!r}, not a file of "
                             f"{INDEX_DIR}/")
    package_id = manifest.get("package_id")
    return resources, package_id if isinstance(package_id, str) else None, path


@contextmanager
def temporary_index(root: Path, resources: list[dict[str, Any]], package_id: str | None
                    ) -> Iterator[Path]:
    """An index of a package that has none, made in a temporary folder (removed after): the
    package is never changed."""
    with tempfile.TemporaryDirectory(prefix="archiver-index-") as scratch:
        target = Path(scratch) / "text.sqlite3"
        write_text_index(root, resources, package_id, target)
        yield target


def inside(root: Path, path: object) -> Path:
    """`root / path` for a path manifest.json or an index names, once it is known to be a
    file under data/ (a package from elsewhere may name any path)."""
    if (not isinstance(path, str) or not is_payload_path(path)
            or any(part in ("", ".", "..") for part in path.split("/"))):
        raise TextIndexError(MANIFEST_JSON, f"names {path!r} as a text, not a file under data/")
    return root / path


def _document(facts: dict[str, Any], entry: dict[str, Any], layer: str,
              text: str) -> IndexedDocument:
    record = entry.get("record") or {}
    return IndexedDocument(path=str(entry["path"]), layer=layer,
                           text_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
                           chars=len(text), text_record_id=record.get("record_id"), **facts)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
