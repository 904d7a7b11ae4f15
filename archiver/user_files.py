"""Reading the small files a user names (a configuration, a key, a trust list): whole, bounded,
and only when they are regular files, with a plain reason when not.

These are the user's own files, not evidence: a problem with one is a usage error, which each
caller words for its kind of file (ConfigError, KeyFileError, TrustFileError).
"""

from __future__ import annotations

from pathlib import Path


class UnusableFile(Exception):
    """Why a named file could not be read: `reason`, in a few plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def read_small_file(path: Path, limit: int, too_large: str) -> bytes:
    """The bytes of `path`, at most `limit` of them. Raises UnusableFile with "no such file",
    "not a regular file" (a folder, a device, a FIFO: never read, so never hangs), the
    system's reason, or `too_large` when the file holds more than `limit` bytes."""
    try:
        if not path.is_file():
            raise UnusableFile("no such file" if not path.exists() else "not a regular file")
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise UnusableFile(exc.strerror or type(exc).__name__) from None
    if len(data) > limit:
        raise UnusableFile(too_large)
    return data
