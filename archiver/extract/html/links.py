"""Outbound links of the main text: resolved, filtered, each with its sentence.

A later "story mode" cites these, so only real links to other documents are listed:
mailto:, javascript:, tel: and links to a place in the same page are left out.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html

from archiver.extract.html.blocks import LinkSpan

_NOT_DOCUMENTS = ("mailto:", "javascript:", "tel:", "data:", "sms:", "about:", "blob:")
# A sentence ends at . ! ? … (with closing quotes/brackets) followed by space and what looks
# like the start of the next sentence; or at a line break.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*\s+(?=[\"'“‘(\[]?[^\W_a-z])|\n")
_ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "st", "jr", "sr", "prof", "gen", "sen", "rep", "gov", "lt",
    "col", "capt", "sgt", "no", "vs", "inc", "co", "corp", "ltd", "u.s", "u.k", "e.g", "i.e",
    "jan", "feb", "aug", "sept", "oct", "nov", "dec", "fig", "vol", "mt", "ft", "a.m", "p.m",
})
MAX_SENTENCE_CHARS = 600
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class HtmlLink:
    """One outbound link of the main text."""

    url: str
    href: str
    text: str
    sentence: str
    position: int

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "href": self.href, "text": self.text,
                "sentence": self.sentence, "position": self.position}


def base_url(tree: lxml.html.HtmlElement | None, url: str | None) -> str | None:
    """What relative links resolve against: <base href> (itself resolved), else the URL
    (also when the base is no URL at all, as browsers do)."""
    if tree is not None:
        for base in tree.iter("base"):
            href = (base.get("href") or "").strip()
            if href:
                try:
                    return urljoin(url, href) if url else href
                except ValueError:  # malformed (e.g. an unbalanced IPv6 bracket)
                    return url
    return url


def _is_same_page(resolved: str, href: str, page_url: str | None) -> bool:
    if href.startswith("#"):
        return True
    if page_url is None:
        return False
    return urldefrag(resolved)[0] == urldefrag(page_url)[0] and "#" in href


def resolve(href: str, base: str | None, page_url: str | None) -> str | None:
    """The absolute URL of a link, or None if it is not a link to another document."""
    href = href.strip()
    if not href or href.lower().startswith(_NOT_DOCUMENTS):
        return None
    try:
        resolved = urljoin(base, href) if base else href
        scheme = urlsplit(resolved).scheme.lower()
    except ValueError:
        return None  # malformed (e.g. an unbalanced IPv6 bracket)
    if scheme and scheme not in ("http", "https", "ftp"):
        return None
    if _is_same_page(resolved, href, page_url):
        return None
    return resolved


def sentence_boundaries(text: str) -> list[int]:
    """Where the sentences of `text` start and end, for sentence_around: found once for a
    block of text, whatever the number of its links."""
    ends = [0]
    for match in _SENTENCE_END.finditer(text):
        before = text[max(0, match.start() - 5) : match.start() + 1].lower()
        word = re.split(r"[\s(\"“]", before)[-1].rstrip(".")
        if match.group() != "\n" and word in _ABBREVIATIONS:
            continue
        ends.append(match.end())
    ends.append(len(text))
    return ends


def sentence_around(text: str, start: int, end: int, bounds: list[int]) -> str:
    """The sentence holding text[start:end] (the link may span a boundary: join them)."""
    # bounds are sorted: bisect, not a scan per link (a page of thousands of links)
    at = bisect.bisect_right(bounds, start)
    left = bounds[at - 1] if at else 0
    after = bisect.bisect_left(bounds, max(end, left + 1))
    right = bounds[after] if after < len(bounds) else len(text)
    if right - left > MAX_SENTENCE_CHARS and _spaced_length(text, left, right) > \
            MAX_SENTENCE_CHARS:
        # Unpunctuated text: keep a window around the link rather than the whole block.
        lo = max(left, start - MAX_SENTENCE_CHARS // 2)
        return " ".join(text[lo : lo + MAX_SENTENCE_CHARS].split())
    return " ".join(text[left:right].split())


def _spaced_length(text: str, start: int, end: int) -> int:
    """How long text[start:end] is with its whitespace collapsed, counted no further than
    just past MAX_SENTENCE_CHARS: a hostile block of one endless "sentence" (a cloud of
    50,000 links) is not copied once for each of its links."""
    length = -1
    for word in _WORD.finditer(text, start, end):
        length += 1 + word.end() - word.start()
        if length > MAX_SENTENCE_CHARS:
            break
    return max(length, 0)


def build_links(text: str, spans: list[LinkSpan], base: str | None,
                page_url: str | None) -> list[HtmlLink]:
    """HtmlLink for every span that points to another document, in text order."""
    bounds = sentence_boundaries(text) if spans else []
    links: list[HtmlLink] = []
    for span in sorted(spans, key=lambda s: s.start):
        resolved = resolve(span.href, base, page_url)
        if resolved is None:
            continue
        links.append(HtmlLink(
            url=resolved, href=span.href, text=" ".join(text[span.start : span.end].split()),
            sentence=sentence_around(text, span.start, span.end, bounds),
            position=len(links),
        ))
    return links
