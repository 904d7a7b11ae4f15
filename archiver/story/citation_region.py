"""Which links of a story page are its citations: a pass over the page's markup that takes the
extractor's main text as its main signal, and reads the page the way an editor would.

The main-text extractor is tuned for text, not for sources: it drops a paragraph dense with
links ("Other coverage: A, B and C"), figure captions, embedded posts and an article's own
"Sources" list, and it keeps a "More stories" list or a subscribe promo that sits inside the
article. So the citations are found here, in the page itself:

1. The article region is the deepest element that holds nine tenths of the main text; when
   the main text ran past the story (a page laid out in one table, teaser lists taken in), the
   deepest element holding nine tenths of the story's long paragraphs, if it sits inside that
   region and the rest of the region is largely links.
2. A link there is a citation when it sits in the article's text, a figure caption, or is the
   permalink of an embedded post; one in a list headed "Sources", "References", "Further
   reading"… anywhere on the page is too, as is one of a short "Related links" list under the
   story (after its text, not in a side box) whose every link goes to another site, and to
   more than one when there are several; so is a main-text link the extractor found
   elsewhere, and an outlet credited on a "Source:" line of the article.
3. These are left out even inside the article, each with a reason a person recognises: links
   above the headline (section and topic labels), boxes the site names for what they are
   (related, newsletter, share, tags, author, side columns, previous/next cards, disclosure
   notes…), a list or line introduced as related ("Related:",
   "More stories", "Lire aussi"…), subscribe and follow promos, a run of linked headlines of the
   site's own stories, a cloud of short links to the site's own pages, the other links of an
   embedded post, links to tag, author and share pages (by folder or by query), names linked
   to a roster or an entity database, the outlet's own services and footers (a contact
   sentence, reuse and reprint notes, its programme's "Listen:" lines, a credit line pointing
   at itself), and links with no text (images).

Every rule reads structure, link density, position and words in several languages; none reads
a particular site's markup. The work is linear in the page's elements.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urldefrag, urlsplit

import lxml.html
from lxml import etree

from archiver.capture.urls import try_normalize
from archiver.extract.html.links import base_url, sentence_around, sentence_boundaries
from archiver.extract.html.parse import parse_html
from archiver.story.citation_words import (
    BOX_HINTS,
    BOX_ROLES,
    BOX_TAGS,
    BRACKETED,
    CONTACT_LINE,
    CREDIT_LABEL,
    CREDIT_LINE,
    CUT_HEADLINE,
    DOCUMENT_PATH,
    EMAIL_TEXT,
    EMBED_ATTRS,
    EMBED_CLASS,
    EMBED_SUFFIX,
    ENTITY_LINK_CLASS,
    GALLERY_PATH,
    GALLERY_TEXT,
    HANDLE_TEXT,
    HOME_PATHS,
    OFFSCREEN_STYLE,
    OWN_MEDIA_LINE,
    PAGER_TEXT,
    PAID_LABEL,
    PERMALINK,
    PROMO,
    QUOTED_POST,
    RELATED_HEADING,
    RELATED_LINE,
    RELATED_START,
    REPRINT_NOTE,
    REUSE_TEXT,
    ROSTER_PATH,
    SCHEME,
    SHARE_URL,
    SOCIAL_PROFILE,
    SOURCES_CLASS,
    SOURCES_HEADING,
    STANDARDS_TEXT,
    SUBSCRIBE_QUERY,
    SUBSCRIPTION_HOST,
    SUBSCRIPTION_PATH,
    TAG_LINE,
    VIDEO_BOX,
    VIEW_QUERY_KEYS,
)
from archiver.story.citations import DroppedLink, Selection, UrlFilter, select_citations
from archiver.story.link_kinds import (
    MAX_NAME_WORDS,
    TRACKING_FIELD,
    host_of,
    listing_page,
    page_kind,
    same_site,
    site_of,
)
from archiver.story.page_links import area_of

MAX_LANGUAGE_VERSIONS = 200
# The parts of a page's frame, around its article.
_FRAME_TAGS = ("footer", "nav")
_FRAME_ROLES = ("contentinfo", "navigation")
_SIDEBAR = re.compile(r"\bsidebar\b|\bside-bar\b")
# A line of this many words holding an "@name" link is prose or a quoted post, not a line
# that names the account.
MIN_MENTION_LINE_WORDS = 8
# The article region holds at least this share of the main text's characters.
REGION_SHARE = 0.9
# A region holding this many times more text than the main text is most of the page (the
# main text's blocks are spread over it): then only the main text's own links are cited
# there (with embedded posts, captions and source lists).
REGION_MAX_RATIO = 4
MIN_REGION_CHARS = 1500
# When the element holding the story's long paragraphs is at most this share of the region's
# text, and the rest of the region is at least this much link text, the region took in the
# page around the story: the story is that element.
CORE_MAX_SHARE = 0.6
# A "Related links:" list read as the story's sources is a few items long.
MAX_LIST_AFTER = 12
OUTSIDE_MIN_LINK_SHARE = 0.2
# An element holding this share of the main text is the article's wrapper, not a box in it,
# whatever its class says ("breadcrumb-wrapper", "content-with-sidebar"…).
WRAPPER_SHARE = 0.5
# A page block counts as main text when its first characters are found in the main text.
_MATCH_CHARS = 60
_MIN_MATCH_CHARS = 25
# Lines that introduce or promote are short; prose that happens to use the words is longer.
MAX_LABEL_LINE_CHARS = 220
MAX_PROMO_CHARS = 320
# A box of related links is short; a longer one is a stretch of the article.
MAX_RELATED_BOX_CHARS = 1200
# ... and is much link text (a teaser list's items are mostly their linked headlines).
MIN_RELATED_LINK_SHARE = 0.25
# A line that begins with a "related" word and is this much its link is a teaser line.
_LINKED_LINE_SHARE = 0.5
# A paragraph of the story's text, not a credit line or a bio.
_PROSE_CHARS = 200
# A caption is short; an element named "caption" holding more is a layout wrapper.
MAX_CAPTION_CHARS = 400
# A credit line names an outlet, and perhaps the story's title: a line, not a paragraph.
MAX_CREDIT_CHARS = 200
# A linked headline has a few words; a lone linked word or two is a name.
MIN_HEADLINE_WORDS = 4
# A story's card in a list of cards (headline, label, date, a line of summary) is short, and
# its headline sits a few levels inside it.
MAX_CARD_CHARS = 400
MAX_CARD_DEPTH = 3
# A block of at least this many links of a word or three each to the site's own pages, that
# is nearly all links, is a cloud of them (tags, a menu), wherever it sits: never prose.
MIN_CLOUD_LINKS = 10
MAX_CLOUD_WORDS = 3
CLOUD_LINK_SHARE = 0.8
# A block that is this much one link is a linked headline, not a sentence with a link in it.
_HEADLINE_SHARE = 0.85

_TEXT_BLOCKS = frozenset({"p", "li", "blockquote", "figcaption", "h2", "h3", "h4", "h5", "h6",
                          "td", "th", "dd", "dt", "pre", "div", "section", "span", "cite",
                          "caption", "aside", "small", "em", "strong", "article", "main"})
_MATCH_BLOCKS = ("p", "li", "blockquote", "figcaption", "h2", "h3", "h4", "h5", "h6", "td",
                 "dd", "pre", "div")
_LIST_TAGS = frozenset({"ul", "ol", "li", "dl", "dd", "dt"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_LABEL_TAGS = frozenset({"p", "strong", "b", "dt", "div", "span"})
_LINE_BLOCKS = frozenset({"p", "li", "div", "dd", "dt", "h2", "h3", "h4", "h5", "h6", "td"})

OUTSIDE = "outside the main text"
OTHER_VIEW = "another page or view of this story (a pager, print or comments link)"


@dataclass
class PageLink:
    """One link of the page and what became of it."""

    href: str
    url: str | None
    text: str
    sentence: str = ""
    reason: str | None = None
    """Why it is not a citation; None for a citation."""

    def to_link(self) -> dict[str, Any]:
        return {"href": self.href, "url": self.url or self.href, "text": self.text,
                "sentence": self.sentence}


@dataclass
class PageCitations:
    """Every link of a page: the citations (reason None) and the rest, in document order."""

    links: list[PageLink] = field(default_factory=list)
    address: str | None = None
    """The page's own address: its URL, or a saved page's canonical URL or og:url."""
    base: str | None = None
    """What relative links resolve against: <base href>, else the address."""

    @property
    def citations(self) -> list[PageLink]:
        return [link for link in self.links if link.reason is None]

    @property
    def left_out(self) -> list[PageLink]:
        return [link for link in self.links if link.reason is not None]


def page_address(tree: lxml.html.HtmlElement | None, url: str | None) -> str | None:
    """The page's own address: its URL; for a saved page without one, what it says it is
    (a canonical link, else og:url), when that is an absolute web address."""
    if url or tree is None:
        return url
    names = self_names(tree)
    return names[0] if names else None


def language_versions(tree: lxml.html.HtmlElement, base: str | None) -> list[str]:
    """The page's own versions in other languages (<link rel=alternate hreflang=…>): a link
    to one ("English") is the story itself, not a source. At most MAX_LANGUAGE_VERSIONS."""
    found = tree.xpath("//link[@href][@hreflang][contains(concat(' ', normalize-space("
                       "translate(@rel, 'ALTERNATE', 'alternate')), ' '), ' alternate ')]/@href")
    versions = (try_normalize(str(value).strip(), base)
                for value in found[:MAX_LANGUAGE_VERSIONS])
    return [address for address in versions if address]


def self_names(tree: lxml.html.HtmlElement) -> list[str]:
    """What the page says its address is: its canonical link, then og:url (absolute web
    addresses only)."""
    names = []
    for found in (tree.xpath("//link[@href][contains(concat(' ', normalize-space("
                             "translate(@rel, 'CANONICAL', 'canonical')), ' '), ' canonical ')]"
                             "/@href"),
                  tree.xpath("//meta[@content][@property='og:url' or @name='og:url']"
                             "/@content")):
        for value in found:
            address = try_normalize(str(value).strip())
            if address and address.lower().startswith(("http://", "https://")):
                names.append(address)
    return names


def find_citations(html: str, url: str | None, main_text: str,
                   main_links: Sequence[Mapping[str, Any]]) -> PageCitations:
    """Every link of the page, each a citation or left out with a reason.

    `main_text` and `main_links` are the extractor's (dicts with href, text, sentence); `url`
    is the page's URL (None for a local file: its <base>, canonical URL or og:url then say
    where it is). Without markup to read, the main text's links are the citations."""
    page = parse_html(html or "")
    tree = page.tree
    if tree is None:
        return _main_links_only(url, main_links)
    address = page_address(tree, url)
    base = base_url(tree, address)
    return _Reader(tree, address, base, main_text, main_links).read()


