"""The headline of an HTML page, as a reader sees it.

A page states its title in several places that often disagree: the JSON-LD headline (often
an SEO variant), og:title and twitter:title (often a social-media variant), and <title>
(usually with the site's name, sometimes a section, an author or a shorter form). The
headline a reader sees is the page's <h1>. So the title is an <h1> that one of the stated
titles confirms (the same words, or the same words with a site name, section or author
joined by a separator, or a cut-off "..." form of them); a confirmed <h1> cannot be a logo,
a section name or a "Related stories" heading. When no <h1> is confirmed, an <h2> a stated
title confirms (some pages keep the site's name or a promotion in their <h1>); then the
page's only headline-like <h1>; failing that, a stated title, with the site's name cut off
(by its stated name or its host; when nothing names it, the short labels after a headline).

No rule here names a site.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit

import lxml.html

from archiver.extract.html.jsonld import text_value

# "Headline | Site", "Headline - Site", "Site: Headline", "Headline @ Blog": separators
# between a headline and the site's name (or section, or author).
TITLE_SEPARATORS = re.compile(r"\s+[|\-–—·•»:/@]{1,2}\s+|\s+::\s+|\s*[|｜]\s*|\s+_|:\s+")
_SEPARATOR_CHARS = " |-–—·•»:/_｜"
# a separator right after a headline ("Headline | Site") or right before it ("Site: Headline")
_AFTER_HEADLINE = re.compile(r"\s*[|｜_]|:\s|\s+(?:[-–—·•»/@]{1,2}|::)\s")
_BEFORE_HEADLINE = re.compile(r"(?:[|｜_:]|\s(?:[-–—·•»/@]{1,2}|::))\s*$")
# What sites append to a headline in <title> when nothing else names it: "Headline – My
# website", "Headline_Section_Site" (Chinese sites), "Headline @ Blog :: Platform".
_TRAILING_SEPARATOR = re.compile(
    r"\s+(?:[|\-–—·•»/@]{1,2}|::)\s+|\s*[|｜]\s*|(?<=[\u2e80-\uffff\s])_")
MAX_TRAILING_LABELS = 4
MAX_LABEL_WORDS = 4
MAX_LABEL_CHARS = 40
_PERMALINK_MARKS = "¶"
"""A documentation generator's link to its own heading, shown after the heading's words."""
# An escaped entity left in a value (a JSON-LD headline written as "doesn&#8217;t").
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_ELLIPSIS = ("...", "…")
MAX_HEADINGS = 8
MAX_HEADING_CHARS = 300
MAX_TITLE_CHARS = 2000
MIN_HEADLINE_WORDS = 4
MIN_HEADLINE_CHARS = 8
"""... or this many characters of a script written without spaces (Chinese, Japanese)."""
_CJK_START = 0x2E80
MIN_CUT_CHARS = 20
"""A stated title cut off with "..." confirms an <h1> only if this much is left of it."""


def clean_title(value: str | None) -> str | None:
    """Whitespace collapsed and escaped entities left in the value decoded; a hostile
    megabyte-long value is cut (no headline is that long)."""
    if value is None:
        return None
    value = value[:MAX_TITLE_CHARS]
    if _ENTITY.search(value):
        value = html.unescape(value)
    text = " ".join(value.split())
    return text or None


def comparable(text: str) -> str:
    """A form of a title for comparing: case, quotes, dashes, spacing and ellipses unified."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    text = text.replace("\u201c", '"').replace("\u201d", '"').replace("\u201e", '"')
    text = re.sub(r"[\u2010-\u2015]", "-", text)
    return " ".join(text.split()).strip(" .")


def _segments(title: str) -> list[str]:
    return [part for part in TITLE_SEPARATORS.split(title) if part.strip()]


