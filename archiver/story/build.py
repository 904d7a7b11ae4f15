"""`archiver story`: capture a story, find its citations, capture every cited source, extract
everything, and seal one package holding the chain and a report of it.

One capture job serves both phases (the story, then its citations), so connections are reused
and nothing is fetched twice. The story must be an HTML page (or a local draft): without it
there is nothing to chain, so that ends the run before any package is written.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archiver._types import Progress
from archiver.attestation.sealing import Signer
from archiver.capture.job import CaptureJob
from archiver.capture.results import CaptureResult, Resource, SourceOutcome
from archiver.errors import SearchUnavailable, StoryError
from archiver.extract.document import DocumentMetadata, Extraction, details_key
from archiver.extract.extractor import extract_html_bytes, read_page
from archiver.extract.payload import CapturedDocument, RecordPointer, open_record
from archiver.package.build import PackageBuild, building
from archiver.package.derived import DerivedFiles, extract_resource
from archiver.package.manifest import build_manifest
from archiver.package.provenance import Operator
from archiver.package.text_index import TextIndexFile
from archiver.package_layout import DATA_DIR, EXTRACT_DIR, record_reference, warc_path
from archiver.quotes.lookup import QuoteFinder
from archiver.settings import CaptureSettings, ExtractionSettings
from archiver.story.chain import CitedSource, describe_source, lead
from archiver.story.citation_region import story_selection
from archiver.story.citations import (
    DroppedLink,
    Selection,
    UrlFilter,
    citations_from_list,
    link_target,
)
from archiver.story.drafts import Draft, read_draft
from archiver.story.page_links import page_links
from archiver.story.quotations import StoryQuote, check_quotations, story_quotations
from archiver.story.report import render_report
from archiver.story.section import ReportFiles, StorySection, chain_citations
from archiver.textsearch.fts import TextIndex
from archiver.timestamps import utc_iso
from archiver.warc.records import new_record_id, prepare_record, sha256_label

if TYPE_CHECKING:
    from archiver.attestation.signature import SignResult  # cryptography: for signing only
    from archiver.package.folder_capture import AnyCaptureJob  # names Playwright's types

REPORT_HTML = f"{DATA_DIR}/report.html"
REPORT_MD = f"{DATA_DIR}/report.md"


@dataclass
class StoryOptions:
    """How citations are chosen."""

    citations_from: list[str] | None = None
    """The user's own list of cited URLs, instead of the story's links."""
    include: Sequence[str] = ()
    exclude: Sequence[str] = ()


@dataclass
class StoryPage:
    """The story as read: its extraction, and where its record is."""

    url: str | None
    draft: Draft | None
    extraction: Extraction
    resource: Resource | None = None
    record: dict[str, Any] | None = None
    payload_sha256: str | None = None
    captured_at: str | None = None
    source: SourceOutcome | None = None
    html: str = ""
    """The page's markup, decoded: for the list of links left out, and why."""


@dataclass
class StoryResult:
    """A sealed story package: the chain, and where the report is."""

    path: Path
    package_id: str
    story: StorySection
    manifest: dict[str, Any]
    capture: CaptureResult
    warnings: list[str] = field(default_factory=list)
    signature: SignResult | None = None
    """The package's signature, when it was sealed with a key."""

    @property
    def is_complete(self) -> bool:
        """True when every cited source was captured (a 404 is captured: it is evidence)."""
        return all(source.outcome != "failed" for source in self.story.sources)

    @property
    def report_path(self) -> Path:
        return self.path / REPORT_HTML

    def to_dict(self) -> dict[str, Any]:
        """What `archiver story --json` prints: where the package and report are, and the
        story section of its manifest.json."""
        return {"package": str(self.path), "package_id": self.package_id,
                "complete": self.is_complete, "report": str(self.report_path),
                "signature": self.signature.to_dict() if self.signature else None,
                "story": self.story.to_dict()} | self.capture.browser_wanted_dict()


