"""Automatic mode: every source over plain HTTP first, then in the browser the pages whose
HTTP capture turns out to be built by script (archiver/capture/script_built.py judges each
page from its record, as written).

Both captures go into the one package. A page loaded in the browser keeps its plain HTTP
exchange too: it is what the server sent to a client that runs no script, evidence of its
own. But the source's entry in manifest.json, its text and a story's citations come from the
browser's capture, the page a reader saw; the HTTP response is listed among the resources,
with a note saying why it was superseded, and is not extracted. Each source says which
capture is its record and why (`captured_with`, `captured_with_reason`).

When there is no Chromium, the HTTP capture stands for every page: the job does not fail;
the result names the pages that would have needed a browser, and how to get one.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from archiver._types import Progress
from archiver.capture.frontier import Role
from archiver.capture.job import CaptureJob
from archiver.capture.results import CaptureResult, PayloadLookup, Resource, SourceOutcome
from archiver.capture.script_built import MAX_BYTES, PageSigns, Verdict, judge_html
from archiver.capture.transport import Exchange
from archiver.errors import BrowserMissing
from archiver.extract.kinds import kind_from_type
from archiver.extract.payload import BodyReader, open_record
from archiver.package_layout import warc_path
from archiver.settings import CaptureSettings
from archiver.warc.writer import WarcWriter

if TYPE_CHECKING:  # loaded only when a page needs the browser: it brings Playwright
    from archiver.capture.browser.job import BrowserCaptureJob

_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]{1,40})", re.IGNORECASE)


class AutoCaptureJob:
    """Capture sources over HTTP, and again in the browser those built by script; `run()`
    and `capture()` as CaptureJob's."""

    def __init__(self, settings: CaptureSettings, writer: WarcWriter, *,
                 make_browser_job: Callable[[], BrowserCaptureJob],
                 progress: Progress | None = None,
                 on_captured: Callable[[Resource], object] | None = None,
                 on_superseded: Callable[[Resource], object] | None = None,
                 dedup: PayloadLookup | None = None) -> None:
        self.settings = settings
        self.writer = writer
        # With --dedup, the pages themselves stay whole (each is judged from its body);
        # their requisites may be revisits, here and in the browser.
        self.http = CaptureJob(dataclasses.replace(settings, browser=None), writer,
                               progress=progress, on_captured=on_captured, dedup=dedup,
                               kept_whole=_judged)
        self._make_browser_job = make_browser_job
        self._on_superseded = on_superseded
        self.browser: BrowserCaptureJob | None = None
        self.browser_missing: str | None = None
        """Why the browser could not be started (no Chromium): the HTTP capture stands."""
        self._browser_result: CaptureResult | None = None
        self._superseded: dict[int, Resource] = {}
        self._wanted: list[str] = []

    def run(self, urls: Sequence[str], role: Role = "source") -> CaptureResult:
        try:
            return self.capture(urls, role)
        finally:
            self.close()

    def capture(self, urls: Sequence[str], role: Role = "source") -> CaptureResult:
        """Capture `urls` over HTTP, judge each page, load those built by script in the
        browser; every result lists all resources so far, HTTP's then the browser's."""
        result = self.http.capture(urls, role)
        sources = list(result.sources)
        flagged = self._judge(sources)
        if flagged:
            self._load_in_browser(sources, flagged, role)
        browser = self._browser_result
        resources = list(result.resources) + (list(browser.resources) if browser else [])
        index_of = {id(resource): index for index, resource in enumerate(resources)}
        return CaptureResult(
            sources, resources, result.started_at,
            browser.finished_at if browser and flagged else result.finished_at,
            list(result.peers) + (list(browser.peers) if browser else []),
            superseded=sorted(index_of[key] for key in self._superseded if key in index_of),
            browser_missing=self.browser_missing, browser_wanted=list(self._wanted))

    def close(self) -> None:
        try:
            self.http.close()
        finally:
            if self.browser is not None:
                self.browser.close()

    def _judge(self, sources: list[SourceOutcome]) -> dict[int, Verdict]:
        """Mark every source with how it was captured; the pages built by script, by index."""
        flagged = {}
        self.writer.flush()  # the records are read back from the files
        for index, source in enumerate(sources):
            if source.captured_with == "browser":
                continue  # asked for again: captured in the browser before
            source.captured_with = "http"
            resource = source.resource
            if not source.is_captured or resource is None or resource.record is None:
                continue
            if kind_from_type(resource.content_type) != "html":
                source.captured_with_reason = (f"not a web page ({resource.content_type})"
                                               if resource.content_type else None)
                continue
            verdict = self._judge_record(resource)
            source.captured_with_reason = verdict.reason
            if verdict.built_by_script:
                flagged[index] = verdict
        return flagged

    def _judge_record(self, resource: Resource) -> Verdict:
        """The judgement on a page, read back from its response record as written."""
        ref = resource.record
        assert ref is not None
        name = warc_path(ref.warc_file)
        try:
            with open_record(Path(self.writer.directory) / ref.warc_file, name,
                             ref.offset) as (document, raw):
                charset = _CHARSET.search(document.content_type or "")
                reader = BodyReader(raw, document, MAX_BYTES + 1)
                return judge_html(reader.blocks(),
                                  encoding=charset.group(1) if charset else None)
        except ValueError as error:  # a record we cannot read back: the HTTP capture stands
            return Verdict(False, f"not judged: its record could not be read ({error})",
                           PageSigns())

    def _load_in_browser(self, sources: list[SourceOutcome], flagged: dict[int, Verdict],
                         role: Role) -> None:
        wanted = [sources[index].requested_url for index in flagged]
        if self.browser_missing is None:
            try:
                if self.browser is None:
                    self.browser = self._make_browser_job()
                self._browser_result = self.browser.capture(wanted, role)
            except BrowserMissing as missing:
                self.browser_missing = missing.reason
                if self.browser is not None:
                    self.browser.close()
                    self.browser = None
        if self.browser_missing is not None:
            for index, verdict in flagged.items():
                sources[index].captured_with_reason = (
                    f"{verdict.reason}; no browser to load it ({self.browser_missing})")
                if sources[index].requested_url not in self._wanted:
                    self._wanted.append(sources[index].requested_url)
            return
        assert self._browser_result is not None
        loaded = self._browser_result.sources
        for (index, verdict), outcome in zip(flagged.items(), loaded, strict=True):
            self._take(sources, index, verdict, outcome)

    def _take(self, sources: list[SourceOutcome], index: int, verdict: Verdict,
              outcome: SourceOutcome) -> None:
        """The browser's capture becomes the source's record, unless it failed: then the
        HTTP capture stands, and says why."""
        http = sources[index]
        if not outcome.is_captured or outcome.resource is None:
            http.captured_with_reason = (f"{verdict.reason}; the browser could not load it "
                                         f"({outcome.reason})")
            return
        shell = http.resource
        assert shell is not None
        if id(shell) not in self._superseded:
            self._superseded[id(shell)] = shell
            shell.notes.append(f"{verdict.reason}: loaded again in the browser, whose "
                               "capture is the source's record; this is what the server "
                               "sent to a client that runs no script")
            if self._on_superseded is not None:
                self._on_superseded(shell)
        sources[index] = dataclasses.replace(outcome, requested_url=http.requested_url,
                                             captured_with="browser",
                                             captured_with_reason=verdict.reason)


def _judged(exchange: Exchange, resource: Resource) -> bool:
    """A web page asked for: judged from its stored body, so never a revisit (a PDF asked
    for, or a page's requisite, may be one)."""
    return resource.role != "requisite" and kind_from_type(exchange.recorded.content_type) == "html"
