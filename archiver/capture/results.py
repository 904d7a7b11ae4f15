"""What a capture job found: one `Resource` per URL fetched, one `SourceOutcome` per URL asked
for. Plain data, turned into manifest.json by the package module."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from archiver.capture.frontier import Role
from archiver.capture.transport import Truncation
from archiver.timestamps import utc_iso

if TYPE_CHECKING:
    from archiver.warc.http_head import HeadFacts

Outcome = Literal["captured", "failed"]


@dataclass
class RecordRef:
    """Where a resource's response record is (`warc_file` is the WARC's name in data/warc/),
    and the request record paired with it."""

    warc_file: str
    record_id: str
    offset: int
    request_record_id: str
    request_offset: int


@dataclass
class StrayRef:
    """Where bytes a server sent after the end of this resource's response are kept (a
    `resource` record; see archiver.warc.exchange_records.stray_record)."""

    warc_file: str
    record_id: str
    offset: int
    length: int
    """How many bytes arrived (at least)."""
    kept: int
    """How many the record holds."""
    sha256: str
    """SHA-256 of the bytes the record holds (its block)."""


@dataclass
class PeerRecord:
    """Where an origin's provenance record is (a `metadata` record; see
    archiver.warc.provenance_records), and the JSON it holds."""

    origin: str
    warc_file: str
    record_id: str
    offset: int
    sha256: str
    """SHA-256 of the record's block: `document` as archiver writes it."""
    document: dict[str, Any]


class WrittenExchange(Protocol):
    """What an exchange written to the WARC says of itself, whoever fetched it (archiver's
    HTTP client or the browser)."""

    started_at: datetime
    ip_address: str | None
    payload_sha256: str
    payload_length: int
    recorded: HeadFacts
    truncated: Truncation | None


@dataclass(frozen=True)
class RevisitOf:
    """The earlier capture a response's payload is identical to (a package of a collection):
    the response is written as a revisit record referring to it (`--dedup`)."""

    package: str
    """The id of the package that holds the original record."""
    record_id: str
    target_uri: str
    date: str
    """The original's capture time (WARC-Refers-To-Date)."""
    warc_file: str | None = None
    """The original's WARC file, in its package."""


PayloadLookup = Callable[[str, str], RevisitOf | None]
"""(payload SHA-256, URL) -> the earlier capture of that payload, or None."""


def earlier_capture(lookup: PayloadLookup | None, url: str, payload_sha256: str,
                    payload_length: int, *, whole: bool, role: Role) -> RevisitOf | None:
    """The earlier capture of a response's payload, when the response is to be written as a
    revisit (`--dedup`): a whole payload (not empty, not cut) that the collection holds.
    A story's page is always kept (story mode reads its links from the record just
    written)."""
    if lookup is None or not whole or payload_length == 0 or role == "story":
        return None
    return lookup(payload_sha256, url)


@dataclass
class Resource:
    url: str
    role: Role
    found_on: str | None = None
    outcome: Outcome = "failed"
    reason: str | None = None
    status: int | None = None
    content_type: str | None = None
    captured_at: str | None = None
    ip_address: str | None = None
    record: RecordRef | None = None
    payload_sha256: str | None = None
    payload_length: int | None = None
    truncated: Truncation | None = None
    redirect_to: str | None = None
    attempts: int = 0
    notes: list[str] = field(default_factory=list)
    stray_bytes: list[StrayRef] = field(default_factory=list)
    revisit: RevisitOf | None = None
    """Set when the payload was not stored again: the record is a revisit of this."""

    def written_as(self, exchange: WrittenExchange, record: RecordRef) -> None:
        """Fill in what the manifest says of the response from its record: the bytes
        recorded (`exchange.recorded`), never what a parser made of them."""
        self.status = exchange.recorded.status
        self.content_type = exchange.recorded.content_type
        self.captured_at = utc_iso(exchange.started_at)
        self.ip_address = exchange.ip_address
        self.payload_sha256 = exchange.payload_sha256
        self.payload_length = exchange.payload_length
        self.truncated = exchange.truncated
        self.record = record


@dataclass
class SourceOutcome:
    requested_url: str
    url: str | None
    outcome: Outcome
    reason: str | None = None
    final_url: str | None = None
    redirects: list[str] = field(default_factory=list)
    """Every URL the source went through, the requested one first, the final one last."""
    resource: Resource | None = None
    captured_with: Literal["http", "browser"] | None = None
    """Automatic mode only: which capture is the source's record, plain HTTP or the browser
    (None: the mode asked for was the only one)."""
    captured_with_reason: str | None = None
    """Why, in words: what the page's plain HTTP capture looked like (see
    archiver.capture.script_built)."""

    @property
    def is_captured(self) -> bool:
        return self.outcome == "captured"


@dataclass
class CaptureResult:
    sources: list[SourceOutcome]
    resources: list[Resource]
    started_at: str
    finished_at: str
    peers: list[PeerRecord] = field(default_factory=list)
    """The provenance of every origin connected to: one record per origin, and another
    whenever a later connection to it met other facts (another address, chain, cipher...)."""
    superseded: list[int] = field(default_factory=list)
    """Automatic mode: indexes in `resources` of pages captured over plain HTTP and then
    again in the browser, because they are built by script. Their records stay as evidence;
    their text is read from the browser's capture, not from them."""
    browser_missing: str | None = None
    """Automatic mode: why no browser could load the pages built by script (no Chromium)."""
    browser_wanted: list[str] = field(default_factory=list)
    """Automatic mode, no browser: the sources that would have needed one."""

    @property
    def failed(self) -> list[SourceOutcome]:
        return [source for source in self.sources if not source.is_captured]

    def browser_wanted_dict(self) -> dict[str, Any]:
        """For --json: automatic mode with no browser, the pages that would have needed one
        and why none could run ({} otherwise)."""
        if not self.browser_wanted:
            return {}
        return {"browser_wanted": {"pages": list(self.browser_wanted),
                                   "reason": self.browser_missing}}
