"""What verification finds: `Problem`s (the evidence is wrong), `Note`s (worth knowing, not
wrong), and the `VerificationReport` that carries them.

Problems are plain values: the library collects them and never prints; the CLI renders
`str(problem)` for people and `problem.to_dict()` for `--json`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal, Protocol

from archiver.verification.codes import ATTESTATION_CODES, UNPROVEN_CODES, NoteCode, ProblemCode
from archiver.verification.coverage import ARC_VERDICT, NOT_COVERED_CODES, Coverage

ReportKind = Literal["package", "warc", "wacz", "arc"]
if TYPE_CHECKING:
    from archiver.attestation.check import AttestationReport

Verdict = Literal["intact", "structure-checked", "cannot-be-verified", "damaged", "incomplete",
                  "not-proven"]
MAX_NOTES = 10_000
"""Notes a report keeps (a WARC from another tool has one for each record no digest covers
whole); the rest are counted, by file, in `notes_omitted`."""


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

    code: ProblemCode
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

    code: NoteCode
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

    def count_omitted(self, path: str, count: int, uncovered: int = 0) -> None: ...


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
    coverage: Coverage = field(default_factory=Coverage)
    """The records read, counted by how far their digests cover them."""
    strict: bool = False
    """Checked with `strict`: whatever no digest covers whole is a problem, not a note."""
    max_per_file: int = 100
    max_problems: int = 1000
    max_notes: int = MAX_NOTES
    omitted: dict[str, int] = field(default_factory=dict)
    """Problems found but not kept, by file."""
    notes_omitted: dict[str, int] = field(default_factory=dict)
    """Notes found but not kept (past `max_notes`), by file."""
    attestations: AttestationReport | None = None
    """A package's signatures, timestamps and custody log, as checked (None: not looked at,
    or not a package)."""
    _omitted_damage: bool = field(default=False, init=False, repr=False, compare=False)
    """Whether any problem counted but not kept says more than that content is not covered
    (so that the verdict of a report full of `--strict` problems can still be DAMAGED)."""
    _uncovered_kept: dict[str, int] = field(default_factory=dict, init=False, repr=False,
                                            compare=False)
    """Problems kept, by file, that only say content is not covered by a digest."""
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
    def unverifiable_records(self) -> int:
        """Records whose content no digest covers, each a problem (ARC records aside)."""
        return self.coverage.unverifiable

    @property
    def verdict(self) -> Verdict:
        """One word for the whole: `intact` (every digest matched; records that by nature
        carry none are listed in notes), `structure-checked` (an ARC file: sound, but the
        format has no digests), `cannot-be-verified` (nothing damaged, but content that no
        digest covers), `damaged`, `incomplete` (a run that did not finish), or `not-proven`
        (nothing damaged, but a signature or timestamp by a key or authority the user does not
        trust, or no signature where one is required)."""
        if not self.problems and not self.omitted:
            return "structure-checked" if self.kind == "arc" else "intact"
        codes = {problem.code for problem in self.problems}
        if codes == {"incomplete"} and not self.omitted:
            return "incomplete"
        if codes <= UNPROVEN_CODES and not self.omitted:
            return "not-proven"
        if codes <= NOT_COVERED_CODES and not self._omitted_damage:
            return "cannot-be-verified"
        return "damaged"

    @property
    def bag_intact(self) -> bool:
        """Every file and record matches the bag's own digests (whatever the attestations
        say): the "unchanged since" of the proof line."""
        return not self.omitted and all(problem.code in ATTESTATION_CODES
                                        for problem in self.problems)

    def describe_coverage(self) -> str:
        """What the digests covered, in words (see Coverage.describe)."""
        if self.kind == "arc":
            return ARC_VERDICT
        return self.coverage.describe()

    def add_note(self, note: Note) -> None:
        """Keep a note, unless `max_notes` are kept already: then count it."""
        if len(self.notes) < self.max_notes:
            self.notes.append(note)
        else:
            self.notes_omitted[note.path] = self.notes_omitted.get(note.path, 0) + 1

    def add_notes(self, path: str, notes: Iterable[Note], omitted: int = 0) -> None:
        """Keep the notes of `path` (and count those its reader did not keep)."""
        for note in notes:
            self.add_note(note)
        if omitted:
            self.notes_omitted[path] = self.notes_omitted.get(path, 0) + omitted

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
            if problem.code not in NOT_COVERED_CODES and self._make_room_for(problem.path):
                kept -= 1  # damage is listed before what only lacks a digest (--strict)
            else:
                where = problem.path if kept else self.path
                self.omitted[where] = self.omitted.get(where, 0) + 1
                self._omitted_damage |= problem.code not in NOT_COVERED_CODES
                return
        self._seen.add(problem)
        self._per_file[problem.path] = kept + 1
        self.problems.append(problem)
        if problem.code in NOT_COVERED_CODES:
            self._uncovered_kept[problem.path] = self._uncovered_kept.get(problem.path, 0) + 1

    def _make_room_for(self, path: str) -> bool:
        """Drop (and count) the last kept problem of `path` that only says content is not
        covered by a digest, so that a damaged record is never the one left unlisted."""
        if not self._uncovered_kept.get(path):
            return False
        for index in range(len(self.problems) - 1, -1, -1):
            listed = self.problems[index]
            if listed.path == path and listed.code in NOT_COVERED_CODES:
                del self.problems[index]
                self._uncovered_kept[path] -= 1
                self.omitted[path] = self.omitted.get(path, 0) + 1
                return True
        return False

    def extend(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.add(problem)

    def count_omitted(self, path: str, count: int, uncovered: int = 0) -> None:
        """Count problems of `path` that a reader found but did not keep; `uncovered` of
        them only say that content is not covered by a digest."""
        if count:
            self._omitted_damage |= count > uncovered
            where = path if path in self._per_file else self.path
            self.omitted[where] = self.omitted.get(where, 0) + count

    def renamed(self, path: str, name: str) -> VerificationReport:
        """The same report, naming its input `name` wherever it names it `path` (a cluster's
        worker is given an absolute path for the input the user typed as `name`)."""
        if path == name:
            return self

        def moved(where: str) -> str:
            return name if where == path else where

        report = replace(
            self, path=moved(self.path),
            problems=[replace(problem, path=moved(problem.path)) for problem in self.problems],
            notes=[replace(note, path=moved(note.path)) for note in self.notes],
            omitted={moved(where): count for where, count in self.omitted.items()},
            notes_omitted={moved(where): count for where, count in self.notes_omitted.items()})
        report._omitted_damage = self._omitted_damage
        report._uncovered_kept = {moved(where): count
                                  for where, count in self._uncovered_kept.items()}
        return report

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "valid": self.is_valid,
            "verdict": self.verdict,
            "summary": self.describe_coverage(),
            "strict": self.strict,
            "files_checked": self.files_checked,
            "records_checked": self.records_checked,
            "unverifiable_records": self.unverifiable_records,
            "coverage": self.coverage.to_dict(),
            "bytes_read": self.bytes_read,
            "problems": [problem.to_dict() for problem in self.problems],
            "problems_omitted": dict(self.omitted),
            "notes": [note.to_dict() for note in self.notes],
            "notes_omitted": dict(self.notes_omitted),
            "attestations": (self.attestations.to_dict(self.bag_intact)
                             if self.attestations is not None else None),
        }
