"""What the CLI shows a person: a progress bar on stderr (only on a terminal) and plain tables.

Kept apart from cli.py so the verbs stay a list of options and one call each.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archiver.capture.job import Progress


class _Bar:
    """A one-line progress bar redrawn at most ten times a second."""

    def __init__(self, label: str) -> None:
        self.label = label
        self._last = 0.0

    def update(self, done: int, total: int, current: str) -> None:
        now = time.monotonic()
        if now - self._last < 0.1 and (done < total or not total):
            return
        self._last = now
        width = 28
        tail = current if len(current) <= 50 else "…" + current[-49:]
        if total:  # 0: how many is not known in advance
            filled = int(width * done / total)
            counts = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
        else:
            counts = f"{done} so far"
        sys.stderr.write(f"\r\x1b[2K{self.label} {counts} {tail}")
        sys.stderr.flush()

    def finish(self) -> None:
        sys.stderr.write("\r\x1b[2K")
        sys.stderr.flush()


@contextmanager
def progress_bar(label: str) -> Iterator[Progress | None]:
    """A progress callback drawing on stderr, or None when stderr is not a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    bar = _Bar(label)
    try:
        yield bar.update
    finally:
        bar.finish()


def table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    """A plain-text table whose last column may run long.

    >>> print(table([["ok", "https://a.example/"]], ["outcome", "url"]))
    outcome  url
    -------  ------------------
    ok       https://a.example/
    """
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
    lines = ["  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(line)).rstrip()
             for line in [headers, ["-" * w for w in widths], *rows]]
    return "\n".join(lines)


def human_size(size: int) -> str:
    """A size for people.

    >>> human_size(1536), human_size(12)
    ('1.5 KiB', '12 B')
    """
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")
