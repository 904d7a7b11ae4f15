"""Unpack a zip or WACZ from elsewhere into a new directory, treating it as hostile.

Before a byte is written, the central directory is checked (see zip_safety.py) and, for a
WACZ, datapackage.json must list exactly the files the zip holds. Then each entry is written
into a hidden staging directory beside the target (O_EXCL | O_NOFOLLOW: never through a link,
never over a file), hashed as it is written and judged against its listed digest; a bag is
verified in full. Only then is the staging directory renamed to the target. On any refusal
or failure the staging directory is removed: nothing is left, and nothing is ever written
outside it.
"""

from __future__ import annotations

import itertools
import os
import shutil
import zipfile
from collections.abc import Iterable
from pathlib import Path

from archiver.errors import (
    ArchiveRefused,
    EnvironmentFault,
    InputNotFoundError,
    NotEvidenceError,
)
from archiver.package_layout import BAGIT
from archiver.regular_files import too_large
from archiver.settings import ReadLimits
from archiver.staging import staging_beside
from archiver.transfer.output import refuse_existing
from archiver.verification.hashing import HashingReader
from archiver.verification.problems import Problem, VerificationReport
from archiver.verification.wacz_datapackage import Resource, read_datapackage, read_digest_file
from archiver.verification.zip_directory import ENTRY_ERRORS, directory_problems, open_zip
from archiver.verification.zip_safety import entry_problems, is_dir
from archiver.wacz_layout import DATAPACKAGE, DATAPACKAGE_DIGEST

BLOCK = 1024 * 1024
KEEP_PROBLEMS = 100
"""Problems an ArchiveRefused carries; the rest are counted."""
_OPEN_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)


def unpack_archive(src: Path, target: Path, *, limits: ReadLimits | None = None) -> Path:
    """Unpack the zip or WACZ at `src` into `target`, a new directory, and return the
    directory holding what was unpacked: `target`, or for a zip holding one directory (a
    bag exported by `export_zip`), that directory inside it.

    Raises InputNotFoundError, OutputExistsError (`target` exists), NotEvidenceError (not a
    zip; a .wacz without datapackage.json), ArchiveRefused (an unsafe entry, a digest that
    does not match, a damaged bag, a zip past `limits`: nothing is written) and
    EnvironmentFault.
    """
    src, target = Path(src), Path(target)
    limits = limits or ReadLimits()
    if not src.is_file():
        raise InputNotFoundError(src)
    refuse_existing(target)
    try:
        _refuse(src, directory_problems(src, limits))
        archive = open_zip(src, "it is not a zip file")
    except OSError as exc:
        raise EnvironmentFault.from_os_error(exc, src) from exc
    with archive:
        infos = archive.infolist()
        _refuse(src, entry_problems(infos, zip_size=src.stat().st_size, limits=limits))
        resources = _wacz_resources(src, archive, infos, limits)
        _check_space(src, infos, target.parent)
        with staging_beside(target) as staging:
            for info in infos:
                _write(src, archive, info, staging, resources)
            root = _root(staging, infos, is_wacz=resources is not None)
            if resources is None and (root / BAGIT).is_file():
                _verify_bag(src, root, limits)
            os.rename(staging, target)
    return target / root.relative_to(staging)


def _refuse(src: Path, problems: Iterable[Problem]) -> None:
    """Raise ArchiveRefused if there is any problem (keeping the first few: a hostile zip
    can have hundreds of thousands)."""
    found = iter(problems)
    kept = list(itertools.islice(found, KEEP_PROBLEMS))
    if kept:
        raise ArchiveRefused(src, kept, more=sum(1 for _ in found))


