"""verify and extract spread over a Dask cluster: one task per input (a package, a WARC, a
WACZ, a loose file), the results taken back in the order the inputs were given, so the one
report at the end reads as a local run's does.

The inputs, and the output folder of an extraction, must be on storage every worker shares
with the driver, or storage URLs each worker reaches itself (an output on storage:
storage_spread.py). A worker writes an input's extracted files into a folder of its own in
the output folder (`.part-NNNNNN-xxxxxxxx/`); the driver moves them into place in input
order, numbered as a local run numbers them, and removes what a worker that died left
behind.
"""

from __future__ import annotations

import contextlib
import functools
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from archiver._types import Progress
from archiver.cluster.ordered import in_order
from archiver.errors import ArchiverError, ArchiverUsageError, EvidenceError
from archiver.extract.document import ExtractionSummary
from archiver.storage.locations import is_storage_url
from archiver.verification.problems import VerificationReport

if TYPE_CHECKING:
    from distributed import Client, Future

    from archiver.storage.completion import UploadedObject

ErrorKind = Literal["usage", "evidence", "environment"]
OutputFormat = Literal["json", "parquet"]
PART_PREFIX = ".part-"
T = TypeVar("T")


@dataclass
class InputError:
    """An input that could not be read at all (not evidence, missing, unreadable)."""

    message: str
    kind: ErrorKind

    @classmethod
    def of(cls, error: ArchiverError) -> InputError:
        kind: ErrorKind = ("usage" if isinstance(error, ArchiverUsageError) else
                           "evidence" if isinstance(error, EvidenceError) else "environment")
        return cls(str(error), kind)


@dataclass
class Verified:
    path: str
    report: VerificationReport | None = None
    error: InputError | None = None


@dataclass
class Extracted:
    index: int
    path: str
    folder: str | None = None
    summaries: list[ExtractionSummary] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    error: InputError | None = None
    files: list[str] = field(default_factory=list)
    """What the worker wrote in `folder`, in order."""
    uploaded: list[UploadedObject] = field(default_factory=list)
    """With an output on storage: `files` as uploaded under the prefix `folder` (relative
    to the output), with their sizes and SHA-256s."""
    output_failed: bool = False
    """The worker could not write to the output (`error` says why): the run cannot finish."""


# -- on a worker ----------------------------------------------------------------------------

def verify_input(path: str, strict: bool, trust_files: list[str],
                 require_signature: bool) -> Verified:
    """Check one input, on a worker: as `archiver verify` does (the trust list is the files
    named, and the worker machine's own configuration)."""
    from archiver.attestation.trust import load_trust, user_trust
    from archiver.storage.targets import check_target
    from archiver.verification.attestation_problems import ProofOptions

    named = [Path(name) for name in trust_files]
    try:
        if named:
            load_trust(named, with_defaults=False)
        trusted = functools.cache(functools.partial(user_trust, named))
        # A storage URL is read as a local run reads it: its completion marker first.
        proof = ProofOptions(trust=trusted, require_signature=require_signature)
        report = check_target(path, strict=strict, trust=trusted() if named else None,
                              proof=proof)
    except ArchiverError as error:
        return Verified(path, error=InputError.of(error))
    return Verified(path, report)


def extract_input(index: int, path: str, output: str, output_format: OutputFormat
                  ) -> Extracted:
    """Extract one input (a shared path, or a storage URL read into a local copy), on a
    worker, into a new folder of its own under `output`; for an `output` that is a storage
    URL, into a temporary folder uploaded under a new prefix of its own there."""
    from archiver.extract.api import extract
    from archiver.storage.targets import input_target

    done = Extracted(index, path)
    with contextlib.ExitStack() as stack:
        try:
            source = stack.enter_context(input_target(path))
            run = extract(source.local, name=path if source.url else None)
        except ArchiverError as error:
            done.error = InputError.of(error)
            return done
        name = f"{PART_PREFIX}{index:06d}-{uuid.uuid4().hex[:8]}"
        remote = is_storage_url(output)
        folder = (Path(stack.enter_context(tempfile.TemporaryDirectory(
            prefix="archiver-extract-"))) if remote else Path(output)) / name
        folder.mkdir()  # never made again in an output a finished run has tidied
        done.folder = name if remote else str(folder)
        if output_format == "parquet":
            _parquet(run, folder, path, done)
        else:
            _json(run, folder, done)
        done.problems = [source.relabel(problem) for problem in run.problems]
        for summary in done.summaries:  # the local copy of a storage URL named by its URL
            summary.file = source.relabel(summary.file) if summary.file else None
            summary.problems = [source.relabel(problem) for problem in summary.problems]
        if remote:
            _stage(folder, output, name, done)
    return done


def _stage(folder: Path, output: str, name: str, done: Extracted) -> None:
    """Upload the files of `folder` under the new prefix `name` of the storage URL `output`
    (storage_spread.py puts them into place)."""
    from archiver.storage.upload import upload_files

    try:
        done.uploaded = upload_files(folder, done.files, f"{output.rstrip('/')}/{name}",
                                     errors_named=output)
    except ArchiverError as error:
        done.error = InputError.of(error)
        done.output_failed = True


