"""The evidence chain of a story: story → citation → capture → record → digest, with what an
editor must be warned of (a source that failed or is gone, a redirect to another site, a page
that looks like a paywall, login or consent wall rather than the content)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from archiver.capture.results import SourceOutcome
from archiver.extract.document import Extraction

SourceOutcomeKind = Literal["captured", "redirected", "gone", "error", "failed"]
LEAD_CHARS = 280
SHORT_PAGE_WORDS = 250
"""A wall replaces the content with a few lines; a real article is longer than this."""

_WALLS = (
    ("a paywall", re.compile(
        r"subscribe (now |today )?to (continue|keep) reading|subscribers? only|already a "
        r"subscriber|(article|story|content) is (only )?(available )?(for|to) subscribers|"
        r"start your (free )?trial|unlock (this|the full) (article|story)", re.I)),
    ("a login wall", re.compile(
        r"(log|sign) ?in to (continue|read|view|see)|please (log|sign) ?in|create an? (free )?"
        r"account to (continue|read)|you must be logged in", re.I)),
    ("a cookie consent wall", re.compile(
        r"(accept|agree to|allow) (all )?cookies|cookie (consent|preferences|settings)|we value "
        r"your privacy|consent to (the use of )?cookies|manage (your )?consent", re.I)),
)


@dataclass
class CitedSource:
    """One cited URL as captured, with everything the report and manifest.json say of it."""

    url: str
    outcome: SourceOutcomeKind
    reason: str | None = None
    status: int | None = None
    final_url: str | None = None
    redirects: list[str] = field(default_factory=list)
    captured_at: str | None = None
    content_type: str | None = None
    record: dict[str, Any] | None = None
    payload_sha256: str | None = None
    title: str | None = None
    published: str | None = None
    lead: str | None = None
    extraction: str | None = None
    """The package path of its extraction JSON."""
    warnings: list[str] = field(default_factory=list)
    cited: list[int] = field(default_factory=list)
    """The orders of the citations that point at it."""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def classify(source: SourceOutcome) -> tuple[SourceOutcomeKind, str | None]:
    """captured, redirected, gone (404/410), error (another 4xx/5xx) or failed, and why."""
    resource = source.resource
    if not source.is_captured or resource is None:
        return "failed", source.reason or "could not be captured"
    status = resource.status or 0
    if status in (404, 410):
        return "gone", f"the server answered {status}: the page is gone"
    if status >= 400:
        return "error", f"the server answered {status}"
    # A gate that sets a cookie and sends the reader back to the same address (consent and
    # session gates) has redirects, but what is kept is the page that was cited.
    cited_url = source.url or source.requested_url
    moved = bool(source.redirects) and source.final_url not in (None, cited_url)
    return ("redirected" if moved else "captured"), None


def describe_source(source: SourceOutcome, extraction: Extraction | None,
                    extraction_path: str | None, record: dict[str, Any] | None) -> CitedSource:
    outcome, reason = classify(source)
    resource = source.resource
    cited = CitedSource(source.url or source.requested_url, outcome, reason,
                        final_url=source.final_url, redirects=list(source.redirects),
                        record=record, extraction=extraction_path)
    if resource is not None:
        cited.status = resource.status
        cited.captured_at = resource.captured_at
        cited.content_type = resource.content_type
        cited.payload_sha256 = resource.payload_sha256
    if extraction is not None:
        cited.title = extraction.title
        published = extraction.metadata.published
        cited.published = published if isinstance(published, str) else None
        cited.lead = lead(extraction.text)
    cited.warnings = warnings_for(cited, source, extraction)
    return cited


def warnings_for(cited: CitedSource, source: SourceOutcome,
                 extraction: Extraction | None) -> list[str]:
    found = []
    if cited.outcome == "failed":
        found.append(f"could not be captured: {cited.reason}")
    elif cited.outcome in ("gone", "error"):
        found.append(f"{cited.reason}; what was captured is the server's error page")
    elif cited.final_url and _site(cited.final_url) != _site(cited.url):
        found.append(f"redirected to another site: {urlsplit(cited.final_url).hostname}")
    resource = source.resource
    if resource is not None and resource.truncated:
        found.append(f"the capture was cut short ({resource.truncated})")
    if extraction is not None:
        wall = wall_kind(extraction)
        if wall:
            found.append(f"looks like {wall} rather than the content")
        if extraction.outcome == "failed":
            found.append("its text could not be extracted: " + "; ".join(extraction.problems))
    return found


def wall_kind(extraction: Extraction) -> str | None:
    """A paywall, login or consent wall standing where the content should be, if it looks so."""
    html = extraction.details if extraction.kind == "html" else {}
    for item in html.get("json_ld") or []:
        if isinstance(item, dict) and str(item.get("isAccessibleForFree")).lower() == "false":
            return "a paywall"
    text = f"{extraction.title or ''}\n{extraction.text}"
    if len(extraction.text.split()) > SHORT_PAGE_WORDS:
        return None
    for name, pattern in _WALLS:
        if pattern.search(text):
            return name
    return None


def lead(text: str) -> str | None:
    """The first lines of a text, about LEAD_CHARS long, cut at a word; one line a heading,
    paragraph or line break, so that "...that page" and "It may..." do not run together.

    A line that starts in lower case (or after a hyphen, comma or an open parenthesis)
    continues the one before: the hard wrap of a PDF's lines, not a new block.

    >>> lead("We could not find that page\\n\\nIt may have  moved.")
    'We could not find that page\\nIt may have moved.'
    >>> lead("Between June and December the\\nWater Department replaced 11,240\\nmeters.")
    'Between June and December the\\nWater Department replaced 11,240 meters.'
    >>> lead(" \\n ") is None
    True
    """
    lines: list[str] = []
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if not line:
            continue
        if lines and _continues(lines[-1], line):
            lines[-1] += " " + line
        else:
            lines.append(line)
        if sum(len(item) + 1 for item in lines) > LEAD_CHARS:
            break
    flat = "\n".join(lines)
    if not flat:
        return None
    if len(flat) <= LEAD_CHARS:
        return flat
    cut = flat[:LEAD_CHARS]
    at = max(cut.rfind(" "), cut.rfind("\n"))
    return (cut[:at] if at > 0 else cut).rstrip() + "…"


def _continues(previous: str, line: str) -> bool:
    """True when `line` goes on with the sentence of `previous` (a wrapped line)."""
    return line[0].islower() or previous[-1] in "-,(‐"


def _site(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host

