"""A story's citations: the links of its main text, each with its anchor text, the sentence
around it and its order; every other link is dropped with the reason why.

Duplicates merge into one source (one capture, several citations). `--include`/`--exclude`
patterns are regular expressions searched in the resolved URL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urldefrag, urlsplit

from archiver.capture.urls import try_normalize

CAPTURABLE_SCHEMES = ("http", "https")


@dataclass
class Citation:
    """One link of the story's main text to a source."""

    order: int
    """1 for the story's first citation, in reading order."""
    text: str
    """The anchor text."""
    sentence: str
    href: str
    """The URL as written in the story."""
    url: str
    """As resolved and normalised: what is captured (fragments are not sent to servers)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DroppedLink:
    """A link of the story that is not a citation, and why."""

    href: str
    url: str | None
    text: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Selection:
    """What a story cites, and what was left out."""

    citations: list[Citation]
    dropped: list[DroppedLink]
    from_list: bool = False
    """The citations come from the user's list (--citations-from), not from the story."""

    @property
    def sources(self) -> list[str]:
        """Each cited URL once, in the order first cited."""
        return list(dict.fromkeys(citation.url for citation in self.citations))


class UrlFilter:
    """`--include`/`--exclude`: regular expressions searched in each cited URL."""

    def __init__(self, include: Sequence[str] = (), exclude: Sequence[str] = ()) -> None:
        self.include = [re.compile(pattern) for pattern in include]
        self.exclude = [re.compile(pattern) for pattern in exclude]

    def reason_to_drop(self, url: str) -> str | None:
        if self.include and not any(pattern.search(url) for pattern in self.include):
            return "matches no --include pattern"
        for pattern in self.exclude:
            if pattern.search(url):
                return f"matches --exclude {pattern.pattern!r}"
        return None


def select_citations(links: Iterable[dict[str, Any]], story_url: str | None,
                     url_filter: UrlFilter | None = None) -> Selection:
    """The citations among a story's main-text links (dicts with href, url, text, sentence)."""
    url_filter = url_filter or UrlFilter()
    story = _page(story_url)
    citations: list[Citation] = []
    dropped: list[DroppedLink] = []
    for link in links:
        href = str(link.get("href") or "")
        text = " ".join(str(link.get("text") or "").split())
        target, reason = link_target(href, str(link.get("url") or href), story)
        reason = reason or (url_filter.reason_to_drop(target) if target else None)
        if target is None or reason is not None:
            dropped.append(DroppedLink(href, target, text, reason or "not a web address"))
            continue
        citations.append(Citation(len(citations) + 1, text,
                                  " ".join(str(link.get("sentence") or "").split()),
                                  href, target))
    return Selection(citations, dropped)


def citations_from_list(urls: Iterable[str], url_filter: UrlFilter | None = None) -> Selection:
    """`--citations-from FILE`: the user's own list, in its order."""
    links = [{"href": url, "url": url, "text": "", "sentence": ""} for url in urls]
    selection = select_citations(links, None, url_filter)
    selection.from_list = True
    return selection


def _page(url: str | None) -> str | None:
    return urldefrag(url)[0] if url else None


# A pseudo-address ("about:blank", "javascript:void(0)") in a path segment: a placeholder
# the site wrote as a relative link, which resolves to a page that does not exist.
PSEUDO_PATH = re.compile(r"(?:^|/)(about|javascript|data|mailto|tel):", re.IGNORECASE)


def link_target(href: str, resolved: str, story: str | None) -> tuple[str | None, str | None]:
    """The URL to capture for a link, or why there is none."""
    parts = urlsplit(resolved)
    scheme = parts.scheme.lower()
    if href.strip().startswith("#"):
        return None, "a link within the story itself"
    if scheme and scheme not in CAPTURABLE_SCHEMES:
        return None, f"a {scheme}: link, not a web page"
    if placeholder := PSEUDO_PATH.search(parts.path):
        # "/news/about:blank": a site's placeholder written as a relative link
        return None, (f"an {placeholder.group(1).lower()}: placeholder read as a relative link, "
                      "not a web page")
    normalized = try_normalize(resolved)
    if normalized is None:
        return None, "not a valid web address"
    page = _page(normalized)
    assert page is not None
    if story is not None and page == _page(story):
        return None, "a link within the story itself"
    return page, None
