"""Trimming boilerplate blocks that slipped past the main-text extractor.

Every rule here reads general signals of the rendered blocks only (how much of a block is link
text, whether it reads as a sentence, where it sits), never a site's markup or wording.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from archiver.extract.html.blocks import LINE_BLOCKS, Block, LinkSpan

_WORDS = re.compile(r"\w+")
_SENTENCE_ENDS = frozenset(".!?…:;\"'”’)»。！？」")
# A trailing run of teasers is cut when it holds at least this many linked headlines.
_MIN_TEASER_LINKS = 2
# A headline of a teaser list is at least this much link text.
_LINKED_SHARE = 0.5
# A teaser's one-paragraph summary (a standfirst under a linked headline) is shorter than this.
_MAX_SUMMARY_CHARS = 320
# A paragraph that is this much link text, in two or more links, is a box of links
# ("more on this", "don't miss"), not prose: prose links a few words of a sentence. Only boxes
# whose links all stay on the page's own site are cut: a paragraph of links to other sites is
# more likely a list of sources, which a story's citations must keep.
_LINK_LIST_SHARE = 0.75
_MIN_LIST_LINKS = 2
# The label of such a box ("Don't miss", "Related") is a short line that is not a sentence.
_MAX_LABEL_CHARS = 40


def _links(block: Block) -> list[LinkSpan]:
    # An <a> without href (an anchor or index term wrapping prose) links nowhere.
    return [span for span in block.spans if span.href]


def link_share(block: Block) -> float:
    """The share of the block's characters that are text of links that go somewhere."""
    linked = sum(span.end - span.start for span in _links(block))
    return linked / max(1, len(block.text.strip()))


def _is_sentence(text: str) -> bool:
    return text[-1:] in _SENTENCE_ENDS


def teaser_like(block: Block) -> bool:
    """A block of a "more stories" list: mostly a link, or a short line that is not a
    sentence (a headline or its one-line summary)."""
    text = block.text.strip()
    return link_share(block) >= _LINKED_SHARE or (len(text) < 160 and not _is_sentence(text))


def _linked_headline(block: Block) -> bool:
    return link_share(block) >= _LINKED_SHARE


def _summary_under_headline(blocks: list[Block], index: int) -> bool:
    """An unlinked short paragraph right under a linked headline: a teaser's standfirst."""
    block = blocks[index]
    return (index > 0 and not _links(block) and len(block.text.strip()) < _MAX_SUMMARY_CHARS
            and _linked_headline(blocks[index - 1]))


def _teaser_run_start(blocks: list[Block]) -> int:
    start = len(blocks)
    while start > 1 and (teaser_like(blocks[start - 1])
                         or _summary_under_headline(blocks, start - 1)):
        start -= 1
    return start


def drop_trailing_teasers(blocks: list[Block]) -> list[Block]:
    """Cut a run of teaser blocks at the end of the text (related stories, "most read"
    lists that slipped past the extractor), when it holds at least two linked headlines.
    A teaser may carry a one-paragraph summary under its headline. The cut starts at the
    first linked headline, or at the label line right above it: short unlinked lines before
    that (the items of the article's own list, say) stay."""
    start = _teaser_run_start(blocks)
    first = next((i for i in range(start, len(blocks)) if _linked_headline(blocks[i])), None)
    if first is None:
        return blocks
    cut = first - 1 if first > start and blocks[first - 1].kind not in LINE_BLOCKS else first
    linked = sum(1 for block in blocks[cut:] if _linked_headline(block))
    return blocks[:cut] if linked >= _MIN_TEASER_LINKS and cut > 0 else blocks


def _host(url: str) -> str:
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:  # a malformed URL (bad port, bad IPv6) is nobody's site
        return "?"
    return host.removeprefix("www.")


def _on_site(href: str, site: str) -> bool:
    """A relative link, or one to the page's own host (www. aside)."""
    host = _host(href)
    return not host or host == site


