"""A collection: one SQLite file indexing the texts of many packages, with what each package
captured, so that a search across all of them answers from this one file.

The same tables as a package's text index (fts.py: `documents`, the FTS5 table `texts`),
and besides them:
- `packages`: each package indexed, by its id, with the SHA-256 of its seal (the bag's tag
  manifest, which covers every byte) and where it was read from;
- `sources`: every resource each package captured or tried (URL, title, outcome, status,
  capture time, WARC record, payload SHA-256): what search reports with a match, and what
  `--dedup` looks a payload up in;
- `kept_texts`: each text, zlib-compressed. A collection keeps its texts so that a search
  shows a snippet without opening the packages, which may be far away (object storage,
  another machine); zlib keeps prose to about a third of its size.

Unlike a package's index, `texts` keeps positions (`detail=full`) and every word as often as
it stands (normalise.running_words): a "quoted phrase" is an FTS5 phrase, and BM25 counts
how often a word stands in a text.

A collection is written in a new file beside its target and renamed into place when done
(`CollectionWriter`): the file at the target's name is never changed in place, so a reader
opens it immutable, and a killed run leaves the collection as it was.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import zlib
from collections.abc import Sequence
from dataclasses import astuple, dataclass, fields
from pathlib import Path
from types import TracebackType

from archiver.errors import CollectionUnreadable, TextIndexError
from archiver.partial_paths import partial_name
from archiver.textsearch.fts import (
    MAX_QUERY_TERMS,
    IndexedDocument,
    TextIndex,
    _term,
    insert_document,
    phrase,
    require_fts5,
    schema,
)
from archiver.textsearch.normalise import collapse, running_words, words
from archiver.textsearch.query import Query

FORMAT = "archiver-collection/1"
SNIPPET_CHARS = 200
BATCH = 200


@dataclass(frozen=True)
class CollectedSource:
    """One resource a package captured (or failed to), as its manifest.json says."""

    package: str
    resource: int
    url: str | None
    role: str | None
    outcome: str | None
    reason: str | None
    status: int | None
    content_type: str | None
    captured_at: str | None
    record_id: str | None
    warc_file: str | None
    record_offset: int | None
    payload_sha256: str | None
    title: str | None = None
    published: str | None = None
    revisit_of: str | None = None
    """For a revisit: the package and record it refers to (`PACKAGE RECORD-ID`)."""


_SOURCE_COLUMNS = [field.name for field in fields(CollectedSource)]
_COLLECTION_SCHEMA = f"""
CREATE TABLE packages (package_id TEXT PRIMARY KEY, seal_sha256 TEXT NOT NULL,
                       location TEXT NOT NULL, created TEXT);
CREATE TABLE sources ({", ".join(_SOURCE_COLUMNS)}, PRIMARY KEY (package, resource));
CREATE INDEX sources_by_payload ON sources (payload_sha256);
CREATE TABLE kept_texts (id INTEGER PRIMARY KEY, text BLOB NOT NULL);
"""


@dataclass(frozen=True)
class CollectedPackage:
    package_id: str
    seal_sha256: str
    location: str
    created: str | None


@dataclass(frozen=True)
class Hit:
    """One text that answers a query, with its source and a snippet around the first
    place the query's first phrase (or word) stands."""

    document: IndexedDocument
    source: CollectedSource | None
    package: CollectedPackage | None
    snippet: str
    start: int | None
    """Where that place starts and ends in the text (characters), None when not found."""
    end: int | None
    score: float


