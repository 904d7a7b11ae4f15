"""The lock a run holds on its partial work, for as long as it lives.

A run writes `archiver-run.lock` (its pid, host and start time) into the hidden directory it
builds in, and holds an exclusive `flock` on it until the end. The kernel drops that lock when
the process dies, however it dies (kill -9 too), so the lock says whether the run still lives
more reliably than its pid, which the system may give to another process. A later run that
can take the lock knows that the run which made it is gone.

The lock file is read back by other runs and by verify, so it is read as hostile: a bounded
read, no following of links, no waiting on a FIFO, and a parser that never raises.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
from dataclasses import dataclass

from archiver.timestamps import utc_iso

LOCK_NAME = "archiver-run.lock"
MAGIC = "archiver run lock"
MAX_LOCK_BYTES = 4096
"""A lock file is a few dozen bytes; anything longer is not one of ours."""

_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


@dataclass(frozen=True)
class RunInfo:
    """Who made a partial: read from its lock file."""

    pid: int
    host: str
    started: str

    def __str__(self) -> str:
        return f"pid {self.pid} on {self.host}, started {self.started}"

    def to_text(self) -> str:
        return f"{MAGIC}\npid: {self.pid}\nhost: {self.host}\nstarted: {self.started}\n"


def this_run() -> RunInfo:
    return RunInfo(os.getpid(), this_host(), utc_iso())


def this_host() -> str:
    import socket  # not for verify, which only reads lock files

    return socket.gethostname()


def parse_run_info(data: bytes) -> RunInfo | None:
    """The run a lock file names, or None when `data` is not an archiver lock file.

    >>> parse_run_info(b"archiver run lock\\npid: 7\\nhost: h\\nstarted: 2026-01-02T03:04:05Z\\n")
    RunInfo(pid=7, host='h', started='2026-01-02T03:04:05Z')
    >>> parse_run_info(b"pid: 7\\n") is None
    True
    """
    if len(data) > MAX_LOCK_BYTES:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    lines = text.split("\n")
    if lines[0] != MAGIC:
        return None
    fields = dict(line.partition(": ")[::2] for line in lines[1:] if line)
    pid, host, started = fields.get("pid", ""), fields.get("host", ""), fields.get("started", "")
    if not (pid.isascii() and pid.isdigit() and len(pid) <= 10 and host and started):
        return None
    return RunInfo(int(pid), host, started)


class RunLock:
    """This run's lock in `directory` (a new, empty directory of ours), held until `release`.

    The file is written and locked under a temporary name first, then renamed to LOCK_NAME, so
    no other run ever sees a lock file of ours that is not yet locked. Where the file system
    cannot lock (some network mounts), no lock file is left at all: then nothing will ever take
    the directory for a dead run's, which is the safe side.
    """

    def __init__(self, directory: int | str, fd: int | None) -> None:
        self._directory = directory
        self._fd = fd

    @classmethod
    def take(cls, directory: str) -> RunLock:
        """Raises OSError when the file cannot be written."""
        fresh = f"{LOCK_NAME}.new"
        path = os.path.join(directory, fresh)
        fd = os.open(path, _CREATE_FLAGS, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            os.unlink(path)
            if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EINVAL):
                return cls(directory, None)
            raise
        try:
            os.write(fd, this_run().to_text().encode("utf-8"))
            os.rename(path, os.path.join(directory, LOCK_NAME))
        except OSError:
            os.close(fd)
            raise
        return cls(directory, fd)

    @property
    def is_held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Let go of the lock (the file goes with the directory that holds it)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class LockFile:
    """Another run's lock file, opened for reading without following a link."""

    def __init__(self, fd: int, info: RunInfo | None, owner: int) -> None:
        self.fd = fd
        self.info = info
        self.owner = owner

    @classmethod
    def open(cls, directory_fd: int) -> LockFile | None:
        """The lock file in the directory open at `directory_fd`; None when there is none or
        it is not a regular file. Raises OSError when it cannot be read (EACCES...)."""
        try:
            fd = os.open(LOCK_NAME, _READ_FLAGS, dir_fd=directory_fd)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if exc.errno == errno.ELOOP:  # a symbolic link: not one of ours
                return None
            raise
        try:
            status = os.fstat(fd)
            if not stat.S_ISREG(status.st_mode):
                os.close(fd)
                return None
            data = os.read(fd, MAX_LOCK_BYTES + 1)
        except OSError:
            os.close(fd)
            raise
        return cls(fd, parse_run_info(data), status.st_uid)

    def try_lock(self, *, shared: bool = False) -> bool:
        """Take the lock without waiting: True when no live run holds it."""
        try:
            fcntl.flock(self.fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        except OSError as exc:
            if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EINVAL):
                return False  # cannot tell: count it as alive
            raise
        return True

    def close(self) -> None:
        os.close(self.fd)

    def __enter__(self) -> LockFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
