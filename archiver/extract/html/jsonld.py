"""JSON-LD blocks of a page: parsed, @graph flattened, and the article among them found.

A block is measured before it is parsed: Python's JSON parser recurses once per level, so a
block nested a thousand deep would end the whole extraction with a RecursionError, and the
objects kept are written out (and pickled) again later, recursively too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import lxml.html

from archiver.errors import UnreadableEvidence
from archiver.untrusted_json import JSON_INVALID, load_json

# More blocks than this is a generated listing page, not metadata about the page itself.
MAX_BLOCKS = 50
MAX_BLOCK_CHARS = 2_000_000
MAX_BLOCK_DEPTH = 32
"""Nesting a block may have: real JSON-LD has a few levels, and an extraction file holds
each block 4 levels down, where readers take at most 64 (ReadLimits.max_json_depth)."""

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
        try:
            # strict=False: raw newlines and tabs inside strings are common and harmless.
            data = load_json(_unwrap_cdata(raw).encode("utf-8", "surrogatepass"),
                             f"JSON-LD block {number}", max_depth=MAX_BLOCK_DEPTH,
                             strict=False)
        except UnreadableEvidence as exc:
            said = "is not valid JSON" if exc.code == JSON_INVALID else "was not read"
            problems.append(f"JSON-LD block {number} {said} ({exc.reason}); skipped")
            continue
        objects.extend(_flatten(data))
    if len(scripts) > MAX_BLOCKS:
        problems.append(f"page has {len(scripts)} JSON-LD blocks; only the first "
                        f"{MAX_BLOCKS} were read")
    return objects, problems


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
