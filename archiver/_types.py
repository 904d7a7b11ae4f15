"""Type aliases shared across archiver's modules."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeAlias

StrPath: TypeAlias = str | os.PathLike[str]
HeaderList: TypeAlias = list[tuple[str, str]]
Progress: TypeAlias = Callable[[int, int, str], None]
"""Told how far a long job has come: (done, out of, what is being done). The units are the
job's: fetches for a capture (called on its scheduling thread after each fetch; the total
grows as pages name what they need), documents for extraction, bytes for an export."""
ByteProgress: TypeAlias = Callable[[int, int], None]
"""Told how far a verification has read: (bytes read so far, bytes to read in all)."""


def header_value(headers: HeaderList, name: str) -> str | None:
    """The first value of header `name` (any case).

    >>> header_value([("Content-Type", "text/html")], "content-type")
    'text/html'
    """
    lowered = name.lower()
    for key, value in headers:
        if key.lower() == lowered:
            return value
    return None
