"""JSON-LD blocks of a page: parsed, @graph flattened, and the article among them found.

A block is measured before it is parsed: Python's JSON parser recurses once per level, so a
block nested a thousand deep would end the whole extraction with a RecursionError, and the
objects kept are written out (and pickled) again later, recursively too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from itertools import accumulate
from typing import Any

import lxml.html

# More blocks than this is a generated listing page, not metadata about the page itself.
MAX_BLOCKS = 50
MAX_BLOCK_CHARS = 2_000_000
MAX_DEPTH = 64  # real JSON-LD nests a few levels (a Person in an Organization in an Article)
# A string, to its closing quote or to the end of the text (one never closed): never a
# match that fails after a long scan, so the whole text is matched in linear time.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEPS = {ord("["): "+", ord("{"): "+", ord("]"): "-", ord("}"): "-"}

# schema.org types whose headline/author/dates describe the page's main text.
ARTICLE_TYPES = frozenset({
    "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle",
    "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle", "blogposting",
    "socialmediaposting", "liveblogposting", "techarticle", "scholarlyarticle", "report",
    "medicalwebpage", "review", "discussionforumposting", "howto", "recipe", "creativework",
})
PAGE_TYPES = frozenset({"webpage", "itempage", "aboutpage", "collectionpage", "profilepage"})


def parse_json_ld(tree: lxml.html.HtmlElement) -> tuple[list[dict[str, Any]], list[str]]:
    """Every JSON-LD object of the page (top level and @graph members), and problems."""
    objects: list[dict[str, Any]] = []
    problems: list[str] = []
    scripts = tree.xpath(
        '//script[contains(translate(@type, "LDJSON", "ldjson"), "ld+json")]'
    )
    for number, script in enumerate(scripts[:MAX_BLOCKS], start=1):
        raw = (script.text or "").strip()
        if not raw:
            continue
        if len(raw) > MAX_BLOCK_CHARS:
            problems.append(f"JSON-LD block {number} is over {MAX_BLOCK_CHARS} characters; skipped")
            continue
        raw = _unwrap_cdata(raw)
        if nesting_depth(raw) > MAX_DEPTH:
            problems.append(f"JSON-LD block {number} is nested more than {MAX_DEPTH} levels "
                            "deep; skipped")
            continue
        try:
            # strict=False: raw newlines and tabs inside strings are common and harmless.
            data = json.loads(raw, strict=False)
        except ValueError as exc:
            problems.append(f"JSON-LD block {number} is not valid JSON ({exc}); skipped")
            continue
        objects.extend(_flatten(data))
    if len(scripts) > MAX_BLOCKS:
        problems.append(f"page has {len(scripts)} JSON-LD blocks; only the first "
                        f"{MAX_BLOCKS} were read")
    return objects, problems


def nesting_depth(text: str) -> int:
    """How deep the arrays and objects of a JSON text nest (brackets inside strings do not
    count), found in linear time without parsing.

    >>> nesting_depth('{"a": [1, {"b": "[[["}]}'), nesting_depth("[]" * 3), nesting_depth("7")
    (3, 1, 0)
    """
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    steps = brackets.translate(_STEPS)
    return max(accumulate(1 if step == "+" else -1 for step in steps), default=0)


def _unwrap_cdata(raw: str) -> str:
    # Some CMSes wrap the block in a CDATA section or an HTML comment.
    for start, end in (("<![CDATA[", "]]>"), ("<!--", "-->")):
        if raw.startswith(start) and raw.endswith(end):
            return raw[len(start) : -len(end)].strip()
    return raw


def _flatten(data: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > 3:
        return
    if isinstance(data, list):
        for item in data:
            yield from _flatten(item, depth + 1)
    elif isinstance(data, dict):
        graph = data.get("@graph")
        rest = {k: v for k, v in data.items() if k != "@graph"}
        if graph is None or len(rest) > 1 or (rest and "@context" not in rest):
            yield data
        if graph is not None:
            yield from _flatten(graph, depth + 1)


def types_of(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.rsplit("/", 1)[-1].lower() for k in kinds if isinstance(k, str)}


def main_object(objects: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The object describing the page's article: an Article type first, then a WebPage
    whose mainEntity is one, then a plain WebPage."""
    for obj in objects:
        if types_of(obj) & ARTICLE_TYPES:
            return obj
    for obj in objects:
        entity = obj.get("mainEntity")
        if isinstance(entity, dict) and types_of(entity) & ARTICLE_TYPES:
            return entity
    for obj in objects:
        if types_of(obj) & PAGE_TYPES:
            return obj
    return None


def text_value(value: Any) -> str | None:
    """A plain string out of a JSON-LD value: str, {"@value"/"name"}, or the first of a list."""
    if isinstance(value, list):
        value = next((v for v in value if v), None)
    if isinstance(value, dict):
        value = value.get("@value") or value.get("name")
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        text = " ".join(str(value).split())
        return text or None
    return None


def person_names(value: Any) -> list[str]:
    """Names out of an author value: a string, a Person/Organization, or a list of them."""
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items[:20]:
        if isinstance(item, dict):
            name = text_value(item.get("name"))
            if name is None and isinstance(item.get("givenName"), str):
                name = f"{item.get('givenName')} {item.get('familyName') or ''}".strip()
            if name:
                names.append(name)
        elif isinstance(item, str) and item.strip():
            names.append(item.strip())
    return names
