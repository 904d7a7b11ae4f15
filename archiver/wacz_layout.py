"""Where each file of a package goes inside a WACZ, and back.

WACZ 1.1.1 reserves archive/, indexes/ and pages/ and lets other files sit elsewhere if
datapackage.json lists them. `wacz validate` (py-wacz 0.6) names each file by its last two
path parts only, so every extra file sits exactly one directory deep: archiver's tag files
and manifest.json under archiver/, the extracted text and metadata under extract/.
"""

from __future__ import annotations

import re

from archiver import package_layout
from archiver.package_layout import MANIFEST_JSON, TAG_FILES

WACZ_VERSION = "1.1.1"
DATAPACKAGE = "datapackage.json"
DATAPACKAGE_DIGEST = "datapackage-digest.json"
INDEX = "indexes/index.cdx"
"""CDXJ lines, named .cdx: pywb's `wb-manager add --unpack-wacz` takes only *.cdx and
*.cdx.gz indexes, ReplayWeb.page only *.cdx, *.cdxj and *.idx (a bare .cdx.gz it skips)."""
PAGES = "pages/pages.jsonl"
ARCHIVE_DIR = "archive/"
ARCHIVER_DIR = "archiver/"
EXTRACT_DIR = "extract/"
WACZ_MANIFEST = ARCHIVER_DIR + MANIFEST_JSON
PACKAGE_PATH_KEY = "archiver_path"
"""A datapackage.json resource property: the file's path in the package it came from."""

_NAME_CHARS = re.compile(r"[^-a-z0-9._/]")


def wacz_path(package_path: str) -> str:
    """The path inside the WACZ of a package file (a tag file or a file under data/).

    >>> wacz_path("data/warc/a-00001.warc.gz"), wacz_path("manifest.json")
    ('archive/a-00001.warc.gz', 'archiver/manifest.json')
    >>> wacz_path("data/extract/00001-page.json"), wacz_path("data/report.html")
    ('extract/00001-page.json', 'archiver/data--report.html')
    """
    for prefix, target in ((f"{package_layout.WARC_DIR}/", ARCHIVE_DIR),
                           (f"{package_layout.EXTRACT_DIR}/", EXTRACT_DIR)):
        rest = package_path.removeprefix(prefix)
        if rest != package_path and "/" not in rest:
            return target + rest
    if package_path in TAG_FILES:
        return ARCHIVER_DIR + package_path
    # Anything else under data/ (later: reports, screenshots), flattened one level deep;
    # datapackage.json keeps its package path, so nothing is lost.
    return ARCHIVER_DIR + package_path.replace("/", "--")


def resource_name(path: str) -> str:
    """A Frictionless resource name (lowercase letters, digits, - . _ /) for a WACZ path.

    >>> resource_name("archive/archiver-20250101T000000-ab-00001.warc.gz")
    'archive/archiver-20250101t000000-ab-00001.warc.gz'
    """
    return _NAME_CHARS.sub("-", path.lower())


def is_warc_path(path: str) -> bool:
    return path.startswith(ARCHIVE_DIR) and path.lower().endswith((".warc", ".warc.gz"))
