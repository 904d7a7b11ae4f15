"""A capture on a Dask cluster: the driver streams the URL list to the workers in batches and
seals one package, exactly as a local run seals it.

The driver holds at most `window` batches at a time (sent out, or back and waiting for an
earlier one), so its memory stays flat however long the list. Batches come back in any
order and are taken into the package in the order of the list: their WARC files are moved
in, their extracted files numbered as a local run numbers them and indexed, their entries
of manifest.json appended to spool files on disk. manifest.json is then written from the spool
as it streams, and the bag sealed, attested and renamed into place as a local run does.

A worker that dies takes its batch with it: Dask runs the batch again on another worker,
in a new folder. What the dead worker wrote stays in its own folder, which nothing names
and which is removed with the run's hidden directory.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from archiver._types import Progress
from archiver.attestation.sealing import Signer
from archiver.capture.results import PeerRecord
from archiver.cluster.capture_batch import BatchResult, CaptureBatch, capture_batch
from archiver.cluster.ordered import in_order, scheduler_address
from archiver.cluster.url_stream import BATCH_SIZE, batches
from archiver.errors import ClusterUnavailable
from archiver.package.bag import FileDigest
from archiver.package.build import PackageBuild, building
from archiver.package.manifest import manifest_head
from archiver.package.manifest_stream import write_manifest_streaming
from archiver.package.provenance import Operator, provenance_section
from archiver.package.text_index import TextIndexBuilder
from archiver.package_layout import WARC_DIR, warc_path
from archiver.settings import CaptureSettings
from archiver.timestamps import utc_iso
from archiver.warc.writer import WrittenFile

if TYPE_CHECKING:
    from distributed import Client

    from archiver.attestation.signature import SignResult

LISTED_FAILURES = 100
"""Failed sources named in the result (all are in manifest.json)."""


@dataclass
class ClusterPackageResult:
    """A package sealed by a cluster capture, and what its capture found, counted (the
    sources themselves are in its manifest.json: a list may be too long to hold)."""

    path: Path
    package_id: str
    sources: int = 0
    captured: int = 0
    resources: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)
    """The first LISTED_FAILURES failed sources: requested URL and reason."""
    files: int = 0
    bytes: int = 0
    warcs: int = 0
    batches: int = 0
    signature: SignResult | None = None
    browser_wanted: list[str] = field(default_factory=list)
    """Automatic mode on workers with no Chromium: the first LISTED_FAILURES pages built by
    script whose plain HTTP capture stands (manifest.json's sources say so of each)."""
    browser_wanted_count: int = 0
    browser_missing: str | None = None
    """Why a worker had no browser for them (the first reason met)."""

    @property
    def failed(self) -> int:
        return self.sources - self.captured

    @property
    def is_complete(self) -> bool:
        return self.failed == 0


class _Intake:
    """Takes batches into the package in the order of the list."""

    def __init__(self, build: PackageBuild, result: ClusterPackageResult) -> None:
        self.build = build
        self.result = result
        hidden = build.staging.parent
        self.spool_paths = {"sources": hidden / "sources.jsonl",
                            "resources": hidden / "resources.jsonl"}
        self._spools: dict[str, TextIO] = {key: path.open("x", encoding="utf-8")
                                           for key, path in self.spool_paths.items()}
        self.files: list[FileDigest] = []
        self.warcs: list[WrittenFile] = []
        self.peers: list[PeerRecord] = []

    def take(self, batch: BatchResult) -> None:
        folder = Path(batch.folder)
        staging = self.build.staging
        for warc in batch.warcs:
            name = warc.path.name
            os.rename(folder / WARC_DIR / name, staging / WARC_DIR / name)
            self.files.append(FileDigest(warc_path(name), warc.size, warc.sha256))
            self.warcs.append(warc)
        renamed = {}
        for file in batch.derived:  # extracted texts, and a browser's attachments
            new = renumbered(file.path, self.result.resources)
            (staging / new).parent.mkdir(parents=True, exist_ok=True)
            os.rename(folder / file.path, staging / new)
            renamed[file.path] = new
            self.files.append(FileDigest(new, file.size, file.sha256))
        for entry in batch.resources:
            for derived in entry["derived"]:
                derived["path"] = renamed[derived["path"]]
        self._spool("sources", batch.sources)
        self._spool("resources", batch.resources)
        self.peers.extend(batch.peers)
        self._count(batch)
        shutil.rmtree(folder)

    def _spool(self, key: str, entries: list[dict[str, Any]]) -> None:
        spool = self._spools[key]
        for entry in entries:
            spool.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def _count(self, batch: BatchResult) -> None:
        result = self.result
        result.batches += 1
        result.sources += len(batch.sources)
        result.resources += len(batch.resources)
        for source in batch.sources:
            if source["outcome"] == "captured":
                result.captured += 1
            elif len(result.failures) < LISTED_FAILURES:
                result.failures.append({"requested_url": source["requested_url"],
                                        "reason": source["reason"]})
        result.browser_wanted_count += len(batch.browser_wanted)
        room = LISTED_FAILURES - len(result.browser_wanted)
        result.browser_wanted += batch.browser_wanted[:max(room, 0)]
        result.browser_missing = result.browser_missing or batch.browser_missing

    def spooled(self, key: str) -> Iterator[Any]:
        self._spools[key].close()
        with self.spool_paths[key].open(encoding="utf-8") as spool:
            for line in spool:
                yield json.loads(line)

    def close(self) -> None:
        for spool in self._spools.values():
            spool.close()


def renumbered(path: str, offset: int) -> str:
    """A derived file's path, numbered by its resource's place in the package rather than
    in its batch.

    >>> renumbered("data/extract/00002-example-org-report.json", 300)
    'data/extract/00302-example-org-report.json'
    """
    folder, _, name = path.rpartition("/")
    number, _, rest = name.partition("-")
    return f"{folder}/{int(number) + offset:05d}-{rest}"


def create_package_on_cluster(
    client: Client,
    urls: Iterable[str],
    output: Path,
    *,
    settings: CaptureSettings | None = None,
    progress: Progress | None = None,
    operator: Operator | None = None,
    signer: Signer | None = None,
    batch_size: int = BATCH_SIZE,
    window: int | None = None,
) -> ClusterPackageResult:
    """Capture `urls` (any iterable: it is read as the work goes) on the cluster `client`
    reaches, into one sealed package at `output`, as `create_package` does on one machine.
    The package's files must be on storage every worker shares with the driver.

    At most `window` batches (default: four per worker) are held at a time. Raises
    ClusterUnavailable when the cluster cannot finish a batch (its workers kept dying).
    """
    from archiver.cluster.connect import worker_count

    settings = settings or CaptureSettings()
    output = Path(output)
    window = window or 4 * worker_count(client)
    result = ClusterPackageResult(output, "")
    with building(output, settings, operator, signer) as build:
        result.package_id = build.package_id
        # Absolute: a worker's working directory is its own.
        parts = build.staging.parent.absolute() / "parts"
        parts.mkdir()
        on_workers = _for_workers(settings)
        intake = _Intake(build, result)
        # The text index, as a local run makes it, from each batch as it is taken in: the
        # driver would otherwise wait on the workers, and then they on it.
        texts = TextIndexBuilder(build.staging, build.package_id)
        try:
            started = utc_iso()
            work = (CaptureBatch(number, batch, str(parts), build.package_id,
                                 build.writer.prefix, build.warcinfo, on_workers)
                    for number, batch in enumerate(batches(urls, batch_size)))
            for batch in _in_order(client, work, window):
                intake.take(batch)
                texts.add(batch.resources)
                if progress is not None:
                    progress(result.sources, 0, f"batch {batch.number + 1}")
            finished = utc_iso()
            # The driver's own writer wrote nothing: it leaves a WARC (its warcinfo record:
            # what was run, with which settings) only when no batch left one.
            own = build.close_warcs(at_least_one=not intake.warcs)
            index = texts.seal()
            files = own + intake.files + ([index.file] if index else [])
            warcs = build.written_warcs + intake.warcs
            manifest = {
                **manifest_head(build.package_id, settings, started, finished),
                "sources": None, "resources": None,
                "files": [asdict(entry) for entry in sorted(files, key=lambda e: e.path)],
                "signatures": [], "timestamps": [],
                "provenance": provenance_section(
                    environment=build.environment, operator=build.operator,
                    warcinfo=build.warcinfo, warcs=warcs, peers=intake.peers),
                **({"text_index": index.section()} if index else {}),
            }
            written = write_manifest_streaming(
                build.staging, manifest, {"sources": intake.spooled("sources"),
                                          "resources": intake.spooled("resources")})
        finally:
            texts.abandon()
            intake.close()
        build.seal_written(written, files)
    result.signature = build.signature
    result.files = len(files)
    result.bytes = sum(entry.size for entry in files)
    result.warcs = len(warcs)
    return result


def _for_workers(settings: CaptureSettings) -> CaptureSettings:
    """The settings a worker captures with: a `--dedup` collection named by its absolute
    path (a worker's working directory is its own). manifest.json and every warcinfo record
    say the settings as given."""
    if settings.dedup is None:
        return settings
    return dataclasses.replace(settings, dedup=settings.dedup.absolute())


def _in_order(client: Client, work: Iterator[CaptureBatch], window: int
              ) -> Iterator[BatchResult]:
    """Each batch's result, in the order of `work`, with at most `window` batches held."""
    from archiver.cluster.capture_batch import VersionMismatch

    try:
        yield from in_order(
            client, (client.submit(capture_batch, batch, pure=False) for batch in work),
            window=window, lost="the cluster lost a batch of URLs: the workers that ran it "
            "died each time; nothing was sealed", cancelled="the cluster cancelled a batch of "
            "URLs (was the scheduler restarted?); nothing was sealed")
    except VersionMismatch as exc:
        raise ClusterUnavailable(scheduler_address(client), str(exc)) from None
