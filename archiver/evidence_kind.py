"""What a path given to a reading verb is: a package, a WARC, a WACZ, or something else.

verify, extract and replay all ask this first, and must answer it alike: a directory with any
BagIt tag file is a package (one that lost bagit.txt is damaged evidence, not something else);
a `.wacz` name or a zip is a WACZ; a WARC is known by its name or by its first record.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from archiver.errors import EnvironmentFault, InputNotFoundError, NotEvidenceError
from archiver.package_layout import TAG_FILES
from archiver.warc.members import looks_like_warc

WARC_SUFFIXES = (".warc", ".warc.gz")
ZIP_MAGIC = b"PK\x03\x04"
SNIFF_BYTES = 64 * 1024

EvidenceKind = Literal["package", "warc", "wacz", "other"]


@dataclass(frozen=True)
class Sniffed:
    kind: EvidenceKind
    head: bytes
    """The file's first bytes (empty for a directory), for a caller that sniffs further."""


def has_warc_name(path: str) -> bool:
    return path.lower().endswith(WARC_SUFFIXES)


def sniff_evidence(path: Path) -> Sniffed:
    """Raises InputNotFoundError (no such path), NotEvidenceError (a directory that is not a
    package) and EnvironmentFault (unreadable)."""
    if not path.exists():
        raise InputNotFoundError(path, "file or directory")
    if path.is_dir():
        if not any((path / name).is_file() for name in TAG_FILES):
            raise NotEvidenceError(path, "a directory without bagit.txt")
        return Sniffed("package", b"")
    if not path.is_file():  # a FIFO would block the read below; a device never ends
        raise NotEvidenceError(path, "not a regular file")
    try:
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as exc:
        raise EnvironmentFault.from_os_error(exc, path) from exc
    if path.suffix.lower() == ".wacz" or head.startswith(ZIP_MAGIC):
        return Sniffed("wacz", head)
    if has_warc_name(path.name) or looks_like_warc(head):
        return Sniffed("warc", head)
    return Sniffed("other", head)
