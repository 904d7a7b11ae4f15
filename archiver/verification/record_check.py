"""The `RecordSink` of a verification: checks every record and turns what it finds into
`Problem`s, each damaged record reported once.

A flipped bit inside a gzip member usually shows twice: the record's digest fails, then the
member's CRC does. Problems are therefore held until the member that holds them ends: if it
ends well they stand; if it breaks, the record's own problems stand (they are the precise
ones) and the broken member is reported only when no record problem already explains it.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import replace
from typing import NamedTuple

from archiver.capture.urls import try_normalize, url_from_header
from archiver.verification.coverage import DAMAGED, NOT_COVERED_CODES, Coverage
from archiver.verification.digests import parse_digest
from archiver.verification.problems import Note, Problem
from archiver.verification.record_digests import RecordDigests, RecordOutcome
from archiver.warc.fields import field_defects, target_uri
from archiver.warc.http_head import HeadFacts
from archiver.warc.reader import Damage, RecordHeader

MEMBER_DAMAGE = frozenset({"gzip-member-corrupt", "truncated-gzip", "not-gzip"})
MAX_KEPT = 10_000
"""Problems a checker keeps for one WARC (or part of one); the rest are counted. A report
keeps fewer still (ReadLimits.max_problems_per_file): this only bounds the memory a WARC of
a million damaged records takes."""


class RecordInfo(NamedTuple):
    """A record that manifest.json points at, as found in its WARC. (A named tuple: one is
    made, and sent between processes, for each of tens of thousands of records.)"""

    offset: int
    record_type: str
    payload_sha256: str | None
    intact: bool
    status: int | None = None
    content_type: str | None = None
    payload_length: int | None = None
    truncated: str | None = None
    date: str | None = None
    ip_address: str | None = None
    target_uri: str | None = None
    redirect_target: str | None = None
    """Where the response redirects, its Location resolved as capture resolves it."""


def _info(header: RecordHeader, outcome: RecordOutcome) -> RecordInfo:
    """What manifest.json may claim about a record, as the record states it."""
    head = outcome.head
    payload_sha256, payload_length = outcome.payload_sha256, outcome.payload_length
    if header.record_type == "revisit":
        # It holds no payload: it names the one it stands for (`--dedup`), by its digest.
        payload_sha256, payload_length = _named_sha256(header.get("WARC-Payload-Digest")), None
    return RecordInfo(header.offset, header.record_type, payload_sha256,
                      not outcome.problems,
                      head.status if head is not None else None,
                      head.content_type if head is not None else None,
                      payload_length, header.get("WARC-Truncated"),
                      header.get("WARC-Date"), header.get("WARC-IP-Address"),
                      header.get("WARC-Target-URI"), _redirect_target(header, head))


def _named_sha256(label: str | None) -> str | None:
    """The SHA-256 a digest field names, in hex (None: none, or another algorithm)."""
    try:
        claim = parse_digest(label) if label else None
    except ValueError:
        return None
    return claim.value.hex() if claim is not None and claim.algorithm == "sha256" else None


def _redirect_target(header: RecordHeader, head: HeadFacts | None) -> str | None:
    if head is None or not head.is_redirect or head.location is None:
        return None
    return try_normalize(url_from_header(head.location), target_uri(header))


class _EveryRecord(Container[str]):
    def __contains__(self, record_id: object) -> bool:
        return True


EVERY_RECORD: Container[str] = _EveryRecord()
"""`wanted` for a check that starts before it knows which records will be asked about: it
remembers them all (and the SHA-256 of every payload, at no cost for a WARC whose payload
digests are SHA-256 already); keep the ones wanted afterwards."""


class RecordChecker:
    """Checks the records a `RecordParser` hands it; remembers the ones in `wanted`."""

    def __init__(self, path: str, *, wanted: Container[str] = frozenset(),
                 accept_dechunked: bool = True, strict: bool = False) -> None:
        self.path = path
        self.problems: list[Problem] = []
        self.omitted = 0
        """Problems found past MAX_KEPT, counted but not kept."""
        self.omitted_uncovered = 0
        """How many of those only say that content is not covered by a digest."""
        self.notes: list[Note] = []
        self.notes_omitted = 0
        """Notes (one for each record no digest covers whole) past MAX_KEPT."""
        self.found: dict[str, RecordInfo] = {}
        self.records = 0
        self.coverage = Coverage()
        self._wanted = wanted
        self._accept_dechunked = accept_dechunked
        self._strict = strict
        self._current: RecordDigests | None = None
        self._pending: list[Problem] = []
        self._member_first: RecordHeader | None = None
        self._member_found: list[str] = []

    def record_start(self, header: RecordHeader) -> None:
        self.records += 1
        self._member_first = self._member_first or header
        self._pending.extend(Problem("record-field-invalid", self.path,
                                     f"not a valid WARC 1.1 record: {defect}",
                                     record_id=header.record_id, offset=header.offset)
                             for defect in field_defects(header))
        self._current = RecordDigests(header, self.path,
                                      want_sha256=header.record_id in self._wanted,
                                      accept_dechunked=self._accept_dechunked,
                                      strict=self._strict)

    def record_data(self, data: memoryview) -> None:
        if self._current is not None:
            self._current.update(data)

    def record_end(self) -> None:
        current, self._current = self._current, None
        if current is None:
            return
        outcome = current.finish()
        self._pending.extend(outcome.problems)
        notes = outcome.notes
        if notes:
            room = max(MAX_KEPT - len(self.notes), 0)
            self.notes.extend(notes if room >= len(notes) else notes[:room])
            self.notes_omitted += max(len(notes) - room, 0)
        self.coverage.count(outcome.grade, current.header.record_type)
        record_id = current.header.record_id
        if record_id in self._wanted and record_id is not None:
            self.found[record_id] = _info(current.header, outcome)
            self._member_found.append(record_id)

    @property
    def unverifiable(self) -> int:
        """Records whose content no digest covers (each one a problem)."""
        return self.coverage.unverifiable

    def member_end(self) -> None:
        self._keep(self._pending)
        self._next_member()

    def damage(self, damage: Damage, *, in_record: bool) -> None:
        current, self._current = self._current, None
        broken = current.header if in_record and current is not None else None
        if broken is not None:
            self.coverage.count(DAMAGED, broken.record_type)
        if damage.code not in MEMBER_DAMAGE:
            self._keep([self._problem(damage, broken)])
            return
        for record_id in self._member_found:
            self.found[record_id] = self.found[record_id]._replace(intact=False)
        if broken is not None and broken.record_id in self._wanted and broken.record_id:
            self.found[broken.record_id] = RecordInfo(broken.offset, broken.record_type,
                                                      None, intact=False)
        if self._pending and broken is None:
            self._keep(replace(problem, message=f"{problem.message}; its gzip member "
                               "is damaged too") for problem in self._pending)
        else:
            self._keep([*self._pending, self._problem(damage, broken or self._member_first)])
        self._next_member()

    def _keep(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            if len(self.problems) < MAX_KEPT:
                self.problems.append(problem)
            else:
                self.omitted += 1
                self.omitted_uncovered += problem.code in NOT_COVERED_CODES

    def _next_member(self) -> None:
        self._pending = []
        self._member_first = None
        self._member_found = []

    def _problem(self, damage: Damage, record: RecordHeader | None) -> Problem:
        return Problem(damage.code, self.path, damage.message,
                       record_id=record.record_id if record is not None else None,
                       offset=damage.offset)
