"""Verify a WACZ file without unpacking it: the zip is safe to read, datapackage.json is
there and lists every file with the digest and size it has, datapackage-digest.json vouches
for datapackage.json, every WARC record's digests hold, and when archiver's manifest.json is
inside, every file and record it names is there as it says.

Every entry is read once, streaming from the zip; a WARC's records are checked in the same
read that hashes it.
"""

from __future__ import annotations

import zipfile
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

from archiver._types import ByteProgress, StrPath
from archiver.attestation.trust import TrustList
from archiver.errors import InputNotFoundError, NotEvidenceError
from archiver.package_layout import MANIFEST_JSON
from archiver.regular_files import too_large
from archiver.settings import ReadLimits
from archiver.verification.boundary import os_errors
from archiver.verification.hashing import HashingReader
from archiver.verification.manifest_check import (
    FileClaim,
    RecordClaim,
    file_claims,
    load_manifest,
    provenance_problems,
    record_claims,
    reference_problems,
    schema_problems,
)
from archiver.verification.pipeline import ByteCounter, read_warc
from archiver.verification.problems import Note, Problem, VerificationReport
from archiver.verification.record_check import MEMBER_DAMAGE, RecordChecker, RecordInfo
from archiver.verification.wacz_datapackage import Resource, load_digest_file, read_datapackage
from archiver.verification.wacz_signature import signature_findings
from archiver.verification.zip_directory import ENTRY_ERRORS, directory_problems, open_zip
from archiver.verification.zip_safety import entry_problems, is_dir, shown
from archiver.wacz_layout import (
    DATAPACKAGE,
    DATAPACKAGE_DIGEST,
    PAGES,
    WACZ_MANIFEST,
    is_warc_path,
    wacz_path,
)
from archiver.warc.reader import RecordParser


def check_wacz(path: StrPath, progress: ByteProgress | None = None,
               limits: ReadLimits | None = None, *, strict: bool = False,
               trust: TrustList | None = None) -> VerificationReport:
    """Check the WACZ at `path` and report every problem found; never raises for damaged
    evidence. `progress` is called with (bytes read, bytes to read) as reading goes on;
    `limits` bound what is read (a zip or an entry past them is a problem, never read);
    `strict`: a record no digest covers whole is a problem, not a note; `trust`: the keys
    and roots a signature in datapackage-digest.json is checked against (see
    wacz_signature.py).

    Raises InputNotFoundError, NotEvidenceError (not a zip, or a zip without
    datapackage.json) and EnvironmentFault (the file system failed).
    """
    target = Path(path)
    limits = limits or ReadLimits()
    with os_errors(target):
        if not target.is_file():
            raise InputNotFoundError(target, "file")
        refusals = directory_problems(target, limits)
        if refusals:  # its list of entries is not even read
            report = _report(target, limits, strict)
            report.extend(refusals)
            return report
        with open_zip(target, "it is not a zip file, so not a WACZ") as archive:
            return WaczCheck(target, archive, progress, limits, strict=strict,
                             trust=trust).run()


def _report(path: Path, limits: ReadLimits, strict: bool = False) -> VerificationReport:
    return VerificationReport(str(path), "wacz", strict=strict,
                              max_per_file=limits.max_problems_per_file,
                              max_problems=limits.max_problems)


