"""Find what a page needs to render (its requisites) while its body streams in.

HTML goes through lxml's pull parser and CSS through tinycss2, so we read markup and
stylesheets the way browsers tokenise them rather than with regular expressions.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from collections.abc import Iterable, Iterator
from typing import Any

import tinycss2
from lxml import etree

from archiver._types import HeaderList, header_value
from archiver.capture.transport import BodySink
from archiver.capture.urls import try_normalize
from archiver.decoding import StreamDecoder, charset_of, sniff_html_charset

MAX_DECODED_HTML = 8 * 1024 * 1024
"""libxml2's push parser keeps what it is fed, so each page in flight costs about this
much memory; a page's requisites are in its first few MiB."""
MAX_CSS_BYTES = 8 * 1024 * 1024
_log = logging.getLogger(__name__)
_log.addHandler(logging.NullHandler())  # a library's logger stays silent unless asked
HTML_TYPES = ("text/html", "application/xhtml+xml")
CSS_TYPES = ("text/css",)

# element -> attributes holding one URL the browser fetches to render the page
URL_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "img": ("src",),
    "script": ("src",),
    "source": ("src",),
    "video": ("src", "poster"),
    "audio": ("src",),
    "track": ("src",),
    "embed": ("src",),
    "iframe": ("src",),
    "frame": ("src",),
    "input": ("src",),
    "object": ("data",),
}
SRCSET_ELEMENTS = ("img", "source")
LINK_RELS = {"stylesheet", "icon", "shortcut", "apple-touch-icon", "preload", "modulepreload",
             "manifest", "mask-icon"}


def parse_srcset(value: str) -> list[str]:
    """The URLs of a srcset attribute, split as the HTML standard says.

    >>> parse_srcset("a.jpg 1x, /b,c.jpg 2x,c.jpg")
    ['a.jpg', '/b,c.jpg', 'c.jpg']
    """
    urls: list[str] = []
    position, length = 0, len(value)
    while position < length:
        while position < length and (value[position].isspace() or value[position] == ","):
            position += 1
        start = position
        while position < length and not value[position].isspace():
            position += 1
        url = value[start:position]
        if url.endswith(","):
            url = url.rstrip(",")  # a URL ending in commas has no descriptors
        else:
            depth = 0  # skip descriptors up to the next comma outside parentheses
            while position < length and (value[position] != "," or depth):
                depth += {"(": 1, ")": -1}.get(value[position], 0)
                position += 1
        if url:
            urls.append(url)
    return urls


def css_urls(text: str | bytes, *, encoding: str | None = None) -> list[str]:
    """Every URL a stylesheet loads: url(), @import, in any nesting.

    >>> css_urls('@import "a.css"; p{background:url( b.png )} @media x{q{c:url("c.svg")}}')
    ['a.css', 'b.png', 'c.svg']
    """
    if isinstance(text, bytes):
        rules, _ = tinycss2.parse_stylesheet_bytes(text, protocol_encoding=encoding)
    else:
        rules = tinycss2.parse_stylesheet(text)
    return list(_urls_in(rules))


def inline_style_urls(style: str) -> list[str]:
    return list(_urls_in(tinycss2.parse_component_value_list(style)))


def _urls_in(nodes: Iterable[Any]) -> Iterator[str]:
    """URLs in tinycss2 nodes, in document order, at any depth: a stack of iterators rather
    than recursion, since a hostile stylesheet nests blocks 100,000 deep."""
    # tinycss2 nodes are untyped; each has a `type` and, by kind, value/arguments/prelude.
    stack: list[Iterator[Any]] = [iter(nodes)]
    while stack:
        node: Any = next(stack[-1], _END)
        if node is _END:
            stack.pop()
            continue
        kind = getattr(node, "type", None)
        if kind == "url":
            yield str(node.value)
        elif kind == "function" and node.lower_name == "url":
            strings = [arg for arg in node.arguments if getattr(arg, "type", None) == "string"]
            if strings:
                yield str(strings[0].value)
        elif kind == "at-rule" and node.lower_at_keyword == "import":
            yield from _import_target(node.prelude)
            continue
        stack.append(itertools.chain(*[getattr(node, children, None) or ()
                                       for children in _CHILDREN]))


_END = object()
_CHILDREN = ("prelude", "content", "arguments")


def _import_target(prelude: list[Any]) -> Iterator[str]:
    """The stylesheet an @import loads: its first string, url() or url function."""
    for token in prelude:
        if token.type == "string":
            yield str(token.value)
            return
        if token.type in ("url", "function"):
            yield from _urls_in([token])
            return


