"""All the text a reader of a page sees, not only its main text: navigation, captions, asides,
pull quotes, comments. For search, and for finding a quote that sits outside the article body.

    visible_text(tree) -> VisibleText

One walk over the parsed page (lxml's iterwalk: iterative, so a deeply nested page costs no
recursion), before the main-text pass changes the tree. Left out, as a browser shows nothing
of them: script, style, template, noscript (a browser with scripts on), the <head>, form
controls' values, and elements hidden by the `hidden` attribute, `aria-hidden="true"`, or an
inline `display: none` / `visibility: hidden`. Block elements (and <br>) end lines; runs of
white space inside a line are one space; empty lines are dropped. The result is cut at
MAX_VISIBLE_CHARS (the JSON that holds it must stay small enough for every reader of a
package's extraction files).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.etree
import lxml.html

MAX_VISIBLE_CHARS = 200_000
"""About 30,000 words: more than any article page shows."""
HIDDEN_TAGS = frozenset({"script", "style", "template", "noscript", "head", "title", "meta",
                         "link", "base", "select", "option", "datalist", "textarea", "input",
                         "button", "object", "embed", "iframe", "svg", "math", "canvas",
                         "audio", "video", "map", "param", "source", "track"})
BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "body", "caption", "dd", "details", "dialog",
    "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3",
    "h4", "h5", "h6", "header", "hgroup", "hr", "html", "legend", "li", "main", "nav", "ol",
    "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
    "ul", "br", "center", "menu", "picture"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_SPACE = re.compile(r"[^\S\n]+")


@dataclass(frozen=True)
class VisibleText:
    text: str
    cut: bool
    """The page had more visible text than MAX_VISIBLE_CHARS."""


def _is_hidden(element: lxml.etree._Element, tag: str) -> bool:
    if tag in HIDDEN_TAGS or not tag:  # (no tag: a comment or processing instruction)
        return True
    get = element.get  # a C call each: cheaper than making the attribute mapping
    if get("hidden") is not None:
        return True
    aria = get("aria-hidden")
    if aria is not None and aria.strip().lower() == "true":
        return True
    style = get("style")
    return bool(style and _HIDDEN_STYLE.search(style))


def visible_text(tree: lxml.html.HtmlElement, limit: int = MAX_VISIBLE_CHARS) -> VisibleText:
    """The page's visible text, lines apart by `\\n`, at most `limit` characters."""
    pieces: list[str] = []
    append = pieces.append
    size = 0
    walker = lxml.etree.iterwalk(tree, events=("start", "end"))
    for event, element in walker:
        tag = element.tag
        tag = tag.lower() if isinstance(tag, str) else ""  # (lxml.html gives lowercase)
        if event == "start":
            if _is_hidden(element, tag):
                walker.skip_subtree()  # its end event still comes: its tail goes on
                continue
            if tag in BLOCK_TAGS:
                append("\n")
            text = element.text
            if text:
                append(text)
                size += len(text)
        else:
            if tag in BLOCK_TAGS:
                append("\n")
            tail = element.tail
            if tail and element is not tree:
                append(tail)
                size += len(tail)
                if size > 2 * limit:  # white space collapsed below shrinks it: stop well past
                    break
    return _lines("".join(pieces), limit)


def _lines(raw: str, limit: int) -> VisibleText:
    lines = (_SPACE.sub(" ", line).strip() for line in raw.split("\n"))
    text = "\n".join(line for line in lines if line)
    if len(text) <= limit:
        return VisibleText(text, False)
    return VisibleText(text[:limit].rsplit("\n", 1)[0] if "\n" in text[:limit]
                       else text[:limit], True)
