"""What `archiver replay` serves: the WARC files of a package, of a bare WARC or ARC file, or
of a WACZ."""

from __future__ import annotations

from collections.abc import Sequence
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
    packages: tuple[Path, ...] = ()
    """Every package replayed together (a dedup'd package with the packages holding the
    payloads its revisits stand for); empty for one WARC or WACZ."""


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
    return Collection("package", path, warcs, warc_dir, (path,))


def open_packages(paths: Sequence[Path], scratch: Path) -> Collection:
    """Several packages as one collection: pywb resolves a revisit record by its URL and
    payload digest among the records it is given, so a package captured with `--dedup` is
    replayed with the packages its revisits refer to. Their WARCs are linked into one new
    directory `scratch` (pywb finds a record's file by name there)."""
    found = [_package(path) if sniff_evidence(path).kind == "package" else None
             for path in paths]
    for path, collection in zip(paths, found, strict=True):
        if collection is None:
            raise NotEvidenceError(path, "several inputs are replayed together only when each "
                                   "is a package")
    scratch.mkdir()
    warcs = []
    for collection in found:
        assert collection is not None
        for warc in collection.warcs:
            link = scratch / warc.name
            if link.exists() or link.is_symlink():
                raise NotEvidenceError(collection.path, f"two packages hold a WARC named "
                                       f"{warc.name}: give one of them")
            link.symlink_to(warc)  # for pywb; archiver reads the package's own file
            warcs.append(warc)
    return Collection("package", paths[0], tuple(warcs), scratch, tuple(paths))


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
