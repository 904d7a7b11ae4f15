"""What the CLI prints: each result rendered as text a person reads. (`--json` prints the
results' own `to_dict()` forms instead.) Kept apart from cli.py, which only parses options,
calls the library and picks exit codes."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archiver.package_layout import WARC_DIR
from archiver.terminal import human_size, printable, table

if TYPE_CHECKING:
    from archiver.attestation.signature import SignResult
    from archiver.capture.results import CaptureResult
    from archiver.cluster.capture_driver import ClusterPackageResult
    from archiver.collection.build import IndexSummary
    from archiver.collection.search import SearchResult
    from archiver.errors import VerificationFailed
    from archiver.extract.document import Extraction, ExtractionSummary
    from archiver.package.build import PackageResult
    from archiver.quotes.anchor import Anchor
    from archiver.quotes.lookup import QuoteResult
    from archiver.story.build import StoryPlan, StoryResult
    from archiver.transfer import ExportResult
    from archiver.verification import VerificationReport

TRUNCATION_WORDS = {"length": "over the size limit", "time": "over the time limit",
                    "disconnect": "connection lost"}


def capture_summary(result: PackageResult) -> dict[str, Any]:
    manifest = result.manifest
    return {
        "package": str(result.path),
        "package_id": result.package_id,
        "complete": result.is_complete,
        "sources": manifest["sources"],
        "resources": len(manifest["resources"]),
        "files": manifest["files"],
        "signature": result.signature.to_dict() if result.signature else None,
    } | result.capture.browser_wanted_dict()


def browser_wanted_lines(capture: CaptureResult) -> list[str]:
    """Automatic mode with no browser: one plain line naming the pages that would have
    needed one (their plain HTTP capture stands) and how to get a browser."""
    return _browser_wanted_note(capture.browser_wanted, len(capture.browser_wanted),
                                capture.browser_missing)


def _browser_wanted_note(wanted: list[str], count: int, reason: str | None) -> list[str]:
    """The note of `browser_wanted_lines`: `count` pages, the first of them `wanted`."""
    if not count:
        return []
    shown = ", ".join(_one(url) for url in wanted[:5]) + (
        f" and {count - min(len(wanted), 5)} more" if count > 5 else "")
    return [f"note: {count} page(s) are built by script and were captured over plain "
            f"HTTP only, with no browser to load them ({shown}): "
            f"{_one(reason or 'no Chromium')}"]


def render_capture(result: PackageResult) -> str:
    rows = []
    for source in result.manifest["sources"]:
        detail = source["reason"] or (source["content_type"] or "")
        if source["truncated"]:
            detail += f" (cut: {TRUNCATION_WORDS[source['truncated']]})"
        if source["redirects"]:
            detail = f"→ {source['final_url']} {detail}".rstrip()
        if source.get("captured_with") == "browser":  # automatic mode
            detail += " (in Chromium: the page is built by script)"
        rows.append([source["outcome"], str(source["status"] or "-"), source["requested_url"],
                     detail])
    captured = sum(1 for s in result.manifest["sources"] if s["outcome"] == "captured")
    total_size = sum(entry.size for entry in result.files)
    warcs = sum(1 for entry in result.files if entry.path.startswith(f"{WARC_DIR}/"))
    lines = [
        table(rows, ["outcome", "status", "source", "detail"]),
        "",
        f"{captured} of {len(rows)} sources captured, "
        f"{len(result.manifest['resources'])} resources in all, "
        f"{warcs} WARC file(s), {len(result.files)} file(s) in all, {human_size(total_size)}.",
        *browser_wanted_lines(result.capture),
        f"Package: {result.path}",
        *signed_lines(result.signature),
        f"Check it any time with: archiver verify {result.path}",
    ]
    return "\n".join(lines)


def cluster_capture_summary(result: ClusterPackageResult) -> dict[str, Any]:
    """A cluster capture's --json: counts, and the first failed sources (every source is in
    the package's manifest.json; the list may be too long to print)."""
    return {
        "package": str(result.path),
        "package_id": result.package_id,
        "complete": result.is_complete,
        "sources": result.sources,
        "captured": result.captured,
        "failed": result.failed,
        "failures": result.failures,
        "resources": result.resources,
        "files": result.files,
        "bytes": result.bytes,
        "batches": result.batches,
        "signature": result.signature.to_dict() if result.signature else None,
    } | ({"browser_wanted": {"pages": result.browser_wanted,
                             "count": result.browser_wanted_count,
                             "reason": result.browser_missing}}
         if result.browser_wanted_count else {})


