"""The completion marker: the object written last when a package is uploaded.

An object store has no rename, so a package there cannot appear whole at once as a local one
does. Its seal is the order of writing: every file, then the tag manifest, then this marker,
which lists every object uploaded with its size and SHA-256. A package whose marker is
missing did not finish uploading; one whose objects are not what its marker lists was changed
or cut short. Format: schemas/completion.schema.json.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from archiver import __version__
from archiver.package_layout import TAG_MANIFEST
from archiver.timestamps import utc_iso

MARKER = "archiver-complete.json"
"""The completion marker's name, at the top of the uploaded prefix, beside bagit.txt."""


@dataclass(frozen=True)
class UploadedObject:
    """One object of an upload: its path under the prefix, its size and SHA-256 (hex)."""

    path: str
    size: int
    sha256: str


def marker_bytes(objects: list[UploadedObject], package_id: str | None) -> bytes:
    """The completion marker for an upload of `objects` (every one but the marker)."""
    tag = next((entry.sha256 for entry in objects if entry.path == TAG_MANIFEST), None)
    document: dict[str, Any] = {
        "complete": True,
        "tool": f"archiver {__version__}",
        "uploaded": utc_iso(),
        "package_id": package_id,
        "tagmanifest_sha256": tag,
        "objects": [{"path": entry.path, "size": entry.size, "sha256": entry.sha256}
                    for entry in objects],
    }
    return orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"


def listed_objects(document: dict[str, Any]) -> dict[str, UploadedObject]:
    """The objects a marker (valid against its schema) lists, by path."""
    return {entry["path"]: UploadedObject(entry["path"], entry["size"], entry["sha256"])
            for entry in document["objects"]}
