"""A capture through the browser into a package being built.

Each page's attachments (screenshot, PDF snapshot, rendered DOM) become two things at once,
like an extraction: a file under data/browser/ and a `resource` record in the WARC (with
WARC-Refers-To the page's response record), listed in manifest.json as files derived from
the page with the record that holds the same bytes. The page's text is then extracted from
its rendered DOM, the text a reader saw; the raw HTML stays in the response record.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

from archiver._types import Progress
from archiver.capture.browser.attachments import Attachment
from archiver.capture.browser.job import BrowserCaptureJob
from archiver.capture.browser.pool import HostLease
from archiver.capture.results import PayloadLookup, Resource
from archiver.extract.files import slug
from archiver.package.bag import FileDigest
from archiver.package.derived import KeptAttachments, RecordAt
from archiver.package_layout import BROWSER_DIR, record_reference, warc_path
from archiver.settings import CaptureSettings
from archiver.timestamps import utc_iso
from archiver.warc.attachment_records import attachment_record
from archiver.warc.records import BLOCK_SIZE
from archiver.warc.writer import WarcWriter


def browser_job(staging: Path, writer: WarcWriter, settings: CaptureSettings,
                kept: KeptAttachments, rendered: dict[str, RecordAt],
                progress: Progress | None = None,
                dedup: PayloadLookup | None = None,
                host_lease: HostLease | None = None) -> BrowserCaptureJob:
    """A browser capture job writing into the package being built in `staging`: each
    page's attachments go into `kept`, and where its rendered DOM record lies into
    `rendered` (by the page's response record id); payloads `dedup` knows are revisits;
    `host_lease` is held for each page while its tab is open (see TabPool)."""

    def keep(index: int, resource: Resource, attachment: Attachment) -> None:
        entry, file, where = _keep(staging, writer, settings.gzip_level, index, resource,
                                   attachment)
        kept.files.append(file)
        kept.entries.append((resource, entry))
        if attachment.kind == "rendered-dom" and resource.record is not None:
            rendered[resource.record.record_id] = where

    return BrowserCaptureJob(settings, writer, progress=progress, on_attachment=keep,
                             dedup=dedup, host_lease=host_lease)


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