def _wacz_resources(src: Path, archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo],
                    limits: ReadLimits) -> dict[str, Resource] | None:
    """datapackage.json's resources for a WACZ (None for a plain zip), after checking that
    they list exactly the files the zip holds."""
    names = {info.filename for info in infos if not is_dir(info)}
    if DATAPACKAGE not in names:
        if src.suffix.lower() == ".wacz":
            raise NotEvidenceError(src, "a .wacz without datapackage.json")
        return None
    data = _read_entry(src, archive, DATAPACKAGE, limits.max_json_bytes)
    report = VerificationReport(str(src), "wacz", max_per_file=limits.max_problems_per_file,
                                max_problems=limits.max_problems)
    resources = read_datapackage(data, report, limits)
    if DATAPACKAGE_DIGEST in names:
        digest_file = _read_entry(src, archive, DATAPACKAGE_DIGEST, limits.max_json_bytes)
        report.extend(read_digest_file(digest_file, data, limits))
    for name in sorted(names - set(resources) - {DATAPACKAGE, DATAPACKAGE_DIGEST}):
        report.add(Problem("unlisted-file", name, f"this file is not listed in {DATAPACKAGE}"))
    for name in sorted(set(resources) - names):
        report.add(Problem("missing-file", name, f"{DATAPACKAGE} lists this file, but the "
                           "WACZ does not hold it"))
    if report.problems:
        raise ArchiveRefused(src, report.problems,
                             report.problem_count - len(report.problems))
    return resources


def _read_entry(src: Path, archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """The bytes of entry `name`, if it holds no more than `limit` (whatever it declares)."""
    try:
        with archive.open(name) as stream:
            data = stream.read(limit + 1)
    except ENTRY_ERRORS as exc:
        raise ArchiveRefused(src, [_unreadable(name, exc)]) from None
    if len(data) > limit:
        size = max(len(data), archive.getinfo(name).file_size)
        raise ArchiveRefused(src, [Problem("wacz-file-too-large", name,
                                           too_large(name, size, limit).reason)])
    return data


def _check_space(src: Path, infos: list[zipfile.ZipInfo], where: Path) -> None:
    needed = sum(info.file_size for info in infos)
    free = shutil.disk_usage(where if where.exists() else Path.cwd()).free
    if needed > free:
        raise EnvironmentFault(str(src), f"it unpacks to {needed} bytes, more than the {free} "
                               f"free in {where}")


def _write(src: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo, staging: Path,
           resources: dict[str, Resource] | None) -> None:
    dest = staging.joinpath(*info.filename.removesuffix("/").split("/"))
    if not dest.resolve().is_relative_to(staging.resolve()):  # checked already; be sure
        raise ArchiveRefused(src, [Problem("zip-entry-unsafe-path", info.filename,
                                           "it would be written outside the target")])
    if is_dir(info):
        dest.mkdir(parents=True, exist_ok=True)
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    resource = resources.get(info.filename) if resources is not None else None
    algorithms = {resource.algorithm} if resource is not None and resource.algorithm else set()
    try:
        with archive.open(info) as stream, os.fdopen(os.open(dest, _OPEN_FLAGS, 0o644),
                                                     "wb") as out:
            reader = HashingReader(stream, algorithms)
            while block := reader.read(BLOCK):
                out.write(block)
    except ENTRY_ERRORS as exc:
        raise ArchiveRefused(src, [_unreadable(info.filename, exc)]) from None
    if resource is not None:
        _refuse(src, _judge(resource, reader))


def _judge(resource: Resource, reader: HashingReader) -> list[Problem]:
    if resource.algorithm is None or resource.digest is None:
        return []  # reported when datapackage.json was read
    found = reader.hexdigest(resource.algorithm)
    if found != resource.digest:
        return [Problem("file-digest-mismatch", resource.path, f"the file does not match its "
                        f"{resource.algorithm} in {DATAPACKAGE}",
                        f"{resource.algorithm}:{resource.digest}", f"{resource.algorithm}:{found}")]
    if resource.size is not None and resource.size != reader.size:
        return [Problem("file-size-mismatch", resource.path, f"the file does not have the size "
                        f"{DATAPACKAGE} gives", str(resource.size), str(reader.size))]
    return []


def _unreadable(name: str, exc: BaseException) -> Problem:
    return Problem("zip-entry-corrupt", name, f"the entry cannot be read ({exc}): damaged, "
                   "or it inflates to other bytes than it declares")


def _root(staging: Path, infos: list[zipfile.ZipInfo], *, is_wacz: bool) -> Path:
    tops = {info.filename.split("/", 1)[0] for info in infos}
    if not is_wacz and len(tops) == 1 and all("/" in info.filename for info in infos):
        return staging / tops.pop()
    return staging


def _verify_bag(src: Path, root: Path, limits: ReadLimits) -> None:
    from archiver.verification.package_check import check_package

    report = check_package(root, limits=limits)
    if report.problems:
        raise ArchiveRefused(src, report.problems,
                             report.problem_count - len(report.problems))
