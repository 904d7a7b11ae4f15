"""Extractions as files: one .json (schemas/extraction.schema.json) and one .txt per document,
named after the order and the source, never overwriting anything."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from urllib.parse import urlsplit

from archiver.errors import EnvironmentFault, OutputExistsError
from archiver.extract.document import Extraction

_SLUG = re.compile(r"[^a-z0-9]+")


def slug(url: str | None, fallback: str = "document") -> str:
    """A short, safe file-name part that says which source a file is about.

    >>> slug("https://News.example.org/2024/05/Water-Meters.html?x=1")
    'news-example-org-water-meters-html'
    >>> slug("/home/me/drafts/My Draft.pdf")
    'my-draft-pdf'
    """
    try:
        parts = urlsplit(url or "")
    except ValueError:  # a malformed URL from another tool's WARC (an unbalanced "[")
        parts = urlsplit("")
    last = parts.path.rstrip("/").rsplit("/", 1)[-1]
    name = _SLUG.sub("-", f"{parts.hostname or ''} {last}".lower()).strip("-")
    return name[:60].rstrip("-") or fallback


def write_new(path: Path, data: bytes) -> str:
    """Write a file that must not exist yet; its SHA-256 back."""
    with path.open("xb") as out:  # x: never overwrite
        out.write(data)
    return hashlib.sha256(data).hexdigest()


class ExtractionWriter:
    """Writes extractions into `directory`, which must be new or empty."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.count = 0
        try:
            if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
                raise OutputExistsError(directory)
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise EnvironmentFault.from_os_error(exc, directory) from exc

    def write(self, extraction: Extraction, package: str | None = None) -> Path:
        """Write one extraction (read from the input `package`: its JSON says so already);
        the path of its .json back."""
        self.count += 1
        source = extraction.source
        stem = self.directory / f"{self.count:05d}-{slug(source.url or source.file)}"
        try:
            write_new(stem.with_name(stem.name + ".json"), extraction.to_json())
            write_new(stem.with_name(stem.name + ".txt"), extraction.text_bytes)
        except OSError as exc:
            raise EnvironmentFault.from_os_error(exc, stem) from exc
        return stem.with_name(stem.name + ".json")

    def close(self) -> None:
        """Nothing to finish: each file is whole once written."""
