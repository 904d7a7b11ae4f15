"""A story not yet published: a local HTML, Markdown or plain-text draft, whose links are its
citations. Journalists preserve their sources before publication; the draft itself goes into
the package as a WARC `resource` record, exactly as read.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from archiver.errors import ArchiverUsageError, InputNotFoundError
from archiver.extract.kinds import sniff_kind

DraftKind = Literal["html", "markdown", "text"]
MAX_DRAFT_BYTES = 64 * 1024 * 1024
_MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")
_HTML_SUFFIXES = (".html", ".htm", ".xhtml")
DRAFT_SUFFIXES = (*_HTML_SUFFIXES, *_MARKDOWN_SUFFIXES, ".txt")
"""The names a draft usually has (any text file is read as one)."""
_BARE_URL = re.compile(r"""https?://[^\s<>"'()\[\]]+[^\s<>"'()\[\].,;:!?]""")
CONTENT_TYPES = {"html": "text/html", "markdown": "text/markdown; charset=utf-8",
                 "text": "text/plain; charset=utf-8"}


@dataclass(frozen=True)
class Draft:
    path: Path
    kind: DraftKind
    data: bytes
    """The file exactly as read: this is what the package keeps."""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.kind]

    @property
    def target_uri(self) -> str:
        """The draft's name in the WARC: it has no URL yet, so its digest names it."""
        return f"urn:archiver:draft:sha256:{self.sha256}"

    def as_html(self) -> bytes:
        """The draft as an HTML page, for extraction (an HTML draft as it is)."""
        if self.kind == "html":
            return self.data
        text = self.data.decode("utf-8", errors="replace").lstrip("\ufeff")
        body = markdown_to_html(text) if self.kind == "markdown" else text_to_html(text)
        title = html.escape(_first_line(text))
        return (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title>"
                f"</head><body><article>{body}</article></body></html>").encode()


def read_draft(path: Path) -> Draft:
    """Raises InputNotFoundError, or ArchiverUsageError for a file that is not a text draft."""
    if not path.is_file():
        raise InputNotFoundError(path, "story draft (a URL, or an HTML, Markdown or text file)")
    with path.open("rb") as handle:
        data = handle.read(MAX_DRAFT_BYTES + 1)
    if len(data) > MAX_DRAFT_BYTES:
        raise ArchiverUsageError(f"{path}: larger than {MAX_DRAFT_BYTES // 2**20} MiB; not a "
                                 "story draft")
    return Draft(path, _kind(path, data), data)


def _kind(path: Path, data: bytes) -> DraftKind:
    name = path.name.lower()
    if name.endswith(_HTML_SUFFIXES) or sniff_kind(data[:1024]) == "html":
        return "html"
    if sniff_kind(data[:1024]) == "pdf" or b"\x00" in data[:4096]:
        raise ArchiverUsageError(f"{path}: not a story draft (give an HTML, Markdown or plain "
                                 "text file, or the story's URL)")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise ArchiverUsageError(f"{path}: not UTF-8 text; save the draft as UTF-8") from None
    return "markdown" if name.endswith(_MARKDOWN_SUFFIXES) else "text"


def markdown_to_html(text: str) -> str:
    from markdown_it import MarkdownIt  # imported when needed

    return str(MarkdownIt("commonmark", {"linkify": True, "html": False})
               .enable("linkify").render(text))


def text_to_html(text: str) -> str:
    """Paragraphs (apart by blank lines) with every bare URL made a link."""
    paragraphs = [part.strip() for part in re.split(r"\n\s*\n", text) if part.strip()]
    return "\n".join(f"<p>{_linkify(paragraph)}</p>" for paragraph in paragraphs)


def _linkify(paragraph: str) -> str:
    out, last = [], 0
    for found in _BARE_URL.finditer(paragraph):
        out.append(html.escape(paragraph[last:found.start()]))
        url = html.escape(found.group(0))
        out.append(f'<a href="{url}">{url}</a>')
        last = found.end()
    out.append(html.escape(paragraph[last:]))
    return " ".join("".join(out).split())


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:200]
    return "Untitled draft"
