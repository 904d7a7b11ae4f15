"""The attestations' findings as problems of a verification report: each finding that is not
valid becomes one `Problem`, its code saying what kind of proof failed, its message the
finding's own reason."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from archiver.attestation.check import NOT_SIGNED, AttestationReport
from archiver.attestation.findings import CustodyFinding, SignatureFinding, TimestampFinding
from archiver.package_layout import TAG_MANIFEST
from archiver.verification.codes import ProblemCode
from archiver.verification.problems import Problem

if TYPE_CHECKING:
    from archiver.attestation.trust import TrustList


@dataclass(frozen=True)
class ProofOptions:
    """How a package's attestations are judged."""

    check: bool = True
    """Check them at all (False: the bag alone, as before signing it)."""
    trust: TrustList | Callable[[], TrustList] | None = None
    """The trust list, or a function that makes one when there is something to judge; None:
    this machine's (`archiver.attestation.trust.user_trust`)."""
    require_signature: bool = False
    """An unsigned package is a problem (`not-signed`), not only said to be unsigned."""


_SIGNATURE_CODES: dict[str, ProblemCode] = {
    "untrusted-key": "signature-untrusted-key", "invalid": "signature-invalid",
    "unreadable": "signature-unreadable"}
_TIMESTAMP_CODES: dict[str, ProblemCode] = {
    "untrusted-authority": "timestamp-untrusted-authority",
    "wrong-imprint": "timestamp-wrong-imprint", "invalid": "timestamp-invalid",
    "unreadable": "timestamp-unreadable"}
_CUSTODY_CODES: dict[str, ProblemCode] = {"broken": "custody-broken",
                                          "unreadable": "custody-unreadable"}


def attestation_problems(report: AttestationReport, *,
                         require_signature: bool = False) -> list[Problem]:
    """A problem for every finding that is not valid; and, with `require_signature`, one
    when no signature by a trusted key verifies."""
    problems = [_signature(f) for f in report.signatures if not f.ok]
    problems += [_timestamp(f) for f in report.timestamps if not f.ok]
    problems += [_custody(f) for f in report.custody if not f.ok]
    problems += [Problem("attestation-unknown-file", path, "no attestation archiver knows "
                         "(see docs/attestations.md); it proves nothing")
                 for path in report.unknown_files]
    if require_signature and not report.is_signed and not report.signatures:
        problems.append(Problem("not-signed", TAG_MANIFEST,
                                f"{NOT_SIGNED}; a signature is required"))
    return problems


def _signature(finding: SignatureFinding) -> Problem:
    return Problem(_SIGNATURE_CODES[finding.status], finding.path,
                   _reason(finding.path, finding.reason or finding.status),
                   found=finding.fingerprint)


def _timestamp(finding: TimestampFinding) -> Problem:
    return Problem(_TIMESTAMP_CODES[finding.status], finding.path,
                   _reason(finding.path, finding.reason or finding.status),
                   found=finding.root_fingerprint)


def _custody(finding: CustodyFinding) -> Problem:
    path = finding.broken_at or "attestations/custody"
    return Problem(_CUSTODY_CODES[finding.status], path,
                   _reason(path, finding.reason or finding.status))


def _reason(path: str, reason: str) -> str:
    """The reason without the file's name in front: the problem line names the file already
    (a reader of attestation files names it, for the proof line, which names no file)."""
    return reason.removeprefix(f"{path}: ")
