"""Where `archiver replay PACKAGE --port 8080` shows a capture: the one address form the
replay server, its index page, the story report and `archiver quote` all give.

    http://127.0.0.1:8080/evidence/<14-digit capture time>/<url>

A module of its own that imports nothing, so a verb that only prints an address (quote)
never loads the replay server.
"""

from __future__ import annotations

import re

HOST = "127.0.0.1"
COLLECTION = "evidence"
"""The path prefix of every replayed URL: http://127.0.0.1:PORT/evidence/<time>/<url>."""
REPLAY_PORT = 8080
"""The port reports and quote name: `archiver replay PACKAGE --port 8080`."""


def replay_timestamp(captured_at: str | None) -> str | None:
    """The 14-digit capture time replay URLs use.

    >>> replay_timestamp("2024-05-01T12:00:09.5Z")
    '20240501120009'
    """
    if not captured_at:
        return None
    digits = re.sub(r"\D", "", captured_at)[:14]
    return digits if len(digits) == 14 else None


def replay_path(url: str, captured_at: str | None) -> str | None:
    """The framed replay address of a capture, relative to the server's root.

    >>> replay_path("http://a/b?c=d", "2024-05-01T12:00:09Z")
    '/evidence/20240501120009/http://a/b?c=d'
    """
    timestamp = replay_timestamp(captured_at)
    return f"/{COLLECTION}/{timestamp}/{url}" if timestamp else None


def replay_address(url: str | None, captured_at: str | None, status: int | None,
                   port: int = REPLAY_PORT) -> str | None:
    """Where `archiver replay PACKAGE --port PORT` shows the capture of `url` (None: it
    was not captured, so there is nothing to show)."""
    if not url or status is None:
        return None
    path = replay_path(url, captured_at)
    return f"http://{HOST}:{port}{path}" if path else None
