"""Article bodies split into several containers of the same kind.

Some publishers cut the article body into chunks (one container per run of paragraphs, with
ads or embeds between them), each with the same class. trafilatura takes the first container
that looks like an article body, so everything after the first ad would be lost. When sibling
chunks of one article are found, their content is moved into the first before extraction.
"""

from __future__ import annotations

import re
from collections import defaultdict

import lxml.etree
import lxml.html

# Containers named as article bodies (the usual class names and schema.org's itemprop). The
# XPath only preselects (plain substring tests run at C speed on every element); _BODY_CLASS
# decides.
_CANDIDATES = lxml.etree.XPath(
    "//*[self::div or self::section or self::article][@itemprop='articleBody'"
    " or contains(@class, 'ody') or contains(@class, 'ontent') or contains(@class, 'ext')]"
)
_BODY_CLASS = re.compile(
    r"(?:^|[\s_-])(?:article|entry|post|story)(?:-|_|__)?(?:body|content|text)(?:[\s_-]|$)",
    re.IGNORECASE,
)
# A chunk is a run of real paragraphs, not a caption or a teaser.
MIN_CHUNK_CHARS = 200
# Chunks of one article sit close together: their common ancestor is at most this many levels
# above each (a second article appended below, or a sidebar, sits further away).
MAX_COMMON_LEVELS = 3


def _paragraph_chars(elem: lxml.html.HtmlElement) -> int:
    return sum(len(" ".join(p.text_content().split())) for p in elem.iter("p"))


def _ancestors(elem: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    return list(elem.iterancestors())[:MAX_COMMON_LEVELS]


def _close_together(chunks: list[lxml.html.HtmlElement]) -> bool:
    first = set(_ancestors(chunks[0]))
    return all(first.intersection(_ancestors(chunk)) for chunk in chunks[1:])


def _is_body(elem: lxml.html.HtmlElement) -> bool:
    return elem.get("itemprop") == "articleBody" or bool(_BODY_CLASS.search(elem.get("class", "")))


def _chunk_groups(tree: lxml.html.HtmlElement) -> list[list[lxml.html.HtmlElement]]:
    groups: dict[tuple[str, str, str], list[lxml.html.HtmlElement]] = defaultdict(list)
    found = _CANDIDATES(tree)
    bodies = [elem for elem in (found if isinstance(found, list) else [])
              if isinstance(elem, lxml.html.HtmlElement) and _is_body(elem)]
    members = set(bodies)
    for elem in bodies:
        if any(ancestor in members for ancestor in elem.iterancestors()):
            continue  # nested in another candidate: moves with it
        key = (str(elem.tag), elem.get("class") or "", elem.get("itemprop") or "")
        groups[key].append(elem)
    return [group for group in groups.values() if len(group) > 1]


def merge_split_bodies(tree: lxml.html.HtmlElement) -> int:
    """Move the content of an article's later body chunks into its first; return how many
    chunks were merged."""
    merged = 0
    for group in _chunk_groups(tree):
        chunks = [elem for elem in group if _paragraph_chars(elem) >= MIN_CHUNK_CHARS]
        if len(chunks) < 2 or not _close_together(chunks):
            continue
        first = chunks[0]
        for chunk in chunks[1:]:
            first.extend(list(chunk))
            parent = chunk.getparent()
            if parent is not None:
                chunk.drop_tree()
            merged += 1
    return merged
