"""The names of partial work: `.NAME.partial-xxxxxxxx`, the hidden directory a run builds its
output in (see staging.py). Anything whose path runs through one is the work of a run that has
not finished. Kept apart, and free of heavy imports, because verify asks this of every path."""

from __future__ import annotations

import os
import re
from pathlib import Path

PARTIAL_NAME = re.compile(r"\..+\.partial-[0-9a-f]{8}", re.DOTALL)


def partial_name(target: Path) -> str:
    """A new hidden directory's name for `target`.

    >>> partial_name(Path("evidence/pkg")).startswith(".pkg.partial-")
    True
    """
    return f".{target.name}.partial-{os.urandom(4).hex()}"


def is_partial_name(name: str) -> bool:
    """True for the name of a hidden work directory (or, from older versions, file).

    >>> is_partial_name(".pkg.partial-0a1b2c3d"), is_partial_name("pkg")
    (True, False)
    """
    return PARTIAL_NAME.fullmatch(name) is not None


def partial_dir_of(path: Path) -> Path | None:
    """The hidden work directory that `path` is or lies in, or None. Looks at the names along
    the path as given and as resolved (a link to partial work is still partial work)."""
    for candidate in (path.absolute(), path.resolve()):
        for place in (candidate, *candidate.parents):
            if is_partial_name(place.name):
                return place
    return None
