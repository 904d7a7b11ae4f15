"""Article bodies split into several containers of the same kind.

Some publishers cut the article body into chunks (one container per run of paragraphs, with
ads or embeds between them), each with the same class. trafilatura takes the first container
that looks like an article body, so everything after the first ad would be lost. When sibling
chunks of one article are found, their content is moved into the first before extraction.
"""

from __future__ import annotations

import re
from collections import defaultdict

import lxml.html

# Containers named as article bodies: the usual class names, and schema.org's itemprop.
_CONTAINERS = ("div", "section", "article")
_BODY_CLASS = re.compile(
    r"(?:^|[\s_-])(?:article|entry|post|story)(?:-|_|__)?(?:body|content|text)(?:[\s_-]|$)",
    re.IGNORECASE,
)
# Substrings every such class holds, tested first (plain `in` is cheaper than the pattern).
_HINTS = ("ody", "ontent", "ext")
# A chunk is a run of real paragraphs, not a caption or a teaser.
MIN_CHUNK_CHARS = 200
# Chunks of one article sit close together: their common ancestor is at most this many levels
# above each (a second article appended below, or a sidebar, sits further away).
MAX_COMMON_LEVELS = 3


def _paragraph_chars(elem: lxml.html.HtmlElement) -> int:
    return sum(len(" ".join(p.text_content().split())) for p in elem.iter("p"))


def _ancestors(elem: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    return list(elem.iterancestors())[:MAX_COMMON_LEVELS]


def _article_of(elem: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    return next(elem.iterancestors("article"), None)


def _close_together(chunks: list[lxml.html.HtmlElement]) -> bool:
    """Chunks of one article: near each other, and not in two different <article>s (the
    posts of a blog's front page each have their own)."""
    first = set(_ancestors(chunks[0]))
    article = _article_of(chunks[0])
    return all(first.intersection(_ancestors(chunk)) and _article_of(chunk) is article
               for chunk in chunks[1:])


def _is_body(elem: lxml.html.HtmlElement) -> bool:
    if elem.get("itemprop") == "articleBody":
        return True
    cls = (elem.get("class") or "").lower()
    return any(hint in cls for hint in _HINTS) and bool(_BODY_CLASS.search(cls))


def _chunk_groups(tree: lxml.html.HtmlElement) -> list[list[lxml.html.HtmlElement]]:
    """Body containers of the same tag, class and itemprop, outermost only, in page order."""
    bodies = [elem for elem in tree.iter(*_CONTAINERS) if _is_body(elem)]
    members = set(bodies)
    groups: dict[tuple[str, str, str], list[lxml.html.HtmlElement]] = defaultdict(list)
    for elem in bodies:
        if any(ancestor in members for ancestor in elem.iterancestors()):
            continue  # nested in another candidate: moves with it
        key = (str(elem.tag), elem.get("class") or "", elem.get("itemprop") or "")
        groups[key].append(elem)
    return [group for group in groups.values() if len(group) > 1]


def _move_content(chunk: lxml.html.HtmlElement, into: lxml.html.HtmlElement) -> None:
    """Append the chunk's text and children to `into`, then drop the emptied chunk."""
    lead = chunk.text or ""
    if lead.strip():
        last = into[-1] if len(into) else None
        if last is not None:
            last.tail = (last.tail or "") + " " + lead
        else:
            into.text = (into.text or "") + " " + lead
    into.extend(list(chunk))
    chunk.drop_tree()


def merge_split_bodies(tree: lxml.html.HtmlElement) -> int:
    """Move the content of an article's later body chunks into its first; return how many
    chunks were merged."""
    merged = 0
    for group in _chunk_groups(tree):
        chunks = [elem for elem in group if _paragraph_chars(elem) >= MIN_CHUNK_CHARS]
        if len(chunks) < 2 or not _close_together(chunks):
            continue
        for chunk in chunks[1:]:
            _move_content(chunk, chunks[0])
            merged += 1
    return merged