@dataclass
class StoryPlan:
    """What `--dry-run` shows: what would be captured, and why each link was kept or not."""

    story: str
    title: str | None
    selection: Selection

    def to_dict(self) -> dict[str, Any]:
        return {"story": self.story, "title": self.title,
                "citations": [c.to_dict() for c in self.selection.citations],
                "sources": self.selection.sources,
                "dropped": [d.to_dict() for d in self.selection.dropped]}


def is_url(story: str) -> bool:
    return story.strip().lower().startswith(("http://", "https://"))


def create_story_package(story: str, output: Path, *, settings: CaptureSettings | None = None,
                         options: StoryOptions | None = None,
                         progress: Progress | None = None,
                         operator: Operator | None = None,
                         signer: Signer | None = None) -> StoryResult:
    """Capture `story` (a URL or a local draft) and every source it cites into a new package;
    `operator` names who captured (recorded in the WARCs, manifest.json and the report);
    signed by `signer.key` when given (its custody log records the creation either way).

    Raises StoryError when the story cannot be captured or is not a page (no package is
    written), OutputExistsError when `output` exists, EnvironmentFault when it cannot be
    written. A cited source that fails is recorded, never raised.
    """
    settings = settings or CaptureSettings()
    options = options or StoryOptions()
    draft = None if is_url(story) else read_draft(Path(story))
    with building(output, settings, operator, signer) as build:
        job = build.capture_job(progress)
        try:
            page = _capture_story(build, job, story, draft)
            selection = _select(page, options)
            explain_left_out(page, selection)
            result = job.capture(selection.sources, role="citation")
        finally:
            job.close()
        return _seal_story(build, page, selection, result, settings, progress)


def plan_story(story: str, *, settings: CaptureSettings | None = None,
               options: StoryOptions | None = None, scratch: Path) -> StoryPlan:
    """The citations `create_story_package` would capture, and every link left out, with why.

    Only the story itself is fetched, into `scratch` (a folder that must not exist; nothing is
    left there)."""
    settings = settings or CaptureSettings()
    options = options or StoryOptions()
    draft = None if is_url(story) else read_draft(Path(story))
    quick = dataclasses.replace(settings, requisites=False)
    with building(scratch, quick) as build:
        job = build.capture_job() if quick.browser else CaptureJob(quick, build.writer)
        try:
            page = _capture_story(build, job, story, draft)
        finally:
            job.close()
        selection = _select(page, options)
        explain_left_out(page, selection)
    return StoryPlan(story, page.extraction.title, selection)


def _capture_story(build: PackageBuild, job: AnyCaptureJob, story: str,
                   draft: Draft | None) -> StoryPage:
    if draft is not None:
        return _store_draft(build, draft)
    outcome = job.capture([story], role="story").sources[0]
    resource = outcome.resource
    if not outcome.is_captured or resource is None or resource.record is None:
        raise StoryError(f"{story}: the story could not be captured ({outcome.reason}); "
                         "there is nothing to chain")
    if resource.status is not None and resource.status >= 400:
        raise StoryError(f"{story}: the server answered {resource.status}; there is no story "
                         "to chain")
    limits = build.settings.extraction or ExtractionSettings()
    build.writer.flush()
    rendered = build.rendered_record(resource)  # --browser: the page a reader saw
    extraction = extract_resource(build.staging, resource, limits, rendered)
    if extraction is None or extraction.kind != "html":
        kind = resource.content_type or "no content type"
        raise StoryError(f"{story}: not an HTML page ({kind}); a story must be a web page or "
                         "a local draft")
    page = StoryPage(outcome.final_url or story, None, extraction, resource,
                     payload_sha256=resource.payload_sha256, captured_at=resource.captured_at,
                     source=outcome)
    ref = resource.record
    page.record = record_reference(warc_path(ref.warc_file), ref.record_id, ref.offset)
    warc_file, offset = rendered or (ref.warc_file, ref.offset)
    with open_record(build.staging / warc_path(warc_file), warc_file,
                     offset) as (document, raw):
        if rendered is not None:  # links resolve against the page's own URL
            document = dataclasses.replace(document, url=resource.url)
        page.html = read_page(document, raw, limits)
    return page


