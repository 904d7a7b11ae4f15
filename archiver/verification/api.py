"""The verify API: `check` returns a report, `verify` raises on any problem, `is_valid` says
yes or no. What a path is (package, WARC, WACZ) is decided in archiver/evidence_kind.py; an
ARC file is known by its first record or its name (see arc_check)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from archiver._types import ByteProgress, StrPath
from archiver.errors import NotEvidenceError, VerificationFailed
from archiver.evidence_kind import sniff_evidence
from archiver.partial_paths import partial_dir_of
from archiver.settings import ReadLimits
from archiver.verification.arc_check import check_arc_file, is_arc_file
from archiver.verification.attestation_problems import ProofOptions
from archiver.verification.boundary import os_errors
from archiver.verification.package_check import check_package
from archiver.verification.pipeline import ByteCounter
from archiver.verification.problems import Problem, VerificationReport
from archiver.verification.warc_check import WarcResult, check_warc_file
from archiver.warc.members import looks_like_warc

if TYPE_CHECKING:
    from archiver.attestation.trust import TrustList


def check(path: StrPath, *, progress: ByteProgress | None = None,
          limits: ReadLimits | None = None, strict: bool = False,
          trust: TrustList | None = None,
          proof: ProofOptions | None = None) -> VerificationReport:
    """Check a package, a WARC, a WACZ or an ARC file and report every problem found; never
    raises for damaged evidence. Whatever lies in the hidden work directory of a run that
    has not finished is reported as one problem, `incomplete`. `progress`, if given, is
    called as reading goes on with (bytes read so far, bytes to read), on the caller's
    thread. `limits` bound what is read (see ReadLimits: a file over them is a problem,
    never read).

    A record that carries no digest by nature (warcinfo, request, metadata) or a revisit,
    and an HTTP record whose payload digest matches but has no block digest (its headers
    not covered) are notes, listed in the report (`report.verdict` stays "intact"); a
    response or resource whose content no digest covers is a problem. An ARC file has no
    digests: its structure is checked (verdict "structure-checked"). With `strict`, each of
    these notes is a problem instead: only what digests cover whole passes. `trust` names
    the keys and roots a WACZ's signature is checked against (archiver.attestation.trust).

    A package's attestations (signatures, timestamps, custody log) are checked too, against
    `proof.trust` (else `trust`, else this machine's trust list, read only when there is a
    signature or timestamp to judge); each failure is a problem, and `report.attestations`
    says what they prove (see docs/attestations.md).

    Raises InputNotFoundError (no such path), NotEvidenceError (neither a package nor a
    WARC) and EnvironmentFault (the file system failed while reading).

    >>> report = check("evidence/r1")                       # doctest: +SKIP
    >>> report.is_valid, [str(problem) for problem in report.problems]  # doctest: +SKIP
    """
    target = Path(path)
    with os_errors(target):
        if partial_dir_of(target) is not None and target.exists():
            return _partial_report(target)
        sniffed = sniff_evidence(target)
        kind = sniffed.kind
        if kind == "package":
            return check_package(target, progress, limits, strict=strict,
                                 proof=proof or ProofOptions(trust=trust))
        if kind == "wacz":
            from archiver.verification.wacz_check import check_wacz  # a WACZ needs zip readers

            return check_wacz(target, progress, limits, strict=strict, trust=trust)
        if not looks_like_warc(sniffed.head) and is_arc_file(target, sniffed.head):
            return _check_bare_file(target, progress, limits or ReadLimits(), strict, arc=True)
        if kind == "other":
            raise NotEvidenceError(target, "it does not begin with a WARC or ARC record, plain "
                                   "or gzipped")
        return _check_bare_file(target, progress, limits or ReadLimits(), strict, arc=False)


def verify(path: StrPath, *, progress: ByteProgress | None = None,
           strict: bool = False) -> VerificationReport:
    """Like `check`, but raise VerificationFailed, carrying every problem, if any is found."""
    report = check(path, progress=progress, strict=strict)
    if not report.is_valid:
        raise VerificationFailed(Path(path), report.problems,
                                 report.problem_count - len(report.problems))
    return report


def is_valid(path: StrPath, *, strict: bool = False) -> bool:
    """True when `check` finds nothing wrong (usage and environment errors still raise)."""
    return check(path, strict=strict).is_valid


def _partial_report(target: Path) -> VerificationReport:
    """What lies in a run's hidden work directory is not evidence, whatever it holds: no
    digest in it can say that the run wrote everything it meant to."""
    from archiver.leftovers import partial_run_of  # reads the run's lock

    partial = partial_run_of(target)
    assert partial is not None
    report = VerificationReport(str(target), "package" if target.is_dir() else "warc")
    report.add(Problem("incomplete", str(partial.path), partial.describe()))
    return report


def _check_bare_file(path: Path, progress: ByteProgress | None, limits: ReadLimits,
                     strict: bool, *, arc: bool) -> VerificationReport:
    name = str(path)
    # The path given may be a link (to a WARC kept elsewhere): the file it leads to is read.
    on_read = ByteCounter(path.stat().st_size, progress)
    result: WarcResult
    if arc:
        result = check_arc_file(path.resolve(), name, strict=strict, on_read=on_read)
    else:
        result = check_warc_file(path.resolve(), name, accept_dechunked=True,
                                 on_read=on_read, strict=strict)
    report = VerificationReport(name, "arc" if arc else "warc", files_checked=1,
                                records_checked=result.records, bytes_read=result.bytes_read,
                                coverage=result.coverage, strict=strict,
                                max_per_file=limits.max_problems_per_file,
                                max_problems=limits.max_problems)
    report.extend(result.problems)
    report.count_omitted(name, result.omitted, result.omitted_uncovered)
    report.add_notes(name, result.notes, result.notes_omitted)
    return report
