"""Evidence is written under a hidden temporary name beside its final place and renamed into
place only when complete: a run that fails or is killed never leaves something at the output
path that could pass for a complete package or archive."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from archiver.errors import EnvironmentFault


@contextmanager
def staging_beside(target: Path) -> Iterator[Path]:
    """A new hidden directory beside `target` (`.NAME.partial-xxxxxxxx`), removed on the way
    out unless the caller renamed it into place; OSErrors become EnvironmentFault."""
    staging = target.parent / f".{target.name}.partial-{uuid.uuid4().hex[:8]}"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging.mkdir()
    except OSError as exc:
        raise EnvironmentFault.from_os_error(exc, target) from exc
    try:
        yield staging
    except OSError as exc:
        raise EnvironmentFault.from_os_error(exc, target) from exc
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
