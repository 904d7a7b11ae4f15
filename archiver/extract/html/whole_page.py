"""The whole page's text, one paragraph a block: in place of trafilatura's last resort.

When nothing else finds text (a short page: an error page, a notice), trafilatura's baseline
takes every text node of the page body, joined by newlines, as one paragraph. A newline then
stands both between blocks (a heading and the paragraph after it) and inside a sentence (the
text before a link and the link's), so the rendered text either runs blocks together ("...that
page It may...") or breaks sentences apart. Read from the page again, with block elements as
the boundaries, the same words come out one paragraph a block.
"""

from __future__ import annotations

from copy import copy
from typing import Any

import lxml.etree
import lxml.html
from trafilatura.baseline import basic_cleaning
from trafilatura.utils import remove_control_characters, trim

BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main",
    "nav", "ol", "p", "pre", "section", "summary", "table", "td", "th", "tr", "ul",
})


def with_block_boundaries(tree: lxml.html.HtmlElement, body: Any) -> Any:
    """`body` (trafilatura's result for `tree`), or, when it is the baseline's whole-page text,
    the same text as one paragraph a block of the page."""
    if not _is_whole_page(body):
        return body
    page_body = _cleaned_body(tree)
    if page_body is None:
        return body
    whole = "\n".join(text for node in page_body.itertext() if (text := trim(node)))
    if remove_control_characters(whole) != body[0].text:
        return body  # not the baseline's dump after all: keep what trafilatura found
    rebuilt = lxml.etree.Element("body")
    for line in block_lines(page_body):
        lxml.etree.SubElement(rebuilt, "p").text = remove_control_characters(line)
    return rebuilt


def _is_whole_page(body: Any) -> bool:
    return (body is not None and len(body) == 1 and body[0].tag == "p" and len(body[0]) == 0
            and "\n" in (body[0].text or ""))


def _cleaned_body(tree: lxml.html.HtmlElement) -> Any | None:
    """The page body as trafilatura's baseline reads it (a cleaned copy)."""
    return basic_cleaning(copy(tree)).find(".//body")


def block_lines(root: Any) -> list[str]:
    """The text of `root`, a line a block element (a heading, paragraph, list item, cell, line
    break...), inline elements kept within their line. Walks without recursion.

    >>> page = lxml.html.fromstring("<body><h1>Not found</h1><p>Try the <a>front "
    ...                             "page</a>.<br>Or search.</p><!-- x --></body>")
    >>> block_lines(page)
    ['Not found', 'Try the front page.', 'Or search.']
    """
    lines: list[str] = []
    current: list[str] = []

    def close_line() -> None:
        text = " ".join("".join(current).split())
        if text:
            lines.append(text)
        current.clear()

    for event, element in lxml.etree.iterwalk(root, events=("start", "end")):
        is_element = isinstance(element.tag, str)
        if event == "start":
            if element.tag in BLOCK_TAGS:
                close_line()
            if is_element and element.text:
                current.append(element.text)
            continue
        if element.tag in BLOCK_TAGS:
            close_line()
        if element is not root and element.tail:
            current.append(element.tail)
    close_line()
    return lines
