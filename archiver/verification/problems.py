"""What verification finds: `Problem`s (the evidence is wrong), `Note`s (worth knowing, not
wrong), and the `VerificationReport` that carries them.

Problems are plain values: the library collects them and never prints; the CLI renders
`str(problem)` for people and `problem.to_dict()` for `--json`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

ReportKind = Literal["package", "warc", "wacz"]


SHOWN_PATH = 240
"""Longest path a problem's line shows whole; a longer one (a hostile archive's entry name)
shows its start and end. `to_dict` keeps it whole."""


def _where(path: str, record_id: str | None, offset: int | None) -> str:
    """`file record <id> at offset N`, with the parts that are known.

    >>> shown = _where("d/" * 200 + "f.txt", None, None)
    >>> len(shown), shown.endswith("/d/f.txt"), "…" in shown
    (240, True, True)
    """
    where = path if len(path) <= SHOWN_PATH else f"{path[:160]}…{path[-(SHOWN_PATH - 161):]}"
    if record_id is not None:
        where += f" record {record_id}"
    if offset is not None:
        where += f" at offset {offset}"
    return where


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the evidence, located as precisely as it can be.

    `path` is relative to the package root for a package (or the WARC's own path for a bare
    WARC); `record_id` and `offset` locate a WARC record (offset of its gzip member, or of
    its first byte in an uncompressed WARC).
    """

    code: str
    path: str
    message: str
    expected: str | None = None
    found: str | None = None
    record_id: str | None = None
    offset: int | None = None

    def __str__(self) -> str:
        line = f"{_where(self.path, self.record_id, self.offset)}: {self.message}"
        said = [f"{word} {value}" for word, value in (("expected", self.expected),
                                                       ("found", self.found)) if value is not None]
        if said:
            line += f" ({', '.join(said)})"
        return f"{line} [{self.code}]"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Note:
    """Something a reader of the evidence should know that is not a defect."""

    code: str
    path: str
    message: str
    record_id: str | None = None
    offset: int | None = None

    def __str__(self) -> str:
        return f"{_where(self.path, self.record_id, self.offset)}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ProblemSink(Protocol):
    """Where a check puts what it finds: a `VerificationReport`, say."""

    def add(self, problem: Problem) -> None: ...

    def count_omitted(self, path: str, count: int) -> None: ...


@dataclass
class VerificationReport:
    """Everything one verification found, and how much it read to find it.

    At most `max_per_file` problems are kept for one file and `max_problems` in all (a
    hostile WACZ can list a million bad entries); the others are counted in `omitted`, by
    file (or under the report's own path, once the whole report is full)."""

    path: str
    kind: ReportKind
    problems: list[Problem] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    files_checked: int = 0
    records_checked: int = 0
    bytes_read: int = 0
    unverifiable_records: int = 0
    max_per_file: int = 100
    max_problems: int = 1000
    omitted: dict[str, int] = field(default_factory=dict)
    """Problems found but not kept, by file."""
    _seen: set[Problem] = field(default_factory=set, init=False, repr=False, compare=False)
    _per_file: dict[str, int] = field(default_factory=dict, init=False, repr=False,
                                      compare=False)

    def __post_init__(self) -> None:
        self._seen.update(self.problems)
        for problem in self.problems:
            self._per_file[problem.path] = self._per_file.get(problem.path, 0) + 1

    @property
    def is_valid(self) -> bool:
        """True when nothing is wrong, including no record that could not be checked."""
        return not self.problems

    @property
    def problem_count(self) -> int:
        """Every problem found, kept or only counted."""
        return len(self.problems) + sum(self.omitted.values())

    def add(self, problem: Problem) -> None:
        """Record a problem once; a second identical report of it is dropped."""
        if problem in self._seen:
            return
        kept = self._per_file.get(problem.path, 0)
        if kept >= self.max_per_file or len(self.problems) >= self.max_problems:
            where = problem.path if kept else self.path
            self.omitted[where] = self.omitted.get(where, 0) + 1
            return
        self._seen.add(problem)
        self._per_file[problem.path] = kept + 1
        self.problems.append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.add(problem)

    def count_omitted(self, path: str, count: int) -> None:
        """Count problems of `path` that a reader found but did not keep."""
        if count:
            where = path if path in self._per_file else self.path
            self.omitted[where] = self.omitted.get(where, 0) + count

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "valid": self.is_valid,
            "files_checked": self.files_checked,
            "records_checked": self.records_checked,
            "unverifiable_records": self.unverifiable_records,
            "bytes_read": self.bytes_read,
            "problems": [problem.to_dict() for problem in self.problems],
            "problems_omitted": dict(self.omitted),
            "notes": [note.to_dict() for note in self.notes],
        }
