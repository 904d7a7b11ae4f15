"""Check an evidence package, cheap phases first: structure, completeness, manifest.json;
then fixity (every file read once, every WARC record checked in the same pass); then every
record manifest.json points at.

The first WARC's check starts before manifest.json is read: a large WARC is checked in
other processes, which work while this one reads and judges manifest.json (they remember
every record, and keep those manifest.json points at once it has been read)."""

from __future__ import annotations

import gc
import hashlib
import os
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from archiver._types import ByteProgress
from archiver.attestation.check import check_attestations
from archiver.attestation.layout import ATTESTATIONS_DIR
from archiver.errors import UnreadableEvidence
from archiver.package_layout import (
    MANIFEST_JSON,
    PAYLOAD_MANIFEST,
    TAG_MANIFEST,
    WARC_DIR,
    warc_path,
)
from archiver.regular_files import open_regular, real_directory
from archiver.settings import ReadLimits
from archiver.verification.attestation_problems import ProofOptions, attestation_problems
from archiver.verification.bag_check import Bag, check_completeness, check_structure
from archiver.verification.bag_files import Manifest, walk
from archiver.verification.boundary import environment_fault, os_errors
from archiver.verification.manifest_check import (
    FileClaim,
    RecordClaim,
    derived_problems,
    file_claims,
    load_manifest,
    provenance_problems,
    record_claims,
    reference_problems,
    revisit_note,
    schema_problems,
)
from archiver.verification.pipeline import ByteCounter
from archiver.verification.problems import Problem, VerificationReport
from archiver.verification.record_check import MEMBER_DAMAGE, RecordInfo
from archiver.verification.warc_check import WarcCheck, has_warc_name

READ_BLOCK = 1024 * 1024