def _main_links_only(url: str | None, main_links: Iterable[Mapping[str, Any]]) -> PageCitations:
    links = []
    for link in main_links:
        href = str(link.get("href") or "")
        links.append(PageLink(href, try_normalize(href, url), " ".join(
            str(link.get("text") or "").split()), str(link.get("sentence") or "")))
    return PageCitations(links, url, url)


def _words(element: etree._Element) -> str:
    return " ".join(element.text_content().split())


def _names(element: etree._Element) -> str:
    return f"{element.get('class') or ''} {element.get('id') or ''}".lower()


def _tag(element: etree._Element) -> str:
    return element.tag if isinstance(element.tag, str) else ""


class _Reader:
    def __init__(self, tree: lxml.html.HtmlElement, address: str | None, base: str | None,
                 main_text: str, main_links: Sequence[Mapping[str, Any]]) -> None:
        self.tree = tree
        self.address = address
        self.base = base
        self.site = host_of(address)
        # The page's own addresses (its URL, canonical and og:url): a link there is the story.
        self.own = {_own_key(name) for name in (address, *self_names(tree),
                                                *language_versions(tree, base)) if name}
        # each of its own paths, with the queries it is known by ("?id=4412" on sites that
        # file every story under one path)
        self.own_paths: dict[str, set[frozenset[tuple[str, str]]]] = {}
        for key in self.own:
            path, _, query = key.partition("?")
            self.own_paths.setdefault(path, set()).add(frozenset(parse_qsl(query)))
        self.main_text = " ".join((main_text or "").split())
        self.main_links = main_links
        self.order: dict[etree._Element, int] = {}
        self.text_cache: dict[etree._Element, str] = {}
        self.text_start = 0
        self.text_end = 0
        self.share_cache: dict[etree._Element, float] = {}
        self.label_cache: dict[etree._Element, etree._Element | None] = {}
        self.weight: dict[etree._Element, int] = {}
        self.total = 0
        self.cloud_cache: dict[etree._Element, bool] = {}
        self.bounds_cache: dict[etree._Element, list[int]] = {}

    def text(self, element: etree._Element) -> str:
        found = self.text_cache.get(element)
        if found is None:
            found = self.text_cache[element] = _words(element)
        return found

    def read(self) -> PageCitations:
        for index, element in enumerate(self.tree.iter()):
            self.order[element] = index
        anchors = [a for a in self.tree.iter("a") if (a.get("href") or "").strip()]
        in_main = self._match_main_links(anchors)
        self.region = self._region()
        self.region_reliable = len(self.text(self.region)) <= REGION_MAX_RATIO * max(
            len(self.main_text), MIN_REGION_CHARS)
        self.scope = self._scope(self.region)
        self.headline = self._headline()
        self.sources = self._sources_lists()
        self.embeds = self._embeds()
        placed: list[tuple[float, PageLink]] = []
        for anchor in anchors:
            href = (anchor.get("href") or "").strip()
            url = try_normalize(href, self.base)
            text = self.text(anchor)
            reason = self._judge(anchor, url, text, anchor in in_main)
            main_index = in_main.get(anchor)
            sentence = (" ".join(str(self.main_links[main_index].get("sentence") or "").split())
                        if main_index is not None else "") or self._sentence(anchor, text)
            placed.append((float(self.order[anchor]),
                           PageLink(href, url, text, sentence if reason is None else "", reason)))
        placed.extend(self._embed_permalinks_without_anchor())
        placed.extend(self._main_links_not_in_page(in_main))
        placed.sort(key=lambda item: item[0])
        return PageCitations([link for _, link in placed], self.address, self.base)

    # -- the extractor's main text, found again in the page --------------------------------

    def _match_main_links(self, anchors: list[etree._Element]) -> dict[etree._Element, int]:
        """The page's anchors that are links of the main text (href and anchor text alike),
        each with the index of its main-text link."""
        wanted: dict[tuple[str, str], list[int]] = {}
        by_href: dict[str, list[int]] = {}
        for index, link in enumerate(self.main_links):
            href = str(link.get("href") or "").strip()
            text = " ".join(str(link.get("text") or "").split())
            wanted.setdefault((href, text), []).append(index)
            by_href.setdefault(href, []).append(index)
        found: dict[etree._Element, int] = {}
        for anchor in anchors:
            key = ((anchor.get("href") or "").strip(), self.text(anchor))
            if wanted.get(key):
                index = wanted[key].pop(0)
                found[anchor] = index
                by_href[key[0]].remove(index)
        for anchor in anchors:  # anchor text the extractor rendered differently
            href = (anchor.get("href") or "").strip()
            if anchor not in found and by_href.get(href) and self.text(anchor):
                index = by_href[href].pop(0)
                found[anchor] = index
                for indices in wanted.values():
                    if index in indices:
                        indices.remove(index)
        return found

    def _main_links_not_in_page(self, in_main: dict[etree._Element, int]
                                ) -> list[tuple[float, PageLink]]:
        """Main-text links this reading of the page holds no anchor for (the extractor read
        them where this pass does not look): still citations, placed after the main-text
        link before them."""
        position_of = {index: self.order[anchor] for anchor, index in in_main.items()}
        placed: list[tuple[float, PageLink]] = []
        last = -1.0
        for index, link in enumerate(self.main_links):
            if index in position_of:
                last = float(position_of[index])
                continue
            href = str(link.get("href") or "").strip()
            if not href:
                continue
            last += 1e-6
            url = try_normalize(href, self.base)
            text = " ".join(str(link.get("text") or "").split())
            reason = self._address_reason(url, text) if url else None
            placed.append((last, PageLink(
                href, url, text, "" if reason else " ".join(
                    str(link.get("sentence") or "").split()), reason)))
        return placed

    def _address_reason(self, url: str, text: str) -> str | None:
        """What the link's address alone says against it (the page itself, a share or
        subscribe link, a tag, author or service page of the site)."""
        return self._self_or_service(url) or self._url_reason(url, text)

    def _self_or_service(self, url: str) -> str | None:
        """The story itself (or another view of it), or a share or subscribe link."""
        if _own_key(url) in self.own:
            return "a link within the story itself"
        if self._other_view(url):
            return OTHER_VIEW
        if SHARE_URL.search(url):
            return "a share link"
        if SUBSCRIBE_QUERY.search(urlsplit(url).query):
            return "a subscribe link"
        return None

    def _other_view(self, url: str) -> bool:
        """The page itself with a query that only asks for another of its pages or views
        ("?page=2", "?print=1", "?p=3", "/2") or says where the reader came from
        ("?source=post_page"): the story, not a source."""
        path, _, query = _own_key(url).partition("?")
        story, _, number = path.rpartition("/")
        if not query and number.isdigit() and len(number) <= 2 and story in self.own_paths:
            return True  # "/story/2": its second page
        known = self.own_paths.get(path)
        if not query or known is None:
            return False
        params = parse_qsl(query, keep_blank_values=True)
        rest = frozenset((name, value) for name, value in params
                         if name.lower() not in VIEW_QUERY_KEYS and not TRACKING_FIELD.match(name))
        return len(rest) < len(params) and rest in known

    def _region(self) -> etree._Element:
        """The deepest element holding REGION_SHARE of the main text found in the page."""
        weight: dict[etree._Element, int] = {}
        matched: list[etree._Element] = []
        total = 0
        if self.main_text:
            for block in self.tree.iter(*_MATCH_BLOCKS):
                if _tag(block) == "div" and not _has_own_text(block):
                    continue
                text = self.text(block)
                if len(text) < _MIN_MATCH_CHARS or text[:_MATCH_CHARS] not in self.main_text:
                    continue
                if any(_tag(child) in ("p", "li") for child in block):
                    continue  # its paragraphs count themselves
                matched.append(block)
                total += len(text)
                for element in (block, *block.iterancestors()):
                    weight[element] = weight.get(element, 0) + len(text)
        self.text_start = min((self.order.get(block, 0) for block in matched), default=0)
        # where the story's last paragraph (of some length) ends, in document order
        long_blocks = [block for block in matched if len(self.text(block)) >= _PROSE_CHARS]
        self.text_end = max((self._last_order(block) for block in long_blocks), default=0)
        self.weight, self.total = weight, total
        if not total:
            region = self._fallback_region()
            self.text_start = self.order.get(region, 0) + 1
            self.text_end = len(self.order)  # where the text ends is not known
            return region
        best = _deepest_holding(matched, weight, total)
        region = best if best is not None else self._fallback_region()
        core = self._prose_core(long_blocks, region)
        return core if core is not None else region

    def _prose_core(self, long_blocks: list[etree._Element],
                    region: etree._Element) -> etree._Element | None:
        """The article by its structure, when the extractor's main text ran past it: the
        deepest element holding nearly all the story's long paragraphs, when it sits inside
        the region, is less than CORE_MAX_SHARE of its text, and what else the region holds
        is largely links (tables of teaser headlines, section links, widgets: a page laid out
        in one table, or a main text that took in the page's lists). None otherwise."""
        if len(long_blocks) < 2:
            return None
        weight: dict[etree._Element, int] = {}
        total = 0
        for block in long_blocks:
            size = len(self.text(block))
            total += size
            for element in (block, *block.iterancestors()):
                weight[element] = weight.get(element, 0) + size
        best = _deepest_holding(long_blocks, weight, total)
        if best is None or best is region or not self._within(best, region):
            return None
        core_chars, region_chars = len(self.text(best)), len(self.text(region))
        if core_chars > CORE_MAX_SHARE * region_chars:
            return None  # the region is the story, give or take a box
        linked = (sum(len(self.text(a)) for a in region.iter("a"))
                  - sum(len(self.text(a)) for a in best.iter("a")))
        if linked < OUTSIDE_MIN_LINK_SHARE * (region_chars - core_chars):
            return None  # what lies beside the paragraphs is more text, not lists of links
        return best

    def _last_order(self, element: etree._Element) -> int:
        """The document position of the element's last descendant (or its own)."""
        return max((self.order.get(inner, 0) for inner in element.iter()), default=0)

    def _fallback_region(self) -> etree._Element:
        for path in ("//*[@itemprop='articleBody']", "//article", "//main"):
            found = self.tree.xpath(path)
            if found:
                return found[0]
        body = self.tree.find("body")
        return body if body is not None else self.tree

    def _scope(self, region: etree._Element) -> etree._Element:
        """The article around the region (its figures and header often sit beside the body
        text): the nearest <article> holding it, else its parent, never the whole page."""
        for element in (region, *region.iterancestors()):
            if _tag(element) == "article":
                return element
        parent = region.getparent()
        if parent is None or _tag(parent) in ("body", "html"):
            return region
        return parent

    def _headline(self) -> etree._Element | None:
        """The article's headline: the last <h1> before its text begins (in the article,
        else in the page); none when no <h1> comes before the text."""
        start = self.text_start
        for root in (self.scope, self.tree):
            found = [heading for heading in root.iter("h1")
                     if self.text(heading) and self.order.get(heading, 0) < start]
            if found:
                return found[-1]
        return None

    # -- lists of sources and embedded posts ----------------------------------------------

    def _sources_lists(self) -> set[etree._Element]:
        """Elements holding an article's own list of sources: what follows a heading that
        says "Sources", "References", "Further reading"… up to the next heading, and
        elements named for sources."""
        found: set[etree._Element] = set()
        for element in self.tree.iter():
            tag = _tag(element)
            if not tag:
                continue
            if tag in ("section", "div", "ol", "ul", "aside", "dl") and SOURCES_CLASS.search(
                    _names(element)) and not BOX_HINTS[0][0].search(_names(element)):
                if not self._in_page_frame(element):
                    found.add(element)
                continue
            if not (tag in _HEADINGS or tag in _LABEL_TAGS) or len(element) > 2:
                continue
            label = self.text(element)
            if (len(label) <= 40 and RELATED_HEADING.match(label) and not PAID_LABEL.search(label)
                    and self._within(element, self.scope) and self._after_the_text(element)
                    and not any(_tag(child) in ("a", "ul", "ol", "p", "li") for child in element)):
                followers = self._list_after(element)
                if self._links_elsewhere(followers):
                    found.update(followers)  # "Related links:" to other sites' documents
                continue
            if len(label) <= 40 and SOURCES_HEADING.match(label) and not any(
                    _tag(child) in ("a", "ul", "ol", "p", "li") for child in element
            ) and not self._in_page_frame(element):
                heading = element
                for _ in range(3):
                    followers = self._section_after(heading)
                    if followers:
                        found.update(followers)
                        break
                    parent = heading.getparent()
                    if parent is None:
                        break
                    heading = parent
        return found

    def _in_page_frame(self, element: etree._Element) -> bool:
        """In the site's footer, navigation or sidebar, outside the article: where a column
        of the site's links may carry a name like "reference" (a layout's
        "js-page-left-reference") or a heading like "Links" (a blog's list of friends)."""
        if self._within(element, self.scope):
            return False
        return any(_tag(ancestor) in _FRAME_TAGS
                   or (ancestor.get("role") or "").lower() in _FRAME_ROLES
                   or _SIDEBAR.search(_names(ancestor))
                   for ancestor in (element, *element.iterancestors()))

    def _links_elsewhere(self, followers: list[etree._Element]) -> bool:
        """The elements hold links, every one to another site (the story's own list of the
        documents and reports it is built on, whatever its label says), none to the site's
        own stories; and the list is no other site's recirculation: not set in a side box
        (<aside>), and its links, when several, go to more than one site (a sister site's
        or a syndication partner's "Read also" teasers all go to that one site)."""
        hosts = [host_of(try_normalize((a.get("href") or "").strip(), self.base))
                 for follower in followers for a in follower.iter("a")
                 if (a.get("href") or "").strip()]
        if not hosts or not all(host and not self._same_site(host) for host in hosts):
            return False
        if len(hosts) > 1 and len({site_of(host) for host in hosts}) < 2:
            return False
        if any(_tag(ancestor) == "aside" for follower in followers[:1]
               for ancestor in follower.iterancestors()):
            return False
        text = sum(len(self.text(follower)) for follower in followers)
        linked = sum(len(self.text(a)) for follower in followers for a in follower.iter("a"))
        return linked >= _HEADLINE_SHARE * text  # a list of links, not a widget or a comment

    @staticmethod
    def _list_after(label: etree._Element) -> list[etree._Element]:
        """The few elements after a label, up to the next heading or label of its kind."""
        followers: list[etree._Element] = []
        for sibling in label.itersiblings():
            tag = _tag(sibling)
            if tag in _HEADINGS or tag == _tag(label) or len(followers) >= MAX_LIST_AFTER:
                break
            if tag:
                followers.append(sibling)
        return followers

    @staticmethod
    def _section_after(heading: etree._Element) -> list[etree._Element]:
        followers = []
        for sibling in heading.itersiblings():
            tag = _tag(sibling)
            if tag in _HEADINGS:
                break
            if tag:
                followers.append(sibling)
        return followers

    def _embeds(self) -> dict[etree._Element, str | None]:
        """Embedded posts and each one's permalink (None when it has none)."""
        embeds: dict[etree._Element, str | None] = {}
        for element in self.tree.iter("blockquote", "div", "iframe", "section", "figure"):
            if not EMBED_CLASS.search(element.get("class") or ""):
                continue
            if any(ancestor in embeds for ancestor in element.iterancestors()):
                continue
            embeds[element] = self._permalink(element)
        return embeds

    def _permalink(self, embed: etree._Element) -> str | None:
        """The post's own address: its last link that looks like one (the embed codes put
        it last, on the date), else what the embed's attributes name."""
        permalinks = [url for url in (try_normalize((a.get("href") or "").strip(), self.base)
                                      for a in embed.iter("a")) if url and PERMALINK.search(url)]
        if permalinks:
            return permalinks[-1]
        tweet = (embed.get("data-tweet-id") or "").strip()
        if tweet.isdigit():  # a tweet the platform's script has already rendered
            return f"https://twitter.com/i/status/{tweet}"
        for name in EMBED_ATTRS:
            value = EMBED_SUFFIX.sub("", (embed.get(name) or "").strip())
            url = try_normalize(value, self.base) if value else None
            if url and PERMALINK.search(url):
                return url
        return None

    def _embed_permalinks_without_anchor(self) -> list[tuple[float, PageLink]]:
        """A post embedded by its script alone (the permalink only in an attribute), placed
        where the post is."""
        links: list[tuple[float, PageLink]] = []
        for embed, permalink in self.embeds.items():
            if permalink is None or not self._within(embed, self.scope):
                continue
            anchors = {try_normalize((a.get("href") or "").strip(), self.base)
                       for a in embed.iter("a")}
            if permalink not in anchors:
                text = self.text(embed)[:120]
                links.append((float(self.order[embed]),
                              PageLink(permalink, permalink, "embedded post", text)))
        return links

    # -- the judgement of one link --------------------------------------------------------

    def _judge(self, anchor: etree._Element, url: str | None, text: str,
               in_main: bool) -> str | None:
        embed = self._embed_of(anchor)
        if embed is not None:
            if url is not None and url == self.embeds[embed] and self._within(embed, self.scope):
                return None
            return "inside an embedded post (the post's permalink is the citation)"
        if _off_screen(anchor):
            return "placed off the screen (hidden from readers: not part of the story)"
        if url is None:
            href = (anchor.get("href") or "").strip()
            if self.base is None and not SCHEME.match(href) and not href.startswith("#"):
                return ("a relative link, and the page names no address of its own (no <base>, "
                        "canonical URL or og:url) to resolve it against")
            return None  # not a web address: link_target says why
        if reason := self._self_or_service(url):
            return reason
        if "sponsored" in (anchor.get("rel") or "").lower().split():
            return "a sponsored link"
        in_sources = self._in_sources(anchor)
        in_region = self._within(anchor, self.region)
        in_scope = in_region or self._within(anchor, self.scope)
        if in_region and not in_main and not self.region_reliable:
            in_region = False  # the article is not told apart from the page: its text only
        if not (in_sources or in_region or in_main or self._caption(anchor, in_scope)
                or self._credit_line(anchor, url, in_scope)):
            if in_scope and self._above_headline(anchor):
                return "above the headline (a section or topic label)"
            return f"{OUTSIDE} ({area_of(anchor)})"
        if not text and anchor.find(".//img") is not None and not in_sources:
            return "an image link"
        if not text:
            return "a link with no text"
        if EMAIL_TEXT.match(text):
            return "an e-mail address (a contact, not a source)"
        if (not in_sources and self._above_headline(anchor)
                and not self._caption(anchor, in_scope)):
            return "above the headline (a section or topic label)"
        if in_sources:
            return self._url_reason(url, text)
        stop = self.region if in_region else None
        box = self._box(anchor, stop)
        if box is not None:
            return f"inside the article, {box}"
        if BOX_HINTS[0][0].search(_names(anchor)):
            return f"a link styled as {BOX_HINTS[0][1]} (a teaser)"  # "read-more-big"
        if self._same_site(host_of(url)) and self._in_video_box(anchor, stop):
            return "inside a video player (the outlet's own video)"
        if reason := self._line_reason(anchor, url, text) or self._url_reason(url, text):
            return reason
        if self._lone_headline(self._block(anchor), url):
            return "a linked headline on a line of its own (a teaser of the site's own story)"
        return None

    def _above_headline(self, anchor: etree._Element) -> bool:
        return self.headline is not None and (
            self.order.get(anchor, 0) < self.order.get(self.headline, 0))

    def _url_reason(self, url: str, text: str = "") -> str | None:
        return page_kind(url, text, self.site)

    def _same_site(self, host: str) -> bool:
        return same_site(host, self.site)

    def _embed_of(self, anchor: etree._Element) -> etree._Element | None:
        for ancestor in anchor.iterancestors():
            if ancestor in self.embeds:
                return ancestor
        return None

    def _in_sources(self, anchor: etree._Element) -> bool:
        return any(ancestor in self.sources for ancestor in anchor.iterancestors())

    def _caption(self, anchor: etree._Element, in_scope: bool) -> bool:
        if not in_scope:
            return False
        for ancestor in anchor.iterancestors():
            if _tag(ancestor) == "figcaption" or (re.search(
                    r"caption|credit|attribution|bildquelle|legende|légende", _names(ancestor))
                    and len(self.text(ancestor)) <= MAX_CAPTION_CHARS):
                return True
            if ancestor is self.scope:
                break
        return False

    def _credit_line(self, anchor: etree._Element, url: str, in_scope: bool) -> bool:
        """A short line of the article that credits another outlet as where the story comes
        from ("Source: <outlet>", "Fonte: IG Mulher"), its link naming that outlet."""
        if not in_scope or self._same_site(host_of(url)):
            return False
        block = self._block(anchor)
        line = self.text(block)
        if len(line) > MAX_CREDIT_CHARS:
            return False
        return bool(CREDIT_LINE.match(line) or CREDIT_LABEL.search(_text_before(anchor, block)))

    @staticmethod
    def _within(element: etree._Element, container: etree._Element) -> bool:
        return element is container or any(a is container for a in element.iterancestors())

    def _box(self, anchor: etree._Element, stop: etree._Element | None) -> str | None:
        """What a box around the link (below the article region) calls itself."""
        for ancestor in anchor.iterancestors():
            if ancestor is stop or _tag(ancestor) in ("body", "html"):
                break
            if stop is None and self._within(self.region, ancestor):
                break  # a wrapper of the whole article says nothing about this link
            tag = _tag(ancestor)
            if tag in BOX_TAGS:
                return BOX_TAGS[tag]
            if (ancestor.get("role") or "").lower() in BOX_ROLES:
                return BOX_ROLES[(ancestor.get("role") or "").lower()]
            names = _names(ancestor)
            if tag in ("figcaption", "figure") or not names.strip():
                continue
            if self.weight.get(ancestor, 0) >= WRAPPER_SHARE * self.total > 0:
                continue  # it holds much of the main text: a wrapper, whatever its name
            if EMBED_CLASS.search(names):
                continue
            for pattern, what in BOX_HINTS:
                if pattern.search(names):
                    return what
        return None

    def _in_video_box(self, anchor: etree._Element, stop: etree._Element | None) -> bool:
        for ancestor in anchor.iterancestors():
            if ancestor is stop or _tag(ancestor) in ("body", "html"):
                return False
            if self.weight.get(ancestor, 0) >= WRAPPER_SHARE * self.total > 0:
                return False  # a wrapper of the article, whatever its name
            if VIDEO_BOX.search(_names(ancestor)):
                return True
        return False

    def _line_reason(self, anchor: etree._Element, url: str, text: str) -> str | None:
        """Whether the line or list the link is in introduces related reading, promotes, or
        is one of a run of linked headlines of the site's own stories."""
        block = self._block(anchor)
        block_text = self.text(block)
        host = host_of(url)
        own_site = self._same_site(host)
        path = urlsplit(url).path
        if (HANDLE_TEXT.match(text) and SOCIAL_PROFILE.match(url)
                and len(block_text.split()) >= MIN_MENTION_LINE_WORDS
                and (QUOTED_POST.search(block_text)
                     or any(_tag(up) in ("blockquote", "q") for up in anchor.iterancestors()))):
            # The accounts a post quoted as text mentions ("@name: …", or in a quotation).
            # The story's own words naming an account ("its Sydney account, @Uber_Sydney,
            # tweeted") and a line naming it ("Account: @name") cite it.
            return "a mention of an account inside a quoted post (its profile, not a post)"
        if len(block_text) <= MAX_LABEL_LINE_CHARS and (
                RELATED_LINE.match(block_text) or (RELATED_START.match(block_text) and len(
                    text) >= _LINKED_LINE_SHARE * len(block_text))):
            return "a \"related\" line inside the article"
        if (len(block_text) <= MAX_RELATED_BOX_CHARS and RELATED_START.match(block_text)
                and self._link_share(block) >= _LINKED_LINE_SHARE):
            return "a \"related\" line inside the article"  # "DON'T MISS" and its headlines
        if len(block_text) <= MAX_PROMO_CHARS and PROMO.search(block_text):
            return "a newsletter, subscribe or follow promo"
        if len(block_text) <= MAX_RELATED_BOX_CHARS and TAG_LINE.match(block_text):
            return "a tag or topic list"
        if STANDARDS_TEXT.search(text) or STANDARDS_TEXT.match(block_text):
            return "the outlet's standards or policies"
        if PAGER_TEXT.search(text):
            return "the link to the previous or next story"
        if GALLERY_TEXT.match(text) or (own_site and GALLERY_PATH.search(path)):
            return "a link to a gallery of pictures"
        if REUSE_TEXT.match(text):
            return "the outlet's reprints and licensing (its service, not a source)"
        if len(block_text) <= MAX_CREDIT_CHARS and REPRINT_NOTE.search(block_text):
            return "a note of where the story was reprinted (a copy, not its source)"
        if len(block_text) <= MAX_LABEL_LINE_CHARS and OWN_MEDIA_LINE.match(block_text):
            return "a link to hear or download the outlet's own programme"
        if len(block_text) <= MAX_PROMO_CHARS and CONTACT_LINE.search(block_text):
            return "a contact line (where to write, not a source)"
        if SUBSCRIPTION_PATH.search(path) or SUBSCRIPTION_HOST.match(host):
            return "an offer to subscribe (its address says so)"
        if (ROSTER_PATH.search(path) and len(text.split()) <= MAX_NAME_WORDS
                and listing_page(path, ROSTER_PATH)):
            return "a player's or team's page, linked on the name (a reference entry)"
        if len(block_text) <= MAX_CREDIT_CHARS and CREDIT_LINE.match(block_text):
            if own_site:
                return "the outlet's own credit line (a link to itself, not a source)"
            if path in HOME_PATHS:  # "…originally published by <Futurism>"
                return "a credit line's link to an outlet's home page (not the story)"
        if ENTITY_LINK_CLASS.search(_names(anchor)) or anchor.get("data-entity"):
            return "a name linked by the site's software to a database entry (like a tag)"
        if SOCIAL_PROFILE.match(url) and self._caption(anchor, True):
            return "a picture's credit linked to its maker's profile (a person's page)"
        if CUT_HEADLINE.search(text) and len(text.split()) >= MIN_HEADLINE_WORDS:
            return "a headline cut short to fit a card (a teaser)"
        if (BRACKETED.match(block_text) and len(text) >= _HEADLINE_SHARE * (len(block_text) - 2)
                and (own_site or len(text.split()) >= MIN_HEADLINE_WORDS)):
            # "[Related: <a headline>]"; "[Engadget]" under a quote credits where it is from
            return "a \"related\" line inside the article"
        if self._link_cloud(block):
            return "one of a cloud of short links to the site's own pages (tags or a menu)"
        heading = self._list_heading(block)
        if heading is not None:
            return "a list of related stories inside the article"
        if self._headline_run(block, url):
            return "a list of links to the site's own stories"
        if (SOCIAL_PROFILE.match(url) and len(block_text) <= MAX_PROMO_CHARS
                and self._after_the_text(block)):
            return "a social profile linked after the story's text (the author's)"
        if not self.region_reliable and self._linked_headline(block, url, own_site=False):
            return "a linked headline (a teaser), on a page whose article is not told apart"
        return None

    def _lone_headline(self, block: etree._Element, url: str) -> bool:
        """A paragraph (or heading) that is nothing but a link to another story of the site's
        own, in several words: a teaser set between the story's paragraphs, not a sentence
        that cites it."""
        if _tag(block) not in ("p", "h2", "h3", "h4", "h5", "h6", "div"):
            return False
        anchors = [a for a in block.iter("a") if (a.get("href") or "").strip()]
        if len(anchors) != 1 or len(self.text(anchors[0]).split()) < MIN_HEADLINE_WORDS:
            return False
        return self._linked_headline(block, url)

    def _after_the_text(self, block: etree._Element) -> bool:
        """No paragraph of the story's text comes after the block (it is in the tail of
        credits, bios and promos)."""
        at = self.order.get(block, 0)
        return at > self.text_end

    def _block(self, anchor: etree._Element) -> etree._Element:
        for ancestor in anchor.iterancestors():
            if _tag(ancestor) in _LINE_BLOCKS:
                return ancestor
        parent = anchor.getparent()
        return parent if parent is not None else anchor

    def _list_heading(self, block: etree._Element) -> etree._Element | None:
        """The label of the list (or box) holding the block, when it says "related"."""
        element: etree._Element | None = block
        for _ in range(4):
            if element is None or element is self.region:
                return None
            label = self._label_before(element)
            if label is not None and self._link_share(element) >= MIN_RELATED_LINK_SHARE:
                return label
            parent = element.getparent()
            if parent is None:
                return None
            if _tag(element) in ("li", "dd", "dt") or _tag(parent) in _LIST_TAGS:
                element = parent
            elif (_tag(parent) in ("div", "section", "aside")
                  and len(self.text(parent)) <= MAX_RELATED_BOX_CHARS):
                element = parent  # a box of a few teasers, not a stretch of the article
            else:
                return None
        return None

    def _label_before(self, element: etree._Element) -> etree._Element | None:
        """The "related" label right before the element, looking past earlier items of the
        same list of linked headlines (each list item's answer is kept: linear in a list)."""
        if element in self.label_cache:
            return self.label_cache[element]
        skipped: list[etree._Element] = []
        found: etree._Element | None = None
        for sibling in element.itersiblings(preceding=True):
            if not _tag(sibling):
                continue
            same_kind = _tag(sibling) == _tag(element) and self._link_share(
                sibling) >= _HEADLINE_SHARE
            if same_kind and sibling in self.label_cache:
                found = self.label_cache[sibling]
                break
            label = self.text(sibling)
            if not label:
                continue
            if (len(label) <= 60 and RELATED_HEADING.match(label)
                    and (sibling.find(".//a") is None or _tag(sibling) in _HEADINGS)):
                found = sibling
                break
            if same_kind:
                skipped.append(sibling)  # an earlier item of the same list
                continue
            break  # only the label right before the list, and a label links nowhere
        for item in (element, *skipped):
            self.label_cache[item] = found
        return found

    def _link_share(self, element: etree._Element) -> float:
        share = self.share_cache.get(element)
        if share is None:
            linked = sum(len(self.text(a)) for a in element.iter("a"))
            share = self.share_cache[element] = linked / max(1, len(self.text(element)))
        return share

    def _link_cloud(self, block: etree._Element) -> bool:
        """The block (a list item: its list) is nearly all links, many, each a word or three,
        each to the site's own pages: a tag cloud or a menu set in the text."""
        container = block.getparent() if _tag(block) == "li" else block
        if container is None:
            return False
        found = self.cloud_cache.get(container)
        if found is None:
            anchors = [a for a in container.iter("a") if (a.get("href") or "").strip()]
            found = (len(anchors) >= MIN_CLOUD_LINKS
                     and self._link_share(container) >= CLOUD_LINK_SHARE
                     and all(len(self.text(a).split()) <= MAX_CLOUD_WORDS for a in anchors)
                     and all(self._same_site(host_of(try_normalize(
                         (a.get("href") or "").strip(), self.base) or "")) for a in anchors))
            self.cloud_cache[container] = found
        return found

    def _headline_run(self, block: etree._Element, url: str) -> bool:
        """The block is a linked headline of the site's own (one link, nearly all its text)
        beside another such block: a list of stories, not a sentence."""
        if not self._linked_headline(block, url):
            return False
        for sibling in (_element_sibling(block, preceding=True), _element_sibling(block)):
            if sibling is not None and self._linked_headline(sibling, None):
                return True
        return self._teaser_card(block, url)

    def _teaser_card(self, block: etree._Element, url: str) -> bool:
        """The linked headline is the title of a card (a short box of a headline, a label,
        a date, a line of summary) beside cards of the same make, each titled with another
        story of the site's own: a list of stories laid out as cards."""
        card = block
        for _ in range(MAX_CARD_DEPTH):
            parent = card.getparent()
            if parent is None or parent is self.region or len(self.text(parent)) > MAX_CARD_CHARS:
                break
            card = parent
            for sibling in (_element_sibling(card, preceding=True), _element_sibling(card)):
                if (sibling is not None and _tag(sibling) == _tag(card)
                        and sibling.get("class") == card.get("class")
                        and self._titled_with_story(sibling, url)):
                    return True
        return False

    def _titled_with_story(self, card: etree._Element, url: str) -> bool:
        """The card holds a linked headline of the site's own (not to `url`)."""
        if len(self.text(card)) > MAX_CARD_CHARS:
            return False
        for element in card.iter():
            if _tag(element) in _LINE_BLOCKS and element.find(".//a") is not None:
                anchors = list(element.iter("a"))
                target = try_normalize((anchors[0].get("href") or "").strip(), self.base)
                if (target and target != url and len(self.text(anchors[0]).split()) >= 2
                        and self._linked_headline(element, target)):
                    return True
        return False

    def _linked_headline(self, block: etree._Element, url: str | None,
                         own_site: bool = True) -> bool:
        anchors = [a for a in block.iter("a") if (a.get("href") or "").strip()]
        if len(anchors) != 1:
            return False
        target = url or try_normalize((anchors[0].get("href") or "").strip(), self.base)
        if not target or (own_site and not self._same_site(host_of(target))):
            return False
        if DOCUMENT_PATH.search(urlsplit(target).path):
            return False  # a list of the documents the story publishes
        text = self.text(block)
        return bool(text) and len(self.text(anchors[0])) >= _HEADLINE_SHARE * len(text)

    def _sentence(self, anchor: etree._Element, text: str) -> str:
        block = self._block(anchor)
        block_text = self.text(block)
        start = block_text.find(text) if text else -1
        if start < 0:
            return block_text[:300]
        bounds = self.bounds_cache.get(block)
        if bounds is None:  # once a block: a cloud of thousands of links is one block
            bounds = self.bounds_cache[block] = sentence_boundaries(block_text)
        return sentence_around(block_text, start, start + len(text), bounds)


