"""What checking a WARC file, or a part of one, finds; and how the findings of two parts add
up to those of the whole file."""

from __future__ import annotations

from collections.abc import Callable, Container
from dataclasses import dataclass, field
from pathlib import Path

from archiver.regular_files import open_binary
from archiver.verification.coverage import Coverage
from archiver.verification.pipeline import read_part
from archiver.verification.problems import Note, Problem
from archiver.verification.record_check import RecordChecker, RecordInfo
from archiver.warc.reader import RecordParser


@dataclass
class WarcResult:
    problems: list[Problem] = field(default_factory=list)
    omitted: int = 0
    """Problems found but not kept (see record_check.MAX_KEPT)."""
    notes: list[Note] = field(default_factory=list)
    found: dict[str, RecordInfo] = field(default_factory=dict)
    records: int = 0
    coverage: Coverage = field(default_factory=Coverage)
    bytes_read: int = 0
    sha256: str | None = None
    notes_omitted: int = 0
    """Notes found but not kept (see record_check.MAX_KEPT)."""
    omitted_uncovered: int = 0
    """Of the problems not kept, those that only say content is not covered by a digest."""

    @classmethod
    def of(cls, checker: RecordChecker, bytes_read: int) -> WarcResult:
        return cls(checker.problems, checker.omitted, checker.notes, checker.found,
                   checker.records, checker.coverage, bytes_read,
                   notes_omitted=checker.notes_omitted,
                   omitted_uncovered=checker.omitted_uncovered)

    @property
    def unverifiable(self) -> int:
        return self.coverage.unverifiable

    def add(self, later: WarcResult) -> None:
        """Add what the part of the file right after this one found, as if one reader had
        read both (a record found in both parts is, in the end, where the later part saw it)."""
        self.problems.extend(later.problems)
        self.omitted += later.omitted
        self.omitted_uncovered += later.omitted_uncovered
        self.notes.extend(later.notes)
        self.notes_omitted += later.notes_omitted
        self.found.update(later.found)
        self.records += later.records
        self.coverage.add(later.coverage)
        self.bytes_read += later.bytes_read

    def keep_found(self, wanted: Container[str]) -> None:
        """Forget the records found that are not `wanted` (after checking for EVERY_RECORD)."""
        self.found = {record_id: info for record_id, info in self.found.items()
                      if record_id in wanted}


@dataclass(frozen=True)
class PartSpec:
    """Which part of which gzipped WARC to check, and how: from `start` to the first of the
    `checkpoints` where the file can be cut (see `RecordParser`), else to its end."""

    path: Path
    name: str
    wanted: Container[str]
    accept_dechunked: bool
    strict: bool = False
    """Whether a record no digest covers whole is a problem (`--strict`), not a note."""
    start: int = 0
    checkpoints: tuple[int, ...] = ()


@dataclass
class PartResult:
    """What a part found, and where it stopped: a checkpoint, or None for the file's end."""

    found: WarcResult
    end: int | None


def check_part(spec: PartSpec, *, on_checkpoint: Callable[[int, bool], object] | None = None,
               on_read: Callable[[int], object] | None = None) -> PartResult:
    """Check the part `spec` names; `on_checkpoint` hears whether each checkpoint passed is
    one where the file can be cut. Raises OSError."""
    checker = RecordChecker(spec.name, wanted=spec.wanted,
                            accept_dechunked=spec.accept_dechunked, strict=spec.strict)
    parser = RecordParser(checker, on_checkpoint)
    with open_binary(spec.path) as handle:
        read = read_part(handle, parser, start=spec.start, checkpoints=spec.checkpoints,
                         on_read=on_read)
    return PartResult(WarcResult.of(checker, read), parser.stopped_at)
