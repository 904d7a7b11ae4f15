"""Copying between local disk and a store, in chunks, hashing as the bytes pass: memory stays
flat whatever the size of a WARC (one chunk, plus the driver's buffer of one multipart part).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from archiver._types import Progress
from archiver.errors import OutputExistsError
from archiver.regular_files import open_binary
from archiver.storage.completion import UploadedObject
from archiver.storage.stores import Store

CHUNK = 1024 * 1024
"""What is read and written at a time."""

PART = 8 * 1024 * 1024
"""The driver's buffer: one part of a multipart upload (S3 takes parts of 5 MiB and more),
or one ranged read of a download."""

OnBytes = Callable[[int], None]


def put_new(store: Store, local: Path, relative: str,
            on_bytes: OnBytes | None = None) -> UploadedObject:
    """Upload the local file as a new object `relative` under the store's path, never over one
    that exists: written in exclusive mode (S3: If-None-Match), so a second writer racing for
    the same name fails instead of replacing it. A multipart upload that does not finish
    leaves no object. Returns the object as written (its size and SHA-256)."""
    digest = hashlib.sha256()
    size = 0
    sink = _open_new(store, relative, block_size=PART)
    try:
        with open_binary(local) as source, sink:
            while block := source.read(CHUNK):
                digest.update(block)
                sink.write(block)
                size += len(block)
                if on_bytes is not None:
                    on_bytes(len(block))
    except FileExistsError:  # s3fs learns it when the object is put, at the end
        raise _taken(store, relative) from None
    return UploadedObject(relative, size, digest.hexdigest())


def put_bytes(store: Store, relative: str, data: bytes) -> None:
    """A small new object (the completion marker), never over one that exists."""
    try:
        with _open_new(store, relative) as sink:
            sink.write(data)
    except FileExistsError:
        raise _taken(store, relative) from None


def _open_new(store: Store, relative: str, **options: Any) -> Any:
    """A new object open for writing, in exclusive mode where the driver has it (s3fs: the
    write fails if the name was taken meanwhile); where it has not, the name is checked
    first (a writer racing in between is not seen). Raises OutputExistsError."""
    name = store.join(relative)
    taken = _taken(store, relative)
    try:
        return store.fs.open(name, "xb", **options)
    except FileExistsError:
        raise taken from None
    except (ValueError, NotImplementedError, TypeError):
        pass  # this driver has no exclusive mode
    if store.fs.exists(name):
        raise taken
    return store.fs.open(name, "wb", **options)


def copy_new(store: Store, sources: list[str], targets: list[str]) -> None:
    """Copy objects inside the store (full paths, `sources[i]` to `targets[i]`), all at once
    (concurrently, where the driver is asynchronous; no byte passes through this machine),
    never over an object: each name is checked just before, and on S3 the copy is
    exclusive as well (CopyObject with If-None-Match, for a writer racing in between; not
    every S3-compatible store honours it). Raises OutputExistsError."""
    protocols = store.fs.protocol if isinstance(store.fs.protocol, tuple) else (
        store.fs.protocol,)
    exclusive = {"IfNoneMatch": "*"} if "s3" in protocols else {}
    try:
        if any(_existing(store, targets)):
            raise FileExistsError(store.url)
        store.fs.copy(sources, targets, **exclusive)
    except FileExistsError:
        raise OutputExistsError(store.url) from None


def _existing(store: Store, names: list[str], batch: int = 128) -> list[bool]:
    """Whether each object is there: asked all at once where the driver is asynchronous
    (s3fs, gcsfs, adlfs), one after the other elsewhere."""
    fs = store.fs
    for parent in {name.rpartition("/")[0] for name in names}:
        fs.invalidate_cache(parent)
    if not getattr(fs, "async_impl", False):
        return [fs.exists(name) for name in names]
    import asyncio

    from fsspec.asyn import sync

    async def probe(chunk: list[str]) -> list[bool]:
        return list(await asyncio.gather(*(fs._exists(name) for name in chunk)))

    found: list[bool] = []
    for start in range(0, len(names), batch):
        found += sync(fs.loop, probe, names[start:start + batch])
    return found


def get_new(store: Store, name: str, local: Path, on_bytes: OnBytes | None = None
            ) -> tuple[int, str]:
    """Download the object `name` (a full path in the store) to a new local file; (its size,
    its SHA-256)."""
    digest = hashlib.sha256()
    size = 0
    local.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(local, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                 0o644)
    with os.fdopen(fd, "wb") as sink, store.fs.open(name, "rb", block_size=PART) as source:
        while block := source.read(CHUNK):
            digest.update(block)
            sink.write(block)
            size += len(block)
            if on_bytes is not None:
                on_bytes(len(block))
    return size, digest.hexdigest()


def _taken(store: Store, relative: str) -> OutputExistsError:
    return OutputExistsError(f"{store.url.rstrip('/')}/{relative}")


def byte_counter(progress: Progress | None, total: int, label: str) -> OnBytes:
    """An OnBytes that adds up what moved and shows it against `total` under `label`."""
    done = 0

    def moved(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done, total, label)

    return moved
