"""Every error archiver raises, split by who must act on it.

    ArchiverError                 root: catch this to catch everything archiver raises
    ├── ArchiverUsageError        the caller asked for something we cannot do (exit 2)
    │   ├── OutputExistsError     the output path (or storage prefix) is already taken; evidence
    │   │                         is never overwritten
    │   ├── InputNotFoundError    a named input file or directory does not exist
    │   └── NotEvidenceError      a path is neither a package nor a WARC
    ├── EvidenceError             the evidence itself is wrong (exit 1)
    │   ├── StoryError            the story itself could not be captured, or is not a page
    │   ├── VerificationFailed    verify found problems; carries every `Problem`
    │   │   └── ArchiveRefused    a zip or WACZ from elsewhere is unsafe or wrong; nothing
    │   │                         of it was written
    │   ├── UnreadableEvidence    a file of the evidence is not safe to read: JSON too large
    │   │                         or too deep, a link or a device where a file belongs
    │   ├── IncompleteUpload      a package on object storage has no valid completion marker
    │   │                         (its upload did not finish): not evidence to read
    │   └── TextIndexError        a package's text index cannot be read, or no longer fits
    │                             the texts it was built from
    ├── CaptureError              a site or the network failed one fetch (recorded, not raised
    │                             out of a job: it becomes a failed outcome with its reason)
    └── EnvironmentFault          we could not run: I/O error, full disk, missing component (exit 3)
        ├── ReplayEngineMissing   pywb is not where archiver was told, or could not be set up
        ├── StorageMissing        a storage URL, and not the fsspec package that reaches it
        ├── BrowserMissing        --browser, and no Chromium (or no Playwright) to drive
        ├── SearchUnavailable     this Python's SQLite has no FTS5, which text indexes need
        └── ClusterUnavailable    --cluster, and no Dask installed, no scheduler reachable,
                                  or the cluster lost the work

Programmer misuse (calling the library wrongly) raises plain `RuntimeError`/`TypeError`.
Message text lives in the classes, so the CLI prints `str(error)` and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from archiver.verification.problems import Problem


RefusalCode = Literal["json-invalid", "json-too-large", "json-too-deep", "not-a-regular-file",
                      "file-too-large"]
"""Why a file of the evidence was refused before it was read (see UnreadableEvidence)."""


class ArchiverError(Exception):
    """Root of every error archiver raises on purpose."""

    def __reduce__(self) -> tuple[object, ...]:
        # Raised on a cluster's worker, an error reaches the driver pickled: rebuilt as it
        # was (its message and fields), never by calling __init__ with its message.
        return _rebuilt, (type(self), self.args, dict(self.__dict__))


def _rebuilt(kind: type[ArchiverError], args: tuple[object, ...],
             fields: dict[str, object]) -> ArchiverError:
    error = kind.__new__(kind, *args)
    error.args = args
    error.__dict__.update(fields)
    return error


class ArchiverUsageError(ArchiverError):
    """The caller asked for something that cannot be done as asked."""


class OutputExistsError(ArchiverUsageError):
    def __init__(self, path: Path | str) -> None:
        super().__init__(f"{path}: already exists; archiver never overwrites evidence, "
                         "choose a new output path")
        self.path = path


class InputNotFoundError(ArchiverUsageError):
    def __init__(self, path: Path, what: str = "file") -> None:
        super().__init__(f"{path}: no such {what}")
        self.path = path


class NotEvidenceError(ArchiverUsageError):
    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: not an evidence package or a WARC file ({reason})")
        self.path = path


class EvidenceError(ArchiverError):
    """The evidence (a package or a WARC) is damaged or incomplete."""


class StoryError(EvidenceError):
    """The story itself could not be captured, or is not a page: nothing to chain (exit 1)."""


class VerificationFailed(EvidenceError):
    """`problems` are those kept; `more` counts those found beyond them (see
    VerificationReport.omitted)."""

    def __init__(self, path: Path, problems: Sequence[Problem], more: int = 0) -> None:
        count = len(problems) + more
        super().__init__(f"{path}: {count:,} problem{'s' if count != 1 else ''} found")
        self.path = path
        self.problems = list(problems)
        self.more = more


class ArchiveRefused(VerificationFailed):
    """An archive from elsewhere was refused; the message names the first reason."""

    def __init__(self, path: Path, problems: Sequence[Problem], more: int = 0) -> None:
        super().__init__(path, problems, more)
        others = len(problems) - 1 + more
        said = f" (and {others:,} more)" if others > 0 else ""
        self.args = (f"{path}: refused: {problems[0]}{said}",)


class UnreadableEvidence(EvidenceError):
    """A file of the evidence was refused before it was read, or could not be parsed.

    `what` names the file, `reason` says why in a plain phrase, `code` is the code of the
    `Problem` a verification reports for it."""

    def __init__(self, what: str, reason: str, code: RefusalCode) -> None:
        super().__init__(f"{what}: {reason}")
        self.what = what
        self.reason = reason
        self.code = code


class IncompleteUpload(EvidenceError):
    """A package on object storage whose completion marker is missing or does not match what
    is stored: its upload did not finish (exit 1). `reason` says what was found."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: incomplete: {reason}")
        self.url = url
        self.reason = reason


