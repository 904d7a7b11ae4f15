"""What a package holds about one source, read from its records: the status, the redirect
chain and the payload digest its manifest.json states (which verify proves against the
response record), the text of its conversion record, the title, dates and authors of its
metadata record, and, when asked, the wall markers in its markup.

Reading is bounded: at most MAX_TEXT_BYTES of a text and MAX_MARKUP_BYTES of a page's
markup are read, and nothing of a record is held beyond that.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archiver.extract.extractor import extract_captured, read_page
from archiver.extract.payload import open_record
from archiver.package_layout import warc_name
from archiver.recheck.walls import marker_signals
from archiver.settings import MIB, ExtractionSettings

MAX_TEXT_BYTES = 8 * MIB
"""Text read per source for the comparison; a longer text is compared by its first 8 MiB."""
MAX_METADATA_BYTES = 16 * MIB
MAX_MARKUP_BYTES = 2 * MIB
"""Markup searched for wall markers (they sit near the top, or in the first screenful)."""
COMPARED_METADATA = ("title", "published", "modified", "authors")


@dataclass
class SourceFacts:
    """One source as a package recorded it."""

    requested_url: str
    outcome: str
    reason: str | None = None
    status: int | None = None
    final_url: str | None = None
    redirects: list[str] = field(default_factory=list)
    content_type: str | None = None
    payload_sha256: str | None = None
    captured_at: str | None = None
    record: dict[str, Any] | None = None
    kind: str | None = None
    """What the extraction read it as: html, pdf, text..., or None (not read)."""
    text: str | None = None
    text_cut: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    """What got in the way of reading it from the package."""
    page_count: int | None = None

    @property
    def pages(self) -> list[str] | None:
        """A PDF's pages, as its text file separates them (form feeds)."""
        return self.text.split("\f") if self.kind == "pdf" and self.text is not None else None

    def release(self) -> None:
        """Let the text go once compared (what the comparison keeps of it is bounded), so
        a recheck's memory does not grow with the package."""
        pages = self.pages
        self.page_count = len(pages) if pages is not None else None
        self.text = None

    def to_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "reason": self.reason, "status": self.status,
                "final_url": self.final_url, "redirects": self.redirects,
                "content_type": self.content_type, "payload_sha256": self.payload_sha256,
                "captured_at": self.captured_at, "record": self.record, "kind": self.kind,
                "pages": self.page_count,
                **{name: self.metadata.get(name) for name in COMPARED_METADATA}}


class PackageFacts:
    """Reads the facts of each source of a package (sealed, or still in its staging folder)."""

    def __init__(self, root: Path, manifest: dict[str, Any]) -> None:
        self.root = root
        self.manifest = manifest
        self._by_record = {resource["record"]["record_id"]: resource
                           for resource in manifest.get("resources", [])
                           if resource.get("record")}

    def sources(self) -> Iterator[SourceFacts]:
        """Each source's facts, read as they are asked for (one text at a time)."""
        for entry in self.manifest.get("sources", []):
            yield self.source(entry)

    def source(self, entry: dict[str, Any]) -> SourceFacts:
        facts = SourceFacts(
            requested_url=entry["requested_url"], outcome=entry["outcome"],
            reason=entry.get("reason"), status=entry.get("status"),
            final_url=entry.get("final_url"), redirects=list(entry.get("redirects") or []),
            content_type=entry.get("content_type"), payload_sha256=entry.get("payload_sha256"),
            captured_at=entry.get("captured_at"), record=entry.get("record"))
        record = entry.get("record")
        if record and facts.status is not None and not 300 <= facts.status < 400:
            self._read_documents(facts, self._by_record.get(record["record_id"], {}))
        return facts

    def markup_signals(self, facts: SourceFacts) -> list[str]:
        """Wall markers in the page's markup (its response record), or none for a source
        that is not an HTML page."""
        if facts.record is None or facts.kind != "html":
            return []
        try:
            with self._open(facts.record) as (document, raw):
                markup = read_page(document, raw,
                                   ExtractionSettings(max_html_bytes=MAX_MARKUP_BYTES))
        except (OSError, ValueError) as error:
            facts.problems.append(f"its markup could not be read: {error}")
            return []
        return marker_signals(markup)

    def _read_documents(self, facts: SourceFacts, resource: dict[str, Any]) -> None:
        derived = {entry["kind"]: entry for entry in resource.get("derived", [])}
        try:
            if "extraction" in derived:
                extraction = json.loads(self._block(derived["extraction"]["record"],
                                                    MAX_METADATA_BYTES)[0])
                facts.kind = extraction.get("kind")
                facts.metadata = {name: extraction.get(name) for name in COMPARED_METADATA}
                facts.text = ""
                if "text" in derived:
                    data, facts.text_cut = self._block(derived["text"]["record"],
                                                       MAX_TEXT_BYTES)
                    facts.text = data.decode("utf-8", errors="replace")
            else:  # captured without --extract: read it now, from its response record
                self._extract(facts)
        except (OSError, ValueError) as error:
            facts.problems.append(f"its text could not be read from the package: {error}")

    def _extract(self, facts: SourceFacts) -> None:
        assert facts.record is not None
        with self._open(facts.record) as (document, raw):
            extraction = extract_captured(document, raw, ExtractionSettings(workers=0))
        if extraction is not None:
            facts.kind = extraction.kind
            found = extraction.metadata.to_dict()
            facts.metadata = {name: found.get(name) for name in COMPARED_METADATA}
            facts.text = extraction.text[:MAX_TEXT_BYTES]
            facts.text_cut = len(extraction.text) > MAX_TEXT_BYTES

    def _open(self, record: dict[str, Any]) -> Any:
        path = record["warc_file"]
        name = warc_name(path)
        if name is None:
            raise ValueError(f"{path}: not a WARC of the package")
        return open_record(self.root / path, name, int(record["offset"]))

    def _block(self, record: dict[str, Any], limit: int) -> tuple[bytes, bool]:
        """The block of a derived record (its payload: it is not HTTP), at most `limit`
        bytes, and whether there was more."""
        with self._open(record) as (_, raw):
            data = raw.read(limit + 1)
        return data[:limit], len(data) > limit
