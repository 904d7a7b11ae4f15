"""pages/pages.jsonl: the entry points a replay tool lists, one per captured source.

A header line, then the story first when the manifest has one (story mode), then every
source captured (a 404 too: the page the server answered is the evidence), each once, with
its capture time and, when the extraction found one, its title. A failed source has no
capture to open, so it is not a page (manifest.json still records it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archiver.errors import UnreadableEvidence
from archiver.settings import ReadLimits
from archiver.untrusted_json import read_json_file

MAX_EXTRACT_JSON = 64 * 1024 * 1024


@dataclass(frozen=True)
class Page:
    id: str
    url: str
    ts: str
    title: str | None

    def to_dict(self) -> dict[str, str]:
        page = {"id": self.id, "url": self.url, "ts": self.ts}
        if self.title:
            page["title"] = self.title
        return page


def extraction_titles(paths: list[Path]) -> dict[str, str]:
    """{response record id: title, and source URL: title} from extraction JSON files
    (data/extract/*.json), whitespace folded. A file that cannot be read is passed over: a
    title is a label, and verify names damaged files. Used by export (pages.jsonl) and by
    replay's index."""
    titles: dict[str, str] = {}
    limits = ReadLimits(max_json_bytes=MAX_EXTRACT_JSON)
    for path in paths:
        try:
            document = read_json_file(path, path.name, limits=limits)
        except (OSError, UnreadableEvidence):
            continue
        title = _dict(document).get("title")
        if not isinstance(title, str) or not title.strip():
            continue
        source = _dict(_dict(document).get("source"))
        record_id, url = _dict(source.get("record")).get("record_id"), source.get("url")
        if isinstance(record_id, str):
            titles[record_id] = " ".join(title.split())
        if isinstance(url, str):
            titles.setdefault(url, " ".join(title.split()))
    return titles


def pages(manifest: dict[str, Any], titles: dict[str, str]) -> list[Page]:
    found: list[Page] = []
    seen: set[str] = set()
    story = manifest.get("story")
    entries = ([story] if isinstance(story, dict) else []) + _list(manifest.get("sources"))
    for index, entry in enumerate(entries):
        page = _page(entry, titles, "story" if entry is story else f"source-{index}")
        if page is not None and page.url not in seen:
            seen.add(page.url)
            found.append(page)
    return found


def _page(entry: dict[str, Any], titles: dict[str, str], fallback_id: str) -> Page | None:
    url = entry.get("url") or entry.get("requested_url")
    ts = entry.get("captured_at")
    record = _dict(entry.get("record"))
    if entry.get("outcome", "captured") != "captured" or not record:
        return None
    if not (isinstance(url, str) and isinstance(ts, str)):
        return None
    record_id = record.get("record_id")
    title = entry.get("title") if isinstance(entry.get("title"), str) else None
    if isinstance(record_id, str):
        title = title or titles.get(record_id)
        page_id = record_id.strip("<>").removeprefix("urn:uuid:")
    else:
        page_id = fallback_id
    # A page captured through the browser is read from its rendered DOM, a resource record of
    # its own, so its extraction names that record, not the response: found by its address
    # (the page reached, then the one asked for), as replay's index finds it.
    final_url = entry.get("final_url")
    for address in (final_url if isinstance(final_url, str) else None, url):
        title = title or (titles.get(address) if address else None)
    return Page(page_id, url, ts, title)


def pages_jsonl(found: list[Page], title: str) -> bytes:
    header = {"format": "json-pages-1.0", "id": "pages", "title": title}
    lines = [json.dumps(header, ensure_ascii=False)]
    lines += [json.dumps(page.to_dict(), ensure_ascii=False) for page in found]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
