"""What a zip from elsewhere may hide, found from its central directory before a byte is
inflated: paths that escape the directory it is unpacked into (absolute, `..`, drive
letters, backslashes), links and device files, names that collide (twice the same, or the
same but for case), entries that overlap (the trick of non-recursive zip bombs), entries
that inflate far beyond their compressed size or declare sizes past the limits or the file,
encryption and unusual compression. (The central directory itself is bounded before it is
read: see zip_directory.py.)

Each finding is a `Problem` naming the entry; readers skip the entries named.
"""

from __future__ import annotations

import itertools
import re
import stat
import unicodedata
import zipfile
from collections.abc import Iterator

from archiver.settings import ReadLimits
from archiver.verification.codes import ProblemCode
from archiver.verification.problems import Problem

MAX_RATIO = 250
"""Inflated size over compressed size beyond which an entry is a zip bomb. Deflate tops out
near 1030:1 on runs of one byte; text, JSON and CDXJ deflate about 3 to 20 times."""
RATIO_FLOOR = 1024 * 1024
"""Entries that inflate to less than this are too small to be a bomb, whatever the ratio."""
_LOCAL_HEADER = 30
_DRIVE = re.compile(r"[A-Za-z]:")
_READABLE = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)


MAX_PATH_DEPTH = 32
"""Folders an entry may lie under (a WACZ needs 4): each level of a path costs a call, and a
path thousands of levels deep would exhaust the stack that unpacks it."""
MAX_NAME_BYTES = 1024
"""Longest entry name unpacked; a longer path is one no file system here would take."""


def shown(name: str) -> str:
    """An entry name fit for a one-line message: control characters escaped."""
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in name)


def path_problem(name: str) -> str | None:
    """Why `name` is not a plain relative path inside the target, or None.

    >>> path_problem("archive/a.warc.gz") is None, path_problem("../x")
    (True, "its path climbs out of the target with '..'")
    """
    if not name:
        return "it has no name"
    if any(ord(char) < 0x20 or char == "\x7f" for char in name):
        return "its name holds control characters"
    if "\\" in name:
        return "its name holds a backslash (a Windows path separator)"
    if name.startswith("/") or _DRIVE.match(name):
        return "its path is absolute"
    if len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        return f"its name is longer than {MAX_NAME_BYTES} bytes"
    parts = name.removesuffix("/").split("/")
    if len(parts) > MAX_PATH_DEPTH:
        return (f"its path is {len(parts)} levels deep, more than the {MAX_PATH_DEPTH} "
                "archiver unpacks")
    if ".." in parts:
        return "its path climbs out of the target with '..'"
    if "" in parts or "." in parts:
        return "its path has an empty or '.' part"
    return None


def is_dir(info: zipfile.ZipInfo) -> bool:
    return info.filename.endswith("/")


def entry_problems(infos: list[zipfile.ZipInfo], *, zip_size: int,
                   limits: ReadLimits | None = None) -> Iterator[Problem]:
    """Every unsafe thing in the central directory of a zip of `zip_size` bytes, one by one
    (a hostile zip can hold hundreds of thousands); none when it is safe to read."""
    largest = (limits or ReadLimits()).max_zip_entry_bytes
    for info in infos:
        for code, message in _entry_faults(info, zip_size, largest):
            yield Problem(code, shown(info.filename), f"{message}; refused")
    yield from _collisions(infos)
    yield from _overlaps(infos)


def _entry_faults(info: zipfile.ZipInfo, zip_size: int, largest: int
                  ) -> list[tuple[ProblemCode, str]]:
    faults: list[tuple[ProblemCode, str]] = []
    if info.header_offset < 0 or info.header_offset + info.compress_size > zip_size:
        faults.append(("zip-entry-invalid", f"it declares {info.compress_size:,} bytes at "
                       f"offset {info.header_offset:,}, outside the zip"))
    if info.file_size > largest:
        faults.append(("zip-entry-too-large", f"it declares {info.file_size:,} bytes, more "
                       f"than the {largest:,} archiver reads from one entry"))
    reason = path_problem(info.filename)
    if reason:
        faults.append(("zip-entry-unsafe-path", reason))
    kind = stat.S_IFMT(info.external_attr >> 16)
    if kind == stat.S_IFLNK:
        faults.append(("zip-entry-link", "it is a symbolic link"))
    elif kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        faults.append(("zip-entry-special", "it is a device, FIFO or socket, not a file"))
    if info.flag_bits & 0x1:
        faults.append(("zip-entry-encrypted", "it is encrypted"))
    if info.compress_type not in _READABLE:
        faults.append(("zip-entry-compression", f"it is compressed with method "
                       f"{info.compress_type}; archiver reads stored and deflated entries"))
    elif info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        faults.append(("zip-bomb", f"it would inflate {info.compress_size} bytes to "
                       f"{info.file_size} (more than {MAX_RATIO} times): a zip bomb"))
    return faults


def _collisions(infos: list[zipfile.ZipInfo]) -> Iterator[Problem]:
    seen: dict[str, str] = {}
    folders = {name for info in infos for name in _parents(info.filename)}
    for info in infos:
        name = info.filename.removesuffix("/")
        key = unicodedata.normalize("NFC", name).casefold()
        if key in seen and not (is_dir(info) and seen[key].endswith("/")):
            same = "twice" if seen[key] == info.filename else f"as {shown(seen[key])!r} too"
            yield Problem("zip-entry-duplicate", shown(info.filename),
                          f"the zip holds this name {same}; refused")
        seen.setdefault(key, info.filename)
        if not is_dir(info) and name in folders:
            yield Problem("zip-entry-duplicate", shown(info.filename),
                          "the zip holds a file and a directory of this name; refused")


def _parents(name: str) -> list[str]:
    parts = name.removesuffix("/").split("/")
    return ["/".join(parts[:end]) for end in range(1, len(parts))]


def _overlaps(infos: list[zipfile.ZipInfo]) -> Iterator[Problem]:
    """Entries whose data runs into the next entry's local header: no zip tool writes that,
    and a bomb uses it to inflate the same compressed bytes again and again."""
    ordered = sorted(infos, key=lambda info: info.header_offset)
    for first, second in itertools.pairwise(ordered):
        encoding = "utf-8" if first.flag_bits & 0x800 else "cp437"
        name_size = len(first.orig_filename.encode(encoding, "replace"))
        end = first.header_offset + _LOCAL_HEADER + name_size + first.compress_size
        if end > second.header_offset:
            yield Problem("zip-entries-overlap", shown(second.filename),
                          f"its bytes overlap those of {shown(first.filename)!r} "
                          "(a zip bomb trick); refused")
