"""The text of plain-text, CSV, JSON and XML documents: a dataset or a feed a story cites is a
source like a page.

    extract_data_text(kind, data, content_type) -> TextDocument

`data` is the body already bounded by the caller (ExtractionSettings.max_html_bytes, as a
page is). Nothing here recurses on the document's nesting, and nothing raises on bad input:
a malformed file gives the text that could be read and a problem saying why.

- plain text: the text as decoded, line ends made `\\n`.
- CSV (and TSV): one line per row, its cells apart by a tab (a cell's own line breaks become
  spaces); the delimiter is sniffed from the first rows.
- JSON: the string values that read as human text (not keys, numbers, URLs or identifiers),
  one per line, found by one linear scan of tokens (a document nested a million deep is only
  a long line to it); the title is the first "title", "headline" or "name" value. JSON Lines
  and JSON cut short read the same way.
- XML: the character data, a line per run between tags, from lxml's event parser (a SAX-like
  target: no tree is built, so memory stays flat), with entities left unresolved, no DTD
  loaded, no network and libxml2's size guards on; the title is the first <title> element
  (RSS, Atom, XHTML, DocBook all have one).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

import lxml.etree

from archiver.decoding import DecodedText, charset_of, decode_html, python_codec

DataKind = Literal["text", "csv", "json", "xml"]
DATA_KINDS: tuple[DataKind, ...] = ("text", "csv", "json", "xml")
MAX_CSV_FIELD = 1024 * 1024
"""Longest CSV cell read (the csv module stops at 128 KiB by default)."""
MAX_HEADER_CELLS = 200
"""Cells of a CSV's first row kept in the details."""
SNIFF_CHARS = 64 * 1024
XML_FEED = 64 * 1024
TITLE_KEYS = frozenset({"title", "headline", "name"})
MAX_TITLE_CHARS = 500
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_JSON_TOKEN = re.compile(r'"((?:[^"\\\x00-\x1f]|\\.)*)"(\s*:)?', re.DOTALL)
_SPACE = re.compile(r"\s+")
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_IDENTIFIER = re.compile(r"[0-9A-Fa-f-]{8,}|[\w.+-]+@[\w.-]+|\d[\d\s:./TZ+-]*")


@dataclass
class TextDocument:
    """What was read from one plain-text, CSV, JSON or XML document."""

    text: str = ""
    title: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    charset: str | None = None
    charset_source: str | None = None


def extract_data_text(kind: DataKind, data: bytes,
                      content_type: str | None = None) -> TextDocument:
    """The text (and title, where the format has one) of a document of `kind`. Never raises."""
    try:
        if kind == "xml":
            return _xml(data, content_type)
        decoded = decode_html(data, content_type)
        text = _CONTROL.sub("", decoded.text.replace("\r\n", "\n").replace("\r", "\n"))
        if kind == "csv":
            found = _csv(text, content_type)
        elif kind == "json":
            found = _json(text)
        else:
            text = text.strip("\n")
            found = TextDocument(text, details={"lines": text.count("\n") + 1 if text else 0})
        return _with_charset(found, decoded)
    except Exception as exc:  # a bug or a library's surprise must not lose the capture
        return TextDocument(problems=[f"extraction failed ({type(exc).__name__}: {exc})"])


def _with_charset(found: TextDocument, decoded: DecodedText) -> TextDocument:
    found.charset, found.charset_source = decoded.charset, decoded.source
    if decoded.declared:
        found.problems.append(f"the declared charset {decoded.declared[:40]!r} is unknown; "
                              f"the text was read as {decoded.charset}")
    return found


# -- CSV ---------------------------------------------------------------------------------------


def _csv(text: str, content_type: str | None) -> TextDocument:
    delimiter = "\t" if "tab-separated" in (content_type or "").lower() else _delimiter(text)
    lines: list[str] = []
    header: list[str] = []
    problems: list[str] = []
    previous_limit = csv.field_size_limit(MAX_CSV_FIELD)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
        for row in reader:
            cells = [_SPACE.sub(" ", cell).strip() for cell in row]
            if not header and any(cells):
                header = cells[:MAX_HEADER_CELLS]
            if any(cells):
                lines.append("\t".join(cells))
    except csv.Error as exc:
        problems.append(f"the CSV could not be read past row {len(lines) + 1} ({exc}); the "
                        "text is of the rows before it")
    finally:
        csv.field_size_limit(previous_limit)
    return TextDocument("\n".join(lines), details={"rows": len(lines), "delimiter": delimiter,
                                                   "header": header}, problems=problems)