class CollectionWriter:
    """Adds packages to the collection at `target` (new, or an existing one, copied first),
    in a new file beside it; `commit()` renames it into place, `abandon()` removes it. An
    existing collection is copied only once a package is to be added: a run that adds
    nothing leaves it untouched."""

    def __init__(self, target: Path) -> None:
        require_fts5()
        self.target = target
        self.work = target.parent / partial_name(target)
        self._existing: Collection | None = None
        self._db: sqlite3.Connection | None = None
        self._base = _state(target)
        """The target as this run found it: at the rename it must still be so."""
        if target.exists():
            try:
                self._existing = Collection(target)
            except TextIndexError as error:  # never overwrite a file that is not ours
                raise CollectionUnreadable(str(target), f"{error.reason}; give a new file, "
                                           "or a collection `archiver index` made") from None
        else:
            self._open()
        self.added = 0

    def _open(self) -> sqlite3.Connection:
        """The new file, made now (a copy of the existing collection, or empty)."""
        if self._db is not None:
            return self._db
        if self._existing is not None:
            self._existing.close()
            shutil.copyfile(self.target, self.work)
        self._db = sqlite3.connect(self.work, isolation_level=None)
        self._db.execute("PRAGMA synchronous = OFF")  # fsync'd once, before the rename
        if self._existing is None:
            self._db.executescript(schema("full") + _COLLECTION_SCHEMA)
            self._db.execute("INSERT INTO meta VALUES ('format', ?)", (FORMAT,))
        self._existing = None
        (last,) = self._db.execute("SELECT coalesce(max(id), 0) FROM documents").fetchone()
        self._next = int(last) + 1
        return self._db

    def seal_of(self, package_id: str) -> str | None:
        """The seal SHA-256 of the package with this id already indexed, or None."""
        sql = "SELECT seal_sha256 FROM packages WHERE package_id = ?"
        if self._existing is not None:
            rows = self._existing._query(sql, (package_id,))
            return str(rows[0][0]) if rows else None
        row = self._open().execute(sql, (package_id,)).fetchone()
        return str(row[0]) if row else None

    def begin(self, package: CollectedPackage) -> None:
        """Start a package (its rows are one transaction): a package of the same id indexed
        before with another seal is replaced."""
        self._db = self._open()
        self._db.execute("BEGIN")
        if self.seal_of(package.package_id) is not None:
            self._remove(package.package_id)
        self._db.execute("INSERT INTO packages VALUES (?, ?, ?, ?)", astuple(package))

    def add_source(self, source: CollectedSource) -> None:
        assert self._db is not None, "begin() first"
        self._db.execute(f"INSERT INTO sources VALUES ({', '.join('?' * len(_SOURCE_COLUMNS))})",
                         astuple(source))

    def add_text(self, document: IndexedDocument, text: str) -> None:
        assert self._db is not None, "begin() first"
        rowid = self._next
        self._next += 1
        insert_document(self._db, rowid, document, " ".join(running_words(text)))
        self._db.execute("INSERT INTO kept_texts VALUES (?, ?)",
                         (rowid, zlib.compress(text.encode("utf-8"), 6)))

    def end(self) -> None:
        assert self._db is not None, "begin() first"
        self._db.execute("COMMIT")
        self.added += 1

    def undo(self) -> None:
        """Drop what the package under way added."""
        if self._db is not None and self._db.in_transaction:
            self._db.execute("ROLLBACK")

    def commit(self) -> None:
        """Merge the index's segments, and put the new file in the target's place (nothing
        to do when nothing was added to an existing collection)."""
        if self._db is None:
            if self._existing is not None:
                self._existing.close()
            return
        try:
            (count,) = self._db.execute("SELECT count(*) FROM documents").fetchone()
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('documents', ?)",
                             (str(count),))
            self._db.execute("INSERT INTO texts (texts) VALUES ('optimize')")
        finally:
            self._db.close()
        with self.work.open("rb+") as handle:
            os.fsync(handle.fileno())
        if _state(self.target) != self._base:  # another run renamed its work into place
            self.abandon()
            raise CollectionUnreadable(str(self.target), "another run changed it while this "
                                       "one worked; nothing of this run was kept: run "
                                       "`archiver index` again (it adds only what is new)")
        os.replace(self.work, self.target)

    def abandon(self) -> None:
        if self._existing is not None:
            self._existing.close()
        if self._db is None:
            return
        self._db.close()
        self._db = None
        for leftover in (self.work, self.work.with_name(self.work.name + "-journal")):
            leftover.unlink(missing_ok=True)

    def _remove(self, package_id: str) -> None:
        assert self._db is not None
        rows = self._db.execute("SELECT d.id, k.text FROM documents d JOIN kept_texts k "
                                "ON k.id = d.id WHERE d.package = ?", (package_id,))
        for rowid, kept in rows.fetchall():
            # A contentless FTS5 row is deleted by giving the words it was made of.
            text = zlib.decompress(kept).decode("utf-8")
            self._db.execute("INSERT INTO texts (texts, rowid, words) VALUES ('delete', ?, ?)",
                             (rowid, " ".join(running_words(text))))
            self._db.execute("DELETE FROM kept_texts WHERE id = ?", (rowid,))
        for table, column in (("documents", "package"), ("sources", "package"),
                              ("packages", "package_id")):
            self._db.execute(f"DELETE FROM {table} WHERE {column} = ?", (package_id,))

    def __enter__(self) -> CollectionWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if error is None:
            self.commit()
        else:
            self.abandon()