def render_cluster_capture(result: ClusterPackageResult) -> str:
    lines = []
    if result.failures:
        rows = [["failed", failure["requested_url"], failure["reason"] or ""]
                for failure in result.failures]
        lines += [table(rows, ["outcome", "source", "reason"]), ""]
        if result.failed > len(result.failures):
            lines.append(f"... and {result.failed - len(result.failures)} more failed "
                         "sources (manifest.json lists them all).")
    lines += [
        f"{result.captured} of {result.sources} sources captured in {result.batches} "
        f"batch(es) on the cluster, {result.resources} resources in all, {result.warcs} WARC "
        f"file(s), {result.files} file(s) in all, {human_size(result.bytes)}.",
        *_browser_wanted_note(result.browser_wanted, result.browser_wanted_count,
                              result.browser_missing),
        f"Package: {result.path}",
        *signed_lines(result.signature),
        f"Check it any time with: archiver verify {result.path}",
    ]
    return "\n".join(lines)


def signed_lines(signature: SignResult | None) -> list[str]:
    """What a new package's signature is, for the lines after its path."""
    if signature is None:
        return []
    return [f"Signed with key {signature.short_fingerprint} …: {signature.files.signature}"]


def render_plan(plan: StoryPlan) -> str:
    """What `archiver story --dry-run` would capture, and each link left out with why."""
    selection = plan.selection
    rows = [[str(c.order), c.url, c.text[:50]] for c in selection.citations]
    lines = [f"Story: {_one(plan.title or plan.story)}", "",
             table(rows, ["#", "would capture", "anchor text"]) if rows else "no citations",
             "", f"{len(selection.sources)} source(s) from {len(rows)} citation(s)."]
    if selection.dropped:
        lines += ["", "Left out:"]
        lines += [f"  {_one(d.url or d.href)}: {_one(d.reason)}" for d in selection.dropped]
    return "\n".join(lines)


def render_story(result: StoryResult) -> str:
    """The chain of a story package: each source, its outcome and title, then the warnings."""
    from archiver.story.report import source_heading

    chain, path = result.story, result.path
    citations = [citation.to_dict() for citation in chain.citations]
    rows = []
    for source in chain.sources:
        name, from_anchor = source_heading(source.to_dict(), citations)
        shown = f"“{name}”" if name and from_anchor else (name or "")
        rows.append([",".join(map(str, source.cited)), source.outcome,
                     str(source.status or "-"), source.url, shown[:50]])
    lines = [f"Story: {_one(chain.title or chain.url or chain.file)}", "",
             table(rows, ["cited", "outcome", "status", "source", "title"]) if rows
             else "The story cites no sources.", ""]
    for source in chain.sources:
        lines += [f"warning: {_one(source.url)}: {_one(warning)}"
                  for warning in source.warnings]
    if chain.quotes:
        counts = Counter(quote.outcome for quote in chain.quotes)
        lines.append("Quotes checked in their sources: " + ", ".join(
            f"{counts[outcome]} {outcome}" for outcome in ("found", "not found", "not checked")
            if counts[outcome]) + " (see the report)")
    lines += [*browser_wanted_lines(result.capture),
              f"Package: {path}", f"Report: {path / 'data' / 'report.html'}",
              *signed_lines(result.signature),
              f"Check it any time with: archiver verify {path}"]
    return "\n".join(lines)


def render_quote(result: QuoteResult) -> str:
    """Where a package's sources say a passage, each place with its anchor; or the closest
    passage."""
    count = len(result.matches)
    searched = (f"{result.documents:,} text{'s' if result.documents != 1 else ''}"
                + (" (indexed for this search: the package has no index)"
                   if result.index == "temporary" else "")
                + ("; more of them hold all its words than quote reads, and only the first "
                   "were searched: give a rarer word too" if result.cut else ""))
    if count:
        lines = [f"Found {count} time{'s' if count != 1 else ''} in {searched}.", ""]
        for anchor in result.matches:
            lines += [*anchor_lines(anchor), ""]
        return "\n".join(lines).rstrip()
    if result.closest is None:
        return f"Not found in {searched}; no text holds any of its words."
    closest = result.closest
    return "\n".join([f"Not found in {searched}. The closest passage "
                      f"({closest.similarity:.0%} similar):", "",
                      *anchor_lines(closest)])


