"""A search query as a person types it: plain words, every one of which must be in a text,
and "quoted phrases", whose words must stand in it in that order. Each part is put in the
normal form of normalise.py, so `Café` finds `cafe` and `co-operation` finds `co operation`.

The query is never handed to FTS5's own query language (where `OR`, `NEAR`, `*`, `-` and
column filters mean something): every word is quoted by fts.py before it reaches MATCH.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from archiver.textsearch.normalise import WORD, fold

MAX_QUERY_CHARS = 2_000
_PARTS = re.compile(r'"([^"]*)"?|([^"\s]+)')


@dataclass(frozen=True)
class Query:
    """The words (each alone) and phrases (each a run of words) a text must hold."""

    words: tuple[str, ...]
    phrases: tuple[tuple[str, ...], ...]

    @property
    def empty(self) -> bool:
        return not self.words and not self.phrases

    def first_run(self) -> tuple[str, ...]:
        """The first phrase, else the first word: what a snippet is centred on."""
        if self.phrases:
            return self.phrases[0]
        return self.words[:1]


def parse_query(text: str) -> Query:
    """The words and phrases of `text` (typographic quotes count as quotes; an unclosed
    quote runs to the end).

    >>> parse_query('meter “supply valve” Café "unclosed')
    Query(words=('meter', 'cafe', 'unclosed'), phrases=(('supply', 'valve'),))
    >>> parse_query('OR NEAR(a b) -c*').words
    ('or', 'near', 'a', 'b', 'c')
    """
    text = text[:MAX_QUERY_CHARS].translate(_QUOTES)
    words: list[str] = []
    phrases: list[tuple[str, ...]] = []
    for match in _PARTS.finditer(text):
        quoted, plain = match.groups()
        if quoted is not None:
            run = tuple(_folded(quoted))
            if len(run) > 1:
                phrases.append(run)
            else:
                words.extend(run)
        else:
            words.extend(_folded(plain))
    return Query(tuple(dict.fromkeys(words)), tuple(dict.fromkeys(phrases)))


def _folded(text: str) -> list[str]:
    return [folded for word in WORD.findall(text) if (folded := fold(word))]


_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‟": '"'})