class Collection(TextIndex):
    """A collection opened for reading (read-only, immutable: it is only ever replaced
    whole, never changed in place)."""

    format = FORMAT

    def packages(self) -> list[CollectedPackage]:
        return [CollectedPackage(*row)  # type: ignore[arg-type]
                for row in self._query("SELECT * FROM packages ORDER BY package_id")]

    def package(self, package_id: str | None) -> CollectedPackage | None:
        rows = self._query("SELECT * FROM packages WHERE package_id = ?", (package_id,))
        return CollectedPackage(*rows[0]) if rows else None  # type: ignore[arg-type]

    def source(self, package_id: str | None, resource: int | None) -> CollectedSource | None:
        rows = self._query(f"SELECT {', '.join(_SOURCE_COLUMNS)} FROM sources WHERE "
                           "package = ? AND resource = ?", (package_id, resource))
        return CollectedSource(*rows[0]) if rows else None  # type: ignore[arg-type]

    def with_payload(self, payload_sha256: str) -> list[CollectedSource]:
        """Captured responses (not revisits) whose payload has this SHA-256, oldest first."""
        rows = self._query(f"SELECT {', '.join(_SOURCE_COLUMNS)} FROM sources WHERE "
                           "payload_sha256 = ? AND outcome = 'captured' AND revisit_of IS NULL "
                           "AND record_id IS NOT NULL ORDER BY captured_at, package, resource",
                           (payload_sha256,))
        return [CollectedSource(*row) for row in rows]  # type: ignore[arg-type]

    def kept_text(self, rowid: int) -> str:
        rows = self._query("SELECT text FROM kept_texts WHERE id = ?", (rowid,))
        if not rows:
            raise TextIndexError(self.what, f"keeps no text for document {rowid}")
        try:
            return zlib.decompress(rows[0][0]).decode("utf-8")  # type: ignore[arg-type]
        except (zlib.error, UnicodeDecodeError, TypeError) as exc:
            raise TextIndexError(self.what, f"the text of document {rowid} cannot be read "
                                 f"({exc})") from None

    def search(self, query: Query, limit: int) -> list[Hit]:
        """The texts holding every word and phrase of `query`, best first (BM25, then the
        order indexed); one per resource of a package (a page's main text before its
        visible text)."""
        parts = ([_term(word) for word in query.words]
                 + [phrase(run) for run in query.phrases])[:MAX_QUERY_TERMS]
        if not parts or limit < 1:
            return []
        match = " AND ".join(parts)
        hits: list[Hit] = []
        seen: set[tuple[str | None, int | None]] = set()
        offset = 0
        while len(hits) < limit:
            rows = self._query("SELECT rowid, rank FROM texts WHERE texts MATCH ? "
                               "ORDER BY rank, rowid LIMIT ? OFFSET ?", (match, BATCH, offset))
            offset += len(rows)
            for rowid, rank in rows:
                document = self.document(int(str(rowid)))
                key = (document.package, document.resource)
                if key in seen:
                    continue
                seen.add(key)
                hits.append(self._hit(document, int(str(rowid)), query, float(str(rank))))
                if len(hits) == limit:
                    break
            if len(rows) < BATCH:
                break
        return hits

    def _hit(self, document: IndexedDocument, rowid: int, query: Query, rank: float) -> Hit:
        text = self.kept_text(rowid)
        snippet, start, end = snippet_of(text, query.first_run())
        return Hit(document, self.source(document.package, document.resource),
                   self.package(document.package), snippet, start, end, round(-rank, 6))


def _state(path: Path) -> tuple[int, int, int] | None:
    """What tells one version of a file from the next (None: no file)."""
    try:
        found = path.stat()
    except FileNotFoundError:
        return None
    return found.st_ino, found.st_size, found.st_mtime_ns


def snippet_of(text: str, run: Sequence[str]) -> tuple[str, int | None, int | None]:
    """A line of `text` around the first place `run` (folded words) stands, and that
    place's offsets; the text's opening when it stands nowhere word for word.

    >>> snippet_of("One two. The Supply\\nvalve was closed.", ["supply", "valve"])
    ('One two. The Supply valve was closed.', 13, 25)
    """
    found = words(text)
    folded = [word.folded for word in found]
    size = len(run)
    for index in range(len(folded) - size + 1) if size else ():
        if folded[index:index + size] == list(run):
            start, end = found[index].start, found[index + size - 1].end
            room = max(0, SNIPPET_CHARS - (end - start)) // 2
            left, right = max(0, start - room), min(len(text), end + room)
            line = collapse(text[left:right])
            return ("…" * (left > 0)) + line + ("…" * (right < len(text))), start, end
    opening = collapse(text[:SNIPPET_CHARS])
    return opening + ("…" * (len(text) > SNIPPET_CHARS)), None, None
