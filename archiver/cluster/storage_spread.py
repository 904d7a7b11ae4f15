"""extract on a Dask cluster into an output on object storage (`-o s3://bucket/out`).

Each worker reaches the storage itself, through fsspec, with the credentials and endpoint
of its own machine (environment, config files: docs/storage.md); the driver sends URLs,
never a secret. Inputs on storage are read by the workers as a local run reads them
(spread.extract_input: a package judged by its completion marker first).

An object store has no rename, so an output there is written as a local run's upload is:
exclusively (never over an object), and complete only once its completion marker is
written, last. A worker extracts its input into a temporary folder of its own, then uploads
the files under a hidden prefix of the output (`.part-NNNNNN-xxxxxxxx/`, its attempt's own:
a worker that died leaves its objects there, named by nothing). The driver, in the order of
the inputs, copies each file to its place in the output (a copy inside the store: no byte
passes through the driver; PLACERS inputs at a time, while later inputs come back), numbered
as a local run numbers them, and removes the staged objects. Once every input is done and
the hidden prefixes are gone, it writes the marker, which lists every object with its size
and SHA-256 (the worker's, computed as it uploaded). A run that stops before that leaves no
marker: nothing that claims to be complete.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from archiver._types import Progress
from archiver.cluster.spread import (
    PART_PREFIX,
    Extracted,
    OutputFormat,
    extracted_in_order,
    placed_name,
)
from archiver.errors import EnvironmentFault
from archiver.storage.completion import MARKER, UploadedObject, marker_bytes

if TYPE_CHECKING:
    from distributed import Client

    from archiver.storage.stores import Store


PLACERS = 4
"""Inputs whose files the driver copies into place at a time, while later inputs come back:
each copy is a request the store serves, none of the driver's bytes or CPU."""


def extract_to_storage(client: Client, paths: Sequence[Path | str], output: str,
                       output_format: OutputFormat = "json",
                       progress: Progress | None = None) -> Iterator[Extracted]:
    """Each input's extraction, in the order given, made on the cluster's workers and
    written to the new storage URL `output` as `extract_on_cluster` writes a folder, its
    completion marker last. The output is refused before any work when it holds anything
    (OutputExistsError) or its bucket is not there (EnvironmentFault); a worker that cannot
    write to it stops the run (EnvironmentFault), with no marker written."""
    from archiver.storage.stores import open_store, storage_errors
    from archiver.storage.transfer import put_bytes
    from archiver.storage.upload import refuse_taken

    store = open_store(output)
    refuse_taken(store)
    placing: list[Future[list[UploadedObject]]] = []
    pool = ThreadPoolExecutor(PLACERS, thread_name_prefix="archiver-place")
    count = 0
    finished = False
    try:
        for done in extracted_in_order(client, paths, output, output_format, progress):
            if done.output_failed:
                assert done.error is not None
                raise _fault(done.error.message, output)
            if done.folder is not None and done.uploaded:
                placing.append(pool.submit(_into_place, store, done, count))
            count += sum(1 for name in done.files if name.endswith(".json"))
            for placed in placing:  # a copy that failed stops the run now, not at the end
                if placed.done():
                    placed.result()
            yield done
        written = [entry for placed in placing for entry in placed.result()]
        with storage_errors(output):
            _remove_staged(store)
            put_bytes(store, MARKER, marker_bytes(written, None))
        finished = True
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if not finished:
            with contextlib.suppress(Exception):  # a best effort: the marker is the seal
                _remove_staged(store)


def _into_place(store: Store, done: Extracted, count: int) -> list[UploadedObject]:
    """Copy the staged objects of `done` (`count` documents before it) to their names in
    the output, then remove them; the objects as placed."""
    from archiver.storage.stores import storage_errors
    from archiver.storage.transfer import copy_new

    placed = [(entry, placed_name(entry.path, done.index, count)) for entry in done.uploaded]
    with storage_errors(store.url):
        copy_new(store, [store.join(f"{done.folder}/{entry.path}") for entry, _ in placed],
                 [store.join(name) for _, name in placed])
        store.fs.rm(store.join(str(done.folder)), recursive=True)
    return [UploadedObject(name, entry.size, entry.sha256) for entry, name in placed]


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