def _parquet(run: Any, folder: Path, path: str, done: Extracted) -> None:
    from archiver.extract.parquet_output import ParquetWriter

    writer = ParquetWriter(folder / "part.parquet")
    try:
        for extraction in run:
            writer.write(extraction, path)
            done.summaries.append(extraction.summary())
    finally:
        writer.close()
    done.files = ["part.parquet"]


def _json(run: Any, folder: Path, done: Extracted) -> None:
    from archiver.extract.files import ExtractionWriter

    writer = ExtractionWriter(folder)
    for extraction in run:
        written = writer.write(extraction)
        done.files += [written.name, written.with_suffix(".txt").name]
        done.summaries.append(extraction.summary())


# -- on the driver --------------------------------------------------------------------------

def _named_as_given(done: Verified | Extracted, given: Path | str) -> None:
    """The result (its report, its error line) names its input as the user typed it, not
    as the worker was given it (for_workers)."""
    path, name = for_workers(given), str(given)
    done.path = name
    if done.error is not None:
        done.error = InputError(done.error.message.replace(path, name), done.error.kind)
    if isinstance(done, Verified) and done.report is not None:
        done.report = done.report.renamed(path, name)


def for_workers(path: Path | str) -> str:
    """A path as a worker must be given it: a storage URL as it is, a local path made
    absolute (a worker's working directory is its own; shared storage is mounted at the
    same path on every machine).

    >>> for_workers("s3://evidence/pkg")
    's3://evidence/pkg'
    """
    text = str(path)
    return text if is_storage_url(text) else str(Path(text).absolute())


def verify_on_cluster(client: Client, paths: Sequence[Path | str], *, strict: bool = False,
                      trust_files: Sequence[Path] = (), require_signature: bool = False,
                      progress: Progress | None = None) -> Iterator[Verified]:
    """Each input's verification, in the order given, checked on the cluster's workers (each
    named in its result as it was given)."""
    trust = [for_workers(name) for name in trust_files]
    checked = _in_order(client, (client.submit(
        verify_input, for_workers(path), strict, trust, require_signature, pure=False)
        for path in paths), len(paths), progress)
    for given, done in zip(paths, checked, strict=True):
        _named_as_given(done, given)
        yield done


def extract_on_cluster(client: Client, paths: Sequence[Path | str], output: Path,
                       output_format: OutputFormat = "json",
                       progress: Progress | None = None) -> Iterator[Extracted]:
    """Each input's extraction, in the order given, made on the cluster's workers and
    written into `output` (new or empty): one .json and one .txt per document, numbered
    across all inputs as a local run numbers them; or with `output_format` "parquet", one
    `part-NNNNN.parquet` per input. Inputs may be storage URLs (as str); for an output on
    storage, see storage_spread.extract_to_storage."""
    from archiver.extract.files import ExtractionWriter

    ExtractionWriter(output)  # refuses an output in use, makes it
    count = 0
    try:
        for done in extracted_in_order(client, paths, str(output), output_format, progress):
            if done.folder is not None:
                count = _move_into_place(done, output, count)
            yield done
    finally:
        for leftover in output.glob(f"{PART_PREFIX}*"):  # a worker that died left it
            shutil.rmtree(leftover, ignore_errors=True)


def _move_into_place(done: Extracted, output: Path, count: int) -> int:
    assert done.folder is not None
    folder = Path(done.folder)
    for name in done.files:
        (folder / name).rename(output / placed_name(name, done.index, count))
    folder.rmdir()
    return count + sum(1 for name in done.files if name.endswith(".json"))


def placed_name(name: str, index: int, count: int) -> str:
    """The name in the output of a file a worker wrote for input `index`, `count` documents
    coming before it: numbered as a local run numbers them.

    >>> placed_name("00002-example-org-report.json", 3, 40), placed_name("part.parquet", 3, 40)
    ('00042-example-org-report.json', 'part-00003.parquet')
    """
    if name == "part.parquet":
        return f"part-{index:05d}.parquet"
    number, _, rest = name.partition("-")
    return f"{int(number) + count:05d}-{rest}"


def extracted_in_order(client: Client, paths: Sequence[Path | str], output: str,
                       output_format: OutputFormat, progress: Progress | None
                       ) -> Iterator[Extracted]:
    """Each input's extraction into `output` (a shared folder or a storage URL), made on
    the workers and taken back in the order given."""
    submitted = (client.submit(extract_input, index, for_workers(path), for_workers(output),
                               output_format, pure=False) for index, path in enumerate(paths))
    for given, done in zip(paths, _in_order(client, submitted, len(paths), progress),
                           strict=True):
        _named_as_given(done, given)
        yield done


def _in_order(client: Client, submitted: Iterator[Future[T]], total: int,
              progress: Progress | None) -> Iterator[T]:
    """Each input's result, in the order given, every input sent at once."""
    return in_order(client, submitted, lost="the cluster lost the work on an input: the "
                    "workers that ran it died each time",
                    on_done=(lambda done: progress(done, total, "")) if progress else None)
