"""Every link of a story page with the part of the page it sits in, so that the links left
out of the citations (the main text's links) can each be given a reason a person recognises:
"navigation", "related stories", "share bar"…"""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.html
from lxml import etree

from archiver.capture.urls import try_normalize

_LANDMARKS = {"nav": "navigation", "header": "the page header", "footer": "the page footer",
              "aside": "a side box", "form": "a form", "menu": "a menu"}
_ROLES = {"navigation": "navigation", "banner": "the page header",
          "contentinfo": "the page footer", "complementary": "a side box"}
# Words in class or id names that sites use for their boxes, most telling first.
_CLASS_HINTS = (
    (re.compile(r"related|recommend|more-stories|read-next|also-read|trending|popular"),
     "related stories"),
    (re.compile(r"share|social"), "a share bar"),
    (re.compile(r"comment|discussion|replies"), "comments"),
    (re.compile(r"cookie|consent|gdpr"), "a cookie notice"),
    (re.compile(r"newsletter|subscribe|signup|sign-up"), "a newsletter box"),
    (re.compile(r"\btags?\b|tag-?list|tag-?cloud|topics|keywords"), "a tag list"),
    (re.compile(r"breadcrumb"), "breadcrumbs"),
    (re.compile(r"\bfooter\b"), "the page footer"),
    (re.compile(r"\b(header|masthead)\b"), "the page header"),
    (re.compile(r"\bsidebar\b"), "a side box"),
    (re.compile(r"\b(nav|navbar|navigation|menu)\b"), "navigation"),
    (re.compile(r"byline|author"), "the byline"),
)


@dataclass(frozen=True)
class PageLink:
    href: str
    url: str | None
    text: str
    area: str
    """Where on the page the link is ("navigation", "related stories"…, or "the page")."""


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
