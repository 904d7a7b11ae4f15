"""The WARC files inside a WACZ, read for extraction straight from the zip.

Nothing is unpacked: each `archive/*.warc(.gz)` entry is opened as a stream from the zip and
inflated as it is read, so neither the disk nor the memory holds a whole WARC. The zip is
hostile until shown otherwise, and gets the checks `archiver verify` gives a WACZ before a
byte of an entry is inflated: its central directory is bounded before zipfile reads it
(zip_directory.py), and every entry that is unsafe (a path out of the archive, a link, an
overlap, a bomb, encryption) is named and never read (zip_safety.py). Whether the WACZ's
digests hold is verify's question, not extract's.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, cast

from archiver.errors import NotEvidenceError
from archiver.settings import ReadLimits
from archiver.verification.zip_directory import ENTRY_ERRORS, directory_problems, open_zip
from archiver.verification.zip_safety import entry_problems, is_dir, shown
from archiver.wacz_layout import is_warc_path

READ_ERRORS = (OSError, *ENTRY_ERRORS)
"""What reading a member may raise: the file system, or a damaged entry (a bad CRC, a corrupt
deflate stream, the zip cut short)."""


@dataclass
class WaczWarcs:
    """The WARC entries of an open WACZ that are safe to read, and why any others were not."""

    archive: zipfile.ZipFile | None
    members: list[zipfile.ZipInfo] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)

    @contextmanager
    def open_member(self, info: zipfile.ZipInfo) -> Iterator[BinaryIO]:
        """One entry as a stream, inflated as it is read (ZipExtFile also seeks, by reading
        on from the entry's start: the record framing uses that to search a cut record)."""
        assert self.archive is not None
        with self.archive.open(info) as stream:
            yield cast(BinaryIO, stream)


@contextmanager
def wacz_warcs(path: Path, limits: ReadLimits | None = None) -> Iterator[WaczWarcs]:
    """The WARCs of the WACZ at `path`, in name order, for as long as the context lasts.

    A zip refused as a whole (a central directory past the limits) has no members and says
    why in `refusals`. Raises NotEvidenceError when `path` is not a zip, OSError when it
    cannot be read.
    """
    limits = limits or ReadLimits()
    refused = directory_problems(path, limits)
    if refused:  # its list of entries is not even read
        yield WaczWarcs(None, refusals=[_line(path, str(problem)) for problem in refused])
        return
    with open_zip(path, "it is not a zip file, so not a WACZ") as archive:
        infos = archive.infolist()
        unsafe: set[str] = set()
        refusals: list[str] = []
        for problem in entry_problems(infos, zip_size=path.stat().st_size, limits=limits):
            unsafe.add(problem.path)
            refusals.append(_line(path, str(problem)))
        members = sorted((info for info in infos if not is_dir(info)
                          and shown(info.filename) not in unsafe
                          and is_warc_path(info.filename)), key=lambda info: info.filename)
        if not members and not refusals:
            raise NotEvidenceError(path, "a zip with no WARC file under archive/, so not a "
                                   "WACZ")
        yield WaczWarcs(archive, members, refusals)


def _line(path: Path, problem: str) -> str:
    return f"{path}: {problem}"


__all__ = ["READ_ERRORS", "WaczWarcs", "wacz_warcs"]
