"""The main text of a page: trafilatura finds it, html.blocks renders it, html.trim trims it.

trafilatura runs in fast mode (its own extractor only): its second-opinion extractors
(readability, justext) cost more time and scored lower on the development set. Before it runs,
an article body split into several same-class containers is joined (html.chunks), since
trafilatura takes only the first. Where the fast result is suspect, a second opinion is asked
(docs/decisions.md): when it is clearly too little (a small share of the page's visible text: a
listing page, or a layout the extractor did not recognise), trafilatura's full extraction,
then its baseline (the page's paragraphs, cheap), each taken if clearly longer; when it is
nearly the whole of a page of some size (its menus with the story), the full extraction, taken
if clearly shorter.
"""

from __future__ import annotations

import logging
from typing import Any

import lxml.etree
import lxml.html
import trafilatura
from trafilatura.settings import use_config

from archiver.extract.html.blocks import LinkSpan, MainText, collect_blocks, join_blocks
from archiver.extract.html.chunks import merge_split_bodies
from archiver.extract.html.embeds import unhide_embedded_posts
from archiver.extract.html.trim import (
    drop_calls_to_action,
    drop_leading_title,
    drop_link_lists,
    drop_promos,
    drop_trailing_teasers,
)
from archiver.extract.html.whole_page import with_block_boundaries

__all__ = ["LinkSpan", "MainText", "extract_main_text", "render"]

# Library code does not print: without a handler of their own, these loggers' warnings
# would reach stderr through logging's last-resort handler. Records still propagate.
for _name in ("trafilatura", "htmldate", "courlan", "readability", "justext"):
    logging.getLogger(_name).addHandler(logging.NullHandler())

_CONFIG = use_config()
# parse_html already capped the input; trafilatura's own limits must not cut it again.
_CONFIG.set("DEFAULT", "MAX_FILE_SIZE", "100000000")
_CONFIG.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")

# When the page's own JSON-LD articleBody is this much longer than what was found, the
# extractor missed most of the article (typically text rendered by script).
ARTICLE_BODY_RATIO = 2.0
MIN_ARTICLE_BODY_CHARS = 400
# The fast result is suspect when it holds less than this share of the page's visible text
# (an article is rarely under a twentieth of its page) and is shorter than this (a result this
# long is an article, whatever surrounds it: trafilatura's own bound for its recall retry).
SECOND_OPINION_PAGE_SHARE = 0.05
SECOND_OPINION_MAX_CHARS = 3000
# ... and the second opinion replaces it only when this much longer (trafilatura's own
# acceptance ratio for its recall retry).
SECOND_OPINION_RATIO = 1.5


# The fast result is suspect too when it holds nearly all the text of a page of some size: an
# article is rarely its whole page (a page laid out without the markup the fast extractor
# reads took in its menus and footer). The full extraction replaces it when it keeps at most
# this share of it, and not less than a short article.
TOO_MUCH_PAGE_SHARE = 0.9
TOO_MUCH_MIN_PAGE_CHARS = 3000
TOO_MUCH_RATIO = 0.6
MIN_ARTICLE_CHARS = 300


def _trafilatura_body(tree: lxml.html.HtmlElement, fast: bool = True) -> Any | None:
    document = trafilatura.bare_extraction(
        tree, url=None, fast=fast, include_comments=False, include_links=True,
        include_tables=True, include_images=False, include_formatting=False,
        with_metadata=False, config=_CONFIG,
    )
    body = getattr(document, "body", None) if document is not None else None
    return with_block_boundaries(tree, body)


def render(body: Any, title: str | None = None, page_url: str | None = None) -> MainText:
    """The article text of trafilatura's body tree, trimmed of a repeated headline, of boxes
    of links to the page's own site, of paragraphs that only point elsewhere on it, and of a
    trailing run of teasers."""
    blocks = drop_leading_title(collect_blocks(body), title)
    blocks = drop_promos(drop_link_lists(blocks, page_url), page_url)
    return join_blocks(drop_calls_to_action(drop_trailing_teasers(blocks)))


