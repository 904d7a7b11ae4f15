"""The package an export reads: verified first (a damaged package is never exported), then
its files listed with the SHA-256 the verification vouched for, so that the export can
check each file again as it streams into the zip."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archiver._types import Progress
from archiver.attestation.layout import ATTESTATIONS_DIR
from archiver.errors import (
    EvidenceError,
    InputNotFoundError,
    NotEvidenceError,
    VerificationFailed,
)
from archiver.package_layout import MANIFEST_JSON, TAG_FILES, TAG_MANIFEST, is_payload_path
from archiver.regular_files import read_regular, real_directory
from archiver.settings import ReadLimits
from archiver.transfer.results import ExportedFile
from archiver.untrusted_json import read_json_file
from archiver.verification import check
from archiver.verification.bag_files import walk
from archiver.verification.codes import UNPROVEN_CODES


@dataclass
class SourcePackage:
    root: Path
    manifest: dict[str, Any]
    expected: dict[str, str]
    """SHA-256 of every file, by its path in the package (the tag manifest: none)."""

    @property
    def tag_files(self) -> list[str]:
        return [name for name in TAG_FILES if (self.root / name).is_file()]

    @property
    def payload_files(self) -> list[str]:
        return sorted(path for path in self.expected if is_payload_path(path))

    @property
    def attestation_files(self) -> list[str]:
        """Signatures, timestamps and the custody log (attestations/, beside the bag): each
        checks itself, so no digest of the bag's lists them."""
        folder = real_directory(self.root, ATTESTATIONS_DIR)
        if folder is None:
            return []
        return sorted(f"{ATTESTATIONS_DIR}/{path}" for path in walk(folder).sizes)

    @property
    def total_size(self) -> int:
        paths = self.tag_files + self.payload_files
        return sum(os.lstat(self.root / path).st_size for path in paths)

    def confirm(self, path: str, written: ExportedFile) -> None:
        """The bytes exported are the bytes verified; else the package changed meanwhile."""
        wanted = self.expected.get(path)
        if wanted is not None and wanted != written.sha256:
            raise EvidenceError(f"{self.root / path}: changed while it was being exported "
                                f"(SHA-256 expected {wanted}, found {written.sha256}); "
                                "nothing was written")


def verified_package(package: Path, progress: Progress | None = None) -> SourcePackage:
    """The package at `package`, after a full verification.

    Raises InputNotFoundError, NotEvidenceError (not a package directory) and
    VerificationFailed (with every problem) for a damaged package.
    """
    if not package.exists():
        raise InputNotFoundError(package, "package directory")
    if not package.is_dir():
        raise NotEvidenceError(package, "export takes a package directory")
    def verifying(done: int, total: int) -> None:
        if progress is not None:
            progress(done, total, f"verifying {package}")

    report = check(package, progress=verifying)
    # Damage refuses the export, in the bag or its attestations; a signature by a key this
    # machine does not trust does not: the package travels with it, for its reader to judge.
    damage = [problem for problem in report.problems if problem.code not in UNPROVEN_CODES]
    if damage or report.omitted:
        raise VerificationFailed(package, damage, report.problem_count - len(report.problems))
    # Read again (verified, then let go by the check): within the same limits, as any
    # JSON from elsewhere; a package changed since is refused when the digests are compared.
    manifest: dict[str, Any] = read_json_file(package / MANIFEST_JSON, MANIFEST_JSON)
    expected = {entry["path"]: entry["sha256"] for entry in manifest["files"]}
    expected.update(_tag_digests(package))
    return SourcePackage(package, manifest, expected)


def _tag_digests(package: Path) -> dict[str, str]:
    digests = {}
    data = read_regular(package / TAG_MANIFEST, ReadLimits().max_tag_file_bytes, TAG_MANIFEST)
    for line in data.decode("utf-8", "replace").splitlines():
        digest, _, path = line.partition(" ")
        if path.strip():
            digests[path.strip()] = digest
    return digests
