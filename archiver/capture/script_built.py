"""Is a page built by script? A judgement on the HTML a plain HTTP capture got, so that
automatic mode (docs/browser.md) loads in the browser only the pages that need it.

A page built by script is served as a shell: little text a reader would see, while scripts
are there to write the rest. The judge reads the markup as a stream of parser events (lxml's
feed parser with a target: no tree is built, nothing of ours recurses on the page's nesting),
and at most `max_bytes` of it, and counts:

- the words of visible text (not in scripts, styles, templates, <noscript> or the head);
- the scripts that run (inline or fetched; not JSON data, not JSON-LD);
- an application root left empty (`id="root"`, `app`, `__next`, `__nuxt`, `___gatsby`...,
  `data-reactroot`, Angular's `<app-root>`): the element a framework renders into;
- a <noscript> asking the reader to turn JavaScript on;
- prose inside scripts (runs of six or more words, as in a JSON state blob such as
  `__NEXT_DATA__` or `window.__INITIAL_STATE__` holding the article).

A page is built by script when it has scripts and almost no text (under `FEW_WORDS`), or
when it has scripts, little text (under `LITTLE_TEXT`) and one of the stronger signs above.
bench/browser_auto_bench.py measures the thresholds on real saved news pages
(docs/decisions.md, "Automatic mode").
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from lxml import etree

FEW_WORDS = 60
"""Under this many words of visible text, a page with scripts is taken as a shell."""
LITTLE_TEXT = 300
"""Under this many, a page with scripts and a stronger sign (an empty app root, a
<noscript> asking for JavaScript, the text inside its scripts) is taken as built by script."""
MAX_BYTES = 4 * 1024 * 1024
"""Markup read at most; a page's shell is at its start, and a page this long is not empty."""
APP_ROOT_IDS = frozenset({"root", "app", "__next", "__nuxt", "___gatsby", "svelte",
                          "react-root", "app-root", "main-app", "application", "q-app",
                          "ember-application", "__layout", "spa-root"})
APP_ROOT_TAGS = frozenset({"app-root"})
"""Custom elements frameworks render into (Angular's default)."""
NOT_SHOWN = frozenset({"script", "style", "template", "noscript", "head", "title", "svg",
                       "math", "textarea", "select", "iframe", "object"})
"""Elements whose text a reader does not see as the page's text."""
DATA_SCRIPT_TYPES = frozenset({"application/json", "application/ld+json", "text/template",
                               "text/x-template", "text/html", "importmap",
                               "speculationrules", "text/x-handlebars-template"})
JAVASCRIPT_TYPES = frozenset({"", "module", "text/javascript", "application/javascript",
                              "text/ecmascript", "application/ecmascript",
                              "text/jsx", "text/babel"})
_ASKS_FOR_JAVASCRIPT = re.compile(
    r"(enable|turn on|activate|allow|switch on)\s+(your\s+)?javascript|javascript\s+(is\s+)?"
    r"(required|disabled|needed|must be enabled|is not enabled|is off)|requires?\s+javascript"
    r"|need(s)?\s+(to\s+enable\s+)?javascript|without\s+javascript|javascript\s+to\s+run",
    re.IGNORECASE)