def _own_key(url: str) -> str:
    """One spelling of an address of the page itself: scheme, "www.", fragment, a trailing
    slash and doubled slashes ("example.org//news/story") set aside."""
    try:
        parts = urlsplit(urldefrag(url)[0])
    except ValueError:
        return url
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = re.sub(r"/{2,}", "/", parts.path).rstrip("/")
    return f"{host}{path}?{parts.query}" if parts.query else f"{host}{path}"


def _element_sibling(element: etree._Element, preceding: bool = False
                     ) -> etree._Element | None:
    """The element's neighbour, comments and processing instructions passed over (a
    template's "<!-- teaser -->" between two cards does not part them)."""
    for sibling in element.itersiblings(preceding=preceding):
        if _tag(sibling):
            return sibling
    return None


def _text_before(anchor: etree._Element, block: etree._Element, limit: int = 40) -> str:
    """The last few characters of the line before the link, within its block (walked back
    from the link, bounded: a label such as "Source:" sits right before it)."""
    parts: list[str] = []
    size = 0
    node = anchor
    while node is not block and size < limit:
        previous = node.getprevious()
        if previous is not None:
            for piece in (previous.tail or "", _words(previous) if _tag(previous) else ""):
                parts.append(piece)
                size += len(piece)
            node = previous
            continue
        parent = node.getparent()
        if parent is None:
            break
        parts.append(parent.text or "")
        size += len(parent.text or "")
        node = parent
    return " ".join(" ".join(reversed(parts)).split())[-limit:]


