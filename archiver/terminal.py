"""What the CLI shows a person: every line it writes, a progress bar on stderr (only on a
terminal) and plain tables.

Everything the CLI writes goes through `show` (or `show_json`), which escapes what could steer
a terminal: URLs, titles, WARC headers and file names come from outside, and an ESC, CR or BEL
in them must print as text, never act. Kept apart from cli.py so the verbs stay a list of
options and one call each.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archiver._types import Progress

_STEERING = ("\x00-\x08\x0b-\x1f\x7f-\x9f"  # C0 but tab and newline, DEL, C1
             "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidirectional marks
             "\u2028\u2029\ud800-\udfff")  # line separators; lone surrogates
_UNSAFE = re.compile(f"[{_STEERING}]")
_UNSAFE_IN_LINE = re.compile(f"[{_STEERING}\t\n]")
_C_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _C_ESCAPES:
        return _C_ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _escape_json(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def printable(text: str, *, one_line: bool = False) -> str:
    r"""`text` with every character that could steer a terminal (C0 and C1 controls, DEL,
    bidirectional overrides, lone surrogates) written as a visible escape; `one_line` escapes
    newlines and tabs too, for a value that must stay on its line.

    >>> print(printable("a\x1b[2Jb\u202ec\r\x07"))
    a\x1b[2Jb\u202ec\r\x07
    >>> print(printable("two\nlines")); print(printable("two\nlines", one_line=True))
    two
    lines
    two\nlines
    """
    return (_UNSAFE_IN_LINE if one_line else _UNSAFE).sub(_escape, text)


class OutputClosed(BaseException):
    """Whoever reads our output has gone (`archiver extract PKG --text | head`): nothing more
    can be said, so the work stops, quietly, as any Unix tool stops. A BaseException, like
    KeyboardInterrupt, so that no `except Exception` on the way takes it for a fault; what
    was being built under a hidden name is cleaned away as it passes, as after Ctrl-C (see
    `archiver.cli.main`)."""


def _echo(text: str, *, err: bool = False) -> None:
    import typer  # here: library code that only wants `human_size` need not load the CLI

    try:
        typer.echo(text, err=err)
    except BrokenPipeError:
        raise OutputClosed from None


def show(text: str, *, err: bool = False) -> None:
    """Write a line (or lines) of text for a person, escaped."""
    _echo(printable(text), err=err)


def show_error(message: str) -> None:
    """Write `archiver: message` on stderr, on one line whatever the message holds."""
    _echo(f"archiver: {printable(message, one_line=True)}", err=True)


def json_escaped(text: str) -> str:
    """JSON text with the characters a terminal would act on written as `\\uXXXX` escapes
    (inside a JSON string they mean the same characters, so the data is unchanged)."""
    return _UNSAFE.sub(_escape_json, text)


def show_json(text: str) -> None:
    """Write JSON text (already made), escaped as `json_escaped` says."""
    _echo(json_escaped(text))


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
        current = printable(current, one_line=True)
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
    rows = [[printable(str(cell), one_line=True) for cell in row] for row in rows]
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
