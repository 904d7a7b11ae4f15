"""The one place where the operating system's errors become archiver's.

Damaged evidence is never an exception (it is a `Problem`); an OSError while reading is the
machine failing us, so it becomes `EnvironmentFault` (exit 3), naming the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from archiver.errors import EnvironmentFault


@contextmanager
def os_errors(path: Path) -> Iterator[None]:
    """Turn an OSError raised inside the block into EnvironmentFault."""
    try:
        yield
    except OSError as exc:
        raise environment_fault(exc, path) from exc


def environment_fault(exc: OSError, path: str | Path) -> EnvironmentFault:
    """The EnvironmentFault for `exc`, naming the file it names (else `path`). For loops over
    thousands of files, where a `with os_errors(...)` for each would cost more than the
    work."""
    return EnvironmentFault.from_os_error(exc, exc.filename or path)
