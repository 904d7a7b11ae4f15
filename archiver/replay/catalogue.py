"""The pages and reports an index lists: from a package's manifest.json, or from the records
of a WARC made by any tool (found by archiver.replay.warc_scan)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from archiver.errors import UnreadableEvidence
from archiver.package_layout import EXTRACT_DIR, MANIFEST_JSON
from archiver.regular_files import real_directory, regular_files_in
from archiver.replay.collection import Collection
from archiver.replay.entry import Entry, clean_title
from archiver.replay.warc_scan import WarcScan
from archiver.settings import ReadLimits
from archiver.transfer.pages import MAX_EXTRACT_JSON, extraction_titles
from archiver.untrusted_json import read_json_file

__all__ = ["Entry", "catalogue", "package_entries", "warc_entries"]


def catalogue(collection: Collection, scans: list[WarcScan]) -> list[Entry]:
    if collection.kind == "package":
        return [entry for package in collection.packages or (collection.path,)
                for entry in package_entries(package)]
    return warc_entries(scans)


# -- a package: manifest.json says what was asked for ------------------------------------------


def package_entries(package: Path) -> list[Entry]:
    """Each source asked for, captured or not; the story (when there is one) first."""
    manifest = _json_file(package / MANIFEST_JSON)
    folder = real_directory(package, EXTRACT_DIR)  # never a folder a link leads to
    found = regular_files_in(folder) if folder is not None else []
    titles = extraction_titles([path for path in found if path.suffix == ".json"])
    sources = [s for s in manifest.get("sources") or [] if isinstance(s, dict)]
    entries = [_source_entry(source, titles) for source in sources]
    story = manifest.get("story")
    if isinstance(story, dict):
        entries = _story_first(story, sources, entries, titles)
    return entries


def _story_first(story: dict[str, Any], sources: list[dict[str, Any]], entries: list[Entry],
                 titles: dict[str, str]) -> list[Entry]:
    """The entries with the story's first, said to be the story. A story fetched from the web
    is also a source (its HTTP status, its redirects are there): that one entry is the story's.
    A local draft is no source: it is listed for what it is, with nothing to replay."""
    record_id = _dict(story.get("record")).get("record_id")
    url = _text(story.get("url"))
    for index, source in enumerate(sources):
        same_record = record_id is not None and _dict(source.get("record")).get(
            "record_id") == record_id
        if same_record or (url is not None and url in (_text(source.get("url")),
                                                       _text(source.get("final_url")))):
            entry = entries.pop(index)
            note = f"the story; {entry.note}" if entry.note else "the story"
            title = clean_title(story.get("title")) or entry.title
            return [replace(entry, title=title, note=note), *entries]
    title = clean_title(story.get("title"))
    if story.get("kind") == "draft":
        name = _text(story.get("file")) or "a file"
        return [Entry(url="", title=title or name, captured_at=_text(story.get("captured_at")),
                      status=None, content_type=None, status_label="local draft",
                      note=f"the story: the local draft {name}, kept in the package as it "
                           "was read; it has no web address to replay"), *entries]
    entry = _source_entry(story, titles)
    return [replace(entry, title=title or entry.title, note="the story"), *entries]


def _source_entry(source: dict[str, Any], titles: dict[str, str]) -> Entry:
    """A source of manifest.json as an entry; a field of the wrong type (the manifest was not
    verified first) counts as missing."""
    url = _text(source.get("requested_url")) or _text(source.get("url")) or ""
    final = _text(source.get("final_url"))
    record_id = _dict(source.get("record")).get("record_id")
    title = clean_title(titles.get(str(record_id)) or titles.get(final or url))
    note = _text(source.get("reason"))
    if final and final != url and source.get("outcome") == "captured":
        note = f"redirects to {final}"
    status = source.get("status")
    return Entry(url=url, title=title, captured_at=_text(source.get("captured_at")),
                 status=status if isinstance(status, int) else None,
                 content_type=_text(source.get("content_type")), note=note)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _json_file(path: Path) -> dict[str, Any]:
    """The JSON object in a file of the package, or {}: the index is a convenience, and a
    damaged, linked or oversized file is verify's business."""
    try:
        loaded = read_json_file(path, path.name,
                                limits=ReadLimits(max_json_bytes=MAX_EXTRACT_JSON))
    except (OSError, UnreadableEvidence):
        return {}
    return loaded if isinstance(loaded, dict) else {}


# -- a WARC from any tool: every HTML or PDF response -------------------------------------------


def warc_entries(scans: list[WarcScan]) -> list[Entry]:
    """Each page, report and redirect of the WARCs; archiver's own metadata records carry the
    extracted title of the response they refer to."""
    titles: dict[str, str] = {}
    for scan in scans:
        titles.update(scan.titles)
    return [replace(found.entry, title=titles.get(found.record_id) or found.entry.title)
            for scan in scans for found in scan.found]
