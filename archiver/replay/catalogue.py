"""The pages and reports an index lists: from a package's manifest.json, or from the records
of a WARC made by any tool."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from archiver.errors import UnreadableEvidence
from archiver.regular_files import real_directory, regular_files_in
from archiver.replay.collection import Collection
from archiver.settings import ReadLimits
from archiver.untrusted_json import load_json, read_json_file

PAGE_TYPES = ("text/html", "application/xhtml+xml", "application/pdf")
TITLE_SCAN_BYTES = 256 * 1024
MAX_EXTRACT_JSON = 64 * 1024 * 1024
MAX_TITLE_CHARS = 300
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Entry:
    """One page or report of the index."""

    url: str
    title: str | None
    captured_at: str | None
    """WARC-Date form: 2024-05-01T12:00:00.123456Z."""
    status: int | None
    content_type: str | None
    note: str | None = None
    """Why it was not captured, or where it redirects."""

    @property
    def timestamp(self) -> str | None:
        """The 14-digit capture time replay URLs use.

        >>> Entry("http://a/", None, "2024-05-01T12:00:09.5Z", 200, None).timestamp
        '20240501120009'
        """
        if not self.captured_at:
            return None
        digits = re.sub(r"\D", "", self.captured_at)[:14]
        return digits if len(digits) == 14 else None


def catalogue(collection: Collection) -> list[Entry]:
    if collection.kind == "package":
        return package_entries(collection.path)
    return warc_entries(collection.warcs)


# -- a package: manifest.json says what was asked for ------------------------------------------


def package_entries(package: Path) -> list[Entry]:
    """Each source asked for (and the story, when there is one), captured or not."""
    manifest = _json_file(package / "manifest.json")
    folder = real_directory(package, "data/extract")  # never a folder a link leads to
    found = regular_files_in(folder) if folder is not None else []
    titles = _extraction_titles([path for path in found if path.suffix == ".json"])
    story = manifest.get("story")
    sources = [story] if isinstance(story, dict) else []
    sources += [s for s in manifest.get("sources") or [] if isinstance(s, dict)]
    return [_source_entry(source, titles) for source in sources]


def _source_entry(source: dict[str, Any], titles: dict[str, str]) -> Entry:
    url = str(source.get("requested_url") or source.get("url") or "")
    final = source.get("final_url")
    record_id = _dict(source.get("record")).get("record_id")
    title = titles.get(str(record_id)) or titles.get(str(final or url))
    note = source.get("reason")
    if final and final != url and source.get("outcome") == "captured":
        note = f"redirects to {final}"
    status = source.get("status")
    return Entry(url=url, title=title, captured_at=source.get("captured_at"),
                 status=status if isinstance(status, int) else None,
                 content_type=source.get("content_type"), note=note)


def _extraction_titles(paths: list[Path]) -> dict[str, str]:
    """{response record id or URL: title} from the package's extraction JSON files."""
    titles: dict[str, str] = {}
    for path in paths:
        document = _json_file(path, MAX_EXTRACT_JSON)
        title = _clean_title(document.get("title"))
        source = _dict(document.get("source"))
        record_id, url = _dict(source.get("record")).get("record_id"), source.get("url")
        if title is None:
            continue
        if isinstance(record_id, str):
            titles[record_id] = title
        if isinstance(url, str):
            titles.setdefault(url, title)
    return titles


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _json_file(path: Path, limit: int | None = None) -> dict[str, Any]:
    limits = ReadLimits() if limit is None else ReadLimits(max_json_bytes=limit)
    try:
        loaded = read_json_file(path, path.name, limits=limits)
    except (OSError, UnreadableEvidence):
        return {}  # the index is a convenience: a damaged file is verify's business
    return loaded if isinstance(loaded, dict) else {}


# -- a WARC from any tool: every HTML or PDF response -------------------------------------------


def warc_entries(warcs: tuple[Path, ...]) -> list[Entry]:
    found: list[tuple[str, Entry]] = []
    titles: dict[str, str] = {}
    for warc in warcs:
        for record_id, item in _scan(warc):
            if isinstance(item, Entry):
                found.append((record_id, item))
            else:
                titles[record_id] = item
    # archiver's own metadata records carry the extracted title of the response they refer to
    return [replace(entry, title=titles.get(record_id) or entry.title)
            for record_id, entry in found]


def _scan(warc: Path) -> Iterator[tuple[str, Entry | str]]:
    """(response record id, Entry) for each page or report; (record id, title) for each
    title archiver extracted from one."""
    try:
        with warc.open("rb") as stream:
            for record in ArchiveIterator(stream):
                record_id = record.rec_headers.get_header("WARC-Record-ID") or ""
                if record.rec_type == "response":
                    entry = _response_entry(record)
                    if entry is not None:
                        yield record_id, entry
                elif record.rec_type == "metadata":
                    yield from _metadata_title(record)
    except (ArchiveLoadFailed, OSError, EOFError, ValueError):
        return  # list what could be read; verify names the damage


def _response_entry(record: Any) -> Entry | None:
    url = record.rec_headers.get_header("WARC-Target-URI") or ""
    if not url.lower().startswith(("http://", "https://")) or record.http_headers is None:
        return None
    content_type = record.http_headers.get_header("Content-Type")
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    status_text = record.http_headers.get_statuscode() or ""
    status = int(status_text) if status_text.isdigit() else None
    is_redirect = status is not None and 300 <= status < 400
    if mime not in PAGE_TYPES and not is_redirect:
        return None
    title = _html_title(record, content_type) if "html" in mime else None
    location = record.http_headers.get_header("Location") if is_redirect else None
    return Entry(url, title, record.rec_headers.get_header("WARC-Date"), status, content_type,
                 note=f"redirects to {location}" if location else None)


def _html_title(record: Any, content_type: str | None) -> str | None:
    """A label for the index from the page's <title>; archiver extract does the real reading."""
    try:
        head = record.content_stream().read(TITLE_SCAN_BYTES)
    except Exception:  # an undecodable body (br without its decoder, bad gzip): no label
        return None
    match = _TITLE.search(head)
    if match is None:
        return None
    charset = re.search(r"charset=[\"']?([\w.:-]+)", content_type or "", re.IGNORECASE)
    try:
        text = match.group(1).decode(charset.group(1) if charset else "utf-8", "replace")
    except LookupError:
        text = match.group(1).decode("utf-8", "replace")
    return _clean_title(html.unescape(text))


def _metadata_title(record: Any) -> Iterator[tuple[str, str]]:
    refers_to = record.rec_headers.get_header("WARC-Refers-To")
    content_type = record.rec_headers.get_header("Content-Type") or ""
    if not refers_to or not content_type.startswith("application/json"):
        return
    try:
        document = load_json(record.content_stream().read(MAX_EXTRACT_JSON), "metadata record")
    except (UnreadableEvidence, OSError):
        return
    title = _clean_title(document.get("title")) if isinstance(document, dict) else None
    if title:
        yield refers_to, title


def _clean_title(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return " ".join(value.split())[:MAX_TITLE_CHARS]
