"""A story's quotations, each looked up in the source it cites: a fact-checker's list.

A quotation is a passage of the story in quotation marks of any typographic kind (“…”,
„…“, «…», "…", ‘…’, 「…」) of at least MIN_WORDS words, in a paragraph (or list item,
caption, cell) that links to a citation, attributed to the nearest such link; or a
<blockquote>, attributed to a citation it links to, its `cite` address, or else (when it
names no source itself: no link, no footer or cite naming who spoke, not a pull quote) a
citation linked from the element just after it (a caption) or just before.

Each is looked up in the texts extracted from its cited source's record, through the
package's text index (archiver.quotes): found, with its anchor; not found, with the closest
passage; or not checked, with why (the source was not captured, or has no text).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urldefrag

import lxml.html
from lxml import etree

from archiver.capture.urls import try_normalize
from archiver.quotes.anchor import Anchor
from archiver.quotes.lookup import QuoteFinder
from archiver.story.chain import CitedSource
from archiver.story.section import StoryCitation

MIN_WORDS = 3
"""Fewer words in quotation marks are a title or a scare quote, not a quotation."""
MAX_QUOTE_CHARS = 5_000
MAX_QUOTES = 500
_BLOCKS = frozenset({"p", "li", "figcaption", "dd", "dt", "td", "th", "h2", "h3", "h4", "h5",
                     "h6", "blockquote", "caption"})
_NOT_TEXT = frozenset({"script", "style", "noscript", "template"})
_QUOTED = re.compile(
    r"“(?P<curly>[^“”]+)”|„(?P<low>[^„“”]+)[“”]|«\s*(?P<guillemets>[^«»]+?)\s*»"
    r"|\"(?P<straight>[^\"]+)\"|「(?P<corner>[^「」]+)」|『(?P<white>[^『』]+)』"
    r"|(?<![\w’'])‘(?P<single>[^‘’]+)’(?!\w)")

Outcome = Literal["found", "not found", "not checked"]
Marking = Literal["quotation marks", "blockquote"]


@dataclass
class StoryQuote:
    """One quotation of the story and what its cited source says."""

    order: int
    """1 for the story's first quotation, in reading order."""
    citation: int
    """The order of the citation it is attributed to."""
    text: str
    """As the story has it, on one line."""
    marked_by: Marking
    outcome: Outcome
    reason: str | None = None
    """Why it was not checked."""
    anchor: Anchor | None = None
    """Where the source says it (its first place)."""
    closest: Anchor | None = None
    """Not found: the source's closest passage (its similarity in `closest.similarity`)."""

    def to_dict(self) -> dict[str, Any]:
        return {"order": self.order, "citation": self.citation, "text": self.text,
                "marked_by": self.marked_by, "outcome": self.outcome, "reason": self.reason,
                "anchor": self.anchor.to_dict() if self.anchor else None,
                "closest": self.closest.to_dict() if self.closest else None}


@dataclass(frozen=True)
class Quotation:
    """A quotation as read from the story, before it is looked up."""

    text: str
    url: str
    """The cited URL it is attributed to (as resolved, as a citation's `url`)."""
    marked_by: Marking


def story_quotations(html: str, base_url: str | None, cited: set[str]) -> list[Quotation]:
    """The story's quotations attributed to one of `cited` (citation URLs), in order."""
    try:
        tree = lxml.html.document_fromstring(html or "<html></html>")
    except (etree.ParserError, ValueError):
        return []
    found: list[Quotation] = []
    for block in tree.iter(*_BLOCKS):
        if len(found) >= MAX_QUOTES:
            break
        if block.tag == "blockquote":
            found.extend(_blockquote(block, base_url, cited))
        elif not _inside_blockquote(block) and not _holds_block(block):
            found.extend(_marked(block, base_url, cited))
    return found[:MAX_QUOTES]


def check_quotations(quotations: list[Quotation], citations: list[StoryCitation],
                     sources: list[CitedSource], finder: QuoteFinder | None,
                     unavailable: str) -> list[StoryQuote]:
    """Each quotation looked up in its cited source's texts; `unavailable` says why none
    can be when there is no `finder`."""
    order_of: dict[str, int] = {}
    for citation in citations:
        order_of.setdefault(citation.url, citation.order)
    by_url = {source.url: source for source in sources}
    checked = []
    for number, quotation in enumerate(quotations, start=1):
        quote = StoryQuote(number, order_of[quotation.url], quotation.text, quotation.marked_by,
                           "not checked")
        _look_up(quote, by_url.get(quotation.url), finder, unavailable)
        checked.append(quote)
    return checked


