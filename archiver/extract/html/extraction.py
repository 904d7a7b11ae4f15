"""Main text and metadata of an HTML page.

    extract_html(html, url) -> HtmlExtraction

The input is an already decoded document (charset and Content-Encoding are handled by the
caller). Nothing here raises on bad input: what could not be done is said in `problems`.
The work is bounded (see html.parse.MAX_MARKUP_CHARS), so a 50 MB page takes seconds.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields
from typing import Any

from archiver.extract.html.jsonld import main_object, text_value
from archiver.extract.html.links import HtmlLink, base_url, build_links
from archiver.extract.html.metadata import PageMetadata, extract_metadata
from archiver.extract.html.parse import parse_html
from archiver.extract.html.text import MainText, extract_main_text
from archiver.extract.html.visible import VisibleText, visible_text

__all__ = ["HtmlExtraction", "HtmlLink", "extract_html"]


@dataclass
class HtmlExtraction(PageMetadata):
    """What was extracted from one HTML page: what it says about itself (PageMetadata), its
    main text, the links of that text, and all its visible text."""

    text: str = ""
    links: list[HtmlLink] = field(default_factory=list)
    visible_text: str = ""
    """All the page's visible text, main text or not (html/visible.py)."""
    visible_text_cut: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values (links as dicts, containers copied)."""
        values = {name: copy.copy(getattr(self, name)) for name in _FIELDS}
        values["links"] = [link.to_dict() for link in self.links]
        return values


_FIELDS = [item.name for item in fields(HtmlExtraction)]


def _combine(meta: PageMetadata, main: MainText, links: list[HtmlLink],
             problems: list[str], visible: VisibleText) -> HtmlExtraction:
    found = {item.name: getattr(meta, item.name) for item in fields(PageMetadata)}
    found["problems"] = [*problems, *meta.problems, *main.problems]
    return HtmlExtraction(**found, text=main.text, links=links, visible_text=visible.text,
                          visible_text_cut=visible.cut)


def extract_html(html: str, url: str | None = None) -> HtmlExtraction:
    """Main text, metadata and main-text links of a decoded HTML page. Never raises."""
    if not isinstance(html, str):
        return HtmlExtraction(problems=["input is not text (decode it first)"])
    try:
        return _extract(html, url)
    except Exception as exc:  # a bug or a library's surprise must not lose the capture
        return HtmlExtraction(problems=[f"extraction failed ({type(exc).__name__}: {exc})"])


def _extract(html: str, url: str | None) -> HtmlExtraction:
    page = parse_html(html)
    if page.tree is None:
        return HtmlExtraction(problems=[*page.problems, "no main text found"])
    visible = visible_text(page.tree)  # before the main-text pass changes the tree
    base = base_url(page.tree, url)
    meta = extract_metadata(page.tree, url, base)
    article = main_object(meta.json_ld)
    article_body = text_value(article.get("articleBody")) if article else None
    main = extract_main_text(page.tree, article_body, meta.title, base)
    links = build_links(main.text, main.spans, base, url)
    return _combine(meta, main, links, page.problems, visible)