def _has_own_text(element: etree._Element) -> bool:
    if (element.text or "").strip():
        return True
    return any((child.tail or "").strip() for child in element)


def story_selection(html: str, url: str | None, main_text: str,
                    main_links: Sequence[Mapping[str, Any]],
                    url_filter: UrlFilter | None = None) -> Selection:
    """What story mode cites on a page, and every other link with the reason it is left out
    (a link also cited elsewhere on the page is not listed again)."""
    found = find_citations(html, url, main_text, main_links)
    selection = select_citations([link.to_link() for link in found.citations], found.address,
                                 url_filter)
    seen = {citation.href for citation in selection.citations}
    seen |= {link.href for link in selection.dropped}
    for link in found.left_out:
        if link.href not in seen:
            seen.add(link.href)
            assert link.reason is not None
            selection.dropped.append(DroppedLink(link.href, link.url, link.text, link.reason))
    return selection


def select_in_page(html: str, url: str | None, url_filter: UrlFilter | None = None) -> Selection:
    """`story_selection` of a decoded page, extracting its main text first (as story mode
    does): for a library user, and the citation benchmark."""
    from archiver.extract.html.extraction import extract_html

    extraction = extract_html(html, url)
    return story_selection(html, url, extraction.text,
                           [link.to_dict() for link in extraction.links], url_filter)


def _deepest_holding(blocks: list[etree._Element], weight: dict[etree._Element, int],
                     total: int) -> etree._Element | None:
    """The deepest element that holds REGION_SHARE of the blocks' text (`weight`: the text
    of the blocks each element holds), found from each block up."""
    best: etree._Element | None = None
    best_depth = -1
    for block in blocks:
        chain = [block, *block.iterancestors()]
        for index, element in enumerate(chain):
            if weight.get(element, 0) >= REGION_SHARE * total:
                depth = len(chain) - index
                if depth > best_depth:
                    best, best_depth = element, depth
                break
    return best


def _off_screen(anchor: etree._Element) -> bool:
    """Whether the link, or what holds it, is placed far off the screen by its inline style."""
    return any(OFFSCREEN_STYLE.search(element.get("style") or "")
               for element in (anchor, *anchor.iterancestors()))