def confirms(stated: str, heading: str) -> bool:
    """Whether a stated title says the same as a heading: equal, or equal once a shorter
    site name, section or author joined by a separator is taken away, or a cut-off form of
    it ("The first words of the heading...")."""
    said, seen = comparable(stated), comparable(heading)
    if not said or not seen:
        return False
    if said == seen:
        return True
    if said.startswith(seen) and _AFTER_HEADLINE.match(said, len(seen)):
        rest = said[len(seen):].strip(_SEPARATOR_CHARS)
        # a one-word name after it ("Mozilla - Wikipedia") is the site, however long
        return len(rest) < len(seen) or (bool(rest) and len(rest.split()) == 1)
    if said.endswith(seen) and _BEFORE_HEADLINE.search(said[: len(said) - len(seen)]):
        return len(said[: len(said) - len(seen)].strip(_SEPARATOR_CHARS)) < len(seen)
    stripped = stated.rstrip()
    for mark in _ELLIPSIS:
        if stripped.endswith(mark):
            cut = comparable(stripped[: -len(mark)])
            return len(cut) >= MIN_CUT_CHARS and seen.startswith(cut)
    return False


def _host_label(url: str | None) -> str:
    """The distinctive label of a URL's host: "example" for https://www.example.co.uk/."""
    try:
        host = (urlsplit(url).hostname or "") if url else ""
    except ValueError:
        return ""
    labels = [label for label in host.split(".") if label not in ("www", "m", "amp")]
    if len(labels) >= 3 and len(labels[-2]) <= 3:  # example.co.uk, example.com.au
        return labels[-3]
    return labels[-2] if len(labels) >= 2 else (labels[0] if labels else "")


def _letters(text: str) -> str:
    return "".join(ch for ch in comparable(text) if ch.isalnum())


def _is_site(segment: str, site_name: str | None, host_label: str) -> bool:
    """Whether a title segment names the site: its stated name, or its host name."""
    seg = comparable(segment)
    site = comparable(site_name or "")
    if site and seg and (seg in site or site in seg):
        return True
    letters = _letters(segment)
    host = "".join(ch for ch in host_label.casefold() if ch.isalnum())
    if not letters or len(host) < 3:
        return False
    if letters == host or (letters.startswith(host) and len(letters) <= len(host) + 4):
        return True
    # the host spelled by the name's first words: "Vortex Cannon Entertainment" on
    # vortexcannon.org
    words = segment.split()[:MAX_LABEL_WORDS + 1]
    return any(_letters(" ".join(words[:count])) == host for count in range(1, len(words)))


def strip_site(title: str, site_name: str | None, url: str | None = None) -> str:
    """Drop a leading or trailing site name joined to the headline by a separator."""
    parts = _segments(title)
    if len(parts) < 2:
        return title
    host = _host_label(url)
    if _is_site(parts[-1], site_name, host):
        return title[: title.rfind(parts[-1])].rstrip(_SEPARATOR_CHARS)
    if _is_site(parts[0], site_name, host):
        return title[title.find(parts[0]) + len(parts[0]):].lstrip(_SEPARATOR_CHARS)
    return title


def _headings(tree: lxml.html.HtmlElement, level: str = "h1") -> list[tuple[str, bool]]:
    """Each heading's text (of the first few <h1>s, or of another `level`), and whether it
    is the site's own: in the page's masthead, or its banner."""
    found: list[tuple[str, bool]] = []
    for element in tree.xpath(f"//body//{level}")[:MAX_HEADINGS]:
        text = clean_title(element.text_content())
        text = text.rstrip(_PERMALINK_MARKS).rstrip() if text else None
        if text and len(text) <= MAX_HEADING_CHARS:
            found.append((text, _in_masthead(element) or _is_banner(element, text)))
    return found


def _is_banner(element: lxml.html.HtmlElement, text: str) -> bool:
    """An <h1> that is the site's banner wherever it stands: a logo (by its class or id, or
    an image named one inside), or nothing but a link to the site's home page."""
    for inner in element.iter():
        if not isinstance(inner.tag, str):
            continue
        names = f"{inner.get('class') or ''} {inner.get('id') or ''}".lower()
        if "logo" in names:
            return True
    links = element.findall(".//a")
    if len(links) != 1 or clean_title(links[0].text_content()) != text:
        return False
    try:
        parts = urlsplit((links[0].get("href") or "").strip())
    except ValueError:
        return False
    return parts.path in ("", "/", "/index.html", "/index.php") and not parts.query


