"""Write an attestation file: whole or not at all, and never over a file already there.

Attestations are added to a sealed package, so each is written under a hidden temporary name
beside its place and then hard-linked to its name: `link` fails if the name is taken (as
O_EXCL does), so two writers never overwrite each other and a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from archiver.errors import EnvironmentFault


class NameTaken(Exception):
    """The file to be written exists already (another writer got there first)."""


def write_new_file(path: Path, data: bytes, mode: int = 0o644) -> None:
    """`data` at `path`, which must not exist, with permissions `mode` from its creation (a
    private key's 0600 is never looser, not even briefly). Raises NameTaken if it exists,
    EnvironmentFault if the file system fails (nothing is left behind either way)."""
    temporary = path.with_name(f".{path.name}.partial-{secrets.token_hex(4)}")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, path)
    except FileExistsError:
        raise NameTaken(str(path)) from None
    except OSError as exc:
        raise EnvironmentFault.from_os_error(exc, path) from None
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink()


def make_directory(root: Path, relative: str) -> Path:
    """`root / relative` as a real directory, each folder made if missing. A part that is a
    link or a file is refused: an attestation is never written through a link out of the
    package."""
    here = root
    for part in relative.split("/"):
        here = here / part
        try:
            os.mkdir(here, 0o755)
        except FileExistsError:
            pass
        except OSError as exc:
            raise EnvironmentFault.from_os_error(exc, here) from None
        if not stat.S_ISDIR(os.lstat(here).st_mode):
            raise EnvironmentFault(str(here), "is a link or a file, not a folder; attestations "
                                              "are written only into a real folder")
    return here