class RequisiteFinder:
    """Hands the transport a sink for HTML or CSS bodies and gathers the URLs they need."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self.problem: str | None = None
        self._seen: set[str] = set()

    def sink_for(self, url: str, status: int, headers: HeaderList) -> BodySink | None:
        try:
            sink = self._sink_for(url, status, headers)
        except Exception as error:
            self.failed(error)
            return None
        return _Guarded(self, sink) if sink is not None else None

    def failed(self, error: Exception) -> None:
        """Reading a body for requisites failed: the page loses (some of) its requisites,
        never its capture. Errors of hostile input are expected; any other is a bug, logged
        with its trace (the tests fail on it)."""
        if not isinstance(error, _EXPECTED):
            _log.error("reading a body for requisites failed unexpectedly", exc_info=error)
        self.problem = f"requisites could not all be read ({type(error).__name__}: {error})"

    def _sink_for(self, url: str, status: int, headers: HeaderList) -> BodySink | None:
        if 300 <= status < 400 or status < 200:
            return None
        content_type = header_value(headers, "content-type")
        media_type = (content_type or "").split(";")[0].strip().lower()
        encoding = header_value(headers, "content-encoding")
        if media_type in HTML_TYPES:
            return _HtmlSink(self, url, charset_of(content_type), encoding)
        if media_type in CSS_TYPES:
            return _CssSink(self, url, charset_of(content_type), encoding)
        return None

    def add(self, raw: str, base: str) -> None:
        resolved = try_normalize(raw, base)
        if resolved and resolved not in self._seen:
            self._seen.add(resolved)
            self.urls.append(resolved)


_EXPECTED = (etree.LxmlError, ValueError, LookupError, RecursionError)
"""What hostile markup or CSS can make our readers raise (UnicodeError is a ValueError)."""


class _Guarded:
    """A sink that stops at its first error and says so through the finder."""

    def __init__(self, finder: RequisiteFinder, sink: BodySink) -> None:
        self.finder = finder
        self.sink: BodySink | None = sink

    def feed(self, data: bytes) -> None:
        if self.sink is not None:
            try:
                self.sink.feed(data)
            except Exception as error:
                self.sink = None
                self.finder.failed(error)

    def close(self) -> None:
        sink, self.sink = self.sink, None
        if sink is not None:
            try:
                sink.close()
            except Exception as error:
                self.finder.failed(error)


class _HtmlSink:
    def __init__(self, finder: RequisiteFinder, url: str, charset: str | None,
                 content_encoding: str | None) -> None:
        self.finder = finder
        self.base = url
        self.charset = charset
        self.decoder = StreamDecoder(content_encoding, MAX_DECODED_HTML)
        self.parser: etree.HTMLPullParser | None = None
        self._pending = b""
        self._base_seen = False

    def feed(self, data: bytes) -> None:
        for decoded in self.decoder.decode(data):
            self._take(decoded)

    def _take(self, decoded: bytes) -> None:
        if self.parser is None:
            # Wait for enough of the head to learn the charset before starting the parser.
            self._pending += decoded
            if len(self._pending) < 4096 and decoded:
                return
            decoded, self._pending = self._pending, b""
            charset = self.charset or sniff_html_charset(decoded) or "utf-8"
            try:
                self.parser = etree.HTMLPullParser(events=("start", "end"), encoding=charset)
            except LookupError:
                self.parser = etree.HTMLPullParser(events=("start", "end"), encoding="utf-8")
        if decoded:
            self.parser.feed(decoded)
            self._drain()

    def close(self) -> None:
        if self.parser is None:
            self._take(b"")
        if self.parser is not None:
            with contextlib.suppress(etree.LxmlError):
                self.parser.close()
            self._drain()
        if self.decoder.failed or self.decoder.exceeded:
            self.finder.problem = self.decoder.failed or "page too large to look for requisites"

    def _drain(self) -> None:
        assert self.parser is not None
        for event, element in self.parser.read_events():
            tag = element.tag if isinstance(element.tag, str) else ""
            if event == "start":
                self._on_start(tag.lower(), element)
            elif tag.lower() == "style" and element.text:
                for raw in css_urls(element.text):
                    self.finder.add(raw, self.base)
            if event == "end":
                _forget(element)

    def _on_start(self, tag: str, element: etree._Element) -> None:
        attributes = element.attrib
        if tag == "base" and not self._base_seen and attributes.get("href"):
            self._base_seen = True
            self.base = try_normalize(attributes["href"], self.base) or self.base
            return
        for name in URL_ATTRIBUTES.get(tag, ()):
            if attributes.get(name):
                self.finder.add(attributes[name], self.base)
        if tag in SRCSET_ELEMENTS and attributes.get("srcset"):
            for raw in parse_srcset(attributes["srcset"]):
                self.finder.add(raw, self.base)
        if tag == "link" and attributes.get("href"):
            rels = set((attributes.get("rel") or "").lower().split())
            if rels & LINK_RELS:
                self.finder.add(attributes["href"], self.base)
        style = attributes.get("style")
        if style and "url" in style.lower():
            for raw in inline_style_urls(style):
                self.finder.add(raw, self.base)


def _forget(element: etree._Element) -> None:
    """Drop parsed elements we are done with, so a huge page does not grow the tree."""
    if element.tag in ("html", "body", "head"):
        return
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


class _CssSink:
    def __init__(self, finder: RequisiteFinder, url: str, charset: str | None,
                 content_encoding: str | None) -> None:
        self.finder = finder
        self.url = url
        self.charset = charset
        self.decoder = StreamDecoder(content_encoding, MAX_CSS_BYTES)
        self.chunks: list[bytes] = []

    def feed(self, data: bytes) -> None:
        self.chunks.extend(self.decoder.decode(data))

    def close(self) -> None:
        for raw in css_urls(b"".join(self.chunks), encoding=self.charset):
            self.finder.add(raw, self.url)
        self.chunks = []
        if self.decoder.failed or self.decoder.exceeded:
            self.finder.problem = self.decoder.failed or "stylesheet too large to read fully"
