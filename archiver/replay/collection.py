"""What `archiver replay` serves: the WARC files of a package, of a bare WARC or ARC file, or
of a WACZ."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from archiver.errors import NotEvidenceError
from archiver.evidence_kind import WARC_SUFFIXES, sniff_evidence
from archiver.package_layout import BAGIT, DATA_DIR, WARC_DIR
from archiver.regular_files import real_directory, regular_files_in
from archiver.transfer.unpack import unpack_archive
from archiver.warc.arc import has_arc_name
from archiver.warc.members import looks_like_arc

InputKind = Literal["package", "warc", "wacz"]


@dataclass(frozen=True)
class Collection:
    """The WARCs to replay, all in one directory (pywb resolves index entries by file name)."""

    kind: InputKind
    path: Path
    """The package, WARC (or ARC) or WACZ as given."""
    warcs: tuple[Path, ...]
    archive_dir: Path


def open_collection(path: Path, scratch: Path) -> Collection:
    """The collection at `path`; a WACZ's WARCs are copied out into `scratch` (a new,
    private directory), never read from where an untrusted archive says."""
    sniffed = sniff_evidence(path)
    kind = sniffed.kind
    if kind == "other" and (has_arc_name(path.name) or looks_like_arc(sniffed.head)):
        kind = "warc"  # an ARC file: pywb reads it natively, as it reads a WARC
    if kind == "package":
        return _package(path)
    if kind == "wacz":
        return _wacz(path, unpack_archive(path, scratch))
    if kind == "warc":
        resolved = path.resolve()
        return Collection("warc", path, (resolved,), resolved.parent)
    raise NotEvidenceError(path, "not a package, a WARC, an ARC file or a WACZ")


def _package(path: Path) -> Collection:
    if not (path / BAGIT).is_file():
        raise NotEvidenceError(path, f"a directory without {BAGIT}")
    if (path / DATA_DIR).is_symlink() or (path / WARC_DIR).is_symlink():
        raise NotEvidenceError(path, f"its {WARC_DIR} is a link, which may lead out of it")
    # The package's own folder, never one a link inside it leads to; its WARCs likewise.
    warc_dir = real_directory(path.resolve(), WARC_DIR)
    warcs = _warcs_in(warc_dir) if warc_dir is not None else ()
    if warc_dir is None or not warcs:
        raise NotEvidenceError(path, f"no WARC file under {WARC_DIR}")
    return Collection("package", path, warcs, warc_dir)


def _wacz(path: Path, unpacked: Path) -> Collection:
    """The WACZ was unpacked with every check an archive from elsewhere needs (paths, links,
    sizes, every digest of its datapackage.json): see archiver.transfer.unpack."""
    warcs = _warcs_in(unpacked / "archive")
    if not warcs:
        raise NotEvidenceError(path, "a zip file with no WARC under archive/")
    return Collection("wacz", path, warcs, unpacked / "archive")


def _warcs_in(directory: Path) -> tuple[Path, ...]:
    """The regular files of `directory` named as WARCs (links and FIFOs left out)."""
    return tuple(p for p in regular_files_in(directory)
                 if p.name.lower().endswith(WARC_SUFFIXES))