class PackageCheck:
    """One verification of the package at `root`; `run()` returns the report."""

    def __init__(self, root: Path, progress: ByteProgress | None = None,
                 limits: ReadLimits | None = None, *, strict: bool = False,
                 proof: ProofOptions | None = None) -> None:
        self.limits = limits or ReadLimits()
        self.strict = strict
        self.proof = proof or ProofOptions()
        self.bag = Bag(root, {}, limits=self.limits)  # its files are listed in `run`
        self.report = VerificationReport(str(root), "package", strict=strict,
                                         max_per_file=self.limits.max_problems_per_file,
                                         max_problems=self.limits.max_problems)
        self.read = ByteCounter(0, progress)
        self.files: dict[str, FileClaim] = {}
        self.claims: list[RecordClaim] = []
        self.found: dict[str, dict[str, RecordInfo]] = {}
        self.damaged: dict[str, set[int]] = {}
        self.manifest_parsed = False
        self._early: WarcCheck | None = None

    def run(self) -> VerificationReport:
        self._early = self._start_first_warc()  # first: the others start at once
        try:
            listing = walk(self.bag.root)
            self.bag.sizes, self.bag.others = listing.sizes, listing.others
            self.read.total = sum(self.bag.sizes.values())  # at most: unlisted files are not read
            read, refused = self.bag.read_tag_files()
            self.read(read)
            self.report.extend(refused)
            self.report.files_checked += len(self.bag.tag_data)
            check_structure(self.bag, self.report)
            self.report.extend(check_completeness(self.bag))
            self._check_manifest_json()
            self._check_fixity()
        finally:
            if self._early is not None:
                self._early.close()
        self.report.bytes_read = self.read.done
        self._check_listing()
        missing = {path for path in self._listed_payload() if path not in self.bag.sizes}
        self.report.extend(reference_problems(self.claims, self.found, missing, self.damaged))
        if self.proof.check:
            self._check_attestations()
        return self.report

    def _check_attestations(self) -> None:
        """Signatures, timestamps and the custody log, judged against the user's trust."""
        from archiver.attestation.documents import MAX_DOCUMENT_BYTES

        with os_errors(self.bag.root):
            attestations = check_attestations(self.bag.root, self.proof.trust)
        self.report.attestations = attestations
        # Each file there was read and judged, or named (a file too large is refused unread).
        attested = [size for path, size in self.bag.sizes.items()
                    if path.startswith(f"{ATTESTATIONS_DIR}/")]
        self.report.files_checked += len(attested)
        self.read(sum(size for size in attested if size <= MAX_DOCUMENT_BYTES))
        self.report.bytes_read = self.read.done
        self.report.extend(attestation_problems(
            attestations, require_signature=self.proof.require_signature))

    def _check_manifest_json(self) -> None:
        # Taken out of the bag's tag data (hashed and counted already): a large package's
        # manifest.json is tens of MB, and nothing after this needs its bytes.
        data = self.bag.tag_data.pop(MANIFEST_JSON, None)
        if data is None:
            return
        problems: list[Problem] = []
        document: dict[str, Any] | None = load_manifest(data, problems, self.limits)
        self._keep_parts_going()  # each step takes a tenth of a second on a large manifest
        if document is not None:
            self.manifest_parsed = True
            problems.extend(schema_problems(document))
            self._keep_parts_going()
            self.files = file_claims(document)
            problems.extend(derived_problems(document, self.files))
            problems.extend(provenance_problems(document))
            self._keep_parts_going()
            self.claims = record_claims(document)
            if (note := revisit_note(document)) is not None:
                self.report.add_note(note)
            self._keep_parts_going()
        self.report.extend(problems)

    def _listed_payload(self) -> dict[str, str]:
        return self.bag.payload.entries if self.bag.payload is not None else {}

    def _is_warc(self, path: str) -> bool:
        return (has_warc_name(path) and path.startswith(f"{WARC_DIR}/")
                and self.bag.payload is not None and path in self.bag.payload.entries
                and path in self.bag.sizes)

    def _start_first_warc(self) -> WarcCheck | None:
        """Start checking the first WARC in data/warc/ before anything else, even listing the
        package's files (if the payload manifest turns out not to list it, the check is
        dropped; any other WARC is checked when its turn comes)."""
        folder = real_directory(self.bag.root, WARC_DIR)  # never through a link
        if folder is None:
            return None  # the listing reports what is wrong
        try:
            with os.scandir(folder) as entries:
                names = sorted(entry.name for entry in entries if has_warc_name(entry.name)
                               and entry.is_file(follow_symlinks=False))
        except OSError:
            return None  # no such folder: the listing reports what is missing
        if not names:
            return None
        with os_errors(folder / names[0]):
            return self._warc_check(warc_path(names[0]), None)

    def _warc_check(self, path: str, wanted: frozenset[str] | None) -> WarcCheck:
        # Our own WARCs always digest the payload as stored: no de-chunked second chance.
        return WarcCheck(self.bag.root / path, path, wanted=wanted, accept_dechunked=False,
                         hash_file=True, on_read=self.read, strict=self.strict)

    def _check_fixity(self) -> None:
        tags = self.bag.tags
        for path in sorted(tags.entries if tags is not None else ()):
            if path in self.bag.sizes and path not in self.bag.computed:
                self._hash(path)
            if tags is not None and path in self.bag.computed and path not in tags.unusable:
                self._judge_tag_file(path, tags.entries[path])
        wanted: defaultdict[str, set[str]] = defaultdict(set)
        for claim in self.claims:
            wanted[claim.warc_file].add(claim.record_id)
        payload = self.bag.payload
        for path in sorted(payload.entries if payload is not None else ()):
            if payload is None or path not in self.bag.sizes:
                continue  # reported as missing
            if self._is_warc(path):
                self._check_warc(path, frozenset(wanted.get(path, ())))
            else:
                self._hash(path)
            if path in self.bag.computed:  # else it was refused, and that is reported
                self._judge_payload_file(path, payload)

    def _hash(self, path: str) -> None:
        """The file's SHA-256 into `bag.computed`; or, for a file that is no longer a
        regular one (it was when the package was listed), a problem."""
        # Plain os calls: a package holds thousands of small extraction files, and pathlib
        # and buffered file objects cost more per file than hashing a small one does.
        name = os.path.join(self.bag.root, path)
        digest = hashlib.sha256()
        try:
            fd = open_regular(name, path)
            try:
                while block := os.read(fd, READ_BLOCK):
                    digest.update(block)
                    self.read(len(block))
                    self._keep_parts_going()
            finally:
                os.close(fd)
        except UnreadableEvidence as refused:
            self.report.add(Problem(refused.code, path, refused.reason))
            return
        except OSError as exc:
            raise environment_fault(exc, name) from exc
        self.report.files_checked += 1
        self.bag.computed[path] = digest.hexdigest()

    def _keep_parts_going(self) -> None:
        if self._early is not None:
            self._early.poll()

    def _check_warc(self, path: str, wanted: frozenset[str]) -> None:
        file = self.bag.root / path
        try:
            with os_errors(file):
                if self._early is not None and self._early.path == file:
                    result = self._early.result(wanted)
                else:
                    with self._warc_check(path, wanted) as check:
                        result = check.result()
        except UnreadableEvidence as refused:  # no longer a regular file
            self.report.add(Problem(refused.code, path, refused.reason))
            return
        self.report.files_checked += 1
        self.report.records_checked += result.records
        self.report.coverage.add(result.coverage)
        self.report.extend(result.problems)
        self.report.count_omitted(path, result.omitted, result.omitted_uncovered)
        self.report.add_notes(path, result.notes, result.notes_omitted)
        self.found[path] = result.found
        self.damaged[path] = {problem.offset for problem in result.problems
                              if problem.code in MEMBER_DAMAGE and problem.offset is not None}
        if result.sha256 is not None:
            self.bag.computed[path] = result.sha256

    def _judge_tag_file(self, path: str, listed: str) -> None:
        actual = self.bag.computed[path]
        if actual != listed:
            self.report.add(Problem("file-digest-mismatch", path, "the file does not match "
                                    f"its SHA-256 in {TAG_MANIFEST}", listed, actual))

    def _judge_payload_file(self, path: str, payload: Manifest) -> None:
        listed = payload.entries[path]
        actual = self.bag.computed[path]
        claim = self.files.get(path)
        if path in payload.unusable:
            listed = claim.sha256 if claim is not None and claim.sha256 else actual
        if actual != listed:
            self.report.add(self._mismatch(path, listed, actual, claim))
        elif claim is not None and claim.sha256 != actual:
            self.report.add(Problem("manifest-files-mismatch", MANIFEST_JSON,
                                    f"files lists {path} with a SHA-256 it does not have",
                                    actual, claim.sha256))
        elif claim is not None and claim.size != self.bag.sizes[path]:
            self.report.add(Problem("manifest-files-mismatch", MANIFEST_JSON,
                                    f"files lists {path} with a size it does not have",
                                    str(self.bag.sizes[path]), str(claim.size)))

    @staticmethod
    def _mismatch(path: str, listed: str, actual: str, claim: FileClaim | None) -> Problem:
        if claim is not None and claim.sha256 == actual:
            return Problem("file-digest-mismatch", path, f"the file does not match its SHA-256 "
                           f"in {PAYLOAD_MANIFEST}, but does match manifest.json: the line in "
                           f"{PAYLOAD_MANIFEST} is likely what changed", listed, actual)
        return Problem("file-digest-mismatch", path, "the file does not match its SHA-256 in "
                       f"{PAYLOAD_MANIFEST}", listed, actual)

    def _check_listing(self) -> None:
        """manifest.json's `files` and the bag's payload manifest list the same files."""
        if self.bag.payload is None or not self.manifest_parsed:
            return
        listed = set(self._listed_payload())
        for path in sorted(set(self.files) - listed):
            self.report.add(Problem("manifest-files-mismatch", MANIFEST_JSON, f"files lists "
                                    f"{path}, which {PAYLOAD_MANIFEST} does not"))
        for path in sorted(listed - set(self.files)):
            self.report.add(Problem("manifest-files-mismatch", MANIFEST_JSON,
                                    f"files does not list {path}"))


def check_package(root: Path, progress: ByteProgress | None = None,
                  limits: ReadLimits | None = None, *, strict: bool = False,
                  proof: ProofOptions | None = None) -> VerificationReport:
    with cyclic_gc_paused():
        return PackageCheck(root, progress, limits, strict=strict, proof=proof).run()


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Python's cycle collector off for the check: a large manifest.json parses into millions
    of objects with no cycle among them, and every collection the claims' tuples trigger would
    walk them all (record_claims took 236 ms with it, 123 ms without, on 24,000 records)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
