"""Where everything sits in an evidence package, named once.

A package is a BagIt bag: the payload under data/ (the WARC files under data/warc/, what was
extracted from them under data/extract/, a story's report beside them), and at the top the
bag's tag files and archiver's manifest.json. The builder writes this layout, and every reader
(verify, extract, replay, export, unpack) finds its way by it, so it lives here, beneath all of
them: a module that imports nothing of archiver's.

manifest.json and the extraction files point at a WARC record the same way everywhere:
`record_reference`.
"""

from __future__ import annotations

from typing import Any

DATA_DIR = "data"
"""The bag's payload: every file under it is listed in the payload manifest."""
WARC_DIR = f"{DATA_DIR}/warc"
EXTRACT_DIR = f"{DATA_DIR}/extract"
BROWSER_DIR = f"{DATA_DIR}/browser"
"""A browser capture's attachments: screenshots, PDF snapshots, rendered DOMs."""
INDEX_DIR = f"{DATA_DIR}/index"
TEXT_INDEX = f"{INDEX_DIR}/text.sqlite3"
"""The full-text index of the extracted texts (SQLite FTS5), made at seal time."""

BAGIT = "bagit.txt"
BAG_INFO = "bag-info.txt"
PAYLOAD_MANIFEST = "manifest-sha256.txt"
TAG_MANIFEST = "tagmanifest-sha256.txt"
MANIFEST_JSON = "manifest.json"
TAG_FILES = (BAGIT, BAG_INFO, PAYLOAD_MANIFEST, TAG_MANIFEST, MANIFEST_JSON)
"""Every file at the top of a package (archiver's manifest.json is a tag file of the bag)."""


def warc_path(name: str) -> str:
    """The path in the package of the WARC file called `name`.

    >>> warc_path("archiver-20250101T000000-ab-00001.warc.gz")
    'data/warc/archiver-20250101T000000-ab-00001.warc.gz'
    """
    return f"{WARC_DIR}/{name}"


def is_payload_path(path: str) -> bool:
    """Whether a path from the package root names a payload file (one under data/).

    >>> is_payload_path("data/warc/a.warc.gz"), is_payload_path("manifest.json")
    (True, False)
    """
    return path.startswith(f"{DATA_DIR}/")


def warc_name(path: str) -> str | None:
    """The file name of a WARC path in the package (`data/warc/<name>`), or None if the path
    is not directly in data/warc/.

    >>> warc_name("data/warc/a.warc.gz"), warc_name("data/warc/x/a.warc.gz")
    ('a.warc.gz', None)
    """
    name = path.removeprefix(f"{WARC_DIR}/")
    return name if name != path and "/" not in name else None


def record_reference(warc_file: str, record_id: str, offset: int) -> dict[str, Any]:
    """How manifest.json and the extraction files point at a WARC record: the WARC's path
    (in a package, `warc_path(name)`), the record's WARC-Record-ID, and the offset of its
    first byte (of its gzip member, in a compressed WARC).

    >>> record_reference(warc_path("a.warc.gz"), "<urn:uuid:1>", 0)
    {'warc_file': 'data/warc/a.warc.gz', 'record_id': '<urn:uuid:1>', 'offset': 0}
    """
    return {"warc_file": warc_file, "record_id": record_id, "offset": offset}
