"""One batch of a cluster capture, as a worker runs it.

A worker captures its batch of URLs (and their requisites) with the same job a local run
builds (archiver.package.folder_capture: plain HTTP, --browser, automatic mode, --dedup),
into WARC files of its own in a folder of its own: `parts/NNNNNN-xxxxxxxx/` beside the
package being built, on storage the driver shares. It extracts each page and PDF into that
folder while it fetches, as a local run does (a browser's page from its rendered DOM, its
screenshot and other attachments beside), and hands back what the manifest will say of the
batch. The driver moves the files into the package only once the batch came back whole: a
worker that dies leaves its folder behind, named by nothing, and its batch is run again
elsewhere in a new folder.
"""

from __future__ import annotations

import contextlib
import platform
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archiver import __version__
from archiver.capture.job import CaptureJob
from archiver.capture.results import CaptureResult, PeerRecord
from archiver.capture.transport import Transport
from archiver.cluster.host_limit import ClusterHostLimit, HostLimitedTransport, tab_lease
from archiver.errors import (
    BrowserMissing,
    CollectionUnreadable,
    EnvironmentFault,
    InputNotFoundError,
)
from archiver.package.bag import FileDigest
from archiver.package.extraction_pool import ExtractionPool
from archiver.package.folder_capture import FolderCapture
from archiver.package.manifest import resource_entries, source_entry
from archiver.package_layout import WARC_DIR
from archiver.settings import CaptureSettings
from archiver.warc.writer import WarcWriter, WrittenFile, warcinfo_factory

if TYPE_CHECKING:
    from archiver.package.folder_capture import AnyCaptureJob


@dataclass(frozen=True)
class CaptureBatch:
    """What a worker needs to capture one batch of a package's URLs."""

    number: int
    urls: list[str]
    parts: str
    """The folder (shared with the driver) where each attempt writes its files."""
    package_id: str
    warc_prefix: str
    warcinfo: dict[str, str]
    """The fields of every WARC file's warcinfo record: the driver's, so that every file of
    the package says the same of the job."""
    settings: CaptureSettings
    version: str = __version__


@dataclass
class BatchResult:
    """A batch captured: its files (in `folder`) and its entries of manifest.json."""

    number: int
    folder: str
    started: str
    finished: str
    sources: list[dict[str, Any]]
    resources: list[dict[str, Any]]
    """manifest.json's entries; the derived files' paths are the batch's own (the driver
    numbers them in the package)."""
    warcs: list[WrittenFile]
    derived: list[FileDigest]
    """Files derived from the batch's records (extracted texts, a browser's attachments),
    by their path inside `folder`."""
    peers: list[PeerRecord] = field(default_factory=list)
    browser_missing: str | None = None
    """Automatic mode: why this worker had no browser for the pages built by script."""
    browser_wanted: list[str] = field(default_factory=list)
    """Automatic mode, no browser on this worker: the sources that would have needed one."""


class VersionMismatch(RuntimeError):
    """A worker runs another archiver than the driver: its records would say other things."""


