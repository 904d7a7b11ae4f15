"""The one normal form both a passage and a text are put in before they are compared.

Tolerant of what a quotation loses or gains on its way into a story: white space and line
breaks, typographic quotes and dashes, punctuation, case, accents, ligatures (a PDF's "ﬁ"),
soft hyphens, and words hyphenated at the end of a line (a PDF's "inter-\\nnational").

Two forms, from one reading of the text:
- the *stream*: the letters and digits alone, case-folded, accents dropped, no separators
  at all ("The “smart” meter" -> "thesmartmeter"). A passage is found where its stream
  stands in the text's stream, so nothing between words matters, not even a line-end hyphen
  that split a word. `starts`/`ends` map each character of the stream back to the original
  text, so a match is reported at its offsets in the text as extracted.
- the *words*: the same characters, one word per run (and a word split by a line-end hyphen
  also whole), what the full-text index holds and what fuzzy alignment compares.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from dataclasses import dataclass

# A word: letters and digits, with the soft hyphens and combining accents that may stand
# inside one (a decomposed "é" is "e" and U+0301).
_MARKS = "\u00ad\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
WORD = re.compile(rf"[^\W_][^\W_{_MARKS}]*(?:[{_MARKS}]+[^\W_]*)*")
# A word cut at the end of a line by a hyphen: "inter-\n  national".
_LINE_END_HYPHEN = re.compile(r"([^\W_]+)[-\u2010\u2011\u00ad]\s*?[\n\f]\s*([^\W_]+)")
# Where one may be (found first: the pattern above, tried at every word, is slow).
_HYPHEN_AT_LINE_END = re.compile(r"[-\u2010\u2011\u00ad][ \t\r]*[\n\f]")


def fold(word: str) -> str:
    """A word as it is compared: compatibility forms unfolded (ligatures, full-width
    letters), accents and soft hyphens dropped, case folded.

    >>> fold("FInal"), fold("Café"), fold("inter\\u00adnational"), fold("STRASSE")
    ('final', 'cafe', 'international', 'strasse')
    """
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word)
    kept = "".join(char for char in decomposed
                   if char != "\u00ad" and not unicodedata.combining(char))
    return unicodedata.normalize("NFC", kept).casefold()


@dataclass
class Word:
    """One word of a text: as compared, and where it stands in the original."""

    folded: str
    start: int
    end: int


def words(text: str) -> list[Word]:
    """Every word of `text`, in order, with its offsets.

    >>> [(w.folded, w.start, w.end) for w in words("“Smart” meters—fail")]
    [('smart', 1, 6), ('meters', 8, 14), ('fail', 15, 19)]
    """
    found = []
    for match in WORD.finditer(text):
        folded = fold(match.group())
        if folded:
            found.append(Word(folded, match.start(), match.end()))
    return found


def index_words(text: str) -> list[str]:
    """The words the full-text index holds for `text`: each distinct word once, in the
    order first met, and each word a line-end hyphen split whole as well
    ("inter-\\nnational": inter, national, international).

    >>> index_words("An inter-\\nnational ﬁrm, an inter firm")
    ['an', 'inter', 'national', 'firm', 'international']
    """
    return [word for word in dict.fromkeys(running_words(text)) if word]


def running_words(text: str) -> list[str]:
    """Every word of `text` folded, in order and repeated as often as it stands (what a
    collection's index holds: phrases and term counts), then each word a line-end hyphen
    split, whole.

    >>> running_words("An inter-\\nnational ﬁrm, an inter firm")
    ['an', 'inter', 'national', 'firm', 'an', 'inter', 'firm', 'international']
    """
    if text.isascii():
        folded = WORD.findall(text.lower())
    else:
        folded = [fold(word) for word in WORD.findall(text)]
    for hyphen in _HYPHEN_AT_LINE_END.finditer(text):
        around = text[max(0, hyphen.start() - 100):hyphen.end() + 100]
        if joined := _LINE_END_HYPHEN.search(around):
            folded.append(fold(joined.group(1) + joined.group(2)))
    return [word for word in folded if word]


@dataclass
class Stream:
    """A text's letters and digits as compared, with where each came from."""

    chars: str
    starts: array[int]
    """The offset in the original text of the character each stream character comes from."""
    ends: array[int]
    """The offset just past it."""

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original text's offsets of stream characters [start, end)."""
        return self.starts[start], self.ends[end - 1]


def stream(text: str) -> Stream:
    """`text`'s stream (see the module's docstring).

    >>> s = stream("The “Smart”\\nmeter")
    >>> s.chars, s.span(3, 8)
    ('thesmartmeter', (5, 10))
    """
    parts: list[str] = []
    starts: array[int] = array("i")  # texts are far below 2 GiB characters
    ends: array[int] = array("i")
    for match in WORD.finditer(text):
        token = match.group()
        at = match.start()
        if token.isascii():
            parts.append(token.lower())
            starts.extend(range(at, at + len(token)))
            ends.extend(range(at + 1, at + len(token) + 1))
            continue
        for offset, char in enumerate(token):
            folded = fold(char)
            parts.append(folded)
            starts.extend([at + offset] * len(folded))
            ends.extend([at + offset + 1] * len(folded))
    return Stream("".join(parts), starts, ends)


def collapse(text: str) -> str:
    """A passage of the original text as shown on one line: soft hyphens gone, runs of
    white space (line and page breaks too) one space.

    >>> collapse("  two\\n\\flines, soft\\u00adly ")
    'two lines, softly'
    """
    return " ".join(text.replace("\u00ad", "").split())


_TYPOGRAPHIC = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‟": '"',
                              "‘": "'", "’": "'", "‚": "'", "‹": "'", "›": "'", "‛": "'",
                              "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-",
                              "−": "-"})


def verbatim_form(text: str) -> str:
    """The form in which a quotation that is word for word and sign for sign the source's
    compares equal to it: typographic quotes and dashes made plain, case folded, white space
    collapsed, a line-end hyphen and a soft hyphen joined.

    >>> print(verbatim_form("It’s  “FINE”—inter-\\nnational"))
    it's "fine"-international
    """
    joined = (_LINE_END_HYPHEN.sub(lambda m: m.group(1) + m.group(2), text)
              if _HYPHEN_AT_LINE_END.search(text) else text)
    return collapse(unicodedata.normalize("NFKC", joined).translate(_TYPOGRAPHIC)).casefold()
