"""Metadata of an HTML page: title, authors, dates, canonical URL, language, description,
site name, OpenGraph and Twitter card properties, JSON-LD.

Every field is taken from the most explicit statement the page makes (JSON-LD, then meta
tags, then visible markup), never from rules about particular sites.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import lxml.html

from archiver.extract.html.authors import find_authors
from archiver.extract.html.dates import modified_date, published_date
from archiver.extract.html.jsonld import main_object, parse_json_ld, text_value, types_of
from archiver.extract.html.title import find_title

MAX_META_ELEMENTS = 2000


@dataclass
class PageMetadata:
    """What the page says about itself."""

    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    modified: str | None = None
    canonical_url: str | None = None
    language: str | None = None
    description: str | None = None
    site_name: str | None = None
    opengraph: dict[str, str | list[str]] = field(default_factory=dict)
    twitter: dict[str, str | list[str]] = field(default_factory=dict)
    json_ld: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def clean_text(value: str | None) -> str | None:
    if value is None:
        return None
    text = " ".join(value.split())
    return text or None


def collect_meta(tree: lxml.html.HtmlElement) -> dict[str, list[str]]:
    """<meta> contents keyed by lower-cased name/property/itemprop/http-equiv, in page order."""
    meta: dict[str, list[str]] = {}
    for elem in tree.iter("meta"):
        if len(meta) > MAX_META_ELEMENTS:
            break
        content = clean_text(elem.get("content"))
        if content is None:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = elem.get(attr)
            if key:
                meta.setdefault(key.strip().lower(), []).append(content)
    return meta


def _prefixed(tree: lxml.html.HtmlElement, prefixes: tuple[str, ...]) -> dict[str, str | list[str]]:
    """og:/article:/twitter: properties as written (case kept), repeated ones as lists."""
    found: dict[str, str | list[str]] = {}
    for elem in tree.iter("meta"):
        key = (elem.get("property") or elem.get("name") or "").strip()
        content = clean_text(elem.get("content"))
        if not key or content is None or not key.lower().startswith(prefixes):
            continue
        previous = found.get(key)
        if previous is None:
            found[key] = content
        elif isinstance(previous, list):
            previous.append(content)
        elif previous != content:
            found[key] = [previous, content]
    return found


def _first_meta(meta: dict[str, list[str]], *names: str) -> str | None:
    for name in names:
        values = meta.get(name)
        if values:
            return values[0]
    return None


def _site_name(meta: dict[str, list[str]], objects: list[dict[str, Any]]) -> str | None:
    named = _first_meta(meta, "og:site_name", "application-name", "publisher")
    if named:
        return named
    for obj in objects:
        if types_of(obj) & {"website", "organization", "newsmediaorganization"}:
            name = text_value(obj.get("name"))
            if name:
                return name
    return None


def _language(tree: lxml.html.HtmlElement, meta: dict[str, list[str]],
              article: dict[str, Any] | None) -> str | None:
    lang = tree.get("lang") or tree.get("xml:lang")
    if not lang:
        lang = _first_meta(meta, "content-language", "language", "dc.language")
    if not lang and article:
        lang = text_value(article.get("inLanguage"))
    if not lang:
        locale = _first_meta(meta, "og:locale")
        lang = locale.replace("_", "-") if locale else None
    return clean_text(lang)


def _canonical(tree: lxml.html.HtmlElement, meta: dict[str, list[str]],
               base: str | None) -> str | None:
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        href = (link.get("href") or "").strip()
        if "canonical" in rel and href:
            try:
                return urljoin(base, href) if base else href
            except ValueError:  # malformed (e.g. an unbalanced IPv6 bracket): not a URL
                continue
    return _first_meta(meta, "og:url")


def extract_metadata(tree: lxml.html.HtmlElement, url: str | None,
                     base: str | None) -> PageMetadata:
    """All metadata of a parsed page; never raises on odd values."""
    objects, problems = parse_json_ld(tree)
    article = main_object(objects)
    meta = collect_meta(tree)
    site_name = _site_name(meta, objects)
    description = _first_meta(meta, "description", "og:description", "twitter:description")
    if description is None and article:
        description = text_value(article.get("description"))
    return PageMetadata(
        title=find_title(tree, article, meta, site_name, url or base),
        authors=find_authors(tree, article, meta),
        published=published_date(tree, article, meta, url),
        modified=modified_date(tree, article, meta),
        canonical_url=_canonical(tree, meta, base),
        language=_language(tree, meta, article),
        description=description,
        site_name=site_name,
        opengraph=_prefixed(tree, ("og:", "article:")),
        twitter=_prefixed(tree, ("twitter:",)),
        json_ld=objects,
        problems=problems,
    )
