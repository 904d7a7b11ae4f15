"""Turning a decoded HTML string into an lxml tree, with the work capped.

Pages in the wild can be huge (inline images as data: URLs, megabytes of script, endless
comment threads), binary junk, or plain broken markup. The parse must stay bounded in time
and memory whatever comes in, and say what it had to leave out instead of failing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import lxml.etree
import lxml.html

# Above this many characters the main-text work is done on a prefix only: the article of a
# real page sits well within it once scripts and styles are gone, and trafilatura's time grows
# with the size of the tree.
MAX_MARKUP_CHARS = 2_000_000
# trafilatura spends about 0.3 ms per element on link-dense markup; real article pages have a
# few thousand elements (the largest of the development set 4,400), so this bounds the worst
# case to seconds without touching ordinary pages.
MAX_ELEMENTS = 10_000
# How much of the original input the linear scanner below reads at most (about 60 MB of
# ASCII); anything beyond is dropped before anything else is done with it.
MAX_INPUT_CHARS = 64_000_000

# Elements whose content is never text of the page; removed before the cap is applied so
# the prefix kept holds as much of the visible page as possible.
_INERT_ELEMENTS = ("script", "style", "svg", "noscript", "template")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>", re.IGNORECASE)
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")

# libxml2 stops parsing at this depth (unless told XML_PARSE_HUGE, which we never do: deep
# trees make every later walk costly); a page that nests deeper loses the rest of its text.
MAX_DEPTH = 255
_RESOURCE_LIMIT = lxml.etree.ErrorTypes.ERR_RESOURCE_LIMIT

_COUNT_ELEMENTS = lxml.etree.XPath("count(//*)")
_PARSER = lxml.html.HTMLParser(
    remove_comments=True, remove_pis=True, collect_ids=False, default_doctype=False
)


@dataclass
class ParsedPage:
    """The tree of a page, plus what was cut to build it."""

    tree: lxml.html.HtmlElement | None
    markup: str
    original_chars: int
    problems: list[str] = field(default_factory=list)


def _mb(chars: int) -> str:
    return f"{chars / 1_000_000:.1f} MB"


def strip_inert(markup: str) -> str:
    """Drop script/style/svg/noscript/template elements in one linear pass.

    JSON-LD scripts are kept (they carry metadata). An unclosed element swallows the rest of
    the page, as it would in a browser. str.find keeps this linear on hostile input, where a
    regular expression with a lazy body could rescan the tail once per opening tag.
    """
    lower = markup.lower()
    out: list[str] = []
    pos = 0
    length = len(markup)
    while pos < length:
        start, name = _next_inert(lower, pos)
        if start < 0:
            out.append(markup[pos:])
            break
        tag_end = lower.find(">", start)
        if tag_end < 0:
            out.append(markup[pos:start])
            break
        close = lower.find(f"</{name}", tag_end)
        keep = name == "script" and "ld+json" in lower[start:tag_end]
        end = length if close < 0 else lower.find(">", close)
        end = length if end < 0 else end + 1
        out.append(markup[pos:end] if keep else markup[pos:start])
        pos = end
    return "".join(out)


def _next_inert(lower: str, pos: int) -> tuple[int, str]:
    best, best_name = -1, ""
    for name in _INERT_ELEMENTS:
        at = lower.find(f"<{name}", pos)
        while at >= 0 and lower[at + len(name) + 1 : at + len(name) + 2].isalnum():
            at = lower.find(f"<{name}", at + 1)  # <scripts>, <stylesheet>: not ours
        if at >= 0 and (best < 0 or at < best):
            best, best_name = at, name
    return best, best_name


def cap_markup(html: str) -> tuple[str, list[str]]:
    """The markup the main-text work may use, and notes on what was left out."""
    problems: list[str] = []
    original = len(html)
    if original > MAX_INPUT_CHARS:
        html = html[:MAX_INPUT_CHARS]
        problems.append(
            f"page is {_mb(original)}; only the first {_mb(MAX_INPUT_CHARS)} were read at all"
        )
    if len(html) <= MAX_MARKUP_CHARS:
        return html, problems
    html = strip_inert(html)
    if len(html) > MAX_MARKUP_CHARS:
        problems.append(
            f"page is {_mb(original)} ({_mb(len(html))} without scripts and styles); only the"
            f" first {_mb(MAX_MARKUP_CHARS)} were used for the main text and metadata"
        )
        html = html[:MAX_MARKUP_CHARS]
    return html, problems


def parse_html(html: str) -> ParsedPage:
    """Parse (a capped prefix of) a page; the tree is None if nothing could be parsed."""
    original = len(html)
    markup, problems = cap_markup(html)
    # lxml refuses str input that declares an encoding, and NUL bytes end its input early.
    markup = _XML_DECLARATION.sub("", markup, count=1)
    if "\x00" in markup or _CONTROL_CHARS.search(markup, 0, 4096):
        markup = _CONTROL_CHARS.sub(" ", markup.replace("\x00", ""))
    if not markup.strip():
        return ParsedPage(None, markup, original, [*problems, "the document is empty"])
    try:
        tree = lxml.html.document_fromstring(markup, parser=_PARSER)
    except (lxml.etree.ParserError, ValueError) as exc:
        problems.append(f"the document could not be parsed as HTML ({exc})")
        return ParsedPage(None, markup, original, problems)
    if _hit_depth_limit(_PARSER):
        problems.append(f"the page nests its elements more than {MAX_DEPTH} deep; the parser "
                        "stops there, so the text after that point was not read")
    elements = truncate_tree(tree, MAX_ELEMENTS)
    if elements > MAX_ELEMENTS:
        problems.append(f"page has {elements:,} or more elements; only the first "
                        f"{MAX_ELEMENTS:,} (in document order) were used")
    return ParsedPage(tree, markup, original, problems)


def _hit_depth_limit(parser: lxml.html.HTMLParser) -> bool:
    # The log is the last parse's in this thread (lxml keeps a parser context per thread).
    return any(entry.type == _RESOURCE_LIMIT and "depth" in entry.message
               for entry in parser.error_log)


def truncate_tree(tree: lxml.html.HtmlElement, limit: int) -> int:
    """Cut everything after the limit-th element (document order); return how many elements
    were seen (limit + 1 means "more than limit")."""
    # Counting in C first: nearly every page is under the limit and needs no walk at all.
    total = _COUNT_ELEMENTS(tree)
    if isinstance(total, float) and total <= limit:
        return int(total)
    count = 0
    last = None
    for elem in tree.iter():
        count += 1
        if count > limit:
            break
        last = elem
    if count <= limit or last is None:
        return count
    # Drop the cut element's children and the following siblings of it and its ancestors.
    for child in list(last):
        last.remove(child)
    node = last
    while node is not None:
        parent = node.getparent()
        if parent is not None:
            for sibling in list(node.itersiblings()):
                parent.remove(sibling)
        node = parent
    return count