def render_index(summary: IndexSummary) -> str:
    """What `archiver index` added to a collection, and what it could not."""
    lines = [f"{summary.collection}: {len(summary.added)} package"
             f"{'s' if len(summary.added) != 1 else ''} indexed, {len(summary.unchanged)} "
             f"already there unchanged; {summary.documents:,} texts in all."]
    lines += [f"  not indexed: {_one(path)}: {_one(reason)}" for path, reason in summary.problems]
    return "\n".join(lines)


def render_search(result: SearchResult) -> str:
    """The documents that answer a search, best first, each with where it came from."""
    if not result.hits:
        return f"No match in {result.documents:,} texts."
    lines = [f"{len(result.hits)} match{'es' if len(result.hits) != 1 else ''} "
             f"(in {result.documents:,} texts), best first:", ""]
    for rank, hit in enumerate(result.hits, 1):
        document, title = hit.document, hit.source.title if hit.source else None
        lines += [f"{rank}. {_one(title or document.url or '-')}",
                  f"   source:   {_one(document.url or '-')}",
                  f"   package:  {_one(document.package or '-')}"
                  + (f" ({_one(hit.package.location)})" if hit.package else ""),
                  f"   captured: {_one(document.captured_at or '-')}, record "
                  f"{_one(document.record_id or '-')}",
                  f"   “{_one(hit.snippet)}”", ""]
    return "\n".join(lines).rstrip()


def anchor_lines(anchor: Anchor) -> list[str]:
    """One place a passage stands: the passage, its source, record, offsets and links."""
    where = f", page {anchor.page}" if anchor.page else ""
    if anchor.end_page and anchor.end_page != anchor.page:
        where = f", pages {anchor.page}-{anchor.end_page}"
    layer = "main text" if anchor.layer == "text" else "visible text (outside the main text)"
    lines = [f"  “{_one(anchor.passage)}”",
             f"  source:  {_one(anchor.url or '-')}{where}",
             f"  record:  {_one(anchor.record_id or '-')} ({_one(anchor.warc_file or '-')}, "
             f"offset {anchor.record_offset}), captured {anchor.captured_at or '-'}",
             f"  payload SHA-256: {anchor.payload_sha256 or '-'}",
             f"  text:    {_one(anchor.text_file)}, characters {anchor.start}-{anchor.end} "
             f"of its {layer}"]
    if anchor.similarity == 1 and not anchor.verbatim:
        lines.append("  note:    the words match; punctuation or spacing differs")
    if anchor.fragment_url:
        lines.append(f"  replay:  {_one(anchor.fragment_url)}")
    return lines


def render_export(result: ExportResult) -> str:
    """One line for a file `archiver export` wrote."""
    line = (f"{result.path}: {result.kind.upper()} of {result.package}, "
            f"{len(result.files)} files, {human_size(result.size)}")
    if result.kind == "wacz":
        line += f", {result.pages} pages, {result.records_indexed} captures indexed"
        if result.signed_by is not None:
            line += f", signed by key {_key_words(result.signed_by)}"
        if result.timestamped_by is not None and result.timestamped_at is not None:
            line += (f", timestamped by {result.timestamped_by} at "
                     f"{result.timestamped_at:%Y-%m-%d %H:%M:%S} UTC")
    return line


def render_export_notes(result: ExportResult) -> list[str]:
    """What a person should know of an export beside its line (for stderr)."""
    if result.kind == "wacz" and result.package_signed and result.signed_by is None:
        return [f"note: {_one(result.package)} is signed, but {_one(result.path)} is not: "
                "a WACZ carries its own signature; give --key (or `key` in the configuration) "
                "to sign it"]
    return []


def _key_words(fingerprint: str) -> str:
    """A key's fingerprint as people read it out: the first 16 hex digits, by four."""
    return " ".join(fingerprint[i:i + 4] for i in range(0, 16, 4))


