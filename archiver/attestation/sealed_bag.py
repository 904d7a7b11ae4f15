"""The one thing every attestation is about: the bag's tag manifest, `tagmanifest-sha256.txt`.

Its SHA-256 covers manifest.json, bag-info.txt, bagit.txt and manifest-sha256.txt, which covers
every payload byte: so a signature or a timestamp over it covers the whole bag. Before one is
made, the tag manifest must still match the files it lists (an attestation over a bag that
no longer matches its own checksums would vouch for damage).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from archiver.errors import EnvironmentFault, EvidenceError, UnreadableEvidence
from archiver.package_layout import TAG_MANIFEST
from archiver.regular_files import open_regular, read_regular
from archiver.settings import ReadLimits

_BLOCK = 1024 * 1024


class NotSealed(EvidenceError):
    """The package is not a sealed bag whose tag manifest matches its files (exit 1)."""

    def __init__(self, package: Path, reason: str) -> None:
        super().__init__(f"{package}: cannot be attested ({reason})")
        self.package = package
        self.reason = reason


@dataclass(frozen=True)
class TagManifest:
    """The tag manifest's bytes as read, and their SHA-256 (lowercase hex)."""

    data: bytes
    sha256: str


def read_tag_manifest(package: Path, limits: ReadLimits | None = None) -> TagManifest:
    """The package's tag manifest, read once. Raises NotSealed when there is none or it is
    not a regular file within the limits, EnvironmentFault when the disk fails."""
    limits = limits or ReadLimits()
    try:
        data = read_regular(package / TAG_MANIFEST, limits.max_tag_file_bytes, TAG_MANIFEST)
    except FileNotFoundError:
        raise NotSealed(package, f"it has no {TAG_MANIFEST}; is it a sealed package?") from None
    except UnreadableEvidence as refused:
        raise NotSealed(package, str(refused)) from None
    except OSError as exc:
        raise EnvironmentFault.from_os_error(exc, package / TAG_MANIFEST) from None
    return TagManifest(data, hashlib.sha256(data).hexdigest())


def sealed_tag_manifest(package: Path) -> TagManifest:
    """The tag manifest, once every file it lists is found to match its SHA-256.

    Raises NotSealed naming the first file that does not (or a line that is not a digest
    and a plain path inside the bag)."""
    manifest = read_tag_manifest(package)
    try:
        text = manifest.data.decode("utf-8")
    except UnicodeDecodeError:
        raise NotSealed(package, f"{TAG_MANIFEST} is not UTF-8 text") from None
    lines = [line.removesuffix("\r") for line in text.split("\n") if line.strip()]
    if not lines:
        raise NotSealed(package, f"{TAG_MANIFEST} lists no file")
    for number, line in enumerate(lines, 1):
        digest, _, name = line.partition(" ")
        name = name.strip()
        parts = name.split("/")
        if len(digest) != 64 or not name or name.startswith("/") or ".." in parts:
            raise NotSealed(package, f"{TAG_MANIFEST} line {number} is not a SHA-256 and a "
                                     "plain path inside the bag")
        found = _file_sha256(package, name)
        if found != digest.lower():
            raise NotSealed(package, f"{name} does not match its SHA-256 in {TAG_MANIFEST} "
                                     f"(expected {digest}, found {found or 'no such file'})")
    return manifest


def _file_sha256(package: Path, name: str) -> str | None:
    digest = hashlib.sha256()
    try:
        fd = open_regular(package / name, name)
    except FileNotFoundError:
        return None
    except UnreadableEvidence as refused:
        raise NotSealed(package, str(refused)) from None
    except OSError as exc:
        raise EnvironmentFault.from_os_error(exc, package / name) from None
    try:
        while block := os.read(fd, _BLOCK):
            digest.update(block)
    finally:
        os.close(fd)
    return digest.hexdigest()
