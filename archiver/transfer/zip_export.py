"""Export a verified package as one zip file, for mail or upload.

The zip holds the bag under one top-level directory named as the package (RFC 8493's
serialization: it unpacks to a single directory, the bag), so `unzip` then `bagit.py
--validate` or `archiver verify` check it as they would the package. Its attestations
(signatures, custody log) go with it, beside the bag as in the package. WARCs are STORED (they
are gzipped already); the tag files and extracted text are deflated.
"""

from __future__ import annotations

from pathlib import Path

from archiver._types import Progress
from archiver.transfer.output import refuse_existing, zip_output
from archiver.transfer.package_source import verified_package
from archiver.transfer.results import ExportResult, record_export


def export_zip(package: Path, out: Path, *, progress: Progress | None = None,
               operator: str | None = None, organisation: str | None = None) -> ExportResult:
    """Write the package at `package` as a new zip file at `out`.

    Verified first, written under a hidden name beside `out`, renamed into place when
    complete. Raises as `export_wacz` does.
    """
    package, out = Path(package), Path(out)
    refuse_existing(out)
    source = verified_package(package, progress)
    top = package.resolve().name
    done, total = 0, source.total_size
    with zip_output(out) as writer:
        for path in source.tag_files + source.payload_files + source.attestation_files:
            def on_block(block: bytes, path: str = path) -> None:
                nonlocal done
                done += len(block)
                if progress is not None:
                    progress(done, total, path)

            written = writer.add_file(f"{top}/{path}", package / path,
                                      stored=path.lower().endswith(".gz"), on_block=on_block)
            source.confirm(path, written)
    return record_export(ExportResult(out, "zip", package, out.stat().st_size,
                                      list(writer.files)), operator, organisation)
