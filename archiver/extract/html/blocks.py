"""Rendering trafilatura's output tree into text blocks with link spans.

trafilatura returns the main content as a small XML tree (p, head, list/item, quote,
table/row/cell, ref for links). Rendering it here, rather than taking trafilatura's own text,
keeps every link's exact place in the text, which the link list and its sentences need.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# Blocks of trafilatura's output: each becomes its own paragraph (or line).
_BLOCKS = frozenset({"p", "head", "item", "quote", "code", "row", "div", "list", "table",
                     "graphic", "fw", "note"})
LINE_BLOCKS = frozenset({"item", "row"})  # consecutive ones are joined by "\n", not "\n\n"
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class LinkSpan:
    """A link in the rendered text: text[start:end] is its anchor text."""

    start: int
    end: int
    href: str


@dataclass
class MainText:
    text: str
    spans: list[LinkSpan] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class Block:
    """One paragraph, heading, list item or table row of the rendered text."""

    kind: str
    text: str = ""
    spans: list[LinkSpan] = field(default_factory=list)


class _Renderer:
    """Walks trafilatura's output tree, collecting blocks of normalised text and link spans."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.current: Block | None = None

    def start(self, kind: str) -> None:
        self.end()
        self.current = Block(kind)

    def end(self) -> None:
        if self.current is not None and self.current.text.strip():
            self.blocks.append(self.current)
        self.current = None

    def add(self, raw: str | None, href: str | None = None) -> None:
        if not raw:
            return
        if self.current is None:
            self.current = Block("p")
        block = self.current
        text = raw if raw == "\n" else _SPACES.sub(" ", raw)
        if href is not None:
            stripped = text.strip()
            if text[:1] == " ":
                self._append(" ")
            start = len(block.text)
            self._append(stripped)
            if stripped:
                block.spans.append(LinkSpan(start, start + len(stripped), href))
            if text[-1:] == " " and stripped:
                self._append(" ")
            return
        self._append(text)

    def _append(self, text: str) -> None:
        assert self.current is not None
        block = self.current
        if text.startswith(" ") and (not block.text or block.text[-1] in " \n"):
            text = text[1:]
        block.text += text

    def walk(self, elem: Any) -> None:
        tag = elem.tag if isinstance(elem.tag, str) else ""
        if tag == "ref":
            self.add("".join(elem.itertext()), href=elem.get("target") or "")
        elif tag == "lb":
            self.add("\n")
        else:
            if tag in _BLOCKS:
                self.start(tag)
            self.add(elem.text)
            for child in elem:
                self.walk(child)
            if tag in _BLOCKS:
                self.end()
        self.add(elem.tail)


def collect_blocks(body: Any) -> list[Block]:
    """The blocks of trafilatura's body tree, in order, with their link spans."""
    renderer = _Renderer()
    for child in body:
        renderer.walk(child)
    renderer.end()
    return renderer.blocks


def join_blocks(blocks: list[Block]) -> MainText:
    """Blocks joined by blank lines, list items and table rows by single newlines; link
    spans shifted to their place in the whole text."""
    parts: list[str] = []
    spans: list[LinkSpan] = []
    offset = 0
    previous_kind = ""
    for block in blocks:
        lead = len(block.text) - len(block.text.lstrip())
        text = block.text.strip()
        if parts:
            sep = "\n" if block.kind in LINE_BLOCKS and block.kind == previous_kind else "\n\n"
            parts.append(sep)
            offset += len(sep)
        for span in block.spans:
            start, end = span.start - lead, min(span.end - lead, len(text))
            if start >= 0 and end > start:
                spans.append(LinkSpan(offset + start, offset + end, span.href))
        parts.append(text)
        offset += len(text)
        previous_kind = block.kind
    return MainText("".join(parts), spans)