def _store_draft(build: PackageBuild, draft: Draft) -> StoryPage:
    """The draft, exactly as read, as a WARC `resource` record; and its extraction."""
    digest = sha256_label(draft.sha256)
    created = utc_iso()
    record = prepare_record([("WARC-Type", "resource"), ("WARC-Record-ID", new_record_id()),
                             ("WARC-Date", created), ("WARC-Target-URI", draft.target_uri),
                             ("Content-Type", draft.content_type),
                             ("WARC-Block-Digest", digest)],  # the block is the payload
                            draft.data, len(draft.data), gzip_level=build.settings.gzip_level)
    try:
        (where,) = build.writer.write([record])
    finally:
        record.close()
    pointer = RecordPointer(warc_path(where.warc_file), record.record_id, where.offset)
    document = CapturedDocument(url=None, content_type=draft.content_type, file=draft.path.name,
                                captured_at=created, payload_sha256=draft.sha256,
                                record=pointer)
    extraction = extract_html_bytes(draft.as_html(), document)
    return StoryPage(None, draft, extraction, record=pointer.to_dict(),
                     payload_sha256=draft.sha256, captured_at=created,
                     html=draft.as_html().decode("utf-8", errors="replace"))


def _select(page: StoryPage, options: StoryOptions) -> Selection:
    """The story's citations (citation_region reads the page, the main text its main
    signal), and every other link with the reason it is left out."""
    url_filter = UrlFilter(options.include, options.exclude)
    if options.citations_from is not None:
        return citations_from_list(options.citations_from, url_filter)
    links = page.extraction.details.get("links") or []
    return story_selection(page.html, page.url, page.extraction.text, links, url_filter)


def explain_left_out(page: StoryPage, selection: Selection) -> None:
    """With --citations-from, add the page's own links to `dropped` (each page link is
    already judged otherwise)."""
    if not selection.from_list:
        return
    seen = {citation.href for citation in selection.citations}
    seen |= {link.href for link in selection.dropped}
    for link in page_links(page.html, page.url):
        if link.href in seen:
            continue
        seen.add(link.href)
        _, reason = link_target(link.href, link.url or link.href, page.url)
        selection.dropped.append(DroppedLink(link.href, link.url, link.text,
                                             reason or "not in the --citations-from list"))


def _seal_story(build: PackageBuild, page: StoryPage, selection: Selection,
                result: CaptureResult, settings: CaptureSettings,
                progress: Progress | None) -> StoryResult:
    done = {page.resource.url: page.extraction} if page.resource is not None else {}
    derived = build.extract(result, progress, done=done)
    story_files = _store_draft_extraction(build, page) if page.draft is not None else []
    cited = _cited_sources(result, derived, build)
    story = _story_section(page, selection, cited, derived, result, story_files)
    sources = ([page.source] if page.source is not None else []) + result.sources
    combined = dataclasses.replace(result, sources=sources)
    index = build.index_texts(combined, derived)
    story.quotes = _check_quotes(build, page, story, index)
    warcs = build.close_warcs()
    provenance = build.provenance(combined)
    report_html, report_md = render_report(story.to_dict(), package_id=build.package_id,
                                           warcs=warcs, output=build.output,
                                           provenance=provenance)
    reports = [build.add_file(REPORT_HTML, report_html), build.add_file(REPORT_MD, report_md)]
    story.report = ReportFiles(html=REPORT_HTML, markdown=REPORT_MD)
    files = warcs + derived.files + story_files + reports + ([index.file] if index else [])
    manifest = build_manifest(package_id=build.package_id, settings=settings,
                              result=combined, files=files, derived=derived.by_resource,
                              provenance=provenance,
                              text_index=index.section() if index else None)
    manifest["story"] = story.to_dict()
    build.seal(manifest, files)
    return StoryResult(build.output, build.package_id, story, manifest, combined,
                       signature=build.signature)