_WORD = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]|[^\W\d_]{1,40}(?:['’][^\W\d_]+)?",
                   re.UNICODE)
"""A word: a run of letters, or one CJK character (scripts written without spaces)."""
_LETTER = re.compile(r"(?![\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af])[^\W\d_]", re.UNICODE)
"""A letter of a script that spaces its words."""
_PROSE = re.compile(r"[^\W\d_]{2,}(?:[ ,.;:'’\u00a0-]{1,3}[^\W\d_]{1,}){5,}", re.UNICODE)
"""Six or more words in a row, separated as in a sentence: prose, which code seldom holds
outside its strings."""
MAX_SCRIPT_TEXT = 1024 * 1024
"""Script text read for prose, at most (a megabyte of bundled code is no article)."""


@dataclass
class PageSigns:
    """What the judge counted on a page."""

    words: int = 0
    """Words of visible text."""
    scripts: int = 0
    """Scripts that run: inline, or fetched with src."""
    script_prose_words: int = 0
    """Words of prose inside scripts and JSON data (an article in a state blob)."""
    empty_roots: list[str] = field(default_factory=list)
    """Application roots with no text in them: "#root", "<app-root>"..."""
    noscript_asks: bool = False
    """A <noscript> asks the reader to turn JavaScript on."""
    bytes_read: int = 0
    cut: bool = False
    """Only the first `max_bytes` were read."""


@dataclass(frozen=True)
class Verdict:
    """Whether a page is built by script, and why, in words for a person."""

    built_by_script: bool
    reason: str
    signs: PageSigns


class _Counter:
    """An lxml parser target: counts as the events come, keeping only a stack of flags."""

    def __init__(self, signs: PageSigns) -> None:
        self.signs = signs
        self._hidden = 0
        """How many open elements hide their text (NOT_SHOWN)."""
        self._stack: list[tuple[bool, int | None]] = []
        """Per open element: whether it hides text, and its index in `_roots` if a root."""
        self._roots: list[tuple[str, int]] = []
        """Open or closed application roots: name, words when it opened."""
        self._script: list[str] | None = None
        self._script_size = 0
        self._noscript: list[str] | None = None
        self._in_word = False
        """Whether the last visible text seen ended inside a word."""

    def start(self, tag: object, attrib: dict[str, str]) -> None:
        name = tag.lower() if isinstance(tag, str) else ""
        self._in_word = False
        hides = name in NOT_SHOWN or "hidden" in attrib
        root = None
        element_id = (attrib.get("id") or "").strip()
        if element_id.lower() in APP_ROOT_IDS or name in APP_ROOT_TAGS or (
                "data-reactroot" in attrib):
            label = f"<{name}>" if name in APP_ROOT_TAGS else f"#{element_id or 'reactroot'}"
            root = len(self._roots)
            self._roots.append((label, self.signs.words))
        self._stack.append((hides, root))
        self._hidden += hides
        if name == "script":
            kind = (attrib.get("type") or "").strip().lower().split(";")[0]
            if kind in JAVASCRIPT_TYPES:
                self.signs.scripts += 1
            if kind in JAVASCRIPT_TYPES or kind in DATA_SCRIPT_TYPES or "json" in kind:
                self._script = []
        elif name == "noscript":
            self._noscript = []

    def end(self, tag: object) -> None:
        name = tag.lower() if isinstance(tag, str) else ""
        self._in_word = False
        if not self._stack:
            return
        hides, root = self._stack.pop()
        self._hidden -= hides
        if root is not None:
            label, words_before = self._roots[root]
            if self.signs.words == words_before and label not in self.signs.empty_roots:
                self.signs.empty_roots.append(label)
        if name == "script" and self._script is not None:
            text = "".join(self._script)
            self.signs.script_prose_words += sum(
                len(_WORD.findall(match.group())) for match in _PROSE.finditer(text))
            self._script = None
        elif name == "noscript" and self._noscript is not None:
            if _ASKS_FOR_JAVASCRIPT.search("".join(self._noscript)[:4096]):
                self.signs.noscript_asks = True
            self._noscript = None

    def data(self, text: str) -> None:
        if self._script is not None:
            if self._script_size < MAX_SCRIPT_TEXT:
                self._script.append(text)
                self._script_size += len(text)
            return
        if self._noscript is not None:
            if len(self._noscript) < 64:
                self._noscript.append(text)
            return
        if self._hidden == 0 and text:
            words = len(_WORD.findall(text))
            if self._in_word and _LETTER.match(text):
                words -= 1  # the parser split a word between two events: counted once
            self.signs.words += words
            self._in_word = bool(_LETTER.match(text[-1]))

    def comment(self, text: str) -> None:
        pass

    def close(self) -> PageSigns:
        return self.signs


def judge_html(blocks: Iterable[bytes], *, encoding: str | None = None,
               max_bytes: int = MAX_BYTES) -> Verdict:
    """Judge a page from its markup, given as blocks of bytes (decoded of any
    Content-Encoding); at most `max_bytes` of it is read. `encoding` is the charset the
    response declared, if any (else the parser reads the page's own <meta charset>)."""
    signs = PageSigns()
    parser = etree.HTMLParser(target=_Counter(signs), encoding=_known(encoding),
                              no_network=True, recover=True, remove_comments=True,
                              remove_pis=True)
    for block in blocks:
        room = max_bytes - signs.bytes_read
        if room <= 0:
            signs.cut = True
            break
        piece = block[:room]
        signs.bytes_read += len(piece)
        try:
            parser.feed(piece)
        except etree.ParserError:
            break
    with contextlib.suppress(etree.ParserError, etree.XMLSyntaxError):
        parser.close()  # nothing, or nothing readable: what was counted so far stands
    return verdict(signs)


def verdict(signs: PageSigns) -> Verdict:
    """The judgement on what was counted, and its reason.

    >>> verdict(PageSigns(words=12, scripts=3, empty_roots=["#root"])).reason
    'built by script: 12 words of text, 3 scripts, an empty #root'
    >>> verdict(PageSigns(words=900, scripts=20)).built_by_script
    False
    """
    strong = []
    if signs.empty_roots:
        strong.append("an empty " + " and ".join(signs.empty_roots[:3]))
    if signs.noscript_asks:
        strong.append("a <noscript> asking for JavaScript")
    if signs.script_prose_words > max(2 * signs.words, 100):
        strong.append(f"{signs.script_prose_words:,} words of text inside its scripts")
    built = signs.scripts > 0 and (signs.words < FEW_WORDS
                                   or (signs.words < LITTLE_TEXT and bool(strong)))
    counts = [f"{signs.words:,} word{'s' if signs.words != 1 else ''} of text",
              f"{signs.scripts:,} script{'s' if signs.scripts != 1 else ''}"]
    if signs.cut:
        counts.append(f"in its first {signs.bytes_read // (1024 * 1024)} MiB")
    prefix = "built by script" if built else "not built by script"
    return Verdict(built, f"{prefix}: " + ", ".join(counts + strong), signs)


def _known(encoding: str | None) -> str | None:
    """`encoding` if Python (and so lxml) knows it, else None: the page's own meta then."""
    if not encoding:
        return None
    import codecs

    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return None
