"""extract on a Dask cluster with storage URLs (s3://, gs://...): inputs read straight from
the object store by the workers, and an output (`-o s3://bucket/out`) written to it by them.

Each worker reaches the storage itself, through fsspec, with the credentials and endpoint
of its own machine (environment, config files: docs/storage.md); the driver sends URLs,
never a secret. An input on storage is downloaded into the worker's temporary folder and
read there, a package judged by its completion marker first, as a local run judges it.

An object store has no rename, so an output there is written as a local run's upload is:
exclusively (never over an object), and complete only once its completion marker is
written, last. A worker extracts its input into a temporary folder of its own, then uploads
the files under a hidden prefix of the output (`.part-NNNNNN-xxxxxxxx/`, its attempt's own:
a worker that died leaves its objects there, named by nothing). The driver, in the order of
the inputs, copies each file to its place in the output (a copy inside the store: no byte
passes through the driver), numbered as a local run numbers them, and removes the staged
objects. Once every input is done and the hidden prefixes are gone, it writes the marker,
which lists every object with its size and SHA-256 (the worker's, computed as it uploaded).
A run that stops before that leaves no marker: nothing that claims to be complete.
"""

from __future__ import annotations

import contextlib
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from archiver._types import Progress
from archiver.cluster.spread import (
    PART_PREFIX,
    Extracted,
    InputError,
    OutputFormat,
    placed_name,
    write_part,
)
from archiver.errors import ArchiverError, EnvironmentFault, OutputExistsError
from archiver.storage.completion import MARKER, UploadedObject, marker_bytes
from archiver.storage.locations import is_storage_url

if TYPE_CHECKING:
    from distributed import Client

    from archiver.storage.stores import Store
    from archiver.storage.targets import Target


@dataclass
class StoredExtracted(Extracted):
    """An input extracted by a worker, with -o a storage URL: `folder` is the prefix its
    files were staged under, relative to the output."""

    uploaded: list[UploadedObject] = field(default_factory=list)
    """The staged objects (paths relative to `folder`), as written: size and SHA-256."""
    output_failed: bool = False
    """The worker could not write to the output: the run cannot finish (`error` says why)."""


# -- on a worker ----------------------------------------------------------------------------

def extract_stored(index: int, path: str, output: str, output_format: OutputFormat
                   ) -> Extracted:
    """Extract one input (a shared path or a storage URL), on a worker, into `output` (a
    shared folder, where its files go into a new folder of its own, as for local inputs; or
    a storage URL, where they are staged under a new prefix of their own)."""
    from archiver.extract.api import extract
    from archiver.storage.targets import input_target

    done = StoredExtracted(index, path)
    with contextlib.ExitStack() as stack:
        try:
            source = stack.enter_context(input_target(path))
            run = extract(source.local)
        except ArchiverError as error:
            done.error = InputError.of(error)
            return done
        name = f"{PART_PREFIX}{index:06d}-{uuid.uuid4().hex[:8]}"
        remote = is_storage_url(output)
        if remote:
            folder = Path(stack.enter_context(
                tempfile.TemporaryDirectory(prefix="archiver-extract-"))) / name
        else:
            folder = Path(output) / name
        folder.mkdir()  # never made again in an output a finished run has tidied
        done.folder = name if remote else str(folder)
        write_part(run, folder, path, output_format, done)
        done.problems = [source.relabel(problem) for problem in run.problems]
        _relabel(done, source)
        if remote:
            try:
                done.uploaded = _stage(folder, output, name, done.files)
            except ArchiverError as error:
                done.error = InputError.of(error)
                done.output_failed = True
    return done


def _relabel(done: Extracted, source: Target) -> None:
    """The input's local copy named by its URL in what goes back to the driver."""
    for summary in done.summaries:
        summary.file = source.relabel(summary.file) if summary.file else summary.file
        summary.problems = [source.relabel(problem) for problem in summary.problems]


def _stage(folder: Path, output: str, name: str, files: list[str]) -> list[UploadedObject]:
    """Upload `files` of `folder` under the new prefix `name` of the output, exclusively."""
    from archiver.storage.stores import Store, open_store, storage_errors
    from archiver.storage.transfer import put_new

    store = open_store(output)
    staged = Store(store.url, store.fs, store.join(name))
    with storage_errors(output):
        return [put_new(staged, folder / file, file) for file in files]


# -- on the driver --------------------------------------------------------------------------

def extract_to_storage(client: Client, paths: Sequence[Path | str], output: str,
                       output_format: OutputFormat = "json",
                       progress: Progress | None = None) -> Iterator[Extracted]:
    """Each input's extraction, in the order given, made on the cluster's workers and
    written to the new storage URL `output` as `extract_on_cluster` writes a folder, its
    completion marker last. The output is refused before any work when it holds anything
    (OutputExistsError) or its bucket is not there (EnvironmentFault); a worker that cannot
    write to it stops the run (EnvironmentFault), with no marker written."""
    from archiver.cluster.spread import _in_order, extract_input
    from archiver.storage.stores import open_store, storage_errors
    from archiver.storage.transfer import put_bytes
    from archiver.storage.upload import refuse_taken

    store = open_store(output)
    refuse_taken(store)
    futures = [client.submit(extract_input, index, str(path), output, output_format,
                             pure=False) for index, path in enumerate(paths)]
    written: list[UploadedObject] = []
    count = 0
    finished = False
    try:
        for done in _in_order(client, futures, progress):
            if isinstance(done, StoredExtracted) and done.output_failed:
                assert done.error is not None
                raise _fault(done.error.message, output)
            if done.folder is not None:
                count = _into_place(store, done, count, written)
            yield done
        with storage_errors(output):
            _remove_staged(store)
            put_bytes(store, MARKER, marker_bytes(written, None))
        finished = True
    finally:
        if not finished:
            with contextlib.suppress(Exception):  # a best effort: the marker is the seal
                _remove_staged(store)


def _into_place(store: Store, done: Extracted, count: int,
                written: list[UploadedObject]) -> int:
    """Copy the staged objects of `done` to their names in the output, then remove them."""
    from archiver.storage.stores import storage_errors

    assert isinstance(done, StoredExtracted) and done.folder is not None
    with storage_errors(store.url):
        for entry in done.uploaded:
            target = placed_name(entry.path, done.index, count)
            destination = store.join(target)
            store.fs.invalidate_cache(destination)
            if store.fs.exists(destination):  # a store has no exclusive copy: checked first
                raise OutputExistsError(f"{store.url.rstrip('/')}/{target}")
            store.fs.copy(store.join(f"{done.folder}/{entry.path}"), destination)
            written.append(UploadedObject(target, entry.size, entry.sha256))
        if done.uploaded:
            store.fs.rm(store.join(done.folder), recursive=True)
    return count + sum(1 for name in done.files if name.endswith(".json"))


def _remove_staged(store: Store) -> None:
    """Remove every hidden prefix under the output: what workers that died left."""
    store.fs.invalidate_cache()
    try:
        entries = store.fs.ls(store.path, detail=False)
    except FileNotFoundError:  # nothing was written under it
        return
    for entry in entries:
        if str(entry).rstrip("/").rsplit("/", 1)[-1].startswith(PART_PREFIX):
            store.fs.rm(str(entry), recursive=True)
    store.fs.invalidate_cache()


def _fault(message: str, output: str) -> EnvironmentFault:
    """The worker's one line (`URL: reason`) as the driver's error."""
    what, _, reason = message.partition(": ")
    return EnvironmentFault(what or output, reason or message)
