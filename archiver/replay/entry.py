"""One line of the replay's index: a captured page or report, or a source that was not
captured."""

from __future__ import annotations

from dataclasses import dataclass

from archiver.replay_address import replay_timestamp


@dataclass(frozen=True)
class Entry:
    """One page or report of the index."""

    url: str
    title: str | None
    captured_at: str | None
    """WARC-Date form: 2024-05-01T12:00:00.123456Z."""
    status: int | None
    content_type: str | None
    note: str | None = None
    """Why it was not captured, or where it redirects; that it is the story."""
    status_label: str | None = None
    """What the index says in place of an HTTP status when there is none ("not captured"
    unless said otherwise: a local draft)."""

    @property
    def timestamp(self) -> str | None:
        """The 14-digit capture time replay URLs use.

        >>> Entry("http://a/", None, "2024-05-01T12:00:09.5Z", 200, None).timestamp
        '20240501120009'
        """
        return replay_timestamp(self.captured_at)


MAX_TITLE_CHARS = 300


def clean_title(value: object) -> str | None:
    """A title for one line of the index: whitespace folded, cut at MAX_TITLE_CHARS.

    >>> clean_title("  The  report\\n"), clean_title(""), clean_title(3)
    ('The report', None, None)
    """
    if not isinstance(value, str) or not value.strip():
        return None
    return " ".join(value.split())[:MAX_TITLE_CHARS]
