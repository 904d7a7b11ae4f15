"""Remove a directory tree of ours, never following a link out of it, and count the space.

Every step is relative to an open directory (`dir_fd`), and directories are opened with
O_NOFOLLOW, so a symbolic link inside is removed as a link, never walked through. The walk is
a loop, not a recursion (a tree unpacked from a hostile zip may nest thousands of levels deep),
and holds one directory open at a time (going back up through `..`, checked to be the directory
it came from), so depth never runs out of file descriptors either.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field

DIRECTORY_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
"""Flags to open a directory never through a link (for the *at calls that work inside it)."""


class TreeMoved(OSError):
    """A directory was moved while we removed what it held: stop rather than guess."""


@dataclass
class _Level:
    name: str
    """This directory's name in its parent."""
    identity: tuple[int, int]
    """The parent's (st_dev, st_ino), to check that `..` leads back to it."""
    pending: list[str] = field(default_factory=list)
    """Subdirectories still to empty and remove."""


def disk_usage(status: os.stat_result) -> int:
    """The bytes an entry takes on disk (its blocks), or its size where blocks are unknown."""
    blocks = getattr(status, "st_blocks", None)
    return blocks * 512 if blocks is not None else status.st_size


def remove_tree(parent_fd: int, name: str, top_fd: int) -> int:
    """Remove the directory `name` in `parent_fd`, already open as `top_fd` (the caller's to
    close), and everything in it; return the bytes freed. Raises OSError (TreeMoved when the
    tree changed shape under us); what was removed until then stays removed."""
    freed = 0
    fd = os.dup(top_fd)
    parents: list[_Level] = []
    try:
        pending = _empty_files(fd)
        while True:
            if pending.subdirs:
                child = pending.subdirs.pop()
                child_fd = os.open(child, DIRECTORY_FLAGS, dir_fd=fd)
                here = os.fstat(fd)
                parents.append(_Level(child, (here.st_dev, here.st_ino), pending.subdirs))
                freed += pending.freed
                os.close(fd)
                fd = child_fd
                pending = _empty_files(fd)
                continue
            freed += pending.freed + disk_usage(os.fstat(fd))
            if not parents:
                break
            level = parents.pop()
            up = os.open("..", DIRECTORY_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = up
            found = os.fstat(fd)
            if (found.st_dev, found.st_ino) != level.identity:
                raise TreeMoved(f"{level.name}: moved while it was being removed")
            os.rmdir(level.name, dir_fd=fd)
            pending = _Pending(level.pending, 0)
    finally:
        os.close(fd)
    os.rmdir(name, dir_fd=parent_fd)
    return freed


@dataclass
class _Pending:
    subdirs: list[str]
    freed: int


def _empty_files(fd: int) -> _Pending:
    """Unlink every entry of the directory at `fd` that is not a directory (links included);
    return its subdirectories, still to do, and the bytes the unlinked entries took."""
    subdirs: list[str] = []
    freed = 0
    with os.scandir(fd) as entries:
        for entry in entries:
            status = entry.stat(follow_symlinks=False)
            if stat.S_ISDIR(status.st_mode):
                subdirs.append(entry.name)
            else:
                os.unlink(entry.name, dir_fd=fd)
                freed += disk_usage(status)
    return _Pending(subdirs, freed)