def render_refusal(error: VerificationFailed) -> list[str]:
    """The problems that stopped an export, one line each (for stderr)."""
    lines = [f"  - {printable(str(problem), one_line=True)}" for problem in error.problems]
    if error.more:
        lines.append(f"  ... and {error.more:,} more")
    return lines


VERDICT_WORDS = {"intact": "intact", "structure-checked": "structure sound",
                 "cannot-be-verified": "CANNOT BE VERIFIED", "damaged": "DAMAGED",
                 "incomplete": "INCOMPLETE", "not-proven": "NOT PROVEN"}
SUMMED_NOTES = frozenset({"record-no-digest", "record-headers-not-covered", "arc-no-digests"})
"""Notes the verdict line counts (one for each record no digest covers whole): listed by
`--json`, summed up here."""
SHOWN_NOTES = 100


def render_verification(report: VerificationReport) -> str:
    """One verdict line ("intact: 171 payloads verified, headers not covered; 295 records
    carry no digest of their own (171 request, 123 revisit, 1 warcinfo) (warc; ...)"), then
    every problem kept, then the notes the verdict line does not sum up."""
    checked = (f"{report.files_checked} file(s), {report.records_checked} record(s), "
               f"{human_size(report.bytes_read)} read")
    verdict = VERDICT_WORDS[report.verdict]
    covered = report.describe_coverage()
    if report.is_valid:
        joint = "; " if report.kind == "arc" else ": "  # "structure sound; ARC files carry..."
        lines = [f"{_one(report.path)}: {verdict}{joint}{covered} ({report.kind}; {checked})"]
    else:
        lines = [f"{_one(report.path)}: {verdict} ({report.kind}; {report.problem_count:,} "
                 f"problem(s); {checked})"]
        # What the digests covered, where it is more than "every record verified whole".
        told = any(problem.code == "arc-no-digests" for problem in report.problems)
        if not (report.coverage.fully_covered or told or report.verdict == "incomplete"):
            lines.append(f"  digests: {covered}")
        lines += [f"  - {_one(problem)}" for problem in report.problems]
        lines += [f"  ... and {count:,} more problem{'s' if count != 1 else ''} in "
                  f"{_one(path)}" for path, count in report.omitted.items()]
    if report.attestations is not None:
        lines.insert(1, f"  proof: {_one(report.attestations.proof_line(report.bag_intact))}")
    shown = [note for note in report.notes if note.code not in SUMMED_NOTES]
    lines += [f"  note: {_one(note)}" for note in shown[:SHOWN_NOTES]]
    if len(shown) > SHOWN_NOTES:
        lines.append(f"  ... and {len(shown) - SHOWN_NOTES:,} more notes (--json lists them)")
    return "\n".join(lines)


def render_text(extraction: Extraction, *, visible: bool = False) -> str:
    """A document's main text (or, `visible`, all its visible text) under its source."""
    source = extraction.source.url or extraction.source.file or "?"
    text = extraction.visible_text if visible else extraction.text
    return f"==> {_one(source)} <==\n{text}\n"


def render_problems(extraction: Extraction) -> list[str]:
    """What got in the way of reading a document, a line each, naming the document."""
    source = _one(extraction.source.url or extraction.source.file or "?")
    return [f"{source}: {_one(problem)}" for problem in extraction.problems]


def render_extractions(summaries: list[ExtractionSummary], output: Path | str | None
                       ) -> str:
    rows = []
    for item in summaries:
        size = f"{item.pages} pages" if item.pages is not None else f"{item.words} words"
        rows.append([item.outcome, item.kind, size, item.url or item.file or "",
                     (item.title or "")[:60]])
    lines = [table(rows, ["outcome", "kind", "size", "source", "title"]) if rows
             else "no page, PDF or data file (text, CSV, JSON, XML) found"]
    for item in summaries:
        for problem in item.problems:
            lines.append(f"  {_one(item.url or item.file)}: {_one(problem)}")
    if output is not None:
        lines.append(f"Written to {output}")
    return "\n".join(lines)


def _one(value: object) -> str:
    """A value from outside (a URL, a title, a problem quoting a header) kept on its line."""
    return printable(str(value), one_line=True)
