"""Authors of a page: JSON-LD, then author meta tags, then the byline in the markup."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import lxml.html

from archiver.extract.html.jsonld import person_names, types_of

AUTHOR_META = (
    "author", "article:author", "parsely-author", "sailthru.author", "dc.creator",
    "dcterms.creator", "citation_author", "byl", "og:article:author", "book:author",
)
# Where a byline lives in the markup, strongest signal first.
_BYLINE_XPATHS = (
    '//*[@itemprop="author"]//*[@itemprop="name"]',
    '//*[@itemprop="author"]',
    '//a[@rel="author"]',
    '//*[contains(@class, "byline") or contains(@id, "byline")]',
    '//*[contains(@class, "author") or contains(@id, "author")]',
)
_PREFIX = re.compile(r"^(?:(?:written|posted|reported|text|story|words)\s+)?"
                     r"(?:by|von|par|por|di|door|av|de)\s*:?\s+", re.IGNORECASE)
# Lines of a byline naming someone other than a writer.
_OTHER_ROLES = re.compile(r"^(?:edited|photos?|photographs?|illustrations?|images?|video|"
                          r"additional reporting|updated|published|fact-checked|reviewed)\b",
                          re.IGNORECASE)
_SPLIT = re.compile(r"\s*(?:,|;|\||&|\band\b|\bund\b|\bet\b|\by\b|"
                    r"\(?\s*\b(?:with|avec|mit|con)\b)\s*", re.IGNORECASE)
# One short token ("AP", "AFP", "CC") is an agency code or initials, not a person's name.
_TOO_SHORT = 3
_NOT_A_NAME = re.compile(r"https?:|www\.|@|[<>{}=/]")
_ROLE_SUFFIX = re.compile(r"\s*[-–—,|]\s*(?:staff|senior|chief|special|contributing|the|"
                          r"associated|reuters|ap\b|correspondent|reporter|editor|writer).*$",
                          re.IGNORECASE)
# A name stops where a date or time starts ("Jane Roe 22 Dec 2016, 10:00").
_TRAILING_NUMBERS = re.compile(r"\s*\d.*$")


def clean_names(raw: str) -> list[str]:
    """Person names out of a byline string ("By A and B, Staff Writer" -> ["A", "B"]).

    >>> clean_names("By Jane Roe and John Doe")
    ['Jane Roe', 'John Doe']
    """
    names: list[str] = []
    for line in raw.splitlines():
        text = " ".join(line.split())
        text = _PREFIX.sub("", text)
        if not text or _OTHER_ROLES.match(text):
            continue
        text = _ROLE_SUFFIX.sub("", text)
        for part in _SPLIT.split(text):
            part = _TRAILING_NUMBERS.sub("", _PREFIX.sub("", part.strip(" .:-–—·•")))
            if part.count("(") != part.count(")"):
                part = part.strip("()").strip()
            words = part.split()
            if (not words or len(words) > 5 or len(part) > 60 or _NOT_A_NAME.search(part)
                    or (len(words) == 1 and len(part) <= _TOO_SHORT)):
                continue
            names.append(part)
    return names


def _unique(names: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for name in names:
        key = name.casefold()
        if key not in seen:
            seen.add(key)
            out.append(name)
    return out


def _from_json_ld(article: dict[str, Any] | None) -> list[str]:
    if not article:
        return []
    value = article.get("author") or article.get("creator")
    items = value if isinstance(value, list) else [value]
    # An Organization as author is usually the publisher standing in for a person.
    people = [i for i in items if not (isinstance(i, dict) and "organization" in types_of(i))]
    names = [n for raw in person_names(people) for n in clean_names(raw)]
    return _unique(names)


def _from_meta(meta: dict[str, list[str]]) -> list[str]:
    for name in AUTHOR_META:
        found = [n for raw in meta.get(name, ()) for n in clean_names(raw)]
        if found:
            return _unique(found)
    return []


def _element_names(elem: lxml.html.HtmlElement) -> list[str]:
    """Names in one byline element: its links' texts when it has any (they are the author
    pages; the rest is often a date), else its own text, line by line."""
    content = elem.get("content")
    if content:
        return clean_names(content)
    text = elem.text_content()
    if not text or len(text) > 300:
        return []
    named = clean_names(text)
    linked = [n for a in elem.iter("a") for n in clean_names(a.text_content())]
    # The whole text wins when it names everyone linked (co-authors without a page of their
    # own); otherwise its extra words are dates or roles, and the links are the names.
    if named and {n.casefold() for n in linked} <= {n.casefold() for n in named}:
        return named
    return linked or named


def _from_markup(tree: lxml.html.HtmlElement) -> list[str]:
    for xpath in _BYLINE_XPATHS:
        elems = tree.xpath(xpath)
        first = next((e for e in elems[:30] if _element_names(e)), None)
        if first is None:
            continue
        # Co-authors sit beside the first byline; matches elsewhere are other stories'.
        parent = first.getparent()
        found = [n for e in elems if e is first or e.getparent() is parent
                 for n in _element_names(e)]
        return _unique(found)
    return []


def find_authors(tree: lxml.html.HtmlElement, article: dict[str, Any] | None,
                 meta: dict[str, list[str]]) -> list[str]:
    """The page's authors, from the most explicit source that names any."""
    return _from_json_ld(article) or _from_meta(meta) or _from_markup(tree)
