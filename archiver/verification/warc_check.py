"""Check one WARC file in a single pass: the file's SHA-256 (for a package), and every
record's block and payload digests.

A large gzipped WARC is checked in parts, in other processes (see split_check); anything
else in this one, its reading and inflating overlapped with its hashing (see pipeline).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Container
from dataclasses import replace
from pathlib import Path

from archiver.evidence_kind import WARC_SUFFIXES, has_warc_name
from archiver.regular_files import open_binary
from archiver.verification.pipeline import read_warc
from archiver.verification.problems import Problem
from archiver.verification.record_check import EVERY_RECORD, RecordChecker
from archiver.verification.split_check import (
    MIN_PART_BYTES,
    PartsCheck,
    cut_targets,
    find_cuts,
    processes,
)
from archiver.verification.warc_parts import PartSpec, WarcResult
from archiver.verification.workers import can_start_workers, warm_up
from archiver.warc.members import GZIP_MAGIC
from archiver.warc.reader import RecordParser

__all__ = ["WARC_SUFFIXES", "WarcCheck", "WarcResult", "check_warc_file", "has_warc_name"]

SPLIT_MIN_BYTES = 64 * 1024 * 1024
"""Smaller files are checked in this process: more would not pay for themselves."""


class WarcCheck:
    """The check of the WARC at `path` (named `name` in problems), started now: a large
    gzipped one is being checked in other processes while this one does other work; any
    other is checked when `result` is called. `close` (or leaving the `with` block) stops
    the other processes, if `result` was not called.

    `wanted` record ids are remembered (where and what they are) for manifest.json's
    claims; None when not known yet: then `result` is told them. `hash_file` also takes
    the file's SHA-256. Files of `split_min_bytes` (default SPLIT_MIN_BYTES) and more may
    be checked in parts. Raises OSError.
    """

    def __init__(self, path: Path, name: str, *, wanted: Container[str] | None = frozenset(),
                 accept_dechunked: bool = True, hash_file: bool = False,
                 on_read: Callable[[int], object] | None = None,
                 split_min_bytes: int | None = None, strict: bool = False) -> None:
        self.path = path
        self._spec = PartSpec(path, name, EVERY_RECORD if wanted is None else wanted,
                              accept_dechunked, strict)
        self._hash_file = hash_file
        self._on_read = on_read
        cuts = _cuts(path, SPLIT_MIN_BYTES if split_min_bytes is None else split_min_bytes)
        self._parts = (PartsCheck(self._spec, cuts, hash_file=hash_file, on_read=on_read)
                       if cuts else None)

    def __enter__(self) -> WarcCheck:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def poll(self) -> None:
        """Keep a check in parts going while the caller does other work (see PartsCheck)."""
        if self._parts is not None:
            self._parts.poll()

    def result(self, wanted: Container[str] | None = None) -> WarcResult:
        """What the check found; `wanted` if the check was started without it."""
        if self._parts is not None:
            result = self._parts.finish()
        else:  # not started yet: it can ask for just the records wanted
            spec = self._spec if wanted is None else replace(self._spec, wanted=wanted)
            result = _check_here(spec, hash_file=self._hash_file, on_read=self._on_read)
        if wanted is not None:
            result.keep_found(wanted)
        if not result.records and not result.problems:
            result.problems.append(Problem("warc-empty", self._spec.name,
                                           "the file holds no WARC record"))
        return result

    def close(self) -> None:
        if self._parts is not None:
            self._parts.close()


def check_warc_file(path: Path, name: str, *, wanted: frozenset[str] = frozenset(),
                    accept_dechunked: bool = True, hash_file: bool = False,
                    on_read: Callable[[int], object] | None = None,
                    split_min_bytes: int | None = None, strict: bool = False) -> WarcResult:
    """`WarcCheck`, start to finish. Raises OSError."""
    with WarcCheck(path, name, wanted=wanted, accept_dechunked=accept_dechunked,
                   hash_file=hash_file, on_read=on_read, split_min_bytes=split_min_bytes,
                   strict=strict) as check:
        return check.result()


def _cuts(path: Path, min_bytes: int) -> list[int]:
    """Where to cut the file into parts for other processes; none to check it in this one."""
    at_once = processes() if can_start_workers() else 1
    if at_once < 2:
        return []
    with open_binary(path) as handle:
        size = handle.seek(0, 2)
        if size < max(min_bytes, 1):
            return []
        handle.seek(0)
        if handle.read(len(GZIP_MAGIC)) != GZIP_MAGIC:
            return []  # not gzip (or damaged from its first byte): one reader decides
    warm_up()
    # Parts of at least a quarter of the smallest file cut (down to 1/16 of the file, so a
    # test can cut small files as a large one is cut).
    smallest = min(MIN_PART_BYTES, max(min_bytes // 4, size // 16))
    return find_cuts(path, size, cut_targets(size, at_once, smallest))


def _check_here(spec: PartSpec, *, hash_file: bool,
                on_read: Callable[[int], object] | None) -> WarcResult:
    checker = RecordChecker(spec.name, wanted=spec.wanted,
                            accept_dechunked=spec.accept_dechunked, strict=spec.strict)
    file_hash = hashlib.sha256() if hash_file else None
    with open_binary(spec.path) as handle:
        total = read_warc(handle, RecordParser(checker), file_hash=file_hash,
                          expect_gzip=spec.name.lower().endswith(".gz"), on_read=on_read)
    result = WarcResult.of(checker, total)
    result.sha256 = file_hash.hexdigest() if file_hash is not None else None
    return result
