"""Check one WARC record's block and payload digests while its block streams by.

The payload is the block after its HTTP header block for `application/http` records, and
the whole block otherwise; where a payload and a block are the same bytes hashed with the
same algorithm, they are hashed once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from archiver.decoding import Dechunker
from archiver.verification.codes import ProblemCode, UncoveredCode
from archiver.verification.coverage import (
    DAMAGED,
    LISTED_TYPES,
    NO_DIGEST,
    PAYLOAD_ONLY,
    UNVERIFIABLE,
    VERIFIED,
)
from archiver.verification.digests import DigestClaim, new_hash, parse_digest
from archiver.verification.problems import Note, Problem
from archiver.warc.http_head import HeaderBlock, HeadFacts
from archiver.warc.reader import RecordHeader


@dataclass
class RecordOutcome:
    """What checking one record found; `payload_sha256`, and for an HTTP record what its
    header block says (`head`) and its payload's length, are set when asked for."""

    problems: list[Problem] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    payload_sha256: str | None = None
    grade: str = VERIFIED
    """How far its digests cover it (see archiver.verification.coverage)."""
    head: HeadFacts | None = None
    payload_length: int | None = None


class RecordDigests:
    """Hashes one record's block (and payload) as it streams by, then judges its digests."""

    def __init__(self, header: RecordHeader, path: str, *, want_sha256: bool,
                 accept_dechunked: bool, strict: bool = False) -> None:
        self.header = header
        self._path = path
        self._strict = strict
        """Whether a record no digest covers whole is a problem, not a note."""
        self._outcome = RecordOutcome()
        fields = header.fields  # (keys are lowercase)
        self._block_claim = self._claim("WARC-Block-Digest", fields.get("warc-block-digest"))
        payload_claim = self._claim("WARC-Payload-Digest", fields.get("warc-payload-digest"))
        self._had_payload_claim = payload_claim is not None
        self._payload_claim = payload_claim if self._payload_checkable() else None
        self._http = (fields.get("content-type") or "").lower().startswith("application/http")
        self._block = self._block_claim.new_hash() if self._block_claim else None
        self._payload = self._payload_hashes(want_sha256)
        self._head = HeaderBlock() if self._http and self._payload else None
        self._want_facts = want_sha256
        self._payload_length = 0
        self._accept_dechunked = accept_dechunked and self._http
        self._dechunker: Dechunker | None = None
        self._dechunked: hashlib._Hash | None = None
        """Some tools (Heritrix, for one) digest the de-chunked entity rather than the
        payload as stored: for a foreign WARC, either is accepted."""

    def update(self, data: memoryview) -> None:
        if self._block is not None:
            self._block.update(data)
        if not self._payload:
            return
        if self._head is not None and not self._head.done:
            data = self._head.feed(data)
            if self._head.done:
                self._start_payload()
            if not data:
                return
        self._payload_length += len(data)
        for digest in self._payload.values():
            digest.update(data)
        if self._dechunker is not None:
            self._dechunker.feed(data)

    def finish(self) -> RecordOutcome:
        outcome = self._outcome
        payload = {name: digest.digest() for name, digest in self._payload.items()}
        if self._block is not None and self._block_claim is not None:
            computed = self._block.digest()
            if not self._http:
                payload.setdefault(self._block_claim.algorithm, computed)
            if not self._block_claim.matches(computed):
                outcome.problems.append(self._mismatch(
                    "record-block-digest-mismatch",
                    "the record's block does not match its WARC-Block-Digest",
                    self._block_claim, computed))
        if self._payload_claim is not None:
            self._judge_payload(self._payload_claim, payload[self._payload_claim.algorithm])
        if "sha256" in payload:
            outcome.payload_sha256 = payload["sha256"].hex()
        if self._want_facts and self._head is not None:
            outcome.head = self._head.facts()
            outcome.payload_length = self._payload_length
        self._grade()
        return outcome

    def _grade(self) -> None:
        """How far the record's digests cover it, and the note (or problem) that says so."""
        outcome = self._outcome
        if outcome.problems:
            outcome.grade = DAMAGED
        elif self._block_claim is not None or (self._payload_claim is not None
                                               and not self._http):
            outcome.grade = VERIFIED  # the block is covered whole
        elif self._payload_claim is not None:
            outcome.grade = PAYLOAD_ONLY
            self._uncovered("record-headers-not-covered", "payload verified, headers not "
                            "covered: its WARC-Payload-Digest matches, and no "
                            "WARC-Block-Digest covers its HTTP headers")
        elif self.header.record_type in LISTED_TYPES:
            outcome.grade = NO_DIGEST
            self._uncovered("record-no-digest", self._no_digest_reason())
        else:
            outcome.grade = UNVERIFIABLE
            self._unverifiable()

    def _no_digest_reason(self) -> str:
        kind = self.header.record_type
        if kind == "revisit":
            if self._had_payload_claim:
                return ("a revisit record: its WARC-Payload-Digest names the payload of the "
                        "record it revisits, which it does not hold, and no "
                        "WARC-Block-Digest covers it")
            return "a revisit record with no digest"
        return f"a {kind} record with no digest ({kind} records often carry none)"

    def _uncovered(self, code: UncoveredCode, message: str) -> None:
        """A record that is not damaged but no digest covers whole: a note, or under
        --strict a problem."""
        if self._strict:
            self._outcome.problems.append(self._problem(code, message))
        else:
            self._outcome.notes.append(Note(code, self._path, message, self.header.record_id,
                                            self.header.offset))

    def _claim(self, name: str, label: str | None) -> DigestClaim | None:
        if label is None:
            return None
        try:
            return parse_digest(label)
        except ValueError as exc:
            self._outcome.problems.append(self._problem(
                "record-digest-invalid", f"its {name} cannot be used: {exc}", found=label))
            return None

    def _payload_checkable(self) -> bool:
        # A revisit's payload digest is the original's, stored elsewhere; a segment's is the
        # digest of the whole payload, which no single record holds.
        segmented = self.header.get("WARC-Segment-Number") is not None
        return self.header.record_type not in ("revisit", "continuation") and not segmented

    def _payload_hashes(self, want_sha256: bool) -> dict[str, hashlib._Hash]:
        names = set()
        if self._payload_claim is not None:
            names.add(self._payload_claim.algorithm)
        if want_sha256:
            names.add("sha256")
        if not self._http and self._block_claim is not None:
            names.discard(self._block_claim.algorithm)  # the block hash serves
        return {name: new_hash(name) for name in sorted(names)}

    def _start_payload(self) -> None:
        if self._accept_dechunked and self._payload_claim and self._head and self._head.is_chunked:
            self._dechunked = self._payload_claim.new_hash()
            self._dechunker = Dechunker(self._dechunked.update)

    def _judge_payload(self, claim: DigestClaim, computed: bytes) -> None:
        if claim.matches(computed):
            return
        dechunker = self._dechunker
        if (dechunker is not None and dechunker.ok and self._dechunked is not None
                and claim.matches(self._dechunked.digest())):
            self._outcome.notes.append(Note(
                "payload-digest-dechunked", self._path,
                "WARC-Payload-Digest matches the de-chunked entity, not the chunked bytes "
                "as stored", self.header.record_id, self.header.offset))
            return
        self._outcome.problems.append(self._mismatch(
            "record-payload-digest-mismatch",
            "the record's payload does not match its WARC-Payload-Digest", claim, computed))

    def _unverifiable(self) -> None:
        kind = self.header.record_type or "untyped"
        if self._had_payload_claim:
            reason = (f"this {kind} record has only a payload digest, of a payload it does "
                      "not hold whole (a segment's digest covers every segment), so its "
                      "content cannot be checked")
        else:
            reason = f"this {kind} record carries no digest, so its content cannot be checked"
        self._outcome.problems.append(self._problem("record-unverifiable", reason))

    def _mismatch(self, code: ProblemCode, message: str, claim: DigestClaim,
                  computed: bytes) -> Problem:
        return self._problem(code, message, expected=claim.label, found=claim.render(computed))

    def _problem(self, code: ProblemCode, message: str, *, expected: str | None = None,
                 found: str | None = None) -> Problem:
        return Problem(code, self._path, message, expected, found, self.header.record_id,
                       self.header.offset)
