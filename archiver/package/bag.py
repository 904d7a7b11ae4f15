"""BagIt 1.0 (RFC 8493) tag files: writing them for a new package, parsing them to verify one.

Writing is a few lines because every payload digest was computed while the payload was
written; bagit-python would read every byte again (and moves files around to build a bag).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from archiver import __version__
from archiver.package_layout import BAG_INFO, BAGIT, MANIFEST_JSON, PAYLOAD_MANIFEST, TAG_MANIFEST

BAGIT_TXT = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"


@dataclass(frozen=True)
class FileDigest:
    """A file inside the bag, by its path from the bag root (always with forward slashes)."""

    path: str
    size: int
    sha256: str


def manifest_lines(files: Iterable[FileDigest]) -> str:
    return "".join(f"{entry.sha256}  {entry.path}\n"
                   for entry in sorted(files, key=lambda e: e.path))


def write_tag_file(root: Path, name: str, text: str) -> FileDigest:
    data = text.encode("utf-8")
    (root / name).write_bytes(data)
    return FileDigest(name, len(data), hashlib.sha256(data).hexdigest())


def write_bag(root: Path, payload: list[FileDigest], *, package_id: str,
              manifest_json: bytes) -> None:
    """Write every tag file of a bag whose payload (under data/) is already in place."""
    (root / MANIFEST_JSON).write_bytes(manifest_json)
    write_bag_tags(root, payload, package_id=package_id,
                   manifest=FileDigest(MANIFEST_JSON, len(manifest_json),
                                       hashlib.sha256(manifest_json).hexdigest()))


def write_bag_tags(root: Path, payload: list[FileDigest], *, package_id: str,
                   manifest: FileDigest) -> None:
    """Write the bag's tag files beside a manifest.json already written (`manifest`)."""
    total = sum(entry.size for entry in payload)
    tags = [
        manifest,
        write_tag_file(root, BAGIT, BAGIT_TXT),
        write_tag_file(root, BAG_INFO, bag_info(total, len(payload), package_id)),
        write_tag_file(root, PAYLOAD_MANIFEST, manifest_lines(payload)),
    ]
    # The tag manifest goes last: until it exists, the directory is not a complete bag.
    write_tag_file(root, TAG_MANIFEST, manifest_lines(tags))


def bag_info(total_bytes: int, file_count: int, package_id: str) -> str:
    return (
        f"Bag-Software-Agent: archiver {__version__}\n"
        f"Bagging-Date: {date.today().isoformat()}\n"
        f"External-Identifier: {package_id}\n"
        f"Payload-Oxum: {total_bytes}.{file_count}\n"
    )
