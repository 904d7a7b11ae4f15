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

from archiver.package_layout import DATA_DIR, PAYLOAD_MANIFEST, TAG_MANIFEST
from archiver.verification.problems import Problem, ProblemSink

_SHA256 = re.compile(r"[0-9a-f]{64}")
_SEPARATOR = re.compile(r"[ \t]+")
MAX_LINE_PROBLEMS = 1000


@dataclass
class Manifest:
    """A manifest file's entries {path: digest}; `unusable` paths have a digest that is not one."""

    name: str
    entries: dict[str, str] = field(default_factory=dict)
    unusable: set[str] = field(default_factory=set)


def decode_tag_file(name: str, data: bytes, problems: ProblemSink) -> str:
    """Tag files are UTF-8 (bagit.txt says so); other bytes are reported, and kept as \\xNN
    escapes so that every problem stays printable."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.add(Problem("tag-file-not-utf8", name,
                                f"byte {exc.start} is not valid UTF-8 (tag files are UTF-8)",
                                found=data[exc.start:exc.start + 1].hex()))
        return data.decode("utf-8", "backslashreplace")


def tag_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) for each line; CRLF and LF endings, a final newline optional."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [(number, line.removesuffix("\r")) for number, line in enumerate(lines, 1)]


class LineProblems:
    """The problems of one tag file's lines: the first MAX_LINE_PROBLEMS made and added, the
    others only counted (a hostile file can have millions)."""

    def __init__(self, name: str, problems: ProblemSink) -> None:
        self._name, self._problems = name, problems
        self.count = 0

    def keep(self) -> bool:
        """Count one more wrong line: True if it is to be listed (then `append` it)."""
        self.count += 1
        return self.count <= MAX_LINE_PROBLEMS

    def append(self, problem: Problem) -> None:
        self._problems.add(problem)

    def close(self) -> None:
        self._problems.count_omitted(self._name, max(0, self.count - MAX_LINE_PROBLEMS))


def parse_manifest(name: str, text: str, problems: ProblemSink) -> Manifest:
    """Entries of a manifest-sha256.txt or tagmanifest-sha256.txt; bad lines become problems."""
    manifest = Manifest(name)
    bad_lines = LineProblems(name, problems)
    for number, line in tag_lines(text):
        parts = _SEPARATOR.split(line, maxsplit=1)
        if len(parts) != 2 or not parts[1]:
            if bad_lines.keep():
                bad_lines.append(Problem("manifest-line-invalid", name,
                                         f"line {number} is not a digest and a file path",
                                         found=repr(line[:120])))
            continue
        digest, path = parts[0], _decode_path(parts[1])
        reason = _bad_path(name, path) or ("it is listed twice"
                                           if path in manifest.entries else None)
        if reason:
            if bad_lines.keep():
                bad_lines.append(Problem("manifest-line-invalid", name,
                                         f"line {number} lists {path[:200]!r}, but {reason}"))
            continue
        manifest.entries[path] = digest
        if not _SHA256.fullmatch(digest):
            manifest.unusable.add(path)
            if bad_lines.keep():
                bad_lines.append(Problem("manifest-line-invalid", name,
                                         f"line {number}: the SHA-256 of {path[:200]} should "
                                         "be 64 lowercase hex digits, so it cannot be checked",
                                         expected="64 lowercase hex digits",
                                         found=digest[:120]))
    bad_lines.close()
    return manifest


def _decode_path(path: str) -> str:
    # RFC 8493 §2.1.3: CR, LF and % in a file name are percent-encoded.
    return path.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _bad_path(manifest: str, path: str) -> str | None:
    parts = path.split("/")
    if path.startswith("/") or ".." in parts or "" in parts:
        return "that path is not a plain path inside the bag"
    if manifest == PAYLOAD_MANIFEST and parts[0] != DATA_DIR:
        return "payload files are under data/"
    if manifest == TAG_MANIFEST and parts[0] == DATA_DIR:
        return "files under data/ are payload, not tag files"
    return None


def parse_fields(name: str, text: str, problems: ProblemSink) -> list[tuple[str, str]]:
    """Label: value pairs of bagit.txt or bag-info.txt; continuation lines folded."""
    fields: list[tuple[str, list[str]]] = []  # the parts of each value, joined at the end
    bad_lines = LineProblems(name, problems)
    for number, line in tag_lines(text):
        if line[:1] in (" ", "\t") and fields:
            fields[-1][1].append(line.strip())
        elif ":" in line:
            label, value = line.split(":", 1)
            fields.append((label.strip(), [value.strip()]))
        elif bad_lines.keep():
            bad_lines.append(Problem("tag-file-invalid", name,
                                     f"line {number} is not a 'Label: value' line",
                                     found=repr(line[:120])))
    bad_lines.close()
    return [(label, " ".join(parts)) for label, parts in fields]


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
