"""Export a verified package as a WACZ 1.1.1 file that replay tools (ReplayWeb.page, pywb)
open and `wacz validate` accepts, carrying archiver's own record of the job inside.

    archive/<warc>            the package's WARCs, STORED (already gzipped, and read by
                              offset for replay), indexed while they stream into the zip
    indexes/index.cdx        the CDXJ index (see cdxj.py)
    pages/pages.jsonl         the story and its captured sources (see pages.py)
    archiver/                 bagit.txt, bag-info.txt, both bag manifests and manifest.json
    extract/                  the extracted text and metadata (data/extract/ in the package)
    datapackage.json          every file above with its SHA-256 and size (and its path in
                              the package, `archiver_path`), written after them
    datapackage-digest.json   the SHA-256 of datapackage.json and, given a key, its
                              anonymous signature as the WACZ signing spec lays it out
                              (archiver/attestation/wacz_signed_data.py)
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archiver import __version__
from archiver._types import Progress
from archiver.attestation.keys import SigningKey
from archiver.attestation.layout import ATTESTATIONS_DIR
from archiver.attestation.wacz_signed_data import (
    Timestamper,
    add_timestamp,
    anonymous_signed_data,
)
from archiver.errors import EvidenceError
from archiver.package_layout import EXTRACT_DIR, WARC_DIR
from archiver.timestamps import utc_iso
from archiver.transfer.cdxj import CdxjIndexer, sorted_index
from archiver.transfer.output import ZipWriter, refuse_existing, zip_output
from archiver.transfer.package_source import SourcePackage, verified_package
from archiver.transfer.pages import Page, extraction_titles, pages, pages_jsonl
from archiver.transfer.results import ExportResult, record_export
from archiver.wacz_layout import (
    DATAPACKAGE,
    DATAPACKAGE_DIGEST,
    INDEX,
    PACKAGE_PATH_KEY,
    PAGES,
    WACZ_VERSION,
    resource_name,
    wacz_path,
)
from archiver.warc.members import Inflater
from archiver.warc.reader import Event, RecordParser

if TYPE_CHECKING:
    from archiver.attestation.tsa_token import TimestampToken


def export_wacz(package: Path, out: Path, *, progress: Progress | None = None,
                key: SigningKey | None = None,
                timestamper: Timestamper | None = None, operator: str | None = None,
                organisation: str | None = None) -> ExportResult:
    """Write the package at `package` as a new WACZ file at `out`, signed with `key` if given.

    The package is verified first; the WACZ is written under a hidden name beside `out` and
    renamed into place when complete. With `key`, datapackage-digest.json carries an
    anonymous signature of datapackage.json (`signedData`, WACZ signing spec 0.1.0), which
    `archiver verify` and Webrecorder's tools read; with `timestamper` too, the signature
    carries an RFC 3161 timestamp as an open proposal adds it (webrecorder/specs issue 142;
    see wacz_signed_data.add_timestamp; tsa_client.TsaTimestamper asks the TSAs of
    `--tsa`): a timestamper that raises, or answers with anything but a timestamp of the
    signature, stops the export (CaptureError), and nothing is written. Raises
    OutputExistsError (`out` exists), InputNotFoundError / NotEvidenceError (not a package),
    VerificationFailed (a damaged package: nothing is written) and EnvironmentFault (the
    disk failed). The export is added to the package's custody log (by `operator` of
    `organisation`), when it can be.
    """
    package, out = Path(package), Path(out)
    if timestamper is not None and key is None:
        raise ValueError("a WACZ timestamp stamps its signature: give a key to sign with")
    refuse_existing(out)
    source = verified_package(package, progress)
    with zip_output(out) as writer:
        build = _WaczBuild(source, writer, progress, key, timestamper)
        build.run()
    stamp = build.stamp
    result = ExportResult(out, "wacz", package, out.stat().st_size, list(writer.files),
                          records_indexed=build.records, pages=len(build.pages),
                          signed_by=key.public.fingerprint if key is not None else None,
                          package_signed=has_package_signature(package),
                          timestamped_by=_authority(stamp) if stamp is not None else None,
                          timestamped_at=stamp.gen_time if stamp is not None else None)
    return record_export(result, operator, organisation)


def _authority(stamp: TimestampToken) -> str | None:
    """The TSA as its certificate names it, else as the token does."""
    from archiver.attestation.certificate_chain import certificate_name

    signer = stamp.signer_certificate()
    return certificate_name(signer) if signer is not None else stamp.tsa_name


class _WaczBuild:
    def __init__(self, source: SourcePackage, writer: ZipWriter,
                 progress: Progress | None, key: SigningKey | None = None,
                 timestamper: Timestamper | None = None) -> None:
        self.source = source
        self.writer = writer
        self.progress = progress
        self.key = key
        self.timestamper = timestamper
        self.stamp: TimestampToken | None = None
        """The timestamp of the signature, once a TSA gave it."""
        self.created = utc_iso()
        """datapackage.json's `created`, and signedData's: py-wacz wants them equal."""
        self.done = 0
        self.total = source.total_size
        self.records = 0
        self.pages: list[Page] = []
        self.origins: dict[str, str] = {}
        """Package path of each file written, by its path in the WACZ."""

    def run(self) -> None:
        index: list[str] = []
        for path in self.source.payload_files:
            if path.startswith(f"{WARC_DIR}/"):
                index += self._add_warc(path)
            else:
                self._add(path, stored=False)
        for path in self.source.tag_files:
            self._add(path, stored=False)
        self.records = len(index)
        self.writer.add_bytes(INDEX, sorted_index(index))
        extracts = [self.source.root / p for p in self.source.payload_files
                    if p.startswith(f"{EXTRACT_DIR}/") and p.endswith(".json")]
        self.pages = pages(self.source.manifest, extraction_titles(extracts))
        self.writer.add_bytes(PAGES, pages_jsonl(self.pages, self._title()))
        datapackage = self._datapackage()
        self.writer.add_bytes(DATAPACKAGE, datapackage)
        digest: dict[str, Any] = {"path": DATAPACKAGE,
                                  "hash": "sha256:" + hashlib.sha256(datapackage).hexdigest()}
        if self.key is not None:
            signed = anonymous_signed_data(digest["hash"], self.created, self.key,
                                           f"archiver {__version__}")
            if self.timestamper is not None:
                self.stamp = add_timestamp(signed, self.timestamper)
            digest["signedData"] = signed
        self.writer.add_bytes(DATAPACKAGE_DIGEST, _json(digest))

    def _add(self, path: str, *, stored: bool, indexer: CdxjIndexer | None = None) -> None:
        inflater = None
        if indexer is not None:
            parser = RecordParser(indexer)

            def emit(event: Event) -> None:
                parser.handle([event])

            inflater = Inflater(emit, expect_gzip=path.endswith(".gz"))

        def on_block(block: bytes) -> None:
            if inflater is not None:
                inflater.feed(block)
            self.done += len(block)
            if self.progress is not None:
                self.progress(self.done, self.total, path)

        name = wacz_path(path)
        written = self.writer.add_file(name, self.source.root / path, stored=stored,
                                       on_block=on_block)
        if inflater is not None:
            inflater.finish()
        self.source.confirm(path, written)
        self.origins[name] = path

    def _add_warc(self, path: str) -> list[str]:
        size = (self.source.root / path).stat().st_size
        indexer = CdxjIndexer(wacz_path(path).removeprefix("archive/"), size)
        self._add(path, stored=True, indexer=indexer)
        lines = indexer.finish()
        if indexer.damaged:
            raise EvidenceError(f"{self.source.root / path}: a record could not be read while "
                                "indexing, though the package verified; nothing was written")
        return lines

    def _title(self) -> str:
        story = self.source.manifest.get("story")
        if isinstance(story, dict) and isinstance(story.get("title"), str):
            return str(story["title"])
        if self.pages and isinstance(self.source.manifest.get("story"), dict):
            return self.pages[0].title or self.pages[0].url
        count = len(self.source.manifest.get("sources") or [])
        return f"{count} source{'s' if count != 1 else ''} captured by archiver"

    def _datapackage(self) -> bytes:
        manifest = self.source.manifest
        resources = []
        for entry in self.writer.files:
            resource: dict[str, Any] = {"name": resource_name(entry.path), "path": entry.path,
                                        "hash": f"sha256:{entry.sha256}", "bytes": entry.size}
            if entry.path in self.origins:
                resource[PACKAGE_PATH_KEY] = self.origins[entry.path]
                # Frictionless would read manifest.json (it has a `resources` list) as a data
                # package of its own and fail it; "file" tells it to take any file as bytes.
                resource["type"] = "file"
            resources.append(resource)
        document: dict[str, Any] = {
            "profile": "data-package",
            "wacz_version": WACZ_VERSION,
            "title": self._title(),
            "description": (f"Evidence package {manifest.get('package_id')}, captured by "
                            "archiver. archiver/manifest.json records every source asked for "
                            "and its outcome; extract/ holds the text and metadata extracted "
                            "from each page and PDF."),
            "created": self.created,
            "software": f"archiver {__version__}",
            "resources": resources,
        }
        if self.pages:
            document["mainPageUrl"] = self.pages[0].url
            document["mainPageDate"] = self.pages[0].ts
        return _json(document)


def _json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8")


def has_package_signature(package: Path) -> bool:
    """Whether the package carries a signature of its own (attestations/signature-*.sig)."""
    folder = Path(package) / ATTESTATIONS_DIR
    return folder.is_dir() and any(folder.glob("signature-*.sig"))
