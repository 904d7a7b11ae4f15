"""A capture into a folder laid out as a package (data/warc/, data/extract/, data/browser/):
the job the settings ask for, and the extraction of what it captured.

One place builds the job, so every way of running a capture runs the same one: a local run
captures into its package's staging folder (archiver.package.build), a batch on a cluster's
worker into a folder of its own (archiver.cluster.capture_batch). Plain HTTP, `--browser`
(every page in Chromium, its attachments kept), automatic mode (HTTP first, Chromium for
the pages built by script) and `--dedup` (a payload a collection holds is a revisit) are
chosen here, from `settings`, and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from archiver._types import Progress
from archiver.capture.job import CaptureJob
from archiver.capture.results import CaptureResult, PayloadLookup, Resource
from archiver.capture.transport import Transport
from archiver.extract.document import Extraction
from archiver.package.dedup import payload_lookup
from archiver.package.derived import (
    DerivedFiles,
    KeptAttachments,
    RecordAt,
    extract_into_package,
)
from archiver.package.extraction_pool import ExtractionPool
from archiver.settings import CaptureSettings
from archiver.warc.writer import WarcWriter

if TYPE_CHECKING:
    # loaded only for a browser: it brings Playwright
    from archiver.capture.browser.job import BrowserCaptureJob
    from archiver.capture.browser.pool import HostLease
    from archiver.package.auto_capture import AutoCaptureJob

    AnyCaptureJob = CaptureJob | BrowserCaptureJob | AutoCaptureJob

TransportWrapper = Callable[[Transport], Transport]
"""Wraps the plain HTTP transport of a job (a cluster's worker: the cluster-wide per-host
limit, archiver.cluster.host_limit)."""


class FolderCapture:
    """What captures into `folder` through `writer` (whose files are in `folder`/data/warc):
    `job()` to capture, then `extract()` what it captured.

    A browser capture's attachments (screenshots, PDF snapshots, rendered DOMs) are written
    into `folder` as they come and kept in `attachments`; where each page's rendered DOM
    record lies is kept in `rendered`, for its text to be read from there."""

    def __init__(self, folder: Path, writer: WarcWriter, settings: CaptureSettings, *,
                 pool: ExtractionPool | None = None,
                 wrap_transport: TransportWrapper | None = None,
                 host_lease: HostLease | None = None) -> None:
        self.folder = folder
        self.writer = writer
        self.settings = settings
        self.pool = pool
        """Extracts documents in the background while the capture goes on (None: each is
        extracted in `extract()`)."""
        self.wrap_transport = wrap_transport
        self.host_lease = host_lease
        """Held for each page while its browser tab is open (a cluster's worker: the
        cluster-wide per-host limit)."""
        self.attachments = KeptAttachments()
        self.rendered: dict[str, RecordAt] = {}
        """Where each browser-captured page's rendered DOM record is, by the record id of
        the page's response."""

    def job(self, progress: Progress | None = None) -> AnyCaptureJob:
        """A capture job writing into the folder, its documents offered to the pool as they
        come; with `settings.browser`, one that loads each source in Chromium, or (its `when`
        "script-built") only those whose HTTP capture is built by script (docs/browser.md)."""
        browser = self.settings.browser
        offer = self.pool.offer if self.pool is not None else None
        if browser is not None and browser.when == "script-built":
            from archiver.package.auto_capture import AutoCaptureJob

            auto = AutoCaptureJob(self.settings, self.writer,
                                  make_browser_job=lambda: self._browser_job(progress),
                                  progress=progress, on_captured=offer,
                                  on_superseded=self.pool.forget if self.pool is not None
                                  else None, dedup=self.dedup)
            self._wrap(auto.http)
            return auto
        if browser is not None:
            return self._browser_job(progress)
        return self._wrap(CaptureJob(self.settings, self.writer, progress=progress,
                                     on_captured=offer, dedup=self.dedup))

    @cached_property
    def dedup(self) -> PayloadLookup | None:
        """The lookup `--dedup` asks of each payload (its collection opened once, read-only)."""
        if self.settings.dedup is None:
            return None
        return payload_lookup(self.settings.dedup)

    def _wrap(self, job: CaptureJob) -> CaptureJob:
        if self.wrap_transport is not None:
            job.transport = self.wrap_transport(job.transport)
        return job

    def _browser_job(self, progress: Progress | None) -> BrowserCaptureJob:
        from archiver.package.browser_capture import browser_job

        return browser_job(self.folder, self.writer, self.settings, self.attachments,
                           self.rendered, progress, dedup=self.dedup,
                           host_lease=self.host_lease)

    def rendered_record(self, resource: Resource) -> RecordAt | None:
        """Where a browser-captured page's rendered DOM is (None: not captured so)."""
        ref = resource.record
        return self.rendered.get(ref.record_id) if ref is not None else None

    def extract(self, result: CaptureResult, progress: Progress | None = None,
                done: dict[str, Extraction] | None = None) -> DerivedFiles:
        """Extract every page and PDF of `result` (unless extraction is off): a page
        captured through the browser from its rendered DOM. The files a browser capture
        made (attachments) are listed with what was derived."""
        derived = DerivedFiles()
        if self.settings.extraction is not None:
            rendered = {index: where for index, resource in enumerate(result.resources)
                        if (where := self.rendered_record(resource)) is not None}
            derived = extract_into_package(self.folder, self.writer, result,
                                           self.settings.extraction,
                                           gzip_level=self.settings.gzip_level,
                                           progress=progress, done=done, pool=self.pool,
                                           rendered=rendered)
        derived.add(self.attachments.derived(result.resources))
        return derived
