"""What changed between two texts of one source: the share of words changed, the passages
removed and added, and rows for a side-by-side view.

difflib (the standard library's) does the matching, in two bounded steps: paragraphs against
paragraphs first (a page of 2,000 paragraphs is a quick match of 2,000 hashed lines), then,
inside a replaced run of paragraphs, words against words, so an edited sentence shows which
words went and came. The paragraphs both texts begin and end with are set aside first (most
edits touch a few paragraphs). Both steps have caps: past them paragraphs are compared as
sets and a run is reported whole, never matched word by word, so a hostile or huge text costs
bounded time and memory (docs/decisions.md).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

MAX_PARAGRAPHS = 20_000
"""Paragraphs matched in order per text, once the paragraphs both texts begin and end with
are set aside; past it, which paragraphs went and which came is counted in any order."""
MAX_WORD_DIFF = 4_000
"""Words on each side of a replaced run matched word by word; longer runs are shown whole."""
MAX_PASSAGES = 200
"""Passages removed and added kept in the report, per source (the rest are counted)."""
MAX_PASSAGE_CHARS = 2_000
"""A passage longer than this is cut (with an ellipsis) in the report."""
MAX_ROWS = 400
"""Rows of the side-by-side view per source."""

_SPACE = re.compile(r"\s+")
_PARAGRAPH_BREAK = re.compile(r"[\n\f]")
_WORD = re.compile(r"\S+")
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                         "\u2013": "-", "\u2014": "-", "\u00a0": " "})

Side = Literal["equal", "removed", "added", "replaced", "skipped"]


def normalise(text: str) -> str:
    """A text as compared: NFKC, no soft hyphens or zero-width marks, typographic quotes and
    dashes made plain, every run of white space one space.

    >>> normalise("It\u2019s  a \u201ctest\u201d\\n\\n\u2014 done\u00ad")
    'It\\'s a "test" - done'
    """
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).translate(_QUOTES)
    return _SPACE.sub(" ", text).strip()


def paragraphs(text: str) -> list[str]:
    """The text's paragraphs (lines, and a PDF's pages apart), normalised, empty ones gone."""
    found = (normalise(part) for part in _PARAGRAPH_BREAK.split(text))
    return [part for part in found if part]


@dataclass
class Segment:
    """A piece of a paragraph in the side-by-side view: `changed` pieces are highlighted."""

    text: str
    changed: bool

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "changed": self.changed}


@dataclass
class Row:
    """One row of the side-by-side view: what stood before (left) and stands now (right)."""

    kind: Side
    before: list[Segment] = field(default_factory=list)
    after: list[Segment] = field(default_factory=list)
    skipped: int = 0
    """For an `equal` or `skipped` row: how many paragraphs it stands for."""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "before": [s.to_dict() for s in self.before],
                "after": [s.to_dict() for s in self.after], "skipped": self.skipped}


@dataclass
class TextChange:
    """How one text became another."""

    words_before: int
    words_after: int
    words_removed: int
    words_added: int
    removed: list[str]
    added: list[str]
    rows: list[Row]
    omitted_passages: int = 0
    capped: bool = False
    """A cap was met: part of the texts was compared whole, not matched in detail."""

    @property
    def share_changed(self) -> float:
        """Words removed and added, over the words of both texts (0: the same, 1: nothing
        in common)."""
        total = self.words_before + self.words_after
        return round((self.words_removed + self.words_added) / total, 6) if total else 0.0

    @property
    def is_same(self) -> bool:
        return self.words_removed == 0 and self.words_added == 0

    def slim(self, passages: int, chars: int) -> None:
        """Keep the counts and the first `passages` passages each way, each cut to `chars`
        characters; let the rest go."""
        dropped = max(0, len(self.removed) - passages) + max(0, len(self.added) - passages)
        self.removed = [_cut(text, chars) for text in self.removed[:passages]]
        self.added = [_cut(text, chars) for text in self.added[:passages]]
        self.omitted_passages += dropped
        self.rows = []

    def to_dict(self) -> dict[str, Any]:
        return {"share_changed": self.share_changed, "words_before": self.words_before,
                "words_after": self.words_after, "words_removed": self.words_removed,
                "words_added": self.words_added, "removed": self.removed, "added": self.added,
                "omitted_passages": self.omitted_passages, "capped": self.capped,
                "rows": [row.to_dict() for row in self.rows]}


def compare_texts(before: str, after: str) -> TextChange:
    """What changed from `before` to `after`, paragraph by paragraph, then word by word."""
    old, new = paragraphs(before), paragraphs(after)
    change = TextChange(_words(old), _words(new), 0, 0, [], [], [])
    head = _common_prefix(old, new)
    tail = _common_prefix(old[head:][::-1], new[head:][::-1])
    if head:
        _add_row(change, Row("equal", skipped=head))
    old_middle, new_middle = old[head:len(old) - tail], new[head:len(new) - tail]
    old_rest, new_rest = old_middle[MAX_PARAGRAPHS:], new_middle[MAX_PARAGRAPHS:]
    matcher = difflib.SequenceMatcher(None, old_middle[:MAX_PARAGRAPHS],
                                      new_middle[:MAX_PARAGRAPHS], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            _add_row(change, Row("equal", skipped=i2 - i1))
        elif tag == "delete":
            _removed(change, old_middle[i1:i2])
        elif tag == "insert":
            _added(change, new_middle[j1:j2])
        else:
            _replaced(change, old_middle[i1:i2], new_middle[j1:j2])
    if old_rest or new_rest:  # past the cap: which paragraphs went and came, in any order
        change.capped = True
        gone, came = Counter(old_rest), Counter(new_rest)
        _removed(change, list((gone - came).elements()))
        _added(change, list((came - gone).elements()))
    if tail:
        _add_row(change, Row("equal", skipped=tail))
    return change


def _common_prefix(old: list[str], new: list[str]) -> int:
    count = 0
    for first, second in zip(old, new, strict=False):
        if first != second:
            break
        count += 1
    return count


def _words(parts: list[str]) -> int:
    return sum(len(_WORD.findall(part)) for part in parts)


def _cut(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[:chars - 1] + "…"


def _passage(text: str) -> str:
    return _cut(text, MAX_PASSAGE_CHARS)


def _keep(change: TextChange, into: list[str], text: str) -> None:
    if len(into) < MAX_PASSAGES:
        into.append(_passage(text))
    else:
        change.omitted_passages += 1


def _add_row(change: TextChange, row: Row) -> None:
    if len(change.rows) < MAX_ROWS:
        change.rows.append(row)
    elif change.rows[-1].kind == "skipped":
        change.rows[-1].skipped += max(1, row.skipped)
    else:
        change.rows[-1] = Row("skipped", skipped=max(1, row.skipped))
        change.capped = True


def _removed(change: TextChange, parts: list[str]) -> None:
    change.words_removed += _words(parts)
    for part in parts:
        _keep(change, change.removed, part)
        _add_row(change, Row("removed", before=[Segment(_passage(part), True)]))


def _added(change: TextChange, parts: list[str]) -> None:
    change.words_added += _words(parts)
    for part in parts:
        _keep(change, change.added, part)
        _add_row(change, Row("added", after=[Segment(_passage(part), True)]))


def _replaced(change: TextChange, old: list[str], new: list[str]) -> None:
    """A run of paragraphs edited: matched word by word when both sides are short enough,
    so a changed figure in a sentence shows as that figure; whole otherwise."""
    old_words = " ".join(old).split(" ")
    new_words = " ".join(new).split(" ")
    if len(old_words) > MAX_WORD_DIFF or len(new_words) > MAX_WORD_DIFF:
        change.capped = True
        _removed(change, old)
        _added(change, new)
        return
    row = Row("replaced")
    matcher = difflib.SequenceMatcher(None, old_words, new_words, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        gone, came = " ".join(old_words[i1:i2]), " ".join(new_words[j1:j2])
        if tag == "equal":
            row.before.append(Segment(gone, False))
            row.after.append(Segment(came, False))
            continue
        if gone:
            change.words_removed += i2 - i1
            row.before.append(Segment(gone, True))
            _keep(change, change.removed, gone)
        if came:
            change.words_added += j2 - j1
            row.after.append(Segment(came, True))
            _keep(change, change.added, came)
    _add_row(change, row)
