"""What verification finds: `Problem`s (the evidence is wrong), `Note`s (worth knowing, not
wrong), and the `VerificationReport` that carries them.

Problems are plain values: the library collects them and never prints; the CLI renders
`str(problem)` for people and `problem.to_dict()` for `--json`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

ReportKind = Literal["package", "warc"]


def _where(path: str, record_id: str | None, offset: int | None) -> str:
    """`file record <id> at offset N`, with the parts that are known."""
    where = path
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


@dataclass
class VerificationReport:
    """Everything one verification found, and how much it read to find it."""

    path: str
    kind: ReportKind
    problems: list[Problem] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    files_checked: int = 0
    records_checked: int = 0
    bytes_read: int = 0
    unverifiable_records: int = 0
    _seen: set[Problem] = field(default_factory=set, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._seen.update(self.problems)

    @property
    def is_valid(self) -> bool:
        """True when nothing is wrong, including no record that could not be checked."""
        return not self.problems

    def add(self, problem: Problem) -> None:
        """Record a problem once; a second identical report of it is dropped."""
        if problem not in self._seen:
            self._seen.add(problem)
            self.problems.append(problem)

    def extend(self, problems: list[Problem]) -> None:
        for problem in problems:
            self.add(problem)

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
            "notes": [note.to_dict() for note in self.notes],
        }