def capture_batch(batch: CaptureBatch) -> BatchResult:
    """Capture one batch (on a worker) into a new folder under `batch.parts`."""
    if batch.version != __version__:
        raise VersionMismatch(f"a worker runs archiver {__version__} and the driver "
                              f"{batch.version}: install the same version on every machine")
    parts = Path(batch.parts)
    if not parts.is_dir():  # the driver made it: a worker that cannot see it shares nothing
        raise EnvironmentFault(
            f"a worker of the cluster (on {platform.node()})",
            f"cannot see the folder the package is built in ({parts}): the driver and every "
            "worker must share it (a network file system mounted at the same path; for -o a "
            "storage URL, --staging a shared folder); nothing was sealed")
    folder = parts / f"{batch.number:06d}-{uuid.uuid4().hex[:8]}"
    folder.mkdir()  # never made again under a run that has ended and removed `parts`
    (folder / WARC_DIR).mkdir(parents=True)
    settings = batch.settings
    extraction = settings.extraction
    # Made on the task's thread, which knows its worker (see ClusterHostLimit).
    limit = ClusterHostLimit(batch.package_id, settings.per_host)
    writer = WarcWriter(folder / WARC_DIR, prefix=f"{batch.warc_prefix}-b{batch.number:06d}",
                        max_bytes=settings.warc_max_bytes,
                        make_warcinfo=warcinfo_factory(batch.warcinfo,
                                                       gzip_level=settings.gzip_level))
    # The batch's documents are extracted while it fetches, as a local run extracts them:
    # in one thread beside the fetches (a Dask worker may not start processes), the other
    # cores being the cluster's other workers'. Extracting after the fetches left a worker's
    # network idle while it extracted (bench/RESULTS.md).
    pool = (ExtractionPool(folder / WARC_DIR, writer, extraction, workers=1, in_threads=True)
            if extraction is not None else None)

    def host_limited(transport: Transport) -> Transport:
        return HostLimitedTransport(transport, limit)

    capture = FolderCapture(folder, writer, settings, pool=pool, wrap_transport=host_limited,
                            host_lease=tab_lease(limit))
    try:
        _open_collection(capture, settings.dedup)
        try:
            job = capture.job()
            http = _http_part(job)
            if http is not None:
                http.known_requisites = _REQUISITES.of(batch.package_id)
            result = job.run(batch.urls)
        except BrowserMissing as missing:  # --browser: this worker cannot do the batch
            raise BrowserMissing(f"a worker of the cluster (on {platform.node()}) cannot run "
                                 f"Chromium: {missing.reason}; nothing was sealed") from None
        _REQUISITES.remember(batch.package_id, result)
        _make_room_for_the_next_batch()
        derived = capture.extract(result)
    finally:
        if pool is not None:
            pool.close()
        written = writer.close(at_least_one=False)
    return BatchResult(
        number=batch.number, folder=str(folder), started=result.started_at,
        finished=result.finished_at,
        sources=[source_entry(source) for source in result.sources],
        resources=resource_entries(result, derived.by_resource),
        warcs=written, derived=derived.files, peers=list(result.peers),
        browser_missing=result.browser_missing, browser_wanted=list(result.browser_wanted))


class _RequisitesCaptured:
    """What this worker's batches of a package have captured as requisites (a stylesheet,
    a logo every page of a site loads): a later batch of the same package on this worker
    does not fetch them again, as a local run fetches each URL once. What one batch holds
    is in the package whatever becomes of the worker: every batch is taken into it, or
    nothing is sealed, and a batch run again elsewhere fetches what it needs there. Bounded
    (the last few packages, so many URLs each): beyond that, a requisite is fetched again,
    as before."""

    PACKAGES = 4
    URLS = 50_000

    def __init__(self) -> None:
        self._by_package: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def of(self, package_id: str) -> set[str]:
        with self._lock:
            found = self._by_package.get(package_id)
            if found is None:
                while len(self._by_package) >= self.PACKAGES:
                    del self._by_package[next(iter(self._by_package))]
                found = self._by_package[package_id] = set()
            return found

    def remember(self, package_id: str, result: CaptureResult) -> None:
        known = self.of(package_id)
        captured = [resource.url for resource in result.resources
                    if resource.role == "requisite" and resource.outcome == "captured"]
        with self._lock:
            for url in captured[:max(0, self.URLS - len(known))]:
                known.add(url)


_REQUISITES = _RequisitesCaptured()
"""This worker process's memory of requisites captured, per package."""


def _http_part(job: AnyCaptureJob) -> CaptureJob | None:
    """The job's plain HTTP capture (automatic mode's first pass), if it has one."""
    from archiver.package.auto_capture import AutoCaptureJob

    if isinstance(job, CaptureJob):
        return job
    return job.http if isinstance(job, AutoCaptureJob) else None


def _make_room_for_the_next_batch() -> None:
    """The batch's fetches are done and its leases given back: what is left is extracting
    its last documents and closing its WARC file, work of this worker's CPU alone. Leaving
    the worker's pool of task slots (Dask's secede) lets the next batch start fetching
    meanwhile, so the network does not wait on it. A worker still fetches no more batches at
    once than it has slots, and the batches extracting are bounded by the driver's window.
    With the requisites a worker remembers (_RequisitesCaptured), the bench site's capture
    went from 0.86 to 0.93 of local speed, measured side by side (bench/RESULTS.md)."""
    from distributed import secede

    with contextlib.suppress(ValueError):  # not run by a Dask worker: nothing to leave
        secede()


def _open_collection(capture: FolderCapture, path: Path | None) -> None:
    """Open the `--dedup` collection on this worker now: one it cannot reach stops the run
    with a line that names the worker, not a line about the driver's own files."""
    if path is None:
        return
    try:
        capture.dedup  # noqa: B018 (a cached property: the collection, opened)
    except (InputNotFoundError, CollectionUnreadable) as error:
        raise CollectionUnreadable(
            f"--dedup {path}", f"a worker of the cluster (on {platform.node()}) cannot open "
            f"it ({error}); the collection must be on storage every worker shares; nothing "
            "was sealed") from None

