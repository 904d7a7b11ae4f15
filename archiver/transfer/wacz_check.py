"""Verify a WACZ file without unpacking it: the zip is safe to read, datapackage.json is
there and lists every file with the digest and size it has, datapackage-digest.json vouches
for datapackage.json, every WARC record's digests hold, and when archiver's manifest.json is
inside, every file and record it names is there as it says.

Every entry is read once, streaming from the zip; a WARC's records are checked in the same
read that hashes it.
"""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

from archiver._types import StrPath
from archiver.errors import InputNotFoundError, NotEvidenceError
from archiver.package.bag import MANIFEST_JSON
from archiver.transfer.hashing import HashingReader
from archiver.transfer.layout import (
    DATAPACKAGE,
    DATAPACKAGE_DIGEST,
    PAGES,
    WACZ_MANIFEST,
    is_warc_path,
    wacz_path,
)
from archiver.transfer.wacz_datapackage import Resource, read_datapackage, read_digest_file
from archiver.transfer.zip_safety import entry_problems, is_dir, shown
from archiver.verification.boundary import os_errors
from archiver.verification.manifest_check import (
    FileClaim,
    RecordClaim,
    file_claims,
    load_manifest,
    record_claims,
    reference_problems,
    schema_problems,
)
from archiver.verification.pipeline import ByteCounter, Progress, read_warc
from archiver.verification.problems import Note, Problem, ReportKind, VerificationReport
from archiver.verification.record_check import MEMBER_DAMAGE, RecordChecker, RecordInfo
from archiver.warc.reader import RecordParser

MAX_JSON = 256 * 1024 * 1024
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError)


def check_wacz(path: StrPath, progress: Progress | None = None) -> VerificationReport:
    """Check the WACZ at `path` and report every problem found; never raises for damaged
    evidence. `progress` is called with (bytes read, bytes to read) as reading goes on.

    Raises InputNotFoundError, NotEvidenceError (not a zip, or a zip without
    datapackage.json) and EnvironmentFault (the file system failed).
    """
    target = Path(path)
    with os_errors(target):
        if not target.is_file():
            raise InputNotFoundError(target, "file")
        try:
            archive = zipfile.ZipFile(target)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError):
            raise NotEvidenceError(target, "it is not a zip file, so not a WACZ") from None
        with archive:
            return WaczCheck(target, archive, progress).run()


