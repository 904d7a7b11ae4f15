"""One verdict per source: how what a source answers now differs from what it answered at
capture, judged from the two packages' records.

The verdicts, in the order they are tried:
- gone: a 404 or 410, or the host cannot be found or refuses the connection;
- error: any other failure (a timeout, a reset, a TLS error) or a 5xx answer;
- walled: a wall that was not there at capture (a 401/402/403, a redirect to a login or
  consent page, or paywall markers or wall words with a text that shrank by half);
- moved: it now ends at another URL than it did (a new redirect, or one elsewhere);
- unchanged: the same payload (`basis` "payload"), or the same text once normalised, title,
  dates and authors included (`basis` "text": only markup, scripts or ads differ); or the
  same failure or status as at capture (`basis` "status");
- changed: anything else: the share of words changed, passages removed and added, changes
  of title, dates or authors, and for a PDF which pages changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from archiver.recheck.facts import COMPARED_METADATA, PackageFacts, SourceFacts
from archiver.recheck.text_diff import TextChange, compare_texts, normalise
from archiver.recheck.walls import (
    TEXT_DROP,
    WALL_STATUSES,
    redirect_signal,
    status_signal,
    wall_words,
)

Verdict = Literal["unchanged", "changed", "moved", "gone", "walled", "error"]
VERDICTS: tuple[Verdict, ...] = ("unchanged", "changed", "moved", "gone", "walled", "error")
GONE_STATUSES = (404, 410)
SLIM_PASSAGES, SLIM_CHARS = 3, 300
"""Passages each way a comparison keeps once data/recheck.json holds them all, and their
length: a few KB a source, whatever changed."""
GONE_REASONS = ("host name could not be resolved", "connection refused", "network unreachable")


@dataclass
class RecheckOptions:
    """What counts as a problem (exit 1). By default every verdict but `unchanged` does."""

    ignore_moved: bool = False
    ignore_gone: bool = False
    ignore_walled: bool = False
    exact: bool = False
    """Count any new payload as a change, even when the text is the same (markup only)."""
    min_change: float = 0.0
    """A change of text below this share (0 to 1) does not count, when the title, dates and
    authors are the same."""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class SourceComparison:
    """One source, then and now."""

    url: str
    verdict: Verdict
    reason: str
    before: SourceFacts
    after: SourceFacts
    basis: str | None = None
    """For `unchanged`: payload, text or status."""
    moved_to: str | None = None
    wall: list[str] = field(default_factory=list)
    new_file: bool = False
    """A new payload behind the same URL (another SHA-256)."""
    text: TextChange | None = None
    metadata: list[dict[str, Any]] = field(default_factory=list)
    pdf: dict[str, Any] | None = None
    counted: bool = False
    """Whether it counts as a problem under the options."""

    def count(self, options: RecheckOptions) -> bool:
        """Whether this verdict counts as a problem under `options` (and remember it)."""
        ignored = {"moved": options.ignore_moved, "gone": options.ignore_gone,
                   "walled": options.ignore_walled}
        if self.verdict == "unchanged":
            self.counted = options.exact and self.basis == "text"
        elif self.verdict == "changed":
            self.counted = (bool(self.metadata) or self.text is None
                            or self.text.share_changed >= options.min_change
                            or self.before.kind != self.after.kind)
        else:
            self.counted = not ignored.get(self.verdict, False)
        return self.counted

    def slim(self) -> None:
        """Let go of what data/recheck.json now holds: the side-by-side rows, and passages
        past the first SLIM_PASSAGES each way (the rest cut to SLIM_CHARS)."""
        if self.text is not None:
            self.text.slim(SLIM_PASSAGES, SLIM_CHARS)

    def to_dict(self, *, with_text: bool = True) -> dict[str, Any]:
        return {"url": self.url, "verdict": self.verdict, "basis": self.basis,
                "counted": self.counted, "reason": self.reason, "moved_to": self.moved_to,
                "wall": self.wall, "new_file": self.new_file,
                "text": self.text.to_dict() if self.text and with_text else None,
                "metadata_changes": self.metadata, "pdf": self.pdf,
                "before": self.before.to_dict(), "after": self.after.to_dict(),
                "problems": self.before.problems + self.after.problems}


def compare_source(before: SourceFacts, after: SourceFacts, then: PackageFacts,
                   now: PackageFacts) -> SourceComparison:
    """The verdict on one source: `before` read from the original package (`then`), `after`
    from the new one (`now`)."""
    found = _gone_or_error(before, after)
    if found is None:
        found = _walled(before, after, then, now)
    if found is None:
        found = _moved(before, after)
    if found is None:
        found = _content(before, after)
    return found


def _state(facts: SourceFacts) -> tuple[str, str]:
    """A failure or error status, as one comparable key and a plain phrase."""
    if facts.outcome != "captured":
        reason = facts.reason or "not captured"
        return f"failed:{reason}", reason
    return f"status:{facts.status}", f"HTTP {facts.status}"


def _gone_or_error(before: SourceFacts, after: SourceFacts) -> SourceComparison | None:
    """A failure or an error status now: unchanged when it is the one met at capture (an
    error page's bytes differ from day to day), else gone or error; a 401-403 met anew is
    left to the wall's check."""
    failed = after.outcome != "captured"
    if not failed and (after.status is None or after.status < 400):
        return None
    key, words = _state(after)
    if _state(before)[0] == key:
        return SourceComparison(before.requested_url, "unchanged",
                                f"the same as at capture: {words}", before, after,
                                basis="status")
    if not failed and after.status in WALL_STATUSES:
        return None
    gone = (after.status in GONE_STATUSES if not failed
            else any(after.reason and after.reason.startswith(r) for r in GONE_REASONS))
    verdict: Verdict = "gone" if gone else "error"
    return SourceComparison(before.requested_url, verdict, f"now {words}", before, after)


def _walled(before: SourceFacts, after: SourceFacts, then: PackageFacts,
            now: PackageFacts) -> SourceComparison | None:
    chain = after.redirects or [after.requested_url]
    signals = [signal for signal in (status_signal(after.status), redirect_signal(chain))
               if signal]
    if signals:
        was = [s for s in (status_signal(before.status),
                           redirect_signal(before.redirects or [before.requested_url])) if s]
        if was:  # walled at capture too: no new wall
            return None
        return SourceComparison(before.requested_url, "walled", "; ".join(signals), before,
                                after, wall=signals)
    if after.payload_sha256 == before.payload_sha256 or after.kind != "html":
        return None
    words_before = len((before.text or "").split())
    words_after = len((after.text or "").split())
    shrank = words_before > 0 and words_after <= words_before * (1 - TEXT_DROP)
    if not shrank:
        return None
    phrase = wall_words(after.text or "")
    new_phrase = phrase is not None and wall_words(before.text or "") is None
    markers = [m for m in now.markup_signals(after) if m not in then.markup_signals(before)]
    if not (new_phrase or markers):
        return None
    signals = [f"the text shrank from {words_before} to {words_after} words"]
    if new_phrase:
        signals.append(f"it now says {phrase!r}")
    signals.extend(f"new in its markup: {marker}" for marker in markers)
    return SourceComparison(before.requested_url, "walled", "; ".join(signals), before, after,
                            wall=signals)


def _moved(before: SourceFacts, after: SourceFacts) -> SourceComparison | None:
    if not after.redirects or after.final_url == before.final_url:
        return None
    return SourceComparison(before.requested_url, "moved",
                            f"now redirects to {after.final_url}", before, after,
                            moved_to=after.final_url)


def _content(before: SourceFacts, after: SourceFacts) -> SourceComparison:
    url = before.requested_url
    if before.outcome != "captured" or (before.status or 0) >= 400:
        _, words = _state(before)
        return SourceComparison(url, "changed", f"it answers now (at capture: {words})",
                                before, after, new_file=True)
    if before.payload_sha256 == after.payload_sha256:
        return SourceComparison(url, "unchanged", "the same bytes (payload SHA-256)",
                                before, after, basis="payload")
    metadata = _metadata_changes(before, after)
    if before.text is None or after.text is None or before.kind != after.kind:
        return SourceComparison(url, "changed", _new_file_reason(before, after), before,
                                after, new_file=True, metadata=metadata)
    if not metadata and normalise(before.text) == normalise(after.text):
        return SourceComparison(url, "unchanged", "the same text; only the markup or the "
                                "bytes around the text changed", before, after, basis="text")
    text = compare_texts(before.text, after.text)
    comparison = SourceComparison(url, "changed", _change_reason(text, metadata), before,
                                  after, new_file=True, text=text, metadata=metadata)
    if before.pages is not None and after.pages is not None:
        comparison.pdf = _page_changes(before.pages, after.pages)
        comparison.reason += f"; {_pages_reason(comparison.pdf)}"
    return comparison


def _new_file_reason(before: SourceFacts, after: SourceFacts) -> str:
    if before.kind != after.kind:
        return (f"a new file behind the same URL: {before.kind or before.content_type} "
                f"then, {after.kind or after.content_type} now")
    return "a new file behind the same URL (its text could not be compared)"


def _metadata_changes(before: SourceFacts, after: SourceFacts) -> list[dict[str, Any]]:
    changes = []
    for name in COMPARED_METADATA:
        old, new = before.metadata.get(name), after.metadata.get(name)
        if (old or None) != (new or None):
            changes.append({"field": name, "before": old, "after": new})
    return changes


def _change_reason(text: TextChange, metadata: list[dict[str, Any]]) -> str:
    parts = [f"{text.share_changed:.1%} of the words changed ({text.words_removed} removed, "
             f"{text.words_added} added)"]
    parts.extend(f"{change['field']} changed" for change in metadata)
    return "; ".join(parts)


def _page_changes(old: list[str], new: list[str]) -> dict[str, Any]:
    """Which pages changed, by number: compared page against page (same position), with
    pages added or removed at the end."""
    old_pages, new_pages = [normalise(p) for p in old], [normalise(p) for p in new]
    common = min(len(old_pages), len(new_pages))
    changed = [n + 1 for n in range(common) if old_pages[n] != new_pages[n]]
    return {"pages_before": len(old_pages), "pages_after": len(new_pages),
            "pages_changed": changed,
            "pages_removed": list(range(common + 1, len(old_pages) + 1)),
            "pages_added": list(range(common + 1, len(new_pages) + 1))}


def _pages_reason(pdf: dict[str, Any]) -> str:
    parts = []
    if pdf["pages_changed"]:
        parts.append("pages changed: " + ", ".join(map(str, pdf["pages_changed"])))
    if pdf["pages_before"] != pdf["pages_after"]:
        parts.append(f"{pdf['pages_before']} pages then, {pdf['pages_after']} now")
    return "; ".join(parts) or "no page's text changed"
