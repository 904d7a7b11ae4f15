"""Build a package: capture into a hidden temporary directory, seal it, rename it into place.

Until the final rename nothing exists at the output path, so a run that is killed or fails
never leaves something there that could pass for a complete package.
"""

from __future__ import annotations

import errno
import json
import os
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from archiver import __version__
from archiver._types import Progress
from archiver.attestation.sealing import Signer, attest_new_package
from archiver.capture.results import CaptureResult, Resource
from archiver.errors import OutputExistsError
from archiver.extract.document import Extraction
from archiver.extract.files import write_new
from archiver.package.bag import FileDigest, write_bag, write_bag_tags
from archiver.package.derived import DerivedFiles, RecordAt
from archiver.package.extraction_pool import ExtractionPool
from archiver.package.folder_capture import FolderCapture
from archiver.package.manifest import (
    build_manifest,
    dump_manifest,
    environment,
    resource_entries,
)
from archiver.package.provenance import (
    Operator,
    capture_environment,
    provenance_section,
    warcinfo_provenance,
)
from archiver.package.text_index import TextIndexFile, seal_text_index
from archiver.package_layout import WARC_DIR, warc_path
from archiver.settings import CaptureSettings
from archiver.staging import staging_beside
from archiver.timestamps import utc_iso
from archiver.warc.records import PreparedRecord
from archiver.warc.writer import WarcWriter, WrittenFile, warcinfo_factory

if TYPE_CHECKING:
    from archiver.attestation.signature import SignResult  # cryptography: for signing only
    from archiver.package.folder_capture import AnyCaptureJob

T = TypeVar("T")


@dataclass
class PackageResult:
    """A sealed package and what its capture found."""

    path: Path
    package_id: str
    capture: CaptureResult
    files: list[FileDigest]
    manifest: dict[str, Any]
    signature: SignResult | None = None
    """The package's signature, when it was sealed with a key."""

    @property
    def is_complete(self) -> bool:
        """True when every requested source was captured."""
        return not self.capture.failed


class PackageBuild:
    """A package taking shape in its hidden staging directory: WARCs first, then what is
    derived from them, then manifest.json and the bag's tag files, then the rename."""

    def __init__(self, staging: Path, output: Path, settings: CaptureSettings,
                 operator: Operator | None = None, signer: Signer | None = None) -> None:
        self.staging = staging
        self.output = output
        self.settings = settings
        self.operator = operator or Operator()
        self.signer = signer or Signer(operator=self.operator.name,
                                       organisation=self.operator.organisation)
        self.signature: SignResult | None = None
        self.package_id = f"urn:uuid:{uuid.uuid4()}"
        # Reading the installed libraries' versions takes some 40 ms: done while the first
        # connections open, it is needed only when the first WARC file starts.
        self._environment = _in_background(partial(capture_environment, settings.user_agent))
        warc_dir = staging / WARC_DIR
        warc_dir.mkdir(parents=True)
        self.writer = WarcWriter(warc_dir, prefix=_warc_prefix(self.package_id),
                                 max_bytes=settings.warc_max_bytes,
                                 make_warcinfo=self._warcinfo_record)
        self.extra_files: list[FileDigest] = []
        self._written: list[WrittenFile] | None = None
        self.pool = (ExtractionPool(warc_dir, self.writer, settings.extraction,
                                    settings.extraction.workers)
                     if settings.extraction is not None else None)
        self.capture = FolderCapture(staging, self.writer, settings, pool=self.pool)
        """The capture into the package: its job, and what it derives."""

    @property
    def environment(self) -> dict[str, Any]:
        """What the capture runs with (archiver.package.provenance.capture_environment)."""
        return self._environment.result()

    @cached_property
    def warcinfo(self) -> dict[str, str]:
        """The fields of every WARC file's warcinfo record."""
        return {**_warcinfo(self.settings, self.package_id),
                **warcinfo_provenance(self.environment, self.operator)}

    def _warcinfo_record(self, filename: str, record_id: str) -> PreparedRecord:
        make = warcinfo_factory(self.warcinfo, gzip_level=self.settings.gzip_level)
        return make(filename, record_id)

    def capture_job(self, progress: Progress | None = None) -> AnyCaptureJob:
        """A capture job writing into this package, its documents extracted as they come
        (archiver.package.folder_capture chooses it from the settings)."""
        return self.capture.job(progress)

    def rendered_record(self, resource: Resource) -> RecordAt | None:
        """Where a browser-captured page's rendered DOM is (None: not captured so)."""
        return self.capture.rendered_record(resource)

    def extract(self, result: CaptureResult, progress: Progress | None = None,
                done: dict[str, Extraction] | None = None) -> DerivedFiles:
        """Extract every page and PDF of `result` into the package (see
        FolderCapture.extract)."""
        return self.capture.extract(result, progress, done)

    def index_texts(self, result: CaptureResult, derived: DerivedFiles) -> TextIndexFile | None:
        """The package's text index (data/index/), made from what was extracted; None when
        nothing was (see archiver.package.text_index)."""
        return seal_text_index(self.staging, resource_entries(result, derived.by_resource),
                               self.package_id)

    def add_file(self, relative: str, data: bytes) -> FileDigest:
        """A payload file of our own making (a report), never overwriting."""
        path = self.staging / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        entry = FileDigest(relative, len(data), write_new(path, data))
        self.extra_files.append(entry)
        return entry

    def close_warcs(self, *, at_least_one: bool = True) -> list[FileDigest]:
        """Close the WARC writer (see WarcWriter.close); the files it wrote."""
        if self._written is None:
            self._written = self.writer.close(at_least_one=at_least_one)
        return [FileDigest(warc_path(w.path.name), w.size, w.sha256)
                for w in self._written]

    @property
    def written_warcs(self) -> list[WrittenFile]:
        """The WARC files this build's writer wrote (once closed)."""
        return list(self._written or [])

    def provenance(self, result: CaptureResult) -> dict[str, Any]:
        """manifest.json's `provenance` section (once the WARCs are closed): the operator,
        the environment, and the records that carry them and each origin's facts."""
        self.close_warcs()
        assert self._written is not None
        return provenance_section(environment=self.environment, operator=self.operator,
                                  warcinfo=self.warcinfo, warcs=self._written,
                                  peers=result.peers)

    def seal(self, manifest: dict[str, Any], files: list[FileDigest]) -> None:
        write_bag(self.staging, files, package_id=self.package_id,
                  manifest_json=dump_manifest(manifest))
        self._attest_and_rename()

    def seal_written(self, manifest: FileDigest, files: list[FileDigest]) -> None:
        """Seal a package whose manifest.json was written already (streamed, for a job too
        large to hold in memory: archiver.cluster.capture_driver)."""
        write_bag_tags(self.staging, files, package_id=self.package_id, manifest=manifest)
        self._attest_and_rename()

    def _attest_and_rename(self) -> None:
        # Attested before the rename: the package appears signed, or not at all.
        self.signature = attest_new_package(self.staging, self.package_id, self.signer)
        _seal(self.staging, self.output)


