"""What a run that did not finish leaves behind, known for what it is, and cleared away.

Every run builds in a hidden directory beside its output, `.NAME.partial-xxxxxxxx/`, holding
the run's lock (`archiver-run.lock`, see run_lock.py) and the work itself, named NAME. Only a
finished run moves NAME into place. So anything whose path runs through such a directory is
the work of a run that has not finished (`partial_run_of`), and verify says so.

A run killed outright (kill -9, a crash, a power cut) cannot clean up after itself. The next
run into the same folder does (`remove_stale_partials`), but only what is certainly ours and
certainly dead: a directory with that name pattern, owned by us, holding our lock file,
written on this host, whose lock no live process holds. Anything else is left alone, with a
note when it looks like ours but cannot be judged.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from archiver.partial_paths import is_partial_name, partial_dir_of
from archiver.run_lock import LockFile, RunInfo, this_host
from archiver.terminal import human_size
from archiver.tree_removal import DIRECTORY_FLAGS, remove_tree

RunState = Literal["running", "ended", "unknown"]
LeftoverOutcome = Literal["removed", "left", "failed"]


@dataclass(frozen=True)
class PartialRun:
    """The hidden directory of a run that has not finished, and what its lock says."""

    path: Path
    run: RunInfo | None
    state: RunState

    def describe(self) -> str:
        """Why what lies in it is not evidence, in words for people."""
        who = f" ({self.run})" if self.run is not None else ""
        if self.state == "running":
            return f"incomplete: a run that is still going is writing it{who}"
        return f"incomplete: left by a run that did not finish{who}; it is not evidence"


def partial_run_of(path: Path) -> PartialRun | None:
    """The partial directory that `path` is or lies in, or None for finished work; reads
    its lock, if any, without ever waiting on it."""
    place = partial_dir_of(path)
    return _read_partial(place) if place is not None else None


def _read_partial(place: Path) -> PartialRun:
    try:
        fd = os.open(place, DIRECTORY_FLAGS)
    except OSError:  # a file left by an older version, or unreadable: no lock to read
        return PartialRun(place, None, "unknown")
    try:
        lock = LockFile.open(fd)
    except OSError:
        lock = None
    finally:
        os.close(fd)
    if lock is None:
        return PartialRun(place, None, "unknown")
    with lock:
        state: RunState = "ended" if lock.try_lock(shared=True) else "running"
        return PartialRun(place, lock.info, state if lock.info is not None else "unknown")


@dataclass(frozen=True)
class Leftover:
    """What the sweep did with one partial directory it found."""

    path: Path
    outcome: LeftoverOutcome
    reason: str
    freed: int = 0

    def __str__(self) -> str:
        if self.outcome == "removed":
            line = f"removed {self.path}, {self.reason}: {human_size(self.freed)} freed"
        elif self.outcome == "failed":
            line = f"could not remove all of {self.path}: {self.reason}"
        else:
            line = f"left {self.path} alone: {self.reason}"
        return line  # raw: names come from the disk, and the CLI escapes what it prints


def remove_stale_partials(parent: Path) -> list[Leftover]:
    """Remove the partial directories in `parent` left by runs that died; say what was done
    with each one that looks like ours but was not removed (live runs are passed over in
    silence). Never raises for what it finds: an unreadable folder is simply not swept."""
    try:
        parent_fd = os.open(parent, DIRECTORY_FLAGS)
    except OSError:
        return []
    try:
        with os.scandir(parent_fd) as entries:
            names = sorted(entry.name for entry in entries if is_partial_name(entry.name))
        found = (_sweep_one(parent_fd, parent, name) for name in names)
        return [leftover for leftover in found if leftover is not None]
    except OSError:
        return []
    finally:
        os.close(parent_fd)


def _sweep_one(parent_fd: int, parent: Path, name: str) -> Leftover | None:
    path = parent / name
    try:
        fd = os.open(name, DIRECTORY_FLAGS, dir_fd=parent_fd)
    except OSError:
        return None  # not a directory (a link, a file of an older version) or gone already
    try:
        return _sweep_open(parent_fd, path, fd)
    except OSError as exc:
        return Leftover(path, "left", f"it cannot be examined ({_why(exc)})")
    finally:
        os.close(fd)


def _sweep_open(parent_fd: int, path: Path, fd: int) -> Leftover | None:
    try:
        lock = LockFile.open(fd)
    except OSError as exc:
        return Leftover(path, "left", f"its lock file cannot be read ({_why(exc)})")
    if lock is None:
        return None  # no lock of ours: not certainly ours (or a run just starting)
    with lock:
        verdict = _judge(lock, os.fstat(fd))
        if verdict is not None:
            return None if verdict == "" else Leftover(path, "left", verdict)
        try:  # the lock is held while the directory goes: no other sweep takes it meanwhile
            freed = remove_tree(parent_fd, path.name, fd)
        except OSError as exc:
            return Leftover(path, "failed", _why(exc))
        return Leftover(path, "removed", f"left by a run that did not finish ({lock.info})",
                        freed)


def _judge(lock: LockFile, directory: os.stat_result) -> str | None:
    """None when the partial may go; "" to pass over it in silence (a live run); else why it
    is left alone. Takes the lock when it may go."""
    me = os.geteuid()
    if lock.owner != me or directory.st_uid != me or not stat.S_ISDIR(directory.st_mode):
        return "its lock belongs to another user"
    if lock.info is None:
        return "its lock file is not archiver's"
    if lock.info.host != this_host():
        return (f"it was made on another host ({lock.info}); whether that run still goes "
                "cannot be told from here")
    if not lock.try_lock():
        return ""
    return None


def _why(exc: OSError) -> str:
    if exc.errno == errno.EACCES:
        return "permission denied"
    reason = exc.strerror or str(exc)
    return reason[:1].lower() + reason[1:]

