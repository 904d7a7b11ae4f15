"""`archiver search collection.db "query"`: the documents of a collection that hold every
plain word and "quoted phrase" of a query, ranked, with their package, source, capture time,
record and a snippet (from the texts the collection keeps: no package is opened)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archiver.errors import (
    ArchiverUsageError,
    CollectionUnreadable,
    InputNotFoundError,
    TextIndexError,
)
from archiver.package_layout import MANIFEST_JSON
from archiver.regular_files import is_regular_file
from archiver.textsearch.collection import Collection, Hit
from archiver.textsearch.query import parse_query

DEFAULT_LIMIT = 20
MAX_LIMIT = 10_000


@dataclass
class SearchResult:
    query: str
    documents: int
    """Texts in the collection."""
    hits: list[Hit] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.hits)

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "found": self.found, "documents": self.documents,
                "matches": [hit_dict(rank, hit) for rank, hit in enumerate(self.hits, 1)]}


def hit_dict(rank: int, hit: Hit) -> dict[str, Any]:
    document, source, package = hit.document, hit.source, hit.package
    return {"rank": rank, "score": hit.score, "package": document.package,
            "package_path": package.location if package else None,
            "url": document.url, "title": source.title if source else None,
            "captured_at": document.captured_at, "status": document.status,
            "content_type": document.content_type, "record_id": document.record_id,
            "warc_file": document.warc_file, "record_offset": document.record_offset,
            "payload_sha256": document.payload_sha256, "text_file": document.path,
            "layer": document.layer, "snippet": hit.snippet, "start": hit.start,
            "end": hit.end}


def open_collection(path: Path) -> Collection:
    if not path.exists():
        raise InputNotFoundError(path, "collection")
    if path.is_dir() and (path / MANIFEST_JSON).is_file():
        raise ArchiverUsageError(f"{path}: an evidence package, not a collection: find a "
                                 f"passage in it with `archiver quote {path} \"...\"`, or "
                                 f"make a collection with `archiver index {path} -o "
                                 "collection.db`")
    if not is_regular_file(path):
        raise CollectionUnreadable(str(path), "not a regular file; make a collection with "
                                   "`archiver index`")
    try:
        return Collection(path)
    except TextIndexError as error:
        raise CollectionUnreadable(str(path), f"{error.reason}; make a collection with "
                                   "`archiver index`") from None


def search_collection(path: Path, query: str, *, limit: int = DEFAULT_LIMIT) -> SearchResult:
    """Search the collection at `path`. Raises a usage error for a query with no words."""
    parsed = parse_query(query)
    if parsed.empty:
        raise ArchiverUsageError(f"{query!r}: the query has no words to search for")
    if not 1 <= limit <= MAX_LIMIT:
        raise ArchiverUsageError(f"--limit {limit}: give a number from 1 to {MAX_LIMIT}")
    with open_collection(path) as collection:
        try:
            return SearchResult(query, collection.count(), collection.search(parsed, limit))
        except TextIndexError as error:
            raise CollectionUnreadable(str(path), error.reason) from None
