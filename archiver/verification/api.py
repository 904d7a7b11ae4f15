"""The verify API: `check` returns a report, `verify` raises on any problem, `is_valid` says
yes or no. What a path is (package, WARC, WACZ) is decided in archiver/evidence_kind.py."""

from __future__ import annotations

from pathlib import Path

from archiver._types import StrPath
from archiver.errors import NotEvidenceError, VerificationFailed
from archiver.evidence_kind import sniff_evidence
from archiver.partial_paths import partial_dir_of
from archiver.settings import ReadLimits
from archiver.verification.boundary import os_errors
from archiver.verification.package_check import check_package
from archiver.verification.pipeline import ByteCounter, Progress
from archiver.verification.problems import Problem, VerificationReport
from archiver.verification.warc_check import check_warc_file


def check(path: StrPath, *, progress: Progress | None = None,
          limits: ReadLimits | None = None) -> VerificationReport:
    """Check a package, a WARC or a WACZ file and report every problem found; never raises for
    damaged evidence. Whatever lies in the hidden work directory of a run that has not
    finished is reported as one problem, `incomplete`. `progress`, if given, is called as
    reading goes on with (bytes read so far, bytes to read), on the caller's thread. `limits`
    bound what is read (see ReadLimits: a file over them is a problem, never read).

    Raises InputNotFoundError (no such path), NotEvidenceError (neither a package nor a
    WARC) and EnvironmentFault (the file system failed while reading).

    >>> report = check("evidence/r1")                       # doctest: +SKIP
    >>> report.is_valid, [str(problem) for problem in report.problems]  # doctest: +SKIP
    """
    target = Path(path)
    with os_errors(target):
        if partial_dir_of(target) is not None and target.exists():
            return _partial_report(target)
        kind = sniff_evidence(target).kind
        if kind == "package":
            return check_package(target, progress, limits)
        if kind == "wacz":
            from archiver.transfer.wacz_check import check_wacz  # transfer builds on this

            return check_wacz(target, progress, limits)
        if kind == "other":
            raise NotEvidenceError(target, "it does not begin with a WARC record, plain or gzipped")
        return _check_bare_warc(target, progress, limits or ReadLimits())


def verify(path: StrPath, *, progress: Progress | None = None) -> VerificationReport:
    """Like `check`, but raise VerificationFailed, carrying every problem, if any is found."""
    report = check(path, progress=progress)
    if not report.is_valid:
        raise VerificationFailed(Path(path), report.problems,
                                 report.problem_count - len(report.problems))
    return report


def is_valid(path: StrPath) -> bool:
    """True when `check` finds nothing wrong (usage and environment errors still raise)."""
    return check(path).is_valid


def _partial_report(target: Path) -> VerificationReport:
    """What lies in a run's hidden work directory is not evidence, whatever it holds: no
    digest in it can say that the run wrote everything it meant to."""
    from archiver.leftovers import partial_run_of  # reads the run's lock

    partial = partial_run_of(target)
    assert partial is not None
    report = VerificationReport(str(target), "package" if target.is_dir() else "warc")
    report.add(Problem("incomplete", str(partial.path), partial.describe()))
    return report


def _check_bare_warc(path: Path, progress: Progress | None,
                     limits: ReadLimits) -> VerificationReport:
    name = str(path)
    # The path given may be a link (to a WARC kept elsewhere): the file it leads to is read.
    result = check_warc_file(path.resolve(), name, accept_dechunked=True,
                             on_read=ByteCounter(path.stat().st_size, progress))
    report = VerificationReport(name, "warc", files_checked=1,
                                records_checked=result.records, bytes_read=result.bytes_read,
                                unverifiable_records=result.unverifiable, notes=result.notes,
                                max_per_file=limits.max_problems_per_file,
                                max_problems=limits.max_problems)
    report.extend(result.problems)
    report.count_omitted(name, result.omitted)
    return report