_VISIBLE_CHARS = lxml.etree.XPath("string-length(normalize-space(.))")


def visible_chars(tree: lxml.html.HtmlElement) -> int:
    """Characters of the page's text, whitespace collapsed (scripts and styles are gone)."""
    body = tree.find("body")
    length = _VISIBLE_CHARS(body if body is not None else tree)
    return int(length) if isinstance(length, float) else 0


def _extract(tree: lxml.html.HtmlElement, title: str | None, page_url: str | None,
             problems: list[str], fast: bool = True) -> MainText:
    try:
        body = _trafilatura_body(tree, fast)
    except Exception as exc:  # a third-party failure becomes a note
        problems.append(f"the main-text extractor failed ({type(exc).__name__}: {exc})")
        return MainText("")
    return render(body, title, page_url) if body is not None else MainText("")


def with_second_opinion(tree: lxml.html.HtmlElement, main: MainText, title: str | None,
                         page_url: str | None, problems: list[str]) -> MainText:
    """If the fast extractor kept little of the page: trafilatura's full extraction (its
    fallback extractors compared), else its baseline (the page's paragraphs), whichever first
    finds clearly more. If it kept nearly all of a page of some size (its menus, lists and
    footer with the article), the full extraction, when it finds a clearly smaller part."""
    page_chars = visible_chars(tree)
    if (len(main.text) >= TOO_MUCH_PAGE_SHARE * page_chars
            and page_chars >= TOO_MUCH_MIN_PAGE_CHARS):
        full = _extract(tree, title, page_url, problems, fast=False)
        if MIN_ARTICLE_CHARS <= len(full.text) <= TOO_MUCH_RATIO * len(main.text):
            return full
        return main
    if (len(main.text) >= SECOND_OPINION_MAX_CHARS
            or len(main.text) >= SECOND_OPINION_PAGE_SHARE * page_chars):
        return main
    full = _extract(tree, title, page_url, problems, fast=False)
    if len(full.text) > SECOND_OPINION_RATIO * len(main.text):
        return full
    try:
        body, _, _ = trafilatura.baseline(tree)  # works on a copy
        body = with_block_boundaries(tree, body)
    except Exception as exc:  # a third-party failure becomes a note
        problems.append(f"the fallback extractor failed ({type(exc).__name__}: {exc})")
        return main
    other = render(body, title)
    if len(other.text) <= SECOND_OPINION_RATIO * len(main.text):
        return main
    problems.append("the main-text extractor kept little of the page; the main text is the "
                    "page's paragraphs (their links are not kept)")
    return other


def extract_main_text(tree: lxml.html.HtmlElement, article_body: str | None,
                      title: str | None = None, page_url: str | None = None) -> MainText:
    """The main text of a parsed page, with its links; problems say what went wrong.
    page_url (the base relative links resolve against) tells the page's own site."""
    problems: list[str] = []
    # Metadata has been read by now: scripts and styles only cost trafilatura a deep copy
    # and its cleaning passes, so they go first, at C speed.
    lxml.etree.strip_elements(tree, "script", "style", "template", with_tail=False)
    unhide_embedded_posts(tree)
    merge_split_bodies(tree)
    main = _extract(tree, title, page_url, problems)
    main = with_second_opinion(tree, main, title, page_url, problems)
    main.problems.extend(problems)
    body_text = " ".join((article_body or "").split())
    if (len(body_text) >= MIN_ARTICLE_BODY_CHARS
            and len(body_text) > ARTICLE_BODY_RATIO * len(main.text)):
        main = MainText(body_text, [], [
            *problems,
            "the page's markup held little of the article; the main text is the JSON-LD "
            "articleBody (no links are available from it)",
        ])
    if not main.text:
        main.problems.append("no main text found")
    return main