@contextmanager
def building(output: Path, settings: CaptureSettings,
             operator: Operator | None = None,
             signer: Signer | None = None) -> Iterator[PackageBuild]:
    """A new package for `output`, captured by `operator` and sealed by `signer` (default:
    unsigned, its custody log begun); removed unless it was sealed into place."""
    output = Path(output)
    _refuse_existing(output)
    with staging_beside(output) as staging:
        build = PackageBuild(staging, output, settings, operator, signer)
        finished = False
        try:
            yield build
            finished = True
        finally:
            if build.pool is not None:
                build.pool.close(wait=finished)
            build.close_warcs()


def create_package(
    urls: Sequence[str],
    output: Path,
    *,
    settings: CaptureSettings | None = None,
    progress: Progress | None = None,
    operator: Operator | None = None,
    signer: Signer | None = None,
) -> PackageResult:
    """Capture `urls` into a new sealed evidence package at `output`; `operator` names who
    captured (recorded in the WARCs and manifest.json); signed by `signer.key` when given
    (its custody log records the creation either way).

    Failed sources do not raise: they are recorded in the package with their reasons (see
    `PackageResult.is_complete`). Raises OutputExistsError if `output` exists and
    EnvironmentFault if the package cannot be written.
    """
    settings = settings or CaptureSettings()
    with building(output, settings, operator, signer) as build:
        captured = capture_sources(build, urls, progress)
        build.seal(captured.manifest, captured.files)
    return PackageResult(Path(output), build.package_id, captured.result, captured.files,
                         captured.manifest, build.signature)


@dataclass
class CapturedSources:
    """What `capture_sources` made in a package's staging folder, before the seal."""

    result: CaptureResult
    derived: DerivedFiles
    files: list[FileDigest]
    """The WARCs, the derived files and the text index: the package's data, so far."""
    manifest: dict[str, Any]


def capture_sources(build: PackageBuild, urls: Sequence[str],
                    progress: Progress | None = None) -> CapturedSources:
    """Capture `urls` into `build`, extract and index their texts, close the WARCs and
    describe it all in a manifest: everything a package of sources holds, for its maker
    (a capture, a recheck) to add to and seal."""
    result = build.capture_job(progress).run(urls)
    derived = build.extract(result, progress)
    index = build.index_texts(result, derived)
    files = build.close_warcs() + derived.files + ([index.file] if index else [])
    manifest = build_manifest(package_id=build.package_id, settings=build.settings,
                              result=result, files=files, derived=derived.by_resource,
                              provenance=build.provenance(result),
                              text_index=index.section() if index else None)
    return CapturedSources(result, derived, files, manifest)


def _refuse_existing(output: Path) -> None:
    if output.exists() or output.is_symlink():
        raise OutputExistsError(output)


def _seal(staging: Path, output: Path) -> None:
    _refuse_existing(output)
    try:
        os.rename(staging, output)
    except OSError as exc:
        if exc.errno in (errno.EEXIST, errno.ENOTEMPTY):
            raise OutputExistsError(output) from exc
        raise


def _in_background(work: Callable[[], T]) -> Future[T]:
    """`work` run in a thread of its own; its result (or error) when asked for."""
    future: Future[T] = Future()

    def run() -> None:
        try:
            future.set_result(work())
        except BaseException as error:  # handed to whoever asks for the result
            future.set_exception(error)

    threading.Thread(target=run, name="archiver-environment", daemon=True).start()
    return future


def _warc_prefix(package_id: str) -> str:
    stamp = utc_iso().replace("-", "").replace(":", "")[:15]
    return f"archiver-{stamp}-{package_id[-8:]}"


def _warcinfo(settings: CaptureSettings, package_id: str) -> dict[str, str]:
    env = environment(settings)
    return {
        "software": f"archiver/{__version__}",
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "isPartOf": package_id,
        "http-header-user-agent": settings.user_agent,
        "robots": "ignore",
        "operating-system": env["os"],
        "python": env["python"],
        "archiver-settings": json.dumps(settings.to_record(), sort_keys=True),
    }
