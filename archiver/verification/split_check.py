"""Check a large gzipped WARC on several cores: cut it into parts at gzip members, and check
the parts in processes of their own (started by a fork server: see workers), a few at a time.

Where to cut is only a guess (`find_record_member`): a member that inflates to `WARC/` can
also sit inside a record (a captured .warc.gz). So each part is checked with every later
cut as a checkpoint, and stops at the first one where its reader is at the end of a gzip
member and between records: exactly where a reader started afresh sees the rest of the
file as a whole-file reader would. Findings are chained from the first part: each part's
findings count only if the part before it in the chain stopped at its start. A part whose
start the chain passed over is stopped (or never started), and the part that passed over
it goes on. So the findings are those of a sequential check for every file, damaged or
hostile ones too; a file with no good cut is simply read by one process, start to end.

Meanwhile this process takes the file's SHA-256 (which cannot be split) and reports
progress from the parts' shared counters.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from archiver.errors import EnvironmentFault
from archiver.regular_files import open_binary
from archiver.verification.warc_parts import PartResult, PartSpec, WarcResult, check_part
from archiver.verification.workers import Channel, Failed, Worker, WorkerGroup
from archiver.warc.members import find_record_member

MIN_PART_BYTES = 8 * 1024 * 1024
HASH_BLOCK = 1024 * 1024
CUT_REACH = 8 * 1024 * 1024
"""How far past a target to look for a record's member. A target inside a large record
(a 16 MiB video) would otherwise scan all the rest of it, while every process waits to
start: that target is dropped, and the part before it runs on to the next cut."""
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Verdict:
    """A part's word on a checkpoint it passed: can the file be cut there?"""

    offset: int
    clean: bool


