"""Read a bag's tag files strictly, for verification.

Stricter than a reader needs to be, because a flipped bit must never go unseen: lines end at
LF only (str.splitlines would also split at \\x0b or \\x1c, so a flipped newline could pass),
a digest must be 64 lowercase hex digits (archiver writes lowercase, so an uppercase digit is
damage), and bytes that are not UTF-8 are reported and kept (as \\xNN escapes), not dropped.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from archiver.package.bag import PAYLOAD_MANIFEST, TAG_MANIFEST
from archiver.verification.problems import Problem

_SHA256 = re.compile(r"[0-9a-f]{64}")
_SEPARATOR = re.compile(r"[ \t]+")


@dataclass
class Manifest:
    """A manifest file's entries {path: digest}; `unusable` paths have a digest that is not one."""

    name: str
    entries: dict[str, str] = field(default_factory=dict)
    unusable: set[str] = field(default_factory=set)


def decode_tag_file(name: str, data: bytes, problems: list[Problem]) -> str:
    """Tag files are UTF-8 (bagit.txt says so); other bytes are reported, and kept as \\xNN
    escapes so that every problem stays printable."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem("tag-file-not-utf8", name,
                                f"byte {exc.start} is not valid UTF-8 (tag files are UTF-8)",
                                found=data[exc.start:exc.start + 1].hex()))
        return data.decode("utf-8", "backslashreplace")


def tag_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) for each line; CRLF and LF endings, a final newline optional."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [(number, line.removesuffix("\r")) for number, line in enumerate(lines, 1)]


def parse_manifest(name: str, text: str, problems: list[Problem]) -> Manifest:
    """Entries of a manifest-sha256.txt or tagmanifest-sha256.txt; bad lines become problems."""
    manifest = Manifest(name)
    for number, line in tag_lines(text):
        parts = _SEPARATOR.split(line, maxsplit=1)
        if len(parts) != 2 or not parts[1]:
            problems.append(Problem("manifest-line-invalid", name,
                                    f"line {number} is not a digest and a file path",
                                    found=repr(line[:120])))
            continue
        digest, path = parts[0], _decode_path(parts[1])
        reason = _bad_path(name, path) or ("it is listed twice"
                                           if path in manifest.entries else None)
        if reason:
            problems.append(Problem("manifest-line-invalid", name,
                                    f"line {number} lists {path!r}, but {reason}"))
            continue
        manifest.entries[path] = digest
        if not _SHA256.fullmatch(digest):
            manifest.unusable.add(path)
            problems.append(Problem("manifest-line-invalid", name,
                                    f"line {number}: the SHA-256 of {path} should be 64 "
                                    "lowercase hex digits, so it cannot be checked",
                                    expected="64 lowercase hex digits", found=digest))
    return manifest


def _decode_path(path: str) -> str:
    # RFC 8493 §2.1.3: CR, LF and % in a file name are percent-encoded.
    return path.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _bad_path(manifest: str, path: str) -> str | None:
    parts = path.split("/")
    if path.startswith("/") or ".." in parts or "" in parts:
        return "that path is not a plain path inside the bag"
    if manifest == PAYLOAD_MANIFEST and parts[0] != "data":
        return "payload files are under data/"
    if manifest == TAG_MANIFEST and parts[0] == "data":
        return "files under data/ are payload, not tag files"
    return None


def parse_fields(name: str, text: str, problems: list[Problem]) -> list[tuple[str, str]]:
    """Label: value pairs of bagit.txt or bag-info.txt; continuation lines folded."""
    fields: list[tuple[str, str]] = []
    for number, line in tag_lines(text):
        if line[:1] in (" ", "\t") and fields:
            label, value = fields[-1]
            fields[-1] = (label, f"{value} {line.strip()}")
        elif ":" in line:
            label, value = line.split(":", 1)
            fields.append((label.strip(), value.strip()))
        else:
            problems.append(Problem("tag-file-invalid", name,
                                    f"line {number} is not a 'Label: value' line",
                                    found=repr(line[:120])))
    return fields


@dataclass
class Listing:
    """What a package directory holds: its regular files with their sizes, and every other
    kind of entry (a link, a FIFO, a device, a socket) with its mode, which is never read."""

    sizes: dict[str, int] = field(default_factory=dict)
    others: dict[str, int] = field(default_factory=dict)


def walk(root: Path) -> Listing:
    """Every entry under `root`, by its path from `root` with forward slashes. A link is an
    entry of its own, never followed (a link to a folder is not descended into)."""
    listing = Listing()
    pending = [(root, "")]
    while pending:
        directory, prefix = pending.pop()
        with os.scandir(directory) as entries:
            for entry in entries:
                name = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    pending.append((Path(entry.path), name + "/"))
                    continue
                status = entry.stat(follow_symlinks=False)
                if stat.S_ISREG(status.st_mode):
                    listing.sizes[name] = status.st_size
                else:
                    listing.others[name] = status.st_mode
    return listing
