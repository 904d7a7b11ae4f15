"""Where a passage stands in one text: every place it stands exactly (in the normal form of
normalise.py), or else the place that comes closest, with how close.

The closest place is found in bounded work, whatever the text: windows of the passage's
length are laid around a bounded number of places where one of its words stands, and each
window is aligned with the passage word by word (difflib); the best window's aligned part is
then scored character by character. A passage none of whose words the text holds has no
closest place.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher

from archiver.textsearch.normalise import Stream, Word, words

MAX_SEEDS = 200
"""Places considered per text when looking for the closest passage."""
MAX_ALIGNED = 12
"""Of those, the windows sharing the most words with the passage are aligned."""
MAX_PLACES_PER_WORD = 3


@dataclass(frozen=True)
class Span:
    """A passage of the original text: [start, end) in characters, and how close it is to
    what was looked for (1.0: the same, in the normal form)."""

    start: int
    end: int
    similarity: float


def exact_spans(text: Stream, passage: str, limit: int) -> list[Span]:
    """Where `passage` (a stream's characters) stands in `text`, at most `limit` places."""
    found: list[Span] = []
    if not passage:
        return found
    at = text.chars.find(passage)
    while at != -1 and len(found) < limit:
        start, end = text.span(at, at + len(passage))
        found.append(Span(start, end, 1.0))
        at = text.chars.find(passage, at + len(passage))
    return found


def closest_span(text: str, passage: str, *, prefer: frozenset[str] = frozenset()
                 ) -> Span | None:
    """The passage of `text` closest to `passage`, or None when the text holds none of its
    words. `prefer`: the passage's rarer words, tried first as places to start from."""
    wanted = words(passage)
    if not wanted:
        return None
    have = words(text)
    folded_wanted = [word.folded for word in wanted]
    best: tuple[float, int, int] | None = None
    shared = set(folded_wanted)
    windows = sorted(_windows(have, folded_wanted, prefer),
                     key=lambda window: -sum(word.folded in shared
                                             for word in have[window[0]:window[1]]))
    for start, stop in windows[:MAX_ALIGNED]:
        aligned = _aligned(folded_wanted, [word.folded for word in have[start:stop]])
        if aligned is None:
            continue
        first, last = start + aligned[0], start + aligned[1]
        score = SequenceMatcher(None, " ".join(folded_wanted),
                                " ".join(word.folded for word in have[first:last]),
                                autojunk=False).ratio()
        if best is None or score > best[0]:
            best = (score, first, last)
    if best is None:
        return None
    score, first, last = best
    return Span(have[first].start, have[last - 1].end, round(score, 3))


def _windows(have: list[Word], wanted: list[str], prefer: frozenset[str]
             ) -> Iterator[tuple[int, int]]:
    """Word ranges of `have` where `wanted` might stand: laid so that a shared word falls
    where the passage has it, with some slack each side."""
    places: dict[str, list[int]] = {}
    for position, word in enumerate(wanted):
        places.setdefault(word, []).append(position)
    seeds = [index for index, word in enumerate(have) if word.folded in places]
    preferred = [index for index in seeds if have[index].folded in prefer]
    chosen = _spread(preferred or seeds, MAX_SEEDS)
    slack = max(3, len(wanted) // 4)
    seen: set[int] = set()
    for index in chosen:
        for position in places[have[index].folded][:MAX_PLACES_PER_WORD]:
            start = max(0, index - position - slack)
            if start in seen:
                continue
            seen.add(start)
            yield start, min(len(have), index - position + len(wanted) + slack)


def _spread(items: list[int], most: int) -> list[int]:
    """At most `most` of `items`, evenly spread.

    >>> _spread(list(range(10)), 3)
    [0, 3, 6]
    """
    if len(items) <= most:
        return items
    step = len(items) / most
    return [items[int(n * step)] for n in range(most)]


def _aligned(wanted: list[str], window: list[str]) -> tuple[int, int] | None:
    """The part of `window` that lines up with `wanted`: from its first matching word to
    its last, widened by the words of `wanted` before the first and after the last match
    (a changed last word still belongs to the passage shown).

    >>> _aligned(["were", "safe"], ["meters", "were", "sound", "in"])
    (1, 3)
    """
    blocks = [block for block in SequenceMatcher(None, wanted, window,
                                                 autojunk=False).get_matching_blocks()
              if block.size]
    if not blocks:
        return None
    first, last = blocks[0], blocks[-1]
    start = max(0, first.b - first.a)
    end = min(len(window), last.b + last.size + len(wanted) - (last.a + last.size))
    return start, end
