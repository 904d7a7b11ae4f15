"""What a verb's -o and PATH arguments name: a local path, used exactly as before, or a
storage URL (s3://bucket/prefix/pkg), for which the verb works on a local copy.

- `output_target`: the verb writes into a new local scratch folder, named as the target; when
  the work is done the result is uploaded (upload.py: the completion marker last) and the
  scratch removed. The target is refused before any work when it holds anything.
- `input_target`: the object or package is downloaded into a local scratch folder first
  (download.py: checked against its completion marker) and read there.
- `check_target`: `archiver.check` for either, a remote package's marker problems included.

Local disk therefore needs room for one package (or file) at a time. Text a verb prints about
the local copy is shown with the URL in its place (`relabel`), in its text and its JSON
spelling alike.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archiver.errors import ArchiverError, IncompleteUpload
from archiver.storage.locations import is_storage_url, local_path, url_name
from archiver.terminal import progress_bar, show_error

if TYPE_CHECKING:
    from archiver.verification.problems import Problem, VerificationReport


@dataclass
class Target:
    """A verb's argument: `local` is where the verb reads or writes; `url` is the storage URL
    behind it (None: a local path, `local` itself)."""

    given: str
    local: Path
    url: str | None = None
    problems: list[Problem] = field(default_factory=list)
    """For a remote input: what its download found (a completion marker missing...)."""

    @property
    def is_remote(self) -> bool:
        return self.url is not None

    def relabel(self, text: str) -> str:
        """`text` with the local copy's path shown as the URL it stands for."""
        if self.url is None:
            return text
        url = self.url.rstrip("/")
        # Spelled as JSON too: a scratch folder in a --staging folder may hold any character.
        quoted = json.dumps(str(self.local), ensure_ascii=False)[1:-1]
        return text.replace(str(self.local), url).replace(quoted, json.dumps(
            url, ensure_ascii=False)[1:-1])


@contextmanager
def output_target(given: str, *, scratch_in: Path | None = None) -> Iterator[Target]:
    """The target a verb writes `given` through: a local path as it is; for a storage URL, a
    local scratch path to write the package, folder or file into, uploaded once the verb's
    block ends without error (a block that raises uploads nothing). The scratch folder is
    made in `scratch_in` (a folder that exists; default: the system's temporary folder): a
    cluster capture builds the package where every worker sees it. Raises
    OutputExistsError (the target holds anything), StorageMissing, EnvironmentFault (the
    storage failed; the sealed local copy is then kept, and its place said on stderr)."""
    if not is_storage_url(given):
        yield Target(given, local_path(given))
        return
    from archiver.storage.stores import open_store
    from archiver.storage.upload import refuse_taken, upload_file, upload_folder

    store = open_store(given)
    refuse_taken(store)  # before any work: a capture is never made for a taken target
    scratch = Path(tempfile.mkdtemp(prefix="archiver-upload-", dir=scratch_in))
    target = Target(given, scratch / url_name(given), given)
    try:
        yield target
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    try:
        with progress_bar("uploading") as progress:
            if target.local.is_dir():
                upload_folder(target.local, store, progress)
            elif target.local.is_file():
                upload_file(target.local, store, progress)
    except (ArchiverError, OSError, KeyboardInterrupt):
        if target.local.exists():
            show_error(f"{target.local}: the local copy of {given}, kept: its upload did "
                       "not finish (verify it there; the storage holds no complete copy)")
        raise
    shutil.rmtree(scratch, ignore_errors=True)


@contextmanager
def input_target(given: str, *, accept_incomplete: bool = False) -> Iterator[Target]:
    """The target a verb reads `given` through: a local path as it is; for a storage URL, a
    local copy of the object or package, removed when the block ends. A remote package whose
    completion marker is missing or does not match what is stored raises IncompleteUpload
    (exit 1), unless `accept_incomplete` (verify reports it instead, from `problems`)."""
    if not is_storage_url(given):
        yield Target(given, local_path(given))
        return
    from archiver.storage.download import download
    from archiver.storage.stores import open_store

    store = open_store(given)
    scratch = Path(tempfile.mkdtemp(prefix="archiver-download-"))
    try:
        with progress_bar("downloading") as progress:
            copy = download(store, scratch, progress)
        if copy.problems and not accept_incomplete:
            raise IncompleteUpload(given, f"{copy.problems[0]}; not read")
        yield Target(given, copy.local, given, copy.problems)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def check_target(given: str, **options: Any) -> VerificationReport:
    """`archiver.check` on a local path or a storage URL (options as `check` takes them; a
    progress callback sees the local copy being read). A remote package with no completion
    marker is reported incomplete without being read; one whose objects differ from its
    marker carries those problems beside everything the check of its copy found."""
    from archiver.verification import check
    from archiver.verification.problems import VerificationReport

    with input_target(given, accept_incomplete=True) as target:
        if not target.is_remote:
            return check(target.local, **options)
        if not target.local.exists():  # no marker: nothing was downloaded
            report = VerificationReport(given, "package")
        else:
            report = check(target.local, **options)
            report.path = given
        report.extend(target.problems)
        return report
