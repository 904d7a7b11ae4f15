"""Check every attestation of a package: its signatures, its timestamps and its custody log,
and say what they prove in one line a journalist reads.

    sealed 2026-12-06 10:41 UTC by key 3F2A 9C00 1122 3344 …; timestamped by TSA X at
    10:41:07 and TSA Y at 10:41:08; unchanged since

A reader only: nothing is written (`verify --record` adds a custody entry afterwards, on
request). Trust (which keys and authorities count) is the user's: `trust`, or, when not given
and there is something to judge, the trust list of this machine (`user_trust`).
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archiver.attestation.findings import CustodyFinding, SignatureFinding, TimestampFinding
from archiver.attestation.layout import (
    ATTESTATIONS_DIR,
    CUSTODY_DIR,
    CUSTODY_FILE,
    SIGNATURE_FILE,
    TIMESTAMPS_DIR,
)
from archiver.attestation.sealed_bag import NotSealed, TagManifest, read_tag_manifest

if TYPE_CHECKING:
    from archiver.attestation.trust import TrustList

MAX_LISTED = 10_000
"""Files looked at in attestations/ (a package signs a few; a million is not ours)."""
NOT_SIGNED = ("not signed: anyone could rebuild these checksums, so they show the files are "
              "unchanged only against themselves")


@dataclass
class AttestationReport:
    """What a package's attestations prove, finding by finding."""

    present: bool = False
    """Whether the package has an attestations/ folder at all."""
    tag_manifest_sha256: str | None = None
    signatures: list[SignatureFinding] = field(default_factory=list)
    timestamps: list[TimestampFinding] = field(default_factory=list)
    custody: list[CustodyFinding] = field(default_factory=list)
    unknown_files: list[str] = field(default_factory=list)
    """Files in attestations/ that are no attestation archiver knows."""

    @property
    def is_signed(self) -> bool:
        """At least one signature verifies with a trusted key."""
        return any(finding.ok for finding in self.signatures)

    @property
    def is_valid(self) -> bool:
        """Nothing in the attestations is wrong (an unsigned package is not wrong)."""
        findings: list[Any] = [*self.signatures, *self.timestamps, *self.custody]
        return all(finding.ok for finding in findings) and not self.unknown_files

    def proof_line(self, bag_intact: bool) -> str:
        """The verdict in words: who sealed it and when, who stamped it when, and whether it
        is unchanged since (`bag_intact`: every file matches the bag's manifests)."""
        said, parts = self._signed_part()
        stamped = [f for f in self.timestamps if f.ok and f.stamped_at is not None]
        if stamped:
            parts.append("timestamped by " + " and ".join(
                f"{f.authority or 'an unnamed TSA'} at {_clock(f.stamped_at)}" for f in stamped))
        findings: list[SignatureFinding | TimestampFinding | CustodyFinding] = [
            *self.signatures, *self.timestamps, *self.custody]
        failing = [f for f in findings if not f.ok and f is not said]
        if failing:
            parts.append(f"PROOF FAILS: {failing[0].reason or failing[0].status}")
        elif self.unknown_files:
            parts.append(f"PROOF FAILS: {self.unknown_files[0]} is no attestation archiver "
                         "knows")
        elif self.is_signed:
            parts.append("unchanged since" if bag_intact else "CHANGED SINCE: see the problems")
        return "; ".join(parts)

    def _signed_part(self) -> tuple[SignatureFinding | None, list[str]]:
        """What the signatures say, and the failing one said already (not to say it twice)."""
        valid = [f for f in self.signatures if f.ok]
        if valid:
            return None, [" and ".join(f"sealed {_day(f.signed_at)} by key "
                                       f"{_short(f.fingerprint)} …" for f in valid)]
        for finding in self.signatures:
            if finding.status == "untrusted-key":
                return finding, [f"signed by key {_short(finding.fingerprint)} … which is not "
                                 "in your trust list"]
        if self.signatures:
            first = self.signatures[0]
            return first, [f"SIGNATURE DOES NOT VERIFY: {first.reason or first.status}"]
        return None, [NOT_SIGNED]

    def to_dict(self, bag_intact: bool = True) -> dict[str, Any]:
        return {
            "proof": self.proof_line(bag_intact),
            "signed": self.is_signed,
            "valid": self.is_valid,
            "tag_manifest_sha256": self.tag_manifest_sha256,
            "signatures": [_finding(f) for f in self.signatures],
            "timestamps": [_finding(f) for f in self.timestamps],
            "custody": [_finding(f) for f in self.custody],
            "unknown_files": list(self.unknown_files),
        }


