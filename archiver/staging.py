"""Evidence is written under a hidden temporary name beside its final place and moved into
place only when complete: a run that fails or is killed never leaves something at the output
path that could pass for a complete package or archive.

The hidden directory, `.NAME.partial-xxxxxxxx/`, holds the run's lock (held while the run
lives; see run_lock.py) and the work, named NAME like the output it will become. The work is
moved out of it into place, and the hidden directory then removed; a run killed at any moment
leaves at most that directory, which verify reports as incomplete and the next run into the
same folder removes (see leftovers.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from archiver.errors import EnvironmentFault
from archiver.partial_paths import partial_name
from archiver.run_lock import RunLock
from archiver.tree_removal import DIRECTORY_FLAGS, remove_tree


@contextmanager
def partial_beside(target: Path) -> Iterator[Path]:
    """A new hidden directory beside `target`, locked for this run; yields the path (not yet
    made) where the work is built, `.NAME.partial-xxxxxxxx/NAME`. Everything is removed on the
    way out unless the caller moved the work into place. OSErrors become EnvironmentFault."""
    hidden = target.parent / partial_name(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        hidden.mkdir()
        lock = RunLock.take(str(hidden))
    except OSError as exc:
        _remove_quietly(hidden)
        raise EnvironmentFault.from_os_error(exc, target) from exc
    try:
        yield hidden / target.name
    except OSError as exc:
        raise EnvironmentFault.from_os_error(exc, target) from exc
    finally:
        _remove_quietly(hidden)  # the lock is still held: no other run takes it meanwhile
        lock.release()


@contextmanager
def staging_beside(target: Path) -> Iterator[Path]:
    """A new directory to build `target` in (see `partial_beside`), for the caller to rename
    to `target` once complete; removed on the way out otherwise."""
    with partial_beside(target) as work:
        try:
            work.mkdir()
        except OSError as exc:
            raise EnvironmentFault.from_os_error(exc, target) from exc
        yield work


def _remove_quietly(hidden: Path) -> None:
    try:
        parent_fd = os.open(hidden.parent, DIRECTORY_FLAGS)
    except OSError:
        return
    try:
        top_fd = os.open(hidden.name, DIRECTORY_FLAGS, dir_fd=parent_fd)
        try:
            remove_tree(parent_fd, hidden.name, top_fd)
        finally:
            os.close(top_fd)
    except OSError:
        pass  # what cannot be removed now is a leftover: the next run's sweep deals with it
    finally:
        os.close(parent_fd)