def _look_up(quote: StoryQuote, source: CitedSource | None, finder: QuoteFinder | None,
             unavailable: str) -> None:
    record = (source.record or {}).get("record_id") if source is not None else None
    if source is None or source.outcome in ("failed", "gone", "error") or record is None:
        quote.reason = "its source was not captured (or only an error page was)"
        return
    if finder is None:
        quote.reason = unavailable
        return
    result = finder.find(quote.text, record_ids=[record])
    if result.documents == 0:
        quote.reason = "no text was extracted from its source"
    elif result.found:
        quote.outcome, quote.anchor = "found", result.matches[0]
    else:
        quote.outcome, quote.closest = "not found", result.closest


def _blockquote(block: Any, base_url: str | None, cited: set[str]) -> Iterator[Quotation]:
    text, links = _text_and_links(block, base_url, mute=("footer", "cite"))
    text = " ".join(text.split())
    url = next((url for _, url in links if url in cited), None)
    if url is None:
        url = _resolved(block.get("cite") or "", base_url)
        url = url if url in cited else None
    for neighbour in (block.getnext(), block.getprevious()) if _unattributed(block, links) else ():
        if url is None and neighbour is not None and isinstance(neighbour.tag, str):
            _, around = _text_and_links(neighbour, base_url)
            url = next((url for _, url in around if url in cited), None)
    if url is not None and len(text.split()) >= MIN_WORDS:
        yield Quotation(_bare(text)[:MAX_QUOTE_CHARS], url, "blockquote")


def _marked(block: Any, base_url: str | None, cited: set[str]) -> Iterator[Quotation]:
    text, links = _text_and_links(block, base_url)
    links = [(at, url) for at, url in links if url in cited]
    if not links:
        return
    for match in _QUOTED.finditer(text):
        quoted = " ".join(next(group for group in match.groups() if group).split())
        if len(quoted.split()) < MIN_WORDS:
            continue
        middle = (match.start() + match.end()) / 2
        _, url = min(links, key=lambda link: abs(link[0] - middle))
        yield Quotation(quoted[:MAX_QUOTE_CHARS], url, "quotation marks")


def _text_and_links(block: Any, base_url: str | None, mute: tuple[str, ...] = ()
                    ) -> tuple[str, list[tuple[int, str]]]:
    """The block's text, and where in it each link starts (with its resolved URL); the
    text of `mute` elements left out (a blockquote's footer), their links kept. Walked
    without recursion (a page may nest elements arbitrarily deep)."""
    parts: list[str] = []
    size = 0
    links: list[tuple[int, str]] = []
    skipping: Any = None
    muted: Any = None
    for event, element in etree.iterwalk(block, events=("start", "end")):
        tag = element.tag if isinstance(element.tag, str) else ""
        if event == "start":
            if skipping is None and (tag in _NOT_TEXT or not isinstance(element.tag, str)):
                skipping = element
            if muted is None and tag in mute and element is not block:
                muted = element
            if skipping is None:
                if tag == "a" and (url := _resolved(element.get("href") or "", base_url)):
                    links.append((size, url))
                if element.text and muted is None:
                    parts.append(element.text)
                    size += len(element.text)
            continue
        if element is skipping:
            skipping = None
        if element is muted:
            muted = None
        if skipping is None and muted is None and element is not block and element.tail:
            parts.append(element.tail)
            size += len(element.tail)
    return "".join(parts), links


def _unattributed(block: Any, links: list[tuple[int, str]]) -> bool:
    """A blockquote that names no source itself: no link, no <footer> or <cite> saying who
    spoke, and no pull quote (which repeats the story, or a person it quotes)."""
    names = f"{block.get('class') or ''} {block.get('id') or ''}".lower()
    return not links and "pull" not in names and not any(
        isinstance(inner.tag, str) and inner.tag in ("footer", "cite")
        for inner in block.iterdescendants())


def _resolved(href: str, base_url: str | None) -> str | None:
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    normalized = try_normalize(href, base_url)
    return urldefrag(normalized)[0] if normalized else None


def _inside_blockquote(element: Any) -> bool:
    return any(ancestor.tag == "blockquote" for ancestor in element.iterancestors())


def _holds_block(element: Any) -> bool:
    return any(isinstance(inner.tag, str) and inner.tag in _BLOCKS
               for inner in element.iterdescendants())


def _bare(text: str) -> str:
    """A blockquote's text without the quotation marks a site may put around it."""
    return text.strip("“”„\"«»‘’「」『』 ")
