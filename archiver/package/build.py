"""Build a package: capture into a hidden temporary directory, seal it, rename it into place.

Until the final rename nothing exists at the output path, so a run that is killed or fails
never leaves something there that could pass for a complete package.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archiver import __version__
from archiver.capture.job import CaptureJob, Progress
from archiver.capture.results import CaptureResult
from archiver.errors import EnvironmentFault, OutputExistsError
from archiver.package.bag import FileDigest, write_bag
from archiver.package.manifest import WARC_DIR, build_manifest, dump_manifest, environment
from archiver.settings import CaptureSettings
from archiver.timestamps import utc_iso
from archiver.warc.writer import WarcWriter, warcinfo_factory


@dataclass
class PackageResult:
    """A sealed package and what its capture found."""

    path: Path
    package_id: str
    capture: CaptureResult
    files: list[FileDigest]
    manifest: dict[str, Any]

    @property
    def is_complete(self) -> bool:
        """True when every requested source was captured."""
        return not self.capture.failed


def create_package(
    urls: Sequence[str],
    output: Path,
    *,
    settings: CaptureSettings | None = None,
    progress: Progress | None = None,
) -> PackageResult:
    """Capture `urls` into a new sealed evidence package at `output`.

    Failed sources do not raise: they are recorded in the package with their reasons (see
    `PackageResult.is_complete`). Raises OutputExistsError if `output` exists and
    EnvironmentFault if the package cannot be written.
    """
    settings = settings or CaptureSettings()
    output = Path(output)
    _refuse_existing(output)
    package_id = f"urn:uuid:{uuid.uuid4()}"
    with _staging(output) as staging:
        warc_dir = staging / WARC_DIR
        warc_dir.mkdir(parents=True)
        writer = WarcWriter(warc_dir, prefix=_warc_prefix(package_id),
                            max_bytes=settings.warc_max_bytes,
                            make_warcinfo=warcinfo_factory(_warcinfo(settings, package_id),
                                                           gzip_level=settings.gzip_level))
        try:
            result = CaptureJob(settings, writer, progress=progress).run(urls)
        finally:
            written = writer.close()
        files = [FileDigest(f"{WARC_DIR}/{w.path.name}", w.size, w.sha256) for w in written]
        manifest = build_manifest(package_id=package_id, settings=settings, result=result,
                                  files=files)
        write_bag(staging, files, package_id=package_id, manifest_json=dump_manifest(manifest))
        _seal(staging, output)
    return PackageResult(output, package_id, result, files, manifest)


def _refuse_existing(output: Path) -> None:
    if output.exists() or output.is_symlink():
        raise OutputExistsError(output)


@contextmanager
def _staging(output: Path) -> Iterator[Path]:
    """A hidden directory beside `output`, removed unless it was renamed into place."""
    staging = output.parent / f".{output.name}.partial-{uuid.uuid4().hex[:8]}"
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        staging.mkdir()
    except OSError as exc:
        raise EnvironmentFault.from_os_error(exc, output) from exc
    try:
        yield staging
    except OSError as exc:
        raise EnvironmentFault.from_os_error(exc, output) from exc
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _seal(staging: Path, output: Path) -> None:
    _refuse_existing(output)
    try:
        os.rename(staging, output)
    except OSError as exc:
        if exc.errno in (errno.EEXIST, errno.ENOTEMPTY):
            raise OutputExistsError(output) from exc
        raise


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
