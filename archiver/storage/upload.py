"""Uploading a sealed package (or any finished folder, or one file) to object storage.

The package is complete on local disk before a byte is sent. Then, since an object store has
no rename: every file of the payload and the attestations, the other tag files, the tag
manifest, and last the completion marker (completion.py). An upload killed at any moment
leaves no marker, and verify reports such a prefix as incomplete; nothing is ever written
over an existing object.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from archiver._types import Progress, StrPath
from archiver.errors import ArchiverUsageError, EnvironmentFault, OutputExistsError
from archiver.package_layout import BAG_INFO, DATA_DIR, TAG_FILES, TAG_MANIFEST
from archiver.storage.completion import MARKER, UploadedObject, marker_bytes
from archiver.storage.stores import Store, require_bucket, storage_errors
from archiver.storage.transfer import byte_counter, put_bytes, put_new


@dataclass(frozen=True)
class Upload:
    """What was uploaded to `url`: every object but the marker, in the order written."""

    url: str
    objects: list[UploadedObject]

    @property
    def size(self) -> int:
        return sum(entry.size for entry in self.objects)


def refuse_taken(store: Store) -> None:
    """Refuse a target that holds anything: an object of that name, or any object under it
    as a prefix (a package, or what a killed upload left), as a local output refuses an
    existing path. For a bucketed store, a bucket that is not there is refused too, before any
    work is done. Raises OutputExistsError (exit 2) or EnvironmentFault (exit 3)."""
    with storage_errors(store.url):
        require_bucket(store)
        if store.has_buckets() and "/" not in store.path:
            raise ArchiverUsageError(f"{store.url}: a whole bucket is never a target; name a "
                                     f"new prefix in it ({store.url.rstrip('/')}/prefix/pkg)")
        store.fs.invalidate_cache()
        if store.fs.exists(store.path):
            raise OutputExistsError(store.url)


def upload_package(folder: StrPath, url: str, progress: Progress | None = None) -> Upload:
    """Upload the sealed package (or finished folder) at `folder` to the new storage URL `url`
    (s3://bucket/prefix/pkg...), its completion marker last; the library's way to what
    `archiver capture -o URL` does after sealing. Raises OutputExistsError (anything is at
    `url`), StorageMissing, EnvironmentFault (the storage failed)."""
    from archiver.storage.stores import open_store

    return upload_folder(Path(folder), open_store(url), progress)


def upload_folder(local: Path, store: Store, progress: Progress | None = None) -> Upload:
    """Upload the finished folder `local` (a sealed package: its tag manifest goes last but
    the marker) under the store's path, then the completion marker."""
    files = _upload_order(local)
    total = sum(path.stat().st_size for _, path in files)
    moved = byte_counter(progress, total, f"uploading to {store.url}")
    refuse_taken(store)
    uploaded: list[UploadedObject] = []
    with storage_errors(store.url):
        for relative, path in files:
            uploaded.append(put_new(store, path, relative, moved))
        put_bytes(store, MARKER, marker_bytes(uploaded, _package_id(local)))
    return Upload(store.url, uploaded)


def upload_file(local: Path, store: Store, progress: Progress | None = None) -> Upload:
    """Upload one finished file (a WACZ, a zip) as one new object at the store's path. A
    single object appears whole or not at all (a multipart upload is completed in one step),
    so it needs no marker."""
    total = local.stat().st_size
    moved = byte_counter(progress, total, f"uploading to {store.url}")
    refuse_taken(store)
    parent, _, name = store.path.rpartition("/")
    with storage_errors(store.url):
        entry = put_new(Store(store.url, store.fs, parent), local, name, moved)
    return Upload(store.url, [entry])


def upload_files(local: Path, names: list[str], url: str, *, errors_named: str | None = None
                 ) -> list[UploadedObject]:
    """Upload the files `names` of the folder `local` as new objects under the storage URL
    `url`, exclusively and in that order, with no completion marker: a part of an output
    that another step seals (an extraction on a cluster). Failures name `errors_named`
    (default `url`). Returns the objects as written (their sizes and SHA-256s)."""
    from archiver.storage.stores import open_store

    store = open_store(url)
    with storage_errors(errors_named or url):
        return [put_new(store, local / name, name) for name in names]


def _upload_order(root: Path) -> list[tuple[str, Path]]:
    """Every regular file under `root` as (relative path, path), in the order of upload: the
    payload, then whatever else (attestations), then the tag files, the tag manifest last.
    Anything but a regular file or a folder is refused: a package holds nothing else."""
    found: list[tuple[str, Path]] = []
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            path = Path(folder) / name
            if path.is_symlink() or not path.is_file():
                raise EnvironmentFault(str(path), "not a regular file; not uploaded")
            found.append((path.relative_to(root).as_posix(), path))

    def rank(item: tuple[str, Path]) -> tuple[int, str]:
        relative = item[0]
        if relative == TAG_MANIFEST:
            return 3, relative
        if relative in TAG_FILES:
            return 2, relative
        return (0 if relative.startswith(f"{DATA_DIR}/") else 1), relative

    return sorted(found, key=rank)


def _package_id(root: Path) -> str | None:
    """The bag's External-Identifier, when `root` is a package we wrote."""
    try:
        text = (root / BAG_INFO).read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    for line in text.splitlines():
        label, _, value = line.partition(":")
        if label.strip() == "External-Identifier":
            return value.strip()
    return None
