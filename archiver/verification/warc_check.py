"""Check one WARC file in a single pass: the file's SHA-256 (for a package), and every
record's block and payload digests."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from archiver.verification.pipeline import read_warc
from archiver.verification.problems import Note, Problem
from archiver.verification.record_check import RecordChecker, RecordInfo
from archiver.warc.reader import RecordParser

WARC_SUFFIXES = (".warc", ".warc.gz")


@dataclass
class WarcResult:
    problems: list[Problem] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    found: dict[str, RecordInfo] = field(default_factory=dict)
    records: int = 0
    unverifiable: int = 0
    bytes_read: int = 0
    sha256: str | None = None


def has_warc_name(path: str) -> bool:
    return path.lower().endswith(WARC_SUFFIXES)


def check_warc_file(path: Path, name: str, *, wanted: frozenset[str] = frozenset(),
                    accept_dechunked: bool = True, hash_file: bool = False,
                    on_read: Callable[[int], object] | None = None) -> WarcResult:
    """Check the WARC at `path`, naming it `name` in problems.

    `wanted` record ids are remembered (where and what they are) for manifest.json's claims;
    `hash_file` also takes the file's SHA-256 from the same read. Raises OSError.
    """
    checker = RecordChecker(name, wanted=wanted, accept_dechunked=accept_dechunked)
    file_hash = hashlib.sha256() if hash_file else None
    with path.open("rb", buffering=0) as handle:
        total = read_warc(handle, RecordParser(checker), file_hash=file_hash,
                          expect_gzip=name.lower().endswith(".gz"), on_read=on_read)
    if not checker.records and not checker.problems:
        checker.problems.append(Problem("warc-empty", name, "the file holds no WARC record"))
    return WarcResult(checker.problems, checker.notes, checker.found, checker.records,
                      checker.unverifiable, total,
                      file_hash.hexdigest() if file_hash is not None else None)
