"""What `archiver replay` serves: the WARC files of a package, of a bare WARC, or of a WACZ."""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from archiver.errors import EnvironmentFault, InputNotFoundError, NotEvidenceError
from archiver.warc.members import looks_like_warc

InputKind = Literal["package", "warc", "wacz"]
WARC_SUFFIXES = (".warc", ".warc.gz")
ZIP_MAGIC = b"PK\x03\x04"
SNIFF_BYTES = 4096


@dataclass(frozen=True)
class Collection:
    """The WARCs to replay, all in one directory (pywb resolves index entries by file name)."""

    kind: InputKind
    path: Path
    """The package, WARC or WACZ as given."""
    warcs: tuple[Path, ...]
    archive_dir: Path


def open_collection(path: Path, scratch: Path) -> Collection:
    """The collection at `path`; a WACZ's WARCs are copied out into `scratch` (a new,
    private directory), never read from where an untrusted archive says."""
    if not path.exists():
        raise InputNotFoundError(path, "file or directory")
    if path.is_dir():
        return _package(path)
    head = _head(path)
    if head.startswith(ZIP_MAGIC):
        return _wacz(path, unpack_wacz(path, scratch))
    if path.name.lower().endswith(WARC_SUFFIXES) or looks_like_warc(head):
        resolved = path.resolve()
        return Collection("warc", path, (resolved,), resolved.parent)
    raise NotEvidenceError(path, "not a package, a WARC or a WACZ")


def _package(path: Path) -> Collection:
    if not (path / "bagit.txt").is_file():
        raise NotEvidenceError(path, "a directory without bagit.txt")
    warc_dir = (path / "data" / "warc").resolve()
    warcs = _warcs_in(warc_dir)
    if not warcs:
        raise NotEvidenceError(path, "no WARC file under data/warc")
    return Collection("package", path, warcs, warc_dir)


def _wacz(path: Path, unpacked: Path) -> Collection:
    warcs = _warcs_in(unpacked)
    if not warcs:
        raise NotEvidenceError(path, "a zip file with no WARC under archive/")
    return Collection("wacz", path, warcs, unpacked)


def _warcs_in(directory: Path) -> tuple[Path, ...]:
    if not directory.is_dir():
        return ()
    return tuple(sorted(p for p in directory.iterdir()
                        if p.is_file() and p.name.lower().endswith(WARC_SUFFIXES)))


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(SNIFF_BYTES)
    except OSError as error:
        raise EnvironmentFault.from_os_error(error, path) from error


def unpack_wacz(src: Path, target: Path) -> Path:
    """Copy the WARCs of the WACZ `src` (its archive/*.warc[.gz]) into the new directory
    `target` and return it. Read-only on `src`.

    The archive may come from anyone, so a member's name is never used as a path: only WARCs
    directly under archive/ with a plain file name are taken, each once. (A stand-in for
    archiver.transfer's general `unpack_archive`, which can replace it.)
    """
    target.mkdir()
    try:
        with zipfile.ZipFile(src) as archive:
            for info in archive.infolist():
                name = _safe_warc_name(info)
                if name is None or (target / name).exists():
                    continue
                with archive.open(info) as member, (target / name).open("xb") as out:
                    shutil.copyfileobj(member, out, 1024 * 1024)
    except zipfile.BadZipFile as error:
        raise NotEvidenceError(src, f"not a readable WACZ: {error}") from error
    return target


def _safe_warc_name(info: zipfile.ZipInfo) -> str | None:
    parts = PurePosixPath(info.filename).parts
    if info.is_dir() or len(parts) != 2 or parts[0] != "archive":
        return None
    name = parts[1]
    if name.startswith(".") or "\\" in name or not name.lower().endswith(WARC_SUFFIXES):
        return None
    return name