def _check_quotes(build: PackageBuild, page: StoryPage, story: StorySection,
                  index: TextIndexFile | None) -> list[StoryQuote]:
    """The story's quotations, each looked up in its cited source through the package's
    text index (archiver.story.quotations)."""
    quotations = story_quotations(page.html, page.url, {c.url for c in story.citations})
    if not quotations:
        return []
    if index is None:
        why = ("texts were not extracted (--no-extract)" if build.settings.extraction is None
               else str(SearchUnavailable()))
        return check_quotations(quotations, story.citations, story.sources, None, why)
    with TextIndex(build.staging / index.file.path, index.file.path) as text_index:
        finder = QuoteFinder(build.staging, text_index, "package")
        return check_quotations(quotations, story.citations, story.sources, finder, "")


def _store_draft_extraction(build: PackageBuild, page: StoryPage) -> list[Any]:
    assert page.draft is not None
    stem = f"{EXTRACT_DIR}/00000-draft-{page.draft.sha256[:12]}"
    return [build.add_file(f"{stem}.json", page.extraction.to_json(with_text=False)),
            build.add_file(f"{stem}.txt", page.extraction.text_bytes)]


def _cited_sources(result: CaptureResult, derived: DerivedFiles,
                   build: PackageBuild) -> dict[str, CitedSource]:
    index_of = {id(resource): index for index, resource in enumerate(result.resources)}
    cited: dict[str, CitedSource] = {}
    for source in result.sources:
        resource = source.resource
        index = index_of.get(id(resource)) if resource is not None else None
        paths = {item["kind"]: item["path"]
                 for item in (derived.by_resource.get(index, []) if index is not None else [])}
        extraction_path = paths.get("extraction")
        extraction = load_extraction(build.staging, extraction_path, paths.get("text"))
        record = None
        if resource is not None and resource.record is not None:
            ref = resource.record
            record = record_reference(warc_path(ref.warc_file), ref.record_id, ref.offset)
        key = source.url or source.requested_url
        cited[key] = describe_source(source, extraction, extraction_path, record)
    return cited


def load_extraction(staging: Path, path: str | None,
                    text_path: str | None) -> Extraction | None:
    """The extraction stored at `path` in the package being built at `staging` (its text at
    `text_path`: the JSON leaves it out), as an Extraction again (text, metadata, details)."""
    if path is None:
        return None
    data = json.loads((staging / path).read_bytes())
    text = (staging / text_path).read_text("utf-8") if text_path else ""
    document = CapturedDocument(url=data["source"]["url"],
                                content_type=data["source"]["content_type"])
    return Extraction(document, data["kind"], text=text,
                      metadata=DocumentMetadata.from_dict(data),
                      details=data.get(details_key(data["kind"])) or {},
                      problems=list(data.get("problems") or []))


def _story_section(page: StoryPage, selection: Selection, cited: dict[str, CitedSource],
                   derived: DerivedFiles, result: CaptureResult,
                   story_files: list[Any]) -> StorySection:
    sources = {url: cited[url] for url in selection.sources if url in cited}
    citations = chain_citations(selection, sources)
    extraction = page.extraction
    story_extraction = story_files[0].path if story_files else _extraction_path(page, derived,
                                                                                 result)
    return StorySection(
        kind="draft" if page.draft is not None else "url",
        url=page.url,
        file=page.draft.path.name if page.draft is not None else None,
        title=extraction.title,
        published=extraction.metadata.published,
        authors=list(extraction.metadata.authors),
        lead=lead(extraction.text),
        captured_at=page.captured_at,
        record=page.record,
        payload_sha256=page.payload_sha256,
        extraction=story_extraction,
        citations_from="list" if selection.from_list else "story",
        citations=citations,
        sources=list(sources.values()),
        dropped=list(selection.dropped),
    )


def _extraction_path(page: StoryPage, derived: DerivedFiles,
                     result: CaptureResult) -> str | None:
    for index, resource in enumerate(result.resources):
        if resource is page.resource:  # automatic mode may hold its URL twice
            for item in derived.by_resource.get(index, []):
                if item["kind"] == "extraction":
                    return str(item["path"])
    return None