def check_attestations(package: Path,
                       trust: TrustList | Callable[[], TrustList] | None = None
                       ) -> AttestationReport:
    """Every attestation of the package at `package`, checked. `trust` is a trust list, or a
    function that makes one (called only when there is a signature or a timestamp to judge);
    None: this machine's (`user_trust()`)."""
    report = AttestationReport()
    folder = package / ATTESTATIONS_DIR
    try:
        report.present = stat.S_ISDIR(os.lstat(folder).st_mode)
    except OSError:
        report.present = False
    tag = _tag_manifest(package)
    report.tag_manifest_sha256 = tag.sha256 if tag is not None else None
    if not report.present:
        return report
    report.unknown_files = unknown_files(package)
    # The checks load here, not with this module: a verify of a WARC, or of a package with
    # no attestations, never pays for the cryptography they import.
    from archiver.attestation.custody_check import check_custody

    needs_trust = (any(SIGNATURE_FILE.fullmatch(name) for name in _names(folder))
                   or os.path.lexists(package / TIMESTAMPS_DIR))
    if needs_trust:
        from archiver.attestation.signature_check import check_signatures
        from archiver.attestation.timestamp_check import check_timestamps

        judged = _resolve(trust)
        report.signatures = check_signatures(package, judged, tag)
        report.timestamps = check_timestamps(package, judged)
    report.custody = check_custody(package, tag)
    return report


def unknown_files(package: Path) -> list[str]:
    """Files under attestations/ that are none of the kinds layout.py names. (timestamps/
    belongs to the timestamp check, which names what it cannot read.)"""
    unknown: list[str] = []
    pending = [ATTESTATIONS_DIR]
    seen = 0
    while pending and seen < MAX_LISTED:
        relative = pending.pop()
        for name in sorted(_names(package / relative)):
            seen += 1
            path = f"{relative}/{name}"
            if path == TIMESTAMPS_DIR:
                continue
            if path == CUSTODY_DIR and _is_directory(package / path):
                pending.append(path)
                continue
            known = (CUSTODY_FILE.fullmatch(name) if relative == CUSTODY_DIR
                     else SIGNATURE_FILE.fullmatch(name))
            if not known or not os.path.isfile(package / path) or \
                    os.path.islink(package / path):
                unknown.append(path)
    return unknown


def _names(folder: Path) -> list[str]:
    try:
        return os.listdir(folder) if _is_directory(folder) else []
    except OSError:
        return []


def _is_directory(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _tag_manifest(package: Path) -> TagManifest | None:
    try:
        return read_tag_manifest(package)
    except NotSealed:
        return None  # the bag check names what is wrong with it


def _resolve(trust: TrustList | Callable[[], TrustList] | None) -> TrustList:
    if trust is None:
        from archiver.attestation.trust import user_trust

        return user_trust()
    return trust() if callable(trust) else trust


def _finding(finding: SignatureFinding | TimestampFinding | CustodyFinding) -> dict[str, Any]:
    data = {name: getattr(finding, name) for name in finding.__dataclass_fields__}
    return {name: value.astimezone(UTC).isoformat().replace("+00:00", "Z")
            if isinstance(value, datetime) else value for name, value in data.items()}


def _short(fingerprint: str | None) -> str:
    head = (fingerprint or "?")[:16]
    return " ".join(re.findall(".{1,4}", head))


def _day(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "at an unknown time"


def _clock(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%H:%M:%S") if moment else "an unknown time"
