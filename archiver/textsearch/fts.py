"""The text index: an SQLite database whose FTS5 table finds the documents that hold a
passage's words, and whose `documents` table says where each text came from.

One row of `documents` per text (a page's main text and its full visible text are two);
the FTS5 table `texts` holds, in its one column `words` and under the same rowid, the
distinct words `normalise.index_words` makes of it. The table is contentless
(`content=''`) and keeps no positions (`detail=none`): for each word, the texts that hold
it, and nothing else: never a copy of the texts, which stay where they are (a package's
data/extract/), so an index adds a fraction of the texts' size. A reader finds candidates
here (texts holding all of a passage's rarest words, or the most of its words, BM25) and
reads the few texts it needs, checking each against the SHA-256 the index recorded; where
the words stand is worked out in those texts (align.py), not in the index.

Opened read-only and immutable, so reading an index inside a sealed package never writes
a journal or anything else beside it. An index is derived data: built again from the same
texts, it gives the same answers.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass, fields
from pathlib import Path
from types import TracebackType
from typing import Self

from archiver.errors import SearchUnavailable, TextIndexError

FORMAT = "archiver-text-index/1"
TOKENIZER = "unicode61 remove_diacritics 0"
"""The words are folded already (normalise.fold); the tokenizer only splits them."""
MAX_QUERY_TERMS = 64


@dataclass(frozen=True)
class IndexedDocument:
    """Where one indexed text came from: the facts a reader reports with a match."""

    url: str | None
    path: str
    """The file holding the text (a package path: data/extract/...)."""
    layer: str
    """`text` (the main text, a PDF's pages apart by form feeds) or `visible` (all the
    text a reader of a page sees: html.visible_text of the extraction JSON)."""
    text_sha256: str
    """SHA-256 of the text (UTF-8), as the index read it."""
    chars: int
    kind: str
    """html, pdf, text, csv..."""
    content_type: str | None = None
    record_id: str | None = None
    """The WARC record the text was extracted from (a response, a draft's resource)."""
    warc_file: str | None = None
    record_offset: int | None = None
    payload_sha256: str | None = None
    """That record's payload SHA-256, as manifest.json gives it (verify checks it)."""
    captured_at: str | None = None
    status: int | None = None
    text_record_id: str | None = None
    """The record that carries the text too (a conversion or metadata record)."""
    resource: int | None = None
    """Its place in manifest.json's resources, from 0."""
    package: str | None = None
    """The package id: an index of many packages tells them apart by it."""


_COLUMNS = [field.name for field in fields(IndexedDocument)]
_SCHEMA = f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE documents (id INTEGER PRIMARY KEY, {", ".join(_COLUMNS)});
CREATE INDEX documents_by_record ON documents (record_id);
{{texts}}
CREATE VIRTUAL TABLE vocabulary USING fts5vocab (texts, row);
"""


def texts_table(detail: str) -> str:
    """The FTS5 table of words: contentless; `none` keeps only which texts hold each word
    (a package's index), `full` also where (a collection's: phrases, BM25 term counts)."""
    return (f"CREATE VIRTUAL TABLE texts USING fts5 (words, content='', detail={detail}, "
            f"tokenize='{TOKENIZER}');")


def schema(detail: str = "none") -> str:
    """The tables of a text index (documents, texts, vocabulary, meta)."""
    return _SCHEMA.replace("{texts}", texts_table(detail))


def insert_document(db: sqlite3.Connection, rowid: int, document: IndexedDocument,
                    words: str) -> None:
    """One document row and its words (an index's or a collection's)."""
    db.execute(f"INSERT INTO documents VALUES (?, {', '.join('?' * len(_COLUMNS))})",
               (rowid, *astuple(document)))
    db.execute("INSERT INTO texts (rowid, words) VALUES (?, ?)", (rowid, words))


def has_fts5() -> bool:
    """Whether this Python's SQLite can make and read FTS5 tables."""
    try:
        with sqlite3.connect(":memory:") as probe:
            probe.execute("CREATE VIRTUAL TABLE probe USING fts5 (x)")
        return True
    except sqlite3.Error:
        return False


def require_fts5() -> None:
    """Raises SearchUnavailable when there is no FTS5."""
    if not has_fts5():
        raise SearchUnavailable()


class IndexWriter:
    """A new index at `path` (which must not exist), one document at a time; `close()`
    merges what was written into as few segments as FTS5 can, for fast reading."""

    def __init__(self, path: Path) -> None:
        require_fts5()
        if path.exists():
            raise FileExistsError(path)
        self.path = path
        self.count = 0
        self._db = sqlite3.connect(path, isolation_level=None)  # transactions: ours
        # A new file in a staging or temporary folder: a killed run throws it away whole.
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.executescript(schema())
        self._db.execute("INSERT INTO meta VALUES ('format', ?)", (FORMAT,))
        self._db.execute("BEGIN")

    def add(self, document: IndexedDocument, words: Sequence[str]) -> int:
        """Add one text's document row and words; returns its id."""
        self.count += 1
        insert_document(self._db, self.count, document, " ".join(words))
        return self.count

    def close(self) -> None:
        try:
            self._db.execute("INSERT INTO meta VALUES ('documents', ?)", (str(self.count),))
            self._db.execute("COMMIT")
            self._db.execute("INSERT INTO texts (texts) VALUES ('optimize')")
        finally:
            self._db.close()

    def abandon(self) -> None:
        self._db.close()

    def __enter__(self) -> IndexWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if error is None:
            self.close()
        else:
            self.abandon()


class TextIndex:
    """An index opened for reading (read-only, immutable: nothing is written beside it).

    Raises TextIndexError when the file is not an index of this format, SearchUnavailable
    when there is no FTS5."""

    format = FORMAT

    def __init__(self, path: Path, what: str | None = None) -> None:
        require_fts5()
        self.path = path
        self.what = what or str(path)
        try:
            self._db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1",
                                       uri=True)
            self._db.execute("PRAGMA trusted_schema = OFF")  # a file from elsewhere
            self._db.execute("PRAGMA query_only = ON")
            row = self._db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        except sqlite3.Error as exc:
            raise TextIndexError(self.what, f"not a text index archiver can read ({exc})"
                                 ) from None
        if row is None or row[0] != self.format:
            found = row[0] if row else "none"
            raise TextIndexError(self.what, f"a text index of format {found}, not "
                                 f"{self.format}")
        # archiver never makes triggers or views: in a file from elsewhere they would run
        # SQL of that file's author when a collection is added to, or stand in for a table.
        (code,) = self._db.execute("SELECT count(*) FROM sqlite_master WHERE type IN "
                                   "('trigger', 'view')").fetchone()
        if code:
            raise TextIndexError(self.what, "it holds triggers or views, which archiver never "
                                 "writes: it is not read")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def _query(self, sql: str, parameters: Sequence[object] = ()) -> list[tuple[object, ...]]:
        try:
            return self._db.execute(sql, parameters).fetchall()
        except sqlite3.Error as exc:
            raise TextIndexError(self.what, f"the index cannot be read ({exc})") from None

    def count(self) -> int:
        (total,) = self._query("SELECT count(*) FROM documents")[0]
        assert isinstance(total, int)
        return total

    def document(self, rowid: int) -> IndexedDocument:
        rows = self._query(f"SELECT {', '.join(_COLUMNS)} FROM documents WHERE id = ?",
                           (rowid,))
        if not rows:
            raise TextIndexError(self.what, f"the index names no document {rowid}")
        return IndexedDocument(*rows[0])  # type: ignore[arg-type]

    def ids_of_record(self, record_id: str) -> list[int]:
        """The documents extracted from one record (a page's text and visible text)."""
        return [int(str(row[0])) for row in
                self._query("SELECT id FROM documents WHERE record_id = ? ORDER BY id",
                            (record_id,))]

    def document_frequencies(self, terms: Iterable[str]) -> dict[str, int]:
        """How many documents hold each of `terms` (absent terms are left out)."""
        wanted = sorted(set(terms))[:MAX_QUERY_TERMS * 4]
        if not wanted:
            return {}
        marks = ", ".join("?" * len(wanted))
        return {str(term): int(str(count)) for term, count in
                self._query(f"SELECT term, doc FROM vocabulary WHERE term IN ({marks})",
                            wanted)}

    def holding_all(self, terms: Sequence[str], limit: int) -> list[int]:
        """Documents that hold every one of `terms`, at most `limit` of them."""
        return self._match(" AND ".join(_term(t) for t in terms[:MAX_QUERY_TERMS]), limit,
                           ranked=False)

    def ranked(self, terms: Sequence[str], limit: int) -> list[int]:
        """The `limit` documents that hold the most of `terms`, best first (BM25)."""
        return self._match(" OR ".join(_term(t) for t in terms[:MAX_QUERY_TERMS]), limit,
                           ranked=True)

    def _match(self, query: str, limit: int, *, ranked: bool) -> list[int]:
        if not query:
            return []
        order = "ORDER BY rank" if ranked else "ORDER BY rowid"
        return [int(str(row[0])) for row in
                self._query(f"SELECT rowid FROM texts WHERE texts MATCH ? {order} LIMIT ?",
                            (query, limit))]


def phrase(words: Sequence[str]) -> str:
    """Words as one FTS5 phrase: they must stand in this order, one after the other.

    >>> phrase(["a", 'b"c'])
    '"a b""c"'
    """
    return '"' + " ".join(words).replace('"', '""') + '"'


def _term(word: str) -> str:
    """One word as an FTS5 string (a folded word holds no quote, but never trust that).

    >>> _term('a"b')
    '"a""b"'
    """
    return '"' + word.replace('"', '""') + '"'
