"""A text-fragment link (`#:~:text=`, WICG Text Fragments, in Chromium, Edge and Safari):
the address of a page that, opened in a browser, scrolls to a passage and marks it.

    text=[prefix-,]start[,end][,-suffix]

A short passage is given whole; a long one by its first and last words (`start,end`), which
a browser finds more reliably than a long string. When the passage's opening words occur
more than once in the text, the words just before and after it (`prefix-`, `-suffix`) pick
the right place. Every part is percent-encoded, `-`, `,` and `&` included, as the syntax
requires.
"""

from __future__ import annotations

from urllib.parse import quote

from archiver.textsearch.normalise import collapse

WHOLE_CHARS = 80
"""A passage up to this long is given whole."""
EDGE_WORDS = 4
"""Words of a long passage's start and of its end."""
CONTEXT_WORDS = 3


def encode(part: str) -> str:
    """One part of a text directive, percent-encoded.

    >>> encode("co-operation, 5% & “more”")
    'co%2Doperation%2C%205%25%20%26%20%E2%80%9Cmore%E2%80%9D'
    """
    return quote(part, safe="").replace("-", "%2D")


def text_directive(text: str, start: int, end: int) -> str:
    """The `text=` directive that finds `text[start:end]` in the page `text` comes from.

    >>> text_directive("One said no. Another said no more.", 26, 33)
    'text=no.%20Another%20said-,no%20more'
    >>> text_directive("a " + "word " * 30, 2, 146)
    'text=a-,word%20word%20word%20word,word%20word%20word%20word,-word'
    """
    passage = collapse(text[start:end])
    words = passage.split()
    if len(passage) <= WHOLE_CHARS or len(words) <= 2 * EDGE_WORDS:
        core = encode(passage)
        opening = passage
    else:
        opening = " ".join(words[:EDGE_WORDS])
        core = f"{encode(opening)},{encode(' '.join(words[-EDGE_WORDS:]))}"
    whole = collapse(text).casefold()
    first = opening.split()[0].casefold() if opening.split() else ""
    if first and whole.count(first) > 1:
        before = _worded(collapse(text[max(0, start - 200):start]).split())[-CONTEXT_WORDS:]
        after = _worded(collapse(text[end:end + 200]).split())[:CONTEXT_WORDS]
        if before:
            core = f"{encode(' '.join(before))}-,{core}"
        if after:
            core = f"{core},-{encode(' '.join(after))}"
    return f"text={core}"


def fragment_link(address: str, directive: str, page: int | None = None) -> str:
    """`address` with the directive; for a PDF's page, `#page=N` before it (what PDF
    viewers read).

    >>> fragment_link("http://h/p", "text=a", 3)
    'http://h/p#page=3:~:text=a'
    """
    address = address.split("#", 1)[0]
    return f"{address}#page={page}:~:{directive}" if page else f"{address}#:~:{directive}"


def _worded(parts: list[str]) -> list[str]:
    """Parts holding a letter or digit: a lone dash or full stop is no context."""
    return [part for part in parts if any(char.isalnum() for char in part)]