class WaczCheck:
    """One verification of an open WACZ; `run()` returns the report."""

    def __init__(self, path: Path, archive: zipfile.ZipFile, progress: ByteProgress | None,
                 limits: ReadLimits | None = None, *, strict: bool = False,
                 trust: TrustList | None = None) -> None:
        self.path = path
        self.trust = trust
        self.archive = archive
        self.limits = limits or ReadLimits()
        self.report = _report(path, self.limits, strict)
        self.files: dict[str, zipfile.ZipInfo] = {}
        self.resources: dict[str, Resource] = {}
        self.refused: set[str] = set()
        """Entries refused as unsafe (shown names): never read, never reported missing."""
        self.sha256: dict[str, str] = {}
        self.read = ByteCounter(0, progress)
        self._by_package_path: dict[str, str] | None = None

    def run(self) -> VerificationReport:
        infos = self.archive.infolist()
        for problem in entry_problems(infos, zip_size=self.path.stat().st_size,
                                      limits=self.limits):
            self.refused.add(problem.path)
            self.report.add(problem)
        self.files = {info.filename: info for info in infos
                      if not is_dir(info) and shown(info.filename) not in self.refused}
        if DATAPACKAGE not in self.files:
            if DATAPACKAGE in self.refused:
                return self.report
            raise NotEvidenceError(self.path, "a zip without datapackage.json, so not a WACZ")
        datapackage = self._small(DATAPACKAGE)
        if datapackage is None:
            return self.report
        said = self.report.problem_count
        self.resources = read_datapackage(datapackage, self.report, self.limits)
        self._check_digest_file(datapackage)
        if self.resources or self.report.problem_count == said:
            self._check_listing()  # (else every file would be "not listed": no news)
        else:
            self._without_listing()
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

    def _without_listing(self) -> None:
        """datapackage.json could not be read: its digests are lost, but each WARC's records
        carry their own, so the WARCs in the zip are still checked record by record (and what
        manifest.json says of them), rather than reported missing."""
        warcs = [name for name in self.files if is_warc_path(name)]
        self.resources = {name: Resource(name, None, None, None, None) for name in warcs}
        if warcs:
            self.report.notes.append(Note("wacz-unlisted", DATAPACKAGE, "it could "
                                          f"not be read, so the {len(warcs)} WARC file(s) in "
                                          "the zip were checked by their records' own digests"))

    def _small(self, name: str) -> bytes | None:
        """A JSON entry's bytes (bounded), or None with the reason reported."""
        info = self.files[name]
        limit = self.limits.max_json_bytes
        if info.file_size > limit:
            self.report.add(Problem("wacz-file-too-large", name,
                                    too_large(name, info.file_size, limit).reason))
            return None
        try:
            with os_errors(self.path), self.archive.open(info) as stream:
                data = stream.read(limit + 1)
        except ENTRY_ERRORS as exc:
            self.report.add(_corrupt(name, exc))
            return None
        if len(data) > limit:  # more than it declared
            self.report.add(Problem("wacz-file-too-large", name,
                                    too_large(name, len(data), limit).reason))
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
        if data is None:
            return
        document, problems = load_digest_file(data, datapackage, self.limits)
        self.report.extend(problems)
        if document is not None:
            problems, notes = signature_findings(document, self.trust)
            self.report.extend(problems)
            self.report.add_notes(DATAPACKAGE_DIGEST, notes)

    def _check_listing(self) -> None:
        for name in sorted(set(self.files) - set(self.resources) - {DATAPACKAGE,
                                                                      DATAPACKAGE_DIGEST}):
            self.report.add(Problem("unlisted-file", name, f"this file is not listed in "
                                    f"{DATAPACKAGE}"))
        for name in sorted(set(self.resources) - set(self.files)):
            if shown(name) not in self.refused:  # a refused entry is reported already
                self.report.add(Problem("missing-file", name, f"{DATAPACKAGE} lists this "
                                        "file, but the WACZ does not hold it"))
        names = set(self.files)
        for part, wanted in (("WARC file under archive/", any(map(is_warc_path, names))),
                             (PAGES, PAGES in names),
                             ("index under indexes/", any(n.startswith("indexes/")
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
        document = load_manifest(data, problems, self.limits)
        if document is not None:
            problems += schema_problems(document)
            problems += provenance_problems(document)
        self._manifest_problems(problems)
        return document

    def _manifest_problems(self, problems: list[Problem]) -> None:
        self.report.extend([replace(problem, path=WACZ_MANIFEST)
                            if problem.path == MANIFEST_JSON else problem
                            for problem in problems])

    def _in_wacz(self, package_path: str) -> str:
        if self._by_package_path is None:  # once: a WACZ may list 100,000 files
            self._by_package_path = {}
            for name, resource in self.resources.items():
                if resource.package_path is not None:
                    self._by_package_path.setdefault(resource.package_path, name)
        return self._by_package_path.get(package_path) or wacz_path(package_path)

    def _check_fixity(self, claims: list[RecordClaim]
                      ) -> tuple[dict[str, dict[str, RecordInfo]], dict[str, set[int]]]:
        found: dict[str, dict[str, RecordInfo]] = {}
        damaged: dict[str, set[int]] = {}
        todo = sorted(name for name in self.resources if name in self.files)
        self.read.total = self.read.done + sum(self.files[name].file_size for name in todo)
        claimed: defaultdict[str, set[str]] = defaultdict(set)
        for claim in claims:
            claimed[claim.warc_file].add(claim.record_id)
        for name in todo:
            wanted = frozenset(claimed.get(name, ()))
            checker = (RecordChecker(name, wanted=wanted, strict=self.report.strict)
                       if is_warc_path(name) else None)
            reader = self._read(name, checker)
            if reader is not None:
                self._judge(name, reader)
            if checker is not None:
                self._take_records(checker, read_whole=reader is not None)
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
        except ENTRY_ERRORS as exc:
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

    def _take_records(self, checker: RecordChecker, *, read_whole: bool) -> None:
        if read_whole and not checker.records and not checker.problems:
            checker.problems.append(Problem("warc-empty", checker.path,
                                            "the file holds no WARC record"))
        self.report.records_checked += checker.records
        self.report.coverage.add(checker.coverage)
        self.report.extend(checker.problems)
        self.report.count_omitted(checker.path, checker.omitted, checker.omitted_uncovered)
        self.report.add_notes(checker.path, checker.notes, checker.notes_omitted)

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
