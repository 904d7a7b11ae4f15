"""Type aliases shared across archiver's modules."""

from __future__ import annotations

import os
from typing import TypeAlias

StrPath: TypeAlias = str | os.PathLike[str]
HeaderList: TypeAlias = list[tuple[str, str]]


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
