"""Open the files of evidence from elsewhere (a package, a folder unpacked from a WACZ) as
regular files only.

A package is a directory someone else made: one of its names may be a symbolic link (to
/dev/zero, to a file outside the package), a FIFO (an open or a read that never returns), a
device or a socket. archiver reads regular files only: it never opens through a link
(O_NOFOLLOW), never waits on an open (O_NONBLOCK: a FIFO opens at once, and is then
refused), and it judges the descriptor it opened (fstat), not the name it looked at before,
so nothing can be swapped in between. The folders on the way are checked when the package
is listed (`real_directory`, and verify's walk, which never descends into a link).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO, Final

from archiver._types import StrPath
from archiver.errors import UnreadableEvidence

NOT_REGULAR: Final = "not-a-regular-file"
TOO_LARGE: Final = "file-too-large"
_FLAGS = (os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
          | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
_KINDS = ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a FIFO (a named pipe)"),
          (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISDIR, "a directory"))
_BLOCK = 1024 * 1024


def kind_of(mode: int) -> str | None:
    """What a file that is not a regular one is, in words; None for a regular file.

    >>> kind_of(stat.S_IFLNK | 0o777), kind_of(stat.S_IFREG | 0o644)
    ('a symbolic link', None)
    """
    if stat.S_ISREG(mode):
        return None
    return next((words for test, words in _KINDS if test(mode)), "not a regular file")


def is_regular_file(path: StrPath) -> bool:
    """True for a regular file itself, not a link to one (nor a FIFO, a device...)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def not_regular(what: str, mode: int) -> UnreadableEvidence:
    return UnreadableEvidence(what, f"{kind_of(mode)}; a package holds only regular files",
                              NOT_REGULAR)


def open_regular(path: StrPath, what: str | None = None) -> int:
    """A descriptor, open for reading, on the regular file at `path` (the caller closes it).

    Raises UnreadableEvidence, naming `what` (else `path`), when `path` is a link, a FIFO,
    a device, a socket or a directory; OSError when it cannot be opened otherwise.
    """
    name = what if what is not None else str(path)
    try:
        fd = os.open(path, _FLAGS)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK, errno.ENXIO):  # a link; a socket
            try:
                mode = os.lstat(path).st_mode
            except OSError:
                raise exc from None
            if not stat.S_ISREG(mode):
                raise not_regular(name, mode) from None
        raise
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise not_regular(name, mode)
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_binary(path: StrPath, what: str | None = None) -> BinaryIO:
    """`open_regular` as an unbuffered binary file object (closing it closes the file)."""
    return os.fdopen(open_regular(path, what), "rb", buffering=0)


def read_regular(path: StrPath, limit: int, what: str | None = None) -> bytes:
    """All the bytes of the regular file at `path`, if it holds at most `limit` of them.

    Raises UnreadableEvidence (not a regular file; larger than `limit`) and OSError.
    """
    name = what if what is not None else str(path)
    fd = open_regular(path, name)
    try:
        size = os.fstat(fd).st_size
        if size > limit:
            raise too_large(name, size, limit)
        blocks = []
        total = 0
        while block := os.read(fd, min(_BLOCK, limit + 1 - total)):
            blocks.append(block)
            total += len(block)
            if total > limit:  # it grew since fstat
                raise too_large(name, total, limit)
        return b"".join(blocks)
    finally:
        os.close(fd)


def too_large(what: str, size: int, limit: int) -> UnreadableEvidence:
    return UnreadableEvidence(what, f"{size:,} bytes, more than the {limit:,} archiver reads "
                              "from such a file", TOO_LARGE)


def real_directory(root: Path, relative: str) -> Path | None:
    """`root / relative` if each of its folders below `root` is a real directory (not a
    link to one); else None.

    >>> real_directory(Path("."), "no/such/folder") is None
    True
    """
    here = root
    for part in relative.split("/"):
        here = here / part
        try:
            if not stat.S_ISDIR(os.lstat(here).st_mode):
                return None
        except OSError:
            return None
    return here


def regular_files_in(directory: Path) -> list[Path]:
    """The regular files directly in `directory`, sorted; links and other kinds left out."""
    try:
        with os.scandir(directory) as entries:
            return sorted(Path(entry.path) for entry in entries
                          if entry.is_file(follow_symlinks=False))
    except OSError:
        return []