def _in_masthead(element: lxml.html.HtmlElement) -> bool:
    """Inside the page's <header> (or role=banner) and not inside an article or the main
    part: where sites put their own name in an <h1> (a council's, a journal's)."""
    masthead = False
    for ancestor in element.iterancestors():
        if ancestor.tag in ("article", "main") or ancestor.get("role") == "main":
            return False  # an article's own header holds its headline
        masthead = masthead or ancestor.tag == "header" or ancestor.get("role") == "banner"
    return masthead


def stated_titles(tree: lxml.html.HtmlElement, article: dict[str, Any] | None,
                  meta: dict[str, list[str]]) -> list[str]:
    """The titles a page states about itself, most explicit first (<title> last)."""
    found: list[str] = []
    headline = clean_title(text_value(article.get("headline"))) if article else None
    if headline:
        found.append(headline)
    for name in ("og:title", "twitter:title", "title", "dc.title", "citation_title"):
        for value in meta.get(name, [])[:1]:
            cleaned = clean_title(value)
            if cleaned:
                found.append(cleaned)
    page_title = clean_title(tree.findtext(".//title"))
    if page_title:
        found.append(page_title)
    return found


def find_title(tree: lxml.html.HtmlElement, article: dict[str, Any] | None,
               meta: dict[str, list[str]], site_name: str | None,
               url: str | None = None) -> str | None:
    """The headline: an <h1> a stated title confirms, else the most explicit stated title
    without its site name, else the first <h1>."""
    stated = stated_titles(tree, article, meta)
    headings = _headings(tree)
    for heading, _ in headings:
        if any(confirms(title, heading) for title in stated):
            return heading
    # Some pages keep the site's name (or a promotion) in their <h1> and the headline in an
    # <h2>, in a header of its own: one a stated title confirms is the headline.
    if stated:
        for heading, _ in _headings(tree, "h2"):
            if any(confirms(title, heading) for title in stated):
                return heading
    # A masthead's <h1> no stated title confirms is the site's name, not the headline.
    own = [heading for heading, masthead in headings if not masthead]
    lone = _lone_headline(own, site_name, url)
    if lone and not any(comparable(strip_site(title, site_name, url)) in comparable(lone)
                        for title in stated):
        return lone
    if stated:
        return without_trailing_labels(strip_site(stated[0], site_name, url))
    return own[0] if own else None


def without_trailing_labels(title: str) -> str:
    """A title without the short labels a site appends to a headline that reads as one
    ("Headline – My website", "Headline_Section_Site", "Headline @ Blog :: Platform"): what
    is left when nothing names the site. A title that does not read as a headline before
    its last separator ("Minecraft 1.8 - The Bountiful Update") is left whole.

    >>> without_trailing_labels("Lorem ipsum dolor sit amet – My website")
    'Lorem ipsum dolor sit amet'
    """
    title = title.rstrip(_SEPARATOR_CHARS + ":")
    for _ in range(MAX_TRAILING_LABELS):
        last = max(_TRAILING_SEPARATOR.finditer(title), key=lambda found: found.start(),
                   default=None)
        if last is None or last.start() == 0:
            break
        head, label = title[: last.start()].rstrip(), title[last.end():].strip()
        if (len(label) > MAX_LABEL_CHARS or len(label.split()) > MAX_LABEL_WORDS
                or not _reads_as_headline(head)):
            break
        title = head
    return title


def _lone_headline(headings: list[str], site_name: str | None, url: str | None) -> str | None:
    """The page's only <h1> that reads as a headline (a few words, not the site's name),
    when no stated title confirms one: the headline as shown, where the stated titles are
    variants written for search engines and feeds. A page of several such <h1>s (a listing,
    a book chapter) has no one headline. (An <h1> that holds a stated title and more, a
    kicker or a date, is not taken: the caller checks.)"""
    host = _host_label(url)
    candidates = [heading for heading in headings
                  if not _is_site(heading, site_name, host) and _reads_as_headline(heading)]
    return candidates[0] if len(candidates) == 1 else None


def _reads_as_headline(text: str) -> bool:
    words = text.split()
    if len(words) >= MIN_HEADLINE_WORDS:
        return True
    # scripts written without spaces between words (Chinese, Japanese, Thai)
    return sum(1 for ch in text if ord(ch) >= _CJK_START) >= MIN_HEADLINE_CHARS
