"""One spelling of time everywhere: UTC, ISO 8601, microseconds, a Z."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_iso(moment: datetime | None = None) -> str:
    """WARC-Date and manifest.json spelling.

    >>> utc_iso(datetime(2026, 1, 2, 3, 4, 5, 60, tzinfo=UTC))
    '2026-01-02T03:04:05.000060Z'
    """
    return (moment or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
