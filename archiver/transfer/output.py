"""Write an export: a zip built in a hidden directory beside the output (see staging.py),
moved into place whole, and never over an existing file; every entry streamed and hashed as
it is written."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from archiver.errors import EnvironmentFault, OutputExistsError
from archiver.regular_files import open_binary
from archiver.staging import partial_beside
from archiver.transfer.results import ExportedFile

BLOCK = 1024 * 1024
_FILE_MODE = (stat.S_IFREG | 0o644) << 16

OnBlock = Callable[[bytes], object]


class ZipWriter:
    """Adds entries to an open zip; remembers each one's size and SHA-256."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.files: list[ExportedFile] = []
        self._names: set[str] = set()
        self._when = time.gmtime()[:6]

    def add_file(self, name: str, path: Path, *, stored: bool,
                 on_block: OnBlock | None = None) -> ExportedFile:
        with open_binary(path) as source:  # a regular file, never through a link
            return self.add_stream(name, source, os.fstat(source.fileno()).st_size,
                                   stored=stored, on_block=on_block)

    def add_bytes(self, name: str, data: bytes) -> ExportedFile:
        entry = ExportedFile(name, len(data), hashlib.sha256(data).hexdigest())
        self.archive.writestr(self._info(name, len(data), stored=False), data)
        self.files.append(entry)
        return entry

    def add_stream(self, name: str, source: BinaryIO, size: int, *, stored: bool,
                   on_block: OnBlock | None = None) -> ExportedFile:
        """Copy `source` into a new entry block by block (zipfile seeks back to write the
        sizes and CRC), hashing the same blocks; `on_block` sees each block too."""
        digest = hashlib.sha256()
        written = 0
        with self.archive.open(self._info(name, size, stored=stored), "w") as entry:
            while block := source.read(BLOCK):
                digest.update(block)
                entry.write(block)
                written += len(block)
                if on_block is not None:
                    on_block(block)
        exported = ExportedFile(name, written, digest.hexdigest())
        self.files.append(exported)
        return exported

    def _info(self, name: str, size: int, *, stored: bool) -> zipfile.ZipInfo:
        if name in self._names:
            raise RuntimeError(f"{name} is already in the zip")
        self._names.add(name)
        info = zipfile.ZipInfo(name, self._when)
        info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
        info.external_attr = _FILE_MODE
        info.file_size = size  # zipfile picks ZIP64 headers up front from the expected size
        return info


def refuse_existing(path: Path) -> None:
    if path.exists() or path.is_symlink():
        raise OutputExistsError(path)


@contextmanager
def zip_output(out: Path) -> Iterator[ZipWriter]:
    """A `ZipWriter` whose zip appears at `out` only when the block completes."""
    refuse_existing(out)
    with partial_beside(out) as temp:
        try:
            handle = temp.open("xb")
        except OSError as exc:
            raise EnvironmentFault.from_os_error(exc, out) from exc
        with handle:
            with zipfile.ZipFile(handle, "w", allowZip64=True) as archive:
                yield ZipWriter(archive)
            handle.flush()
            os.fsync(handle.fileno())
        _place(temp, out)


def _place(temp: Path, out: Path) -> None:
    """Give the finished file its name; a link fails rather than replace a file that
    appeared at `out` meanwhile (a rename would silently overwrite it)."""
    try:
        os.link(temp, out)
        return
    except FileExistsError:
        raise OutputExistsError(out) from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK,
                             errno.ENOSYS):
            raise
    refuse_existing(out)  # a file system without hard links: check, then rename
    os.rename(temp, out)
