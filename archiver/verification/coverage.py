"""How much of a WARC's content its digests cover: each record's grade, and the counts that
make a verdict ("intact: 171 payloads verified, headers not covered; 295 records carry no
digest of their own (171 request, 123 revisit, 1 warcinfo)").

A record is graded once its digests are judged (record_digests):
- VERIFIED: a digest covers its whole block (WARC-Block-Digest; or WARC-Payload-Digest on a
  record that is not HTTP, whose payload is its block) and every digest it carries matches.
- PAYLOAD_ONLY: an HTTP record whose WARC-Payload-Digest matches, with no WARC-Block-Digest:
  the body is verified, its HTTP headers are not covered.
- NO_DIGEST: a record that by nature carries no digest (warcinfo, request, metadata) or a
  revisit (its WARC-Payload-Digest names a payload it does not hold), without a
  WARC-Block-Digest: listed, not failed.
- UNVERIFIABLE: any other record (a response, a resource) whose content no digest covers:
  a problem.
- DAMAGED: a digest did not match, or could not be used: a problem.
ARC files have no digests at all: their records are counted as STRUCTURE_ONLY.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

VERIFIED: Final = "verified"
PAYLOAD_ONLY: Final = "payload-only"
NO_DIGEST: Final = "no-digest"
UNVERIFIABLE: Final = "unverifiable"
DAMAGED: Final = "damaged"
STRUCTURE_ONLY: Final = "structure-only"

LISTED_TYPES = frozenset({"warcinfo", "request", "metadata", "revisit"})
"""Record types listed, not failed, when no digest of their own covers them."""

NOT_COVERED_CODES = frozenset({"record-unverifiable", "record-no-digest",
                               "record-headers-not-covered", "arc-no-digests"})
"""Problem codes that say content is not covered by any digest (rather than damaged); the
last three are problems only under `--strict` (notes otherwise)."""

ARC_VERDICT = "ARC files carry no digests: structure checked, content cannot be verified"


def _plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


@dataclass
class Coverage:
    """Records of a report (or of one WARC) counted by grade; `no_digest` by record type."""

    verified: int = 0
    payload_only: int = 0
    no_digest: dict[str, int] = field(default_factory=dict)
    unverifiable: int = 0
    damaged: int = 0
    structure_only: int = 0

    def count(self, grade: str, record_type: str) -> None:
        if grade == VERIFIED:
            self.verified += 1
        elif grade == PAYLOAD_ONLY:
            self.payload_only += 1
        elif grade == NO_DIGEST:
            kind = record_type or "untyped"
            self.no_digest[kind] = self.no_digest.get(kind, 0) + 1
        elif grade == UNVERIFIABLE:
            self.unverifiable += 1
        elif grade == STRUCTURE_ONLY:
            self.structure_only += 1
        else:
            self.damaged += 1

    def add(self, other: Coverage) -> None:
        self.verified += other.verified
        self.payload_only += other.payload_only
        for kind, count in other.no_digest.items():
            self.no_digest[kind] = self.no_digest.get(kind, 0) + count
        self.unverifiable += other.unverifiable
        self.damaged += other.damaged
        self.structure_only += other.structure_only

    @property
    def fully_covered(self) -> bool:
        """Whether every record read is covered whole by a digest of its own."""
        return not (self.payload_only or self.no_digest or self.unverifiable
                    or self.structure_only)

    def describe(self) -> str:
        """What the digests covered, in words: the body of an "intact" verdict.

        >>> said = Coverage(payload_only=171, no_digest={"request": 171, "revisit": 123,
        ...                                              "warcinfo": 1}).describe()
        >>> for part in said.split("; "):
        ...     print(part)
        171 payloads verified, headers not covered
        295 records carry no digest of their own (171 request, 123 revisit, 1 warcinfo)
        >>> Coverage(verified=1).describe()
        '1 record verified'
        """
        parts = []
        if self.verified or not (self.payload_only or self.no_digest):
            parts.append(f"{_plural(self.verified, 'record', 'records')} verified")
        if self.payload_only:
            parts.append(f"{_plural(self.payload_only, 'payload', 'payloads')} verified, "
                         "headers not covered")
        if self.damaged:
            parts.append(f"{_plural(self.damaged, 'record', 'records')} damaged")
        if self.unverifiable:
            parts.append(f"{_plural(self.unverifiable, 'record', 'records')} that no digest "
                         "covers cannot be verified")
        if self.no_digest:
            listed = sum(self.no_digest.values())
            kinds = ", ".join(f"{count:,} {kind}" for kind, count in
                              sorted(self.no_digest.items(), key=lambda item: (-item[1],
                                                                              item[0])))
            verb, whose = ("carries", "its") if listed == 1 else ("carry", "their")
            parts.append(f"{_plural(listed, 'record', 'records')} {verb} no digest of "
                         f"{whose} own ({kinds})")
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "verified": self.verified,
            "payload_only": self.payload_only,
            "no_digest": dict(sorted(self.no_digest.items())),
            "unverifiable": self.unverifiable,
            "damaged": self.damaged,
            "structure_only": self.structure_only,
        }