def _link_list(block: Block, site: str) -> bool:
    """A paragraph made of links to the page's own site (a box of links inside the article),
    not a list item: an item of a real list is judged with its list, not alone."""
    links = _links(block)
    return (block.kind not in LINE_BLOCKS and len(links) >= _MIN_LIST_LINKS
            and link_share(block) >= _LINK_LIST_SHARE
            and all(_on_site(span.href, site) for span in links))


def _label(block: Block) -> bool:
    text = block.text.strip()
    return not _links(block) and len(text) <= _MAX_LABEL_CHARS and not _is_sentence(text)


def drop_link_lists(blocks: list[Block], page_url: str | None = None) -> list[Block]:
    """Drop paragraphs that are boxes of links to the page's own site, with the short label
    line right above one. Without a page URL only relative links count as on the site."""
    site = _host(page_url) if page_url else ""
    dropped = [_link_list(block, site) for block in blocks]
    for index in range(1, len(blocks)):
        if dropped[index] and _label(blocks[index - 1]):
            dropped[index - 1] = True
    kept = [block for block, drop in zip(blocks, dropped, strict=True) if not drop]
    return kept if kept else blocks


# Lines above the headline (a kicker, topic tags, a date, the page's address) are at most
# this many blocks and this long each.
_MAX_ABOVE_TITLE = 3
_MAX_ABOVE_TITLE_CHARS = 120


def drop_leading_title(blocks: list[Block], title: str | None) -> list[Block]:
    """The headline is the title field; repeated near the top it is not article text, and
    neither are the short lines above it (a kicker, topic tags, a date line): the article
    starts under its headline."""
    if not blocks or not title:
        return blocks
    wanted = _words(title)
    for index, block in enumerate(blocks[: _MAX_ABOVE_TITLE + 1]):
        if _words(block.text) == wanted:
            return blocks[index + 1 :]
        text = block.text.strip()
        if len(text) > _MAX_ABOVE_TITLE_CHARS or (_is_sentence(text) and not _URL.match(text)):
            break
    return blocks


_URL = re.compile(r"^(?:https?://|www\.)\S+$")
# "Read more: <a linked headline>", "Related | <a linked headline>": a label of a few words
# ending in a colon or a separator, then one link.
_LEAD_LABEL = re.compile(r"^\W*\w[\w\s'’]{0,30}?\s*[:|»>–—]\s*$")
_MIN_PROMO_WORDS = 3


def _same_page(url: str, page_url: str | None) -> bool:
    def key(value: str) -> str:
        try:
            parts = urlsplit(value.strip())
        except ValueError:
            return value
        host = (parts.hostname or "").removeprefix("www.")
        return host + parts.path.rstrip("/")
    return bool(page_url) and key(url) == key(page_url or "")


def _promo(block: Block, site: str, page_url: str | None) -> bool:
    """A paragraph that only points elsewhere on the site: "Read more: <headline>", a lone
    linked headline, or the page's own address written out (a share line)."""
    text = block.text.strip()
    if block.kind != "p":
        return False
    if _URL.match(text):
        return _same_page(text, page_url)
    links = _links(block)
    if len(links) != 1 or not _on_site(links[0].href, site):
        return False
    span = links[0]
    before = block.text[: span.start].strip()
    after = block.text[span.end :].strip(" .…")
    if after or len(_words(block.text[span.start : span.end])) < _MIN_PROMO_WORDS:
        return False
    return not before or bool(_LEAD_LABEL.match(before))


def _headline_item(block: Block, site: str) -> bool:
    """A list item that is a linked headline on the page's own site."""
    links = _links(block)
    return (block.kind == "item" and bool(links) and link_share(block) >= _LINK_LIST_SHARE
            and all(_on_site(span.href, site) for span in links)
            and len(_words(block.text)) >= _MIN_PROMO_WORDS)


