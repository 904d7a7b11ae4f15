"""A capture through the browser into a package being built.

Each page's attachments (screenshot, PDF snapshot, rendered DOM) become two things at once,
like an extraction: a file under data/browser/ and a `resource` record in the WARC (with
WARC-Refers-To the page's response record), listed in manifest.json as files derived from
the page with the record that holds the same bytes. The page's text is then extracted from
its rendered DOM, the text a reader saw; the raw HTML stays in the response record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from archiver._types import Progress
from archiver.capture.browser.attachments import Attachment
from archiver.capture.browser.job import BrowserCaptureJob
from archiver.capture.results import CaptureResult, Resource
from archiver.extract.files import slug
from archiver.package.bag import FileDigest
from archiver.package.derived import DerivedFiles, RecordAt
from archiver.package_layout import BROWSER_DIR, record_reference, warc_path
from archiver.settings import CaptureSettings
from archiver.timestamps import utc_iso
from archiver.warc.attachment_records import attachment_record
from archiver.warc.records import BLOCK_SIZE
from archiver.warc.writer import WarcWriter


@dataclass
class BrowserCapture:
    """What a browser capture added to a package."""

    result: CaptureResult
    derived: DerivedFiles = field(default_factory=DerivedFiles)
    rendered: dict[int, RecordAt] = field(default_factory=dict)
    """By resource index: where the page's rendered DOM record is."""


def capture_in_browser(staging: Path, writer: WarcWriter, settings: CaptureSettings,
                       urls: Sequence[str], progress: Progress | None = None
                       ) -> BrowserCapture:
    """Capture `urls` through Chromium into the package being built in `staging`."""
    derived = DerivedFiles()
    rendered: dict[int, RecordAt] = {}

    def keep(index: int, resource: Resource, attachment: Attachment) -> None:
        entry, file, where = _keep(staging, writer, settings.gzip_level, index, resource,
                                   attachment)
        derived.files.append(file)
        derived.by_resource.setdefault(index, []).append(entry)
        if attachment.kind == "rendered-dom":
            rendered[index] = where

    job = BrowserCaptureJob(settings, writer, progress=progress, on_attachment=keep)
    return BrowserCapture(job.run(urls), derived, rendered)


def _keep(staging: Path, writer: WarcWriter, gzip_level: int, index: int,
          resource: Resource, attachment: Attachment
          ) -> tuple[dict[str, object], FileDigest, RecordAt]:
    ref = resource.record
    assert ref is not None
    relative = f"{BROWSER_DIR}/{index + 1:05d}-{slug(resource.url)}.{attachment.suffix}"
    record = attachment_record(attachment.kind, attachment.content_type, attachment.file,
                               attachment.length, attachment.sha256, refers_to=ref.record_id,
                               source_url=resource.url, source_date=resource.captured_at,
                               created=utc_iso(), gzip_level=gzip_level)
    try:
        [where] = writer.write([record])
    finally:
        record.close()
    _copy_new(attachment.file, staging / relative)
    entry: dict[str, object] = {
        "path": relative, "kind": attachment.kind, "sha256": attachment.sha256,
        "record": record_reference(warc_path(where.warc_file), record.record_id, where.offset)}
    return entry, FileDigest(relative, attachment.length, attachment.sha256), (
        where.warc_file, where.offset)


def _copy_new(source: IO[bytes], path: Path) -> None:
    """Write `source` to a new file (never over an existing one), block by block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    source.seek(0)
    with path.open("xb") as out:
        while block := source.read(BLOCK_SIZE):
            out.write(block)
