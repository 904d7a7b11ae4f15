"""The one boundary where socket, TLS and HTTP-parser errors become archiver's CaptureError.

Each reason is a short plain phrase that reads well in a report; `transient` says whether trying
again later could help.
"""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager

import h11

from archiver.errors import CaptureError

MAX_HEADER_BYTES = 256 * 1024
"""The longest response header block (or chunk line) read, as in Chromium."""
TOO_LONG = (f"the server sent a header block or line longer than the limit "
            f"({MAX_HEADER_BYTES // 1024} KiB)")


class NetworkError(CaptureError):
    def __init__(self, url: str, reason: str, *, transient: bool) -> None:
        super().__init__(url, reason)
        self.transient = transient


def describe(exc: BaseException, *, waiting_for: str) -> tuple[str, bool]:
    """A plain reason for `exc` and whether it is worth a retry."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not accepted ({exc.verify_message})", False
    if isinstance(exc, ssl.SSLError):
        return f"TLS handshake failed ({exc.reason or exc})", False
    if isinstance(exc, socket.gaierror):
        temporary = exc.errno == socket.EAI_AGAIN
        return "host name could not be resolved", temporary
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused", True
    if isinstance(exc, ConnectionResetError | BrokenPipeError):
        return f"connection reset by the server while {waiting_for}", True
    if isinstance(exc, TimeoutError):
        return f"timed out while {waiting_for}", True
    if isinstance(exc, h11.RemoteProtocolError):
        if exc.error_status_hint == 431:  # h11's "Receive buffer too long"
            return TOO_LONG, False
        return f"the server sent a malformed HTTP response ({exc})", False
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return "network unreachable", True
        return f"network error ({exc.strerror or exc})", True
    raise TypeError(f"not a network error: {exc!r}")


NETWORK_EXCEPTIONS = (OSError, h11.RemoteProtocolError)
"""Everything `describe` knows; ssl and socket errors are OSErrors."""


@contextmanager
def network_errors(url: str, waiting_for: str) -> Iterator[None]:
    try:
        yield
    except NETWORK_EXCEPTIONS as exc:
        reason, transient = describe(exc, waiting_for=waiting_for)
        raise NetworkError(url, reason, transient=transient) from exc
