"""`archiver quote PKG "passage"`: every place the package's extracted texts say a passage,
or the closest place and how close.

The package's text index (data/index/, made at seal time) picks the few documents holding
the passage's rarest words; only those texts are read, each checked against the SHA-256
the index recorded, and searched in the normal form of archiver.textsearch.normalise. A
package sealed before indexes existed is indexed first in a temporary folder (removed
after), never changed. When the passage stands nowhere, the documents holding most of its
words are aligned with it for the closest passage (archiver.textsearch.align).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from archiver.errors import ArchiverUsageError, NotEvidenceError
from archiver.evidence_kind import sniff_evidence
from archiver.package.text_index import (
    inside,
    package_resources,
    temporary_index,
    text_of,
)
from archiver.package_layout import INDEX_DIR, TEXT_INDEX
from archiver.quotes.anchor import Anchor, anchor_at
from archiver.regular_files import is_regular_file, real_directory
from archiver.textsearch.align import closest_span, exact_spans
from archiver.textsearch.fts import IndexedDocument, TextIndex
from archiver.textsearch.normalise import index_words, stream

MAX_PASSAGE_CHARS = 20_000
MAX_MATCHES = 50
RARE_WORDS = 6
"""The rarest words of the passage that a candidate document must all hold..."""
FEW_CANDIDATES = 50
"""...and when more documents than this hold them, all its words (FTS5 intersects the
texts' lists of words in C: far cheaper than reading the texts)."""
MAX_CANDIDATES = 500
"""Documents read, at most, to find a passage exactly (a passage of only the commonest
words may be held by more: the answer then says it searched only these)."""
CLOSEST_WORDS = 12
CLOSEST_CANDIDATES = 8
"""Documents aligned, at most, for the closest passage."""

IndexKind = Literal["package", "temporary"]


@dataclass
class QuoteResult:
    """What `archiver quote` found for one passage."""

    passage: str
    matches: list[Anchor] = field(default_factory=list)
    closest: Anchor | None = None
    """When the passage stands nowhere: the closest passage (None if no text holds any of
    its words)."""
    documents: int = 0
    """Texts in the index (or in the part searched)."""
    index: IndexKind = "package"
    cut: bool = False
    """More texts held all the passage's words than quote reads (MAX_CANDIDATES): only the
    first of them were searched."""

    @property
    def found(self) -> bool:
        return bool(self.matches)

    def to_dict(self) -> dict[str, Any]:
        return {"passage": self.passage, "found": self.found,
                "matches": [match.to_dict() for match in self.matches],
                "closest": self.closest.to_dict() if self.closest else None,
                "documents": self.documents, "index": self.index, "cut": self.cut}


class QuoteFinder:
    """Finds passages in one package through its text index (`open_finder`)."""

    def __init__(self, root: Path, index: TextIndex, kind: IndexKind) -> None:
        self.root = root
        self.index = index
        self.kind = kind

    def find(self, passage: str, *, record_ids: Sequence[str] | None = None) -> QuoteResult:
        """Every place `passage` stands (at most MAX_MATCHES), else the closest; only in
        the texts extracted from `record_ids` when given (a story's cited source).

        Raises ArchiverUsageError for a passage with no letter or digit, or too long."""
        wanted = _checked(passage)
        scope = (None if record_ids is None else
                 [number for record in record_ids for number in self.index.ids_of_record(record)])
        terms = sorted(set(index_words(passage)))
        frequencies = self.index.document_frequencies(terms)
        rare = sorted(frequencies, key=lambda term: (frequencies[term], -len(term)))
        result = QuoteResult(passage, documents=len(scope) if scope is not None
                             else self.index.count(), index=self.kind)
        candidates = scope if scope is not None else self._candidates(rare)
        result.cut = scope is None and len(candidates) >= MAX_CANDIDATES
        for number in candidates:
            if len(result.matches) >= MAX_MATCHES:
                break
            # One text at a time, nothing kept: memory stays that of the largest text.
            document, text = self._read(number)
            for span in exact_spans(stream(text), wanted, MAX_MATCHES - len(result.matches)):
                result.matches.append(anchor_at(document, text, span, passage))
        result.matches = _main_text_first(result.matches)
        if not result.matches:
            result.closest = self._closest(passage, scope, rare)
        return result

    def _candidates(self, rare: list[str]) -> list[int]:
        """The texts that may hold the passage: those holding its rarest words, or all its
        words when too many hold the rarest."""
        if not rare:
            return []
        found = self.index.holding_all(rare[:RARE_WORDS], FEW_CANDIDATES + 1)
        if len(found) > FEW_CANDIDATES and len(rare) > RARE_WORDS:
            found = self.index.holding_all(rare, MAX_CANDIDATES)
        elif len(found) > FEW_CANDIDATES:
            found = self.index.holding_all(rare[:RARE_WORDS], MAX_CANDIDATES)
        return found

    def _closest(self, passage: str, scope: list[int] | None, rare: list[str]
                 ) -> Anchor | None:
        candidates = scope if scope is not None else (
            self.index.ranked(rare[:CLOSEST_WORDS], CLOSEST_CANDIDATES) if rare else [])
        prefer = frozenset(rare[:2 * RARE_WORDS])
        best: Anchor | None = None
        for number in candidates:
            document, text = self._read(number)
            span = closest_span(text, passage, prefer=prefer)
            if span is not None and (best is None or span.similarity > best.similarity):
                best = anchor_at(document, text, span, passage)
        return best

    def _read(self, number: int) -> tuple[IndexedDocument, str]:
        document = self.index.document(number)
        inside(self.root, document.path)  # an index from elsewhere names any path
        return document, text_of(self.root, document)


@contextmanager
def open_finder(package: Path) -> Iterator[QuoteFinder]:
    """A finder over `package`'s texts: through its sealed index, or one made in a
    temporary folder for a package that has none.

    Raises InputNotFoundError, NotEvidenceError (not a package), TextIndexError (its index
    cannot be read), SearchUnavailable (no FTS5), UnreadableEvidence."""
    package = Path(package)
    if sniff_evidence(package).kind != "package":
        raise NotEvidenceError(package, "quote reads a package directory; `archiver extract "
                               "--text` reads a WARC or WACZ")
    with ExitStack() as stack:
        # A sealed index is where every package has it: manifest.json (as large as the
        # package has sources) is read only when there is none.
        if (real_directory(package, INDEX_DIR) is not None
                and is_regular_file(package / TEXT_INDEX)):
            where, kind, what = package / TEXT_INDEX, "package", TEXT_INDEX
        else:
            resources, package_id, _ = package_resources(package)
            where = stack.enter_context(temporary_index(package, resources, package_id))
            kind, what = "temporary", "text index"
        index = stack.enter_context(TextIndex(where, what))
        yield QuoteFinder(package, index, kind)  # type: ignore[arg-type]


def find_quote(package: Path, passage: str) -> QuoteResult:
    """Every place `package`'s extracted texts (main and full visible texts, a PDF's pages
    as one) say `passage`, tolerant of white space, line breaks, typographic quotes and
    dashes, case, accents, soft hyphens and words hyphenated at a line's end; else the
    closest passage and how close (see docs/quote.md)."""
    with open_finder(package) as finder:
        return finder.find(passage)


def _checked(passage: str) -> str:
    if len(passage) > MAX_PASSAGE_CHARS:
        raise ArchiverUsageError(f"the passage is {len(passage):,} characters long; quote "
                                 f"looks for at most {MAX_PASSAGE_CHARS:,}")
    wanted = stream(passage).chars
    if not wanted:
        raise ArchiverUsageError("the passage holds no letter or digit to look for")
    return wanted


def _main_text_first(matches: list[Anchor]) -> list[Anchor]:
    """A page's passage found in its main text is not listed again from its visible text
    (which holds the main text too)."""
    in_main = {(m.record_id, m.passage) for m in matches if m.layer == "text"}
    return [m for m in matches
            if m.layer == "text" or (m.record_id, m.passage) not in in_main]