def _related_lists(blocks: list[Block], site: str) -> list[bool]:
    """Lists (2+ items) whose every item is a linked headline on the own site, when a short
    label line ("Related", "More stories") stands above them: a box of related stories inside
    the article. The label goes too. An article's own list of sources links elsewhere."""
    dropped = [False] * len(blocks)
    index = 0
    while index < len(blocks):
        end = index
        while end < len(blocks) and blocks[end].kind == "item":
            end += 1
        if end - index >= _MIN_TEASER_LINKS and index > 0 and _label(blocks[index - 1]) and \
                all(_headline_item(block, site) for block in blocks[index:end]):
            for position in range(index - 1, end):
                dropped[position] = True
        index = max(end, index + 1)
    return dropped


def drop_promos(blocks: list[Block], page_url: str | None = None) -> list[Block]:
    """Drop paragraphs that only point elsewhere on the page's own site (see _promo), and
    labelled lists of linked headlines on it (see _related_lists). A link to another site
    stays: it may be a source the story cites."""
    site = _host(page_url) if page_url else ""
    related = _related_lists(blocks, site)
    kept = [block for block, in_list in zip(blocks, related, strict=True)
            if not in_list and not _promo(block, site, page_url)]
    return kept if kept else blocks


def _words(text: str) -> list[str]:
    return _WORDS.findall(text.casefold())


# A newsletter pitch: the word (the same in English, German, French, Spanish, Italian...)
# and a call to sign up, in a short paragraph.
_NEWSLETTER = re.compile(r"\bnewsletters?\b", re.IGNORECASE)
_SIGN_UP = re.compile(r"sign[ -]?up|subscri|abonn|inscri|suscr|iscriv|anmeld|registr|"
                      r"in your inbox|delivered", re.IGNORECASE)
# A closing "follow the author / reach the reporter" line names an address or a handle.
_CONTACT = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+|(?<![\w@])@\w{2,}|twitter\.com/\w")
_CREDIT = re.compile(r"^[—–-]")
_MAX_PITCH_CHARS = 250
_CLOSING_BLOCKS = 3
_MAX_TAIL_WORDS = 2
_MAX_TAIL_CHARS = 24
# A sentence of Chinese or Japanese is one or two \w+ runs: that many characters of those
# scripts make a clause, not a stray label.
_MAX_TAIL_CJK = 5
_CJK_START = 0x2E80


def _pitch(block: Block) -> bool:
    text = block.text.strip()
    return (block.kind in ("p", "head") and len(text) <= _MAX_PITCH_CHARS
            and bool(_NEWSLETTER.search(text)) and bool(_SIGN_UP.search(text)))


def _contact_line(block: Block) -> bool:
    """A short closing line with an address or handle; not the "— Name (@handle) date" line
    that credits an embedded post."""
    text = block.text.strip()
    return (block.kind == "p" and len(text) <= _MAX_PITCH_CHARS and not _CREDIT.match(text)
            and bool(_CONTACT.search(text)))


def _tail_line(block: Block) -> bool:
    text = block.text.strip()
    return (block.kind not in LINE_BLOCKS and len(text) <= _MAX_TAIL_CHARS
            and len(_words(text)) <= _MAX_TAIL_WORDS and not _is_sentence(text)
            and sum(1 for ch in text if ord(ch) >= _CJK_START) <= _MAX_TAIL_CJK)


def drop_calls_to_action(blocks: list[Block]) -> list[Block]:
    """Drop newsletter pitches (anywhere), the author's contact or follow lines among the
    last paragraphs, and one- or two-word lines left at the very end ("Comments")."""
    closing = max(0, len(blocks) - _CLOSING_BLOCKS)
    kept = [block for index, block in enumerate(blocks)
            if not _pitch(block) and not (index >= closing and _contact_line(block))]
    while len(kept) > 1 and _tail_line(kept[-1]):
        kept.pop()
    return kept if kept else blocks
