"""archiver: capture the sources behind a story into verifiable WARC evidence packages."""

from __future__ import annotations

__version__ = "0.1.0"
