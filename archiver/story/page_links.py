"""Every link of a story page with the part of the page it sits in, so that the links left
out of the citations (the main text's links) can each be given a reason a person recognises:
"navigation", "a box of related stories", "a share bar"…"""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.html
from lxml import etree

from archiver.capture.urls import try_normalize
from archiver.story.citation_words import BOX_HINTS

_LANDMARKS = {"nav": "navigation", "header": "the page header", "footer": "the page footer",
              "aside": "a side box", "form": "a form", "menu": "a menu"}
_ROLES = {"navigation": "navigation", "banner": "the page header",
          "contentinfo": "the page footer", "complementary": "a side box"}
# Boxes a site names for what they are, as citation detection knows them, then the parts of
# a page's frame that only matter for saying where a link sits.
_FRAME_HINTS = (
    (re.compile(r"\bfooter\b"), "the page footer"),
    (re.compile(r"\b(header|masthead)\b"), "the page header"),
)
_CLASS_HINTS = BOX_HINTS + _FRAME_HINTS


@dataclass(frozen=True)
class PageLink:
    href: str
    url: str | None
    text: str
    area: str
    """Where on the page the link is ("navigation", "a share bar"…, or "the page")."""


def page_links(html: str, base_url: str | None) -> list[PageLink]:
    """Every <a href> of the page, in document order."""
    try:
        tree = lxml.html.document_fromstring(html or "<html></html>")
    except (etree.ParserError, ValueError):
        return []
    base = base_url
    for element in tree.iter("base"):
        if element.get("href"):
            base = try_normalize(element.get("href", ""), base_url) or base_url
            break
    links = []
    for anchor in tree.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href:
            continue
        text = " ".join(anchor.text_content().split())
        links.append(PageLink(href, try_normalize(href, base), text, area_of(anchor)))
    return links


def area_of(element: etree._Element) -> str:
    """The part of the page an element is in, as a person would name it."""
    for ancestor in element.iterancestors():
        names = f"{ancestor.get('class') or ''} {ancestor.get('id') or ''}".lower()
        for pattern, area in _CLASS_HINTS:
            if names.strip() and pattern.search(names):
                return area  # the site's own name for the box says most
        role = (ancestor.get("role") or "").lower()
        if role in _ROLES:
            return _ROLES[role]
        tag = ancestor.tag if isinstance(ancestor.tag, str) else ""
        if tag in _LANDMARKS:
            return _LANDMARKS[tag]
    return "the page"