def _delimiter(text: str) -> str:
    try:
        return csv.Sniffer().sniff(text[:SNIFF_CHARS], delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


# -- JSON --------------------------------------------------------------------------------------


def _json(text: str) -> TextDocument:
    lines: list[str] = []
    title: str | None = None
    key: str | None = None
    for token in _JSON_TOKEN.finditer(text):
        value = _unescaped(token.group(1))
        if token.group(2):  # a key: remember it for the value after it
            key = value.lower()
            continue
        if title is None and key in TITLE_KEYS and value.strip():
            title = _SPACE.sub(" ", value).strip()[:MAX_TITLE_CHARS]
        key = None
        if _is_human_text(value):
            lines.append(value.strip())
    problems = [] if _is_json(text) else [
        "it is not well-formed JSON (cut short or damaged); its strings were read all the "
        "same"]
    return TextDocument("\n".join(lines), title=title, details={"values": len(lines)},
                        problems=problems)


def _unescaped(raw: str) -> str:
    if "\\" not in raw:
        return raw
    try:
        value = json.loads(f'"{raw}"')
    except ValueError:
        return raw
    return _CONTROL.sub("", value) if isinstance(value, str) else raw


def _is_human_text(value: str) -> bool:
    """Words, not a URL, an identifier, a number or a date written as a string.

    >>> [_is_human_text(v) for v in ("Water bills rose", "Paris", "https://a.example/x",
    ...                              "3f2a9c1e-77b0-4c1d", "2024-05-01T12:00:00Z", "", "42")]
    [True, True, False, False, False, False, False]
    """
    stripped = value.strip()
    if not any(char.isalpha() for char in stripped):
        return False
    if " " in stripped:
        return True
    return not ("://" in stripped or stripped.startswith(("/", "#", "data:"))
                or _IDENTIFIER.fullmatch(stripped))


def _is_json(text: str) -> bool:
    """Whether `text` is JSON (or JSON Lines) whose brackets balance: checked without
    building it (the decoder would recurse on its nesting), over its brackets alone once the
    strings are gone."""
    stripped = text.strip()
    if not stripped or stripped[0] not in "[{\"-0123456789tfn":
        return False
    depth = 0
    for char in _NOT_BRACKET.sub("", _JSON_TOKEN.sub('""', stripped)):
        depth += 1 if char in "[{" else -1
        if depth < 0:
            return False
    return depth == 0


# -- XML ---------------------------------------------------------------------------------------


class _XmlText:
    """An lxml parser target: character data into lines (a tag ends a line), the first
    <title>, the root's name, the count of elements. Holds no tree."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.title: str | None = None
        self.root: str | None = None
        self.elements = 0
        self._buffer: list[str] = []
        self._in_title = 0
        self._title_text: list[str] = []
        self._ended = False

    def start(self, tag: str, attrib: object) -> None:
        name = _local(tag)
        self.root = self.root or name
        self.elements += 1
        if self._ended or not self._inline():
            self._flush()
        self._ended = False
        if name == "title" and self.title is None:
            self._in_title += 1

    def end(self, tag: str) -> None:
        if self._ended or not self._inline():
            self._flush()
        self._ended = True  # the line ends here, unless text follows at once (mixed content)
        if self._in_title and _local(tag) == "title":
            self._in_title -= 1
            if not self._in_title:
                self.title = _SPACE.sub(" ", "".join(self._title_text)).strip()[
                    :MAX_TITLE_CHARS] or None

    def data(self, text: str) -> None:
        if self._ended:
            self._ended = False
            if not text.strip():
                self._flush()
        self._buffer.append(text)
        if self._in_title:
            self._title_text.append(text)

    def _inline(self) -> bool:
        """Whether the tag at hand sits inside a run of text (`Hello <b>world</b> again`):
        text came right before it."""
        return bool(self._buffer) and bool(self._buffer[-1].strip())

    def comment(self, text: str) -> None:
        pass  # comments are not the document's text

    def close(self) -> None:
        self._flush()

    def _flush(self) -> None:
        if self._buffer:
            line = _SPACE.sub(" ", "".join(self._buffer)).strip()
            self._buffer.clear()
            if line:
                self.lines.append(_CONTROL.sub("", line))


def _local(tag: str) -> str:
    """`{namespace}title` -> `title`."""
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _xml(data: bytes, content_type: str | None) -> TextDocument:
    target = _XmlText()
    declared = python_codec(charset_of(content_type))
    charset, source = (declared, "header") if declared else _xml_charset(data)
    parser = lxml.etree.XMLParser(
        target=target, encoding=declared, resolve_entities=False, load_dtd=False,
        no_network=True, huge_tree=False, recover=True, remove_pis=True)
    problems: list[str] = []
    try:
        for start in range(0, len(data), XML_FEED):
            parser.feed(data[start:start + XML_FEED])
        parser.close()
    except lxml.etree.XMLSyntaxError as exc:
        target.close()
        problems.append(f"the XML is damaged ({_first_line(exc)}); the text is of what could "
                        "be read")
    if target.root is None and not problems:
        problems.append("no XML element found")
    return TextDocument("\n".join(target.lines), title=target.title,
                        details={"root": target.root, "elements": target.elements},
                        problems=problems, charset=charset, charset_source=source)


def _xml_charset(data: bytes) -> tuple[str, str]:
    """The encoding an XML document says it is in, as lxml reads it (UTF-8 by default), and
    where that came from."""
    match = re.match(rb"""(?:\xef\xbb\xbf)?\s*<\?xml[^>]*encoding\s*=\s*["']([\w.:-]+)""",
                     data[:1024])
    codec = python_codec(match.group(1).decode("ascii")) if match else None
    return (codec, "meta") if codec else ("utf-8", "default")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return "".join(c if c.isprintable() else "?" for c in (text[0] if text else ""))[:200]
