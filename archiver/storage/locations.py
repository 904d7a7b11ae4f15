"""Telling a storage URL (s3://bucket/prefix/pkg) from a local path, without loading fsspec.

>>> is_storage_url("s3://bucket/evidence/story1"), is_storage_url("evidence/story1")
(True, False)
>>> is_storage_url("file:///srv/evidence/story1"), local_path("file:///srv/evidence/story1")
(False, PosixPath('/srv/evidence/story1'))
>>> is_storage_url("C:/evidence"), is_storage_url("https://example.org/story")
(False, False)
>>> url_name("s3://bucket/evidence/story1/")
'story1'
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+://")
"""A scheme of two letters or more, then `://` (`C://x` is a Windows path, not a URL)."""


_NOT_STORAGE = ("file://", "http://", "https://")
"""file:// is a local path; a web address is a source to capture, never storage."""


def is_storage_url(text: str) -> bool:
    """True for a URL that fsspec reaches (s3://, gs://, abfs://, memory://...); False for a
    local path, file:// (a local path too) and a web address."""
    return bool(_URL.match(text)) and not text.lower().startswith(_NOT_STORAGE)


def local_path(text: str) -> Path:
    """The local path `text` names: itself, or the path of a file:// URL."""
    if text.lower().startswith("file://"):
        return Path(unquote(urlsplit(text).path))
    return Path(text)


def url_name(url: str) -> str:
    """The last part of a storage URL's path: the name its local copy takes."""
    return url.rstrip("/").rsplit("/", 1)[-1]