class TextIndexError(EvidenceError):
    """A package's text index (data/index/) cannot be read, or does not fit the texts it
    was built from: the package changed, or the index is damaged (exit 1)."""

    def __init__(self, what: str, reason: str) -> None:
        super().__init__(f"{what}: {reason}; `archiver verify` checks the whole package")
        self.what = what
        self.reason = reason


class CaptureError(ArchiverError):
    """One fetch failed: the site or the network did not deliver.

    `reason` is a short plain phrase fit for a report ("connection refused").
    """

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


class EnvironmentFault(ArchiverError):
    """archiver could not run: the disk, the file system or a component failed."""

    def __init__(self, what: str, reason: str) -> None:
        super().__init__(f"{what}: {reason}")
        self.what = what
        self.reason = reason

    @classmethod
    def from_os_error(cls, exc: OSError, what: str | Path | None = None) -> EnvironmentFault:
        name = str(what) if what is not None else (exc.filename or "file system")
        reason = exc.strerror or str(exc)
        return cls(str(name), reason[:1].lower() + reason[1:])


class ReplayEngineMissing(EnvironmentFault):
    """pywb is not where archiver was told to find it, or could not be set up (exit 3).

    `hint` says how to provide it by hand (archiver.replay.pywb_setup.PROVIDE_HINT)."""

    def __init__(self, reason: str, hint: str) -> None:
        super().__init__("replay", f"{reason}; {hint}")


class BrowserMissing(EnvironmentFault):
    """`--browser` was asked for, and there is no Chromium to drive, or no Playwright to
    drive it with (exit 3)."""

    def __init__(self, reason: str) -> None:
        super().__init__("--browser", reason)


class StorageMissing(EnvironmentFault):
    """A storage URL (s3://, gs://...) was given, and the fsspec package that reaches that
    storage is not installed (exit 3). `hint` says what to install."""

    def __init__(self, url: str, hint: str) -> None:
        super().__init__(url, hint)


class SearchUnavailable(EnvironmentFault):
    """The SQLite this Python was built with has no FTS5 full-text search (exit 3)."""

    def __init__(self) -> None:
        super().__init__("text index", "the SQLite library of this Python has no FTS5 "
                         "full-text search; use a Python whose sqlite3 has it (python.org "
                         "and most Linux builds do), or build SQLite with "
                         "SQLITE_ENABLE_FTS5")


class ClusterUnavailable(EnvironmentFault):
    """`--cluster` was asked for, and Dask distributed is not installed, the scheduler
    cannot be reached, or the cluster could not finish the work (exit 3)."""

    def __init__(self, address: str, reason: str) -> None:
        super().__init__(f"--cluster {address}", reason)


class CollectionUnreadable(EnvironmentFault):
    """A collection file (`archiver index`, `search`, `--dedup`) cannot be opened or read as
    one: a missing FTS5 aside, the file is not a collection, or is damaged (exit 3)."""