def processes() -> int:
    """How many processes check parts at once: one per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def cut_targets(size: int, at_once: int, smallest: int = MIN_PART_BYTES) -> list[int]:
    """Where parts should start (but the first) for `at_once` processes: each part a
    quarter (for two processes) of what is left, down to `smallest`. Large parts first,
    while this process is busy with other work and cannot start new ones; small parts
    last, so that the processes finish close together, whatever a part costs."""
    targets: list[int] = []
    position = 0
    smallest = max(1, smallest)
    while True:
        position += max(smallest, (size - position) // (2 * at_once))
        if size - position < smallest:
            return targets
        targets.append(position)


def find_cuts(path: Path, size: int, targets: list[int], reach: int = CUT_REACH) -> list[int]:
    """Ascending offsets to cut the file at: the first gzip member of a WARC record at or
    after each of the ascending `targets`, within `reach` bytes and before the next target
    (fewer where none is found). Raises OSError."""
    cuts: list[int] = []
    ends = [*targets[1:], size]
    with open_binary(path) as handle:
        for target, end in zip(targets, ends[:len(targets)], strict=True):
            start = max(target, cuts[-1] + 1 if cuts else 1)
            cut = find_record_member(handle.fileno(), start, min(end - start, reach))
            if cut is not None and cut < size:
                cuts.append(cut)
    return cuts


class PartsCheck:
    """A check of the WARC `spec` names in parts cut at `cuts` (ascending), `at_once`
    processes at a time (default: one per core); the same findings as one reader's.

    The first parts start at once; `finish` takes the file's SHA-256 (with `hash_file`)
    while they work, and waits for the rest. This process is free to do other work in
    between. `close` (or leaving the `with` block) stops whatever still runs.
    """

    def __init__(self, spec: PartSpec, cuts: list[int], *, hash_file: bool = False,
                 on_read: Callable[[int], object] | None = None,
                 at_once: int | None = None) -> None:
        starts = [0, *cuts]
        specs = [replace(spec, start=start, checkpoints=tuple(starts[index + 1:]))
                 for index, start in enumerate(starts)]
        self._path = spec.path
        self._hash_file = hash_file
        self._group = WorkerGroup(len(specs))
        try:
            self._schedule = _Schedule(self._group, specs, at_once or processes(), on_read)
            self._schedule.step(0)
        except BaseException:
            self._group.close()
            raise

    def __enter__(self) -> PartsCheck:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def poll(self) -> None:
        """Start the next parts if processes have finished theirs. For a caller busy with
        other work: call it often (it costs nothing between POLL_SECONDS), or processes
        sit idle until `finish`."""
        if time.monotonic() - self._schedule.last_step >= POLL_SECONDS:
            self._schedule.step(0)

    def finish(self) -> WarcResult:
        """Raises OSError (as one reader would), and EnvironmentFault when a process ends
        without a word (killed, out of memory)."""
        digest = _hash(self._path, self._schedule) if self._hash_file else None
        result = self._schedule.finish()
        result.sha256 = digest
        return result

    def close(self) -> None:
        self._group.close()


def check_in_parts(spec: PartSpec, cuts: list[int], *, hash_file: bool = False,
                   on_read: Callable[[int], object] | None = None,
                   at_once: int | None = None) -> WarcResult:
    """`PartsCheck`, start to finish."""
    with PartsCheck(spec, cuts, hash_file=hash_file, on_read=on_read, at_once=at_once) as parts:
        return parts.finish()


def _check_in_worker(channel: Channel, spec: PartSpec,
                     check: Callable[..., PartResult]) -> PartResult:
    """A worker's job: check one part (with `check`, which is `check_part`), and tell the
    parent of each checkpoint passed as it goes."""
    return check(spec, on_read=channel.advance,
                 on_checkpoint=lambda offset, clean: channel.send(Verdict(offset, clean)))


def _hash(path: Path, schedule: _Schedule) -> str:
    digest = hashlib.sha256()
    with open_binary(path) as handle:
        while block := handle.read(HASH_BLOCK):
            digest.update(block)
            schedule.step(0)
    return digest.hexdigest()


@dataclass
class _Part:
    spec: PartSpec
    worker: Worker | None = None
    verdicts: list[Verdict] = field(default_factory=list)
    outcome: PartResult | None = None
    error: BaseException | None = None
    passed_over: bool = False

    @property
    def running(self) -> bool:
        return self.worker is not None and self.worker.fd >= 0


class _Schedule:
    """This process's side: starts the parts in order, hears them, chains their findings
    from the first part on, and reports progress."""

    def __init__(self, group: WorkerGroup, specs: list[PartSpec], at_once: int,
                 on_read: Callable[[int], object] | None) -> None:
        self._group = group
        self._parts = [_Part(spec) for spec in specs]
        self._by_start = {part.spec.start: part for part in self._parts}
        self._at_once = at_once
        self._on_read = on_read
        self._reported = 0
        self._next = 0  # the next part to start
        self._chain: list[_Part] = []
        self._head: _Part | None = self._parts[0]  # the chain's last part; None when done
        self.last_step = 0.0

    def finish(self) -> WarcResult:
        while self._head is not None:
            self.step(POLL_SECONDS)
        found = [part.outcome.found for part in self._chain if part.outcome is not None]
        result = found[0]
        for later in found[1:]:
            result.add(later)
        if self._on_read is not None and result.bytes_read > self._reported:
            self._on_read(result.bytes_read - self._reported)
        return result

    def step(self, timeout: float) -> None:
        """Start what can start, take in what the parts said (waiting up to `timeout` for
        it), extend the chain, and report progress."""
        self.last_step = time.monotonic()
        self._start_parts()
        self._group.poll(timeout)
        for part in self._parts:
            if part.running:
                self._hear(part)
        self._extend_chain()
        self._start_parts()
        self._progress()

    def _start_parts(self) -> None:
        running = sum(part.running for part in self._parts)
        while running < self._at_once and self._next < len(self._parts):
            part = self._parts[self._next]
            self._next += 1
            if not part.passed_over:
                part.worker = self._group.start(_check_in_worker, part.spec, check_part)
                running += 1

    def _hear(self, part: _Part) -> None:
        worker = part.worker
        assert worker is not None
        messages, worker.messages = worker.messages, []
        for message in messages:
            if isinstance(message, Verdict):
                part.verdicts.append(message)
            elif isinstance(message, Failed):
                part.error = message.error
            else:
                part.outcome = message
        if part.outcome is None and part.error is None and worker.finished:
            part.error = EnvironmentFault(str(part.spec.path), "a verification process ended "
                                          "without a result (killed, or out of memory?)")
        if part.outcome is not None or part.error is not None:
            self._group.stop(worker)

    def _extend_chain(self) -> None:
        """Follow the chain as far as the parts' words allow. Only a part in the chain is
        believed: the others read from where a whole-file reader may not have been."""
        while self._head is not None:
            head = self._head
            for verdict in head.verdicts:
                if not verdict.clean:
                    self._pass_over(self._by_start[verdict.offset])
            head.verdicts.clear()
            if head.error is not None:
                raise head.error
            if head.outcome is None:
                return
            self._chain.append(head)
            end = head.outcome.end
            self._head = None if end is None else self._by_start[end]

    def _pass_over(self, part: _Part) -> None:
        part.passed_over = True
        if part.running and part.worker is not None:
            self._group.stop(part.worker)

    def _progress(self) -> None:
        if self._on_read is None:
            return
        # A part's bytes count up to where the next part that may count starts.
        live = [part for part in self._parts if not part.passed_over]
        done = 0
        for index, part in enumerate(live):
            if part.outcome is not None:
                read = part.outcome.found.bytes_read
            elif part.worker is not None:
                read = self._group.position(part.worker)
            else:
                continue
            if index + 1 < len(live):
                read = min(read, live[index + 1].spec.start - part.spec.start)
            done += read
        if done > self._reported:
            self._on_read(done - self._reported)
            self._reported = done
