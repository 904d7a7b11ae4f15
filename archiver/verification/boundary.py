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
        raise EnvironmentFault.from_os_error(exc, exc.filename or path) from exc
