"""Type aliases shared across archiver's modules."""

from __future__ import annotations

import os
from typing import TypeAlias

StrPath: TypeAlias = str | os.PathLike[str]
HeaderList: TypeAlias = list[tuple[str, str]]