class WaczCheck:
    """One verification of an open WACZ; `run()` returns the report."""

    def __init__(self, path: Path, archive: zipfile.ZipFile, progress: Progress | None) -> None:
        self.path = path
        self.archive = archive
        # "wacz" is a report kind of its own; problems.ReportKind is to list it.
        self.report = VerificationReport(str(path), cast(ReportKind, "wacz"))
        self.files: dict[str, zipfile.ZipInfo] = {}
        self.resources: dict[str, Resource] = {}
        self.sha256: dict[str, str] = {}
        self.read = ByteCounter(0, progress)

    def run(self) -> VerificationReport:
        infos = self.archive.infolist()
        unsafe = entry_problems(infos)
        self.report.extend(unsafe)
        refused = {problem.path for problem in unsafe}
        self.files = {info.filename: info for info in infos
                      if not is_dir(info) and shown(info.filename) not in refused}
        if DATAPACKAGE not in self.files:
            if DATAPACKAGE in refused:
                return self.report
            raise NotEvidenceError(self.path, "a zip without datapackage.json, so not a WACZ")
        datapackage = self._small(DATAPACKAGE)
        if datapackage is None:
            return self.report
        self.resources = read_datapackage(datapackage, self.report)
        self._check_digest_file(datapackage)
        self._check_listing()
        manifest = self._archiver_manifest()
        claims = record_claims(manifest) if manifest is not None else []
        mapped = [claim._replace(warc_file=self._in_wacz(claim.warc_file)) for claim in claims]
        found, damaged = self._check_fixity(mapped)
        if manifest is not None:
            missing = {claim.warc_file for claim in mapped if claim.warc_file not in self.files}
            self._manifest_problems(reference_problems(mapped, found, missing, damaged))
            self._check_file_claims(file_claims(manifest))
        self.report.bytes_read = self.read.done
        return self.report

    def _small(self, name: str) -> bytes | None:
        """A JSON entry's bytes (bounded), or None with the reason reported."""
        info = self.files[name]
        if info.file_size > MAX_JSON:
            self.report.add(Problem("wacz-file-too-large", name, f"{name} declares "
                                    f"{info.file_size} bytes; archiver reads at most {MAX_JSON}"))
            return None
        try:
            with os_errors(self.path), self.archive.open(info) as stream:
                data = stream.read()
        except _ZIP_ERRORS as exc:
            self.report.add(_corrupt(name, exc))
            return None
        if name != WACZ_MANIFEST:  # read again below with every listed file
            self.report.files_checked += 1
        self.read(len(data))
        return data

    def _check_digest_file(self, datapackage: bytes) -> None:
        if DATAPACKAGE_DIGEST not in self.files:
            self.report.notes.append(_note(f"there is no {DATAPACKAGE_DIGEST}, so nothing "
                                           f"vouches for {DATAPACKAGE} itself"))
            return
        data = self._small(DATAPACKAGE_DIGEST)
        if data is not None:
            self.report.extend(read_digest_file(data, datapackage))

    def _check_listing(self) -> None:
        for name in sorted(set(self.files) - set(self.resources) - {DATAPACKAGE,
                                                                      DATAPACKAGE_DIGEST}):
            self.report.add(Problem("unlisted-file", name, f"this file is not listed in "
                                    f"{DATAPACKAGE}"))
        for name in sorted(set(self.resources) - set(self.files)):
            if not any(problem.path == shown(name) for problem in self.report.problems):
                self.report.add(Problem("missing-file", name, f"{DATAPACKAGE} lists this "
                                        "file, but the WACZ does not hold it"))
        names = set(self.files)
        for part, wanted in (("a WARC file under archive/", any(map(is_warc_path, names))),
                             (PAGES, PAGES in names),
                             ("an index under indexes/", any(n.startswith("indexes/")
                                                             for n in names))):
            if not wanted:
                self.report.add(Problem("wacz-missing-part", "(wacz)", f"the WACZ has no "
                                        f"{part}, which WACZ 1.1.1 requires"))

    def _archiver_manifest(self) -> dict[str, Any] | None:
        if WACZ_MANIFEST not in self.files:
            return None
        data = self._small(WACZ_MANIFEST)
        if data is None:
            return None
        problems: list[Problem] = []
        document = load_manifest(data, problems)
        if document is not None:
            problems += schema_problems(document)
        self._manifest_problems(problems)
        return document

    def _manifest_problems(self, problems: list[Problem]) -> None:
        self.report.extend([replace(problem, path=WACZ_MANIFEST)
                            if problem.path == MANIFEST_JSON else problem
                            for problem in problems])

    def _in_wacz(self, package_path: str) -> str:
        for name, resource in self.resources.items():
            if resource.package_path == package_path:
                return name
        return wacz_path(package_path)

    def _check_fixity(self, claims: list[RecordClaim]
                      ) -> tuple[dict[str, dict[str, RecordInfo]], dict[str, set[int]]]:
        found: dict[str, dict[str, RecordInfo]] = {}
        damaged: dict[str, set[int]] = {}
        todo = sorted(name for name in self.resources if name in self.files)
        self.read.total = self.read.done + sum(self.files[name].file_size for name in todo)
        for name in todo:
            wanted = frozenset(c.record_id for c in claims if c.warc_file == name)
            checker = RecordChecker(name, wanted=wanted) if is_warc_path(name) else None
            reader = self._read(name, checker)
            if reader is not None:
                self._judge(name, reader)
            if checker is not None:
                self._take_records(checker)
                found[name] = checker.found
                damaged[name] = {p.offset for p in checker.problems
                                 if p.code in MEMBER_DAMAGE and p.offset is not None}
        return found, damaged

    def _read(self, name: str, checker: RecordChecker | None) -> HashingReader | None:
        resource = self.resources[name]
        algorithms = {resource.algorithm} if resource.algorithm else set()
        try:
            with os_errors(self.path), self.archive.open(self.files[name]) as stream:
                reader = HashingReader(stream, algorithms, self.read)
                if checker is None:
                    reader.drain()
                else:
                    read_warc(cast(Any, reader), RecordParser(checker),
                              expect_gzip=name.lower().endswith(".gz"))
        except _ZIP_ERRORS as exc:
            self.report.add(_corrupt(name, exc))
            return None
        self.report.files_checked += 1
        return reader

    def _judge(self, name: str, reader: HashingReader) -> None:
        resource = self.resources[name]
        self.sha256[name] = reader.hexdigest("sha256")
        if resource.algorithm is not None and resource.digest is not None:
            found = reader.hexdigest(resource.algorithm)
            if found != resource.digest:
                self.report.add(Problem("file-digest-mismatch", name, "the file does not match "
                                        f"its {resource.algorithm} in {DATAPACKAGE}",
                                        f"{resource.algorithm}:{resource.digest}",
                                        f"{resource.algorithm}:{found}"))
        if resource.size is not None and resource.size != reader.size:
            self.report.add(Problem("file-size-mismatch", name, "the file does not have the "
                                    f"size {DATAPACKAGE} gives", str(resource.size),
                                    str(reader.size)))

    def _take_records(self, checker: RecordChecker) -> None:
        if not checker.records and not checker.problems:
            checker.problems.append(Problem("warc-empty", checker.path,
                                            "the file holds no WARC record"))
        self.report.records_checked += checker.records
        self.report.unverifiable_records += checker.unverifiable
        self.report.extend(checker.problems)
        self.report.notes.extend(checker.notes)

    def _check_file_claims(self, claims: dict[str, FileClaim]) -> None:
        for claim in claims.values():
            name = self._in_wacz(claim.path)
            where = f"files lists {claim.path} ({name} in the WACZ)"
            if name not in self.sha256:
                if name not in self.files:
                    self.report.add(Problem("manifest-files-mismatch", WACZ_MANIFEST,
                                            f"{where}, which the WACZ does not hold"))
                continue
            if claim.sha256 is not None and claim.sha256 != self.sha256[name]:
                self.report.add(Problem("manifest-files-mismatch", WACZ_MANIFEST,
                                        f"{where} with a SHA-256 it does not have",
                                        claim.sha256, self.sha256[name]))
            elif claim.size is not None and claim.size != self.files[name].file_size:
                self.report.add(Problem("manifest-files-mismatch", WACZ_MANIFEST,
                                        f"{where} with a size it does not have",
                                        str(claim.size), str(self.files[name].file_size)))


def _corrupt(name: str, exc: BaseException) -> Problem:
    return Problem("zip-entry-corrupt", name, f"the entry cannot be read from the zip: {exc}")


def _note(message: str) -> Note:
    return Note("wacz-no-digest-file", DATAPACKAGE, message)
