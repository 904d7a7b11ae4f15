"""Reading a package, a WARC or a WACZ from object storage: into a local temporary folder, in
chunks, hashed as it comes, then read there by the ordinary readers.

A prefix (a package) is judged by its completion marker before anything else: no marker, and
nothing is downloaded, since the upload did not finish. With one, every object the marker lists
must be there with its size, and no other; each is downloaded and its SHA-256 compared with
the marker's. Whatever differs is a `Problem`, named by its path in the package, as a local
check names it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from archiver._types import Progress
from archiver.errors import InputNotFoundError, UnreadableEvidence
from archiver.schema_files import load_schema
from archiver.settings import ReadLimits
from archiver.storage.completion import MARKER, listed_objects
from archiver.storage.stores import Store, storage_errors
from archiver.storage.transfer import byte_counter, get_new
from archiver.untrusted_json import load_json_object
from archiver.verification.problems import Problem

MAX_OBJECTS = 1_000_000
"""The most objects archiver lists under one prefix (a package holds far fewer)."""


@dataclass
class RemoteCopy:
    """A local copy of what `url` names, at `local`; `problems` found on the way (a package's
    marker missing or not matching what is stored). Empty: a whole, finished upload."""

    url: str
    local: Path
    kind: str
    """"package" (a prefix) or "file"."""
    problems: list[Problem] = field(default_factory=list)


def download(store: Store, into: Path, progress: Progress | None = None,
             limits: ReadLimits | None = None) -> RemoteCopy:
    """Copy what the store's path names into the new folder `into`: a package (a prefix
    holding objects) as a folder of its name, checked against its completion marker; a single
    object as a file of its name. Raises InputNotFoundError when nothing is there and
    EnvironmentFault when the storage fails."""
    name = store.path.rsplit("/", 1)[-1] or "package"
    with storage_errors(store.url):
        store.fs.invalidate_cache()
        if store.fs.isfile(store.path):
            size = store.fs.size(store.path) or 0
            local = into / name
            get_new(store, store.path, local,
                    byte_counter(progress, size, f"downloading {store.url}"))
            return RemoteCopy(store.url, local, "file")
        objects = _listing(store)
        if not objects:
            raise InputNotFoundError(Path(name), f"object or package at {store.url}")
        copy = RemoteCopy(store.url, into / name, "package")
        _download_package(store, objects, copy, progress, limits or ReadLimits())
        return copy


def _listing(store: Store) -> dict[str, int]:
    """Every object under the prefix, by its path below it, with its size."""
    prefix = store.path.rstrip("/") + "/"
    found: dict[str, int] = {}
    for name, info in store.fs.find(store.path, detail=True).items():
        if info.get("type") == "directory" or not name.startswith(prefix):
            continue
        found[name[len(prefix):]] = int(info.get("size") or 0)
        if len(found) > MAX_OBJECTS:
            raise UnreadableEvidence(store.url, f"more than {MAX_OBJECTS:,} objects under it, "
                                     "more than archiver reads", "file-too-large")
    return found


def _download_package(store: Store, objects: dict[str, int], copy: RemoteCopy,
                      progress: Progress | None, limits: ReadLimits) -> None:
    if MARKER not in objects:
        copy.problems.append(Problem("incomplete", MARKER, "no completion marker: the upload "
                                     "did not finish (or was not made by archiver), so this "
                                     "is not a complete package; nothing was read"))
        return
    document = _read_marker(store, objects[MARKER], limits, copy)
    if document is None:
        return
    listed = listed_objects(document)
    stored = {path: size for path, size in objects.items() if path != MARKER}
    for path, entry in listed.items():
        if path not in stored:
            copy.problems.append(Problem("incomplete", path, "listed by the completion marker, "
                                         "not on the storage"))
        elif stored[path] != entry.size:
            copy.problems.append(Problem("file-size-mismatch", path, "its size on the "
                                         "storage is not the size the completion marker "
                                         "lists", expected=str(entry.size),
                                         found=str(stored[path])))
    for path in sorted(set(stored) - set(listed)):
        copy.problems.append(Problem("unlisted-file", path, "on the storage, not listed by "
                                     "the completion marker (added after the upload)"))
    wanted = [path for path in listed if stored.get(path) == listed[path].size]
    on_bytes = byte_counter(progress, sum(listed[path].size for path in wanted),
                            f"downloading {store.url}")
    for path in wanted:
        local = _inside(copy.local, path)
        if local is None:
            copy.problems.append(Problem("not-a-regular-file", path, "a name that climbs "
                                         "out of the package; not downloaded"))
            continue
        _, sha256 = get_new(store, store.join(path), local, on_bytes)
        if sha256 != listed[path].sha256:
            copy.problems.append(Problem("file-digest-mismatch", path, "the object on the "
                                         "storage is not what was uploaded (its SHA-256 is "
                                         "not the completion marker's)",
                                         expected=listed[path].sha256, found=sha256))
    copy.local.mkdir(parents=True, exist_ok=True)


def _read_marker(store: Store, size: int, limits: ReadLimits,
                 copy: RemoteCopy) -> dict[str, Any] | None:
    """The completion marker, parsed and valid against its schema; None (and a problem) when
    it is too large, not JSON, or not a marker."""
    if size > limits.max_json_bytes:
        copy.problems.append(Problem("incomplete", MARKER, "the completion marker is larger "
                                     "than archiver reads"))
        return None
    data = store.fs.cat_file(store.join(MARKER))
    try:
        document = load_json_object(data, MARKER, limits=limits)
    except UnreadableEvidence as refused:
        copy.problems.append(Problem("incomplete", MARKER, f"the completion marker cannot be "
                                     f"read ({refused.reason})"))
        return None
    if not _marker_validator().is_valid(document):
        copy.problems.append(Problem("incomplete", MARKER, "the completion marker is not "
                                     "valid against schemas/completion.schema.json"))
        return None
    return document


@cache
def _marker_validator() -> Any:
    import jsonschema_rs

    return jsonschema_rs.validator_for(load_schema("completion"))


def _inside(root: Path, relative: str) -> Path | None:
    """Where `relative` goes under `root`, or None when it would leave it (`..`, absolute)."""
    parts = relative.split("/")
    if any(part in ("", ".", "..") for part in parts) or "\\" in relative:
        return None
    return root.joinpath(*parts)
