"""Keep the PDF libraries quiet and serialised while they work.

pypdf reports recoverable damage through the ``logging`` module and ``warnings``; with no
handler configured, Python's last-resort handler would print those lines on the user's
terminal. PDFium (through pypdfium2) is not thread-safe at all: two threads may not call
into it at the same time, even on different documents. One context manager handles both, so
every entry point into the libraries goes through the same gate.
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

# The libraries log under their package names; the children (pypdf._reader, …) propagate here.
_LIBRARY_LOGGERS = ("pypdf", "pypdfium2", "pdfminer")

# One lock for the process: PDFium keeps global state, and warnings.catch_warnings swaps a
# process-wide filter list, so neither may be used by two threads at once.
_LOCK = threading.RLock()


class _Collect(logging.Handler):
    """Keeps the first few messages: they are evidence of damage the libraries worked around."""

    def __init__(self, keep: list[str], limit: int = 20) -> None:
        super().__init__(logging.WARNING)
        self.keep, self.limit = keep, limit

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.keep) < self.limit:
            try:
                self.keep.append(record.getMessage())
            except Exception:  # a malformed record must not break the extraction
                self.keep.append(str(record.msg))


@contextmanager
def quiet_pdf_libraries() -> Iterator[list[str]]:
    """Hold the PDF lock, and keep the libraries' log records (yielded: warnings and worse)
    and their warnings off the terminal meanwhile."""
    with _LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # A logger's filters do not see records from its children, so instead the records
        # stop at the package logger: our handler takes them (so the last-resort handler
        # stays silent) and propagation to the root, where the user's handlers are, is off.
        messages: list[str] = []
        sink = _Collect(messages)
        saved = []
        for name in _LIBRARY_LOGGERS:
            logger = logging.getLogger(name)
            saved.append((logger, logger.propagate))
            logger.addHandler(sink)
            logger.propagate = False
        try:
            yield messages
        finally:
            for logger, propagate in saved:
                logger.removeHandler(sink)
                logger.propagate = propagate
