"""Replay's reading of a WARC (archiver.replay.warc_scan), on damaged real WARCs: it ends with
what can be indexed and listed, and names the rest; never another exception. And its index of
a package (archiver.replay.catalogue) over a damaged manifest.json and extraction JSON: a list
of entries, whatever the JSON holds.

Seeds: every WARC of fixtures/warc/ and fixtures/replay/warc/; the sample package's
manifest.json and extraction JSON. No pywb is needed: this is the reading archiver does before
pywb is given anything.
"""

from __future__ import annotations

import gzip
import shutil
import tempfile
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given

from archiver.errors import ArchiverError
from archiver.replay.catalogue import package_entries, warc_entries
from archiver.replay.entry import Entry
from archiver.replay.index_page import render_index
from archiver.replay.warc_scan import MAX_NAMED, WarcScan, scan_warc
from archiver.terminal import printable
from tests.fuzz.mutations import mutated

FIXTURES = Path(__file__).resolve().parent.parent.parent / "fixtures"
SEED_FILES = sorted([*(FIXTURES / "warc").glob("*.warc*"),
                     *(FIXTURES / "replay" / "warc").glob("*.warc*")])


def _inflated(data: bytes) -> bytes | None:
    try:
        return gzip.decompress(data)
    except (OSError, EOFError):
        return None


# Inflated too: a mutation of plain records reaches the WARC and HTTP parsing, where one of
# compressed bytes mostly breaks the gzip member.
RAW = [path.read_bytes() for path in SEED_FILES]
SEEDS = RAW + [plain for plain in map(_inflated, RAW) if plain]


def _scan(data: bytes, name: str) -> WarcScan | None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            return scan_warc(path)
        except ArchiverError:
            return None


def _check(scan: WarcScan, size: int) -> None:
    previous_end = 0
    for start, end in scan.ranges:
        assert previous_end <= start < end <= size
        previous_end = end
    starts = {start for start, _ in scan.ranges}
    assert all(found.offset in starts for found in scan.found)
    assert scan.captures >= 0
    assert len(scan.skipped.named) <= min(MAX_NAMED, scan.skipped.total)
    for line in scan.skipped.lines():  # raw in the library, escaped where the CLI shows it
        shown = printable(line, one_line=True)
        assert not any(unicodedata.category(char) == "Cc" for char in shown)
    warc_entries([scan])


@given(mutated(SEEDS))
def test_a_damaged_warc_gives_ranges_entries_and_named_skips(data: bytes) -> None:
    for name in ("fuzz.warc", "fuzz.warc.gz"):
        scan = _scan(data, name)
        if scan is not None:
            _check(scan, len(data))


@pytest.fixture(scope="module")
def package_copy(sample_package: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy: each example writes its manifest.json and extraction JSON over it."""
    copy = tmp_path_factory.mktemp("fuzz-catalogue") / "package"
    shutil.copytree(sample_package, copy)
    return copy


def test_the_index_of_a_package_with_damaged_json(package_copy: Path) -> None:
    extraction = sorted((package_copy / "data" / "extract").glob("*.json"))[0]
    seeds = [(package_copy / "manifest.json").read_bytes(), extraction.read_bytes()]

    @given(mutated(seeds), mutated(seeds))
    def index(manifest: bytes, extracted: bytes) -> None:
        (package_copy / "manifest.json").write_bytes(manifest)
        extraction.write_bytes(extracted)
        entries = package_entries(package_copy)
        assert all(isinstance(entry, Entry) for entry in entries)
        render_index(entries, collection="evidence", source=package_copy)

    index()
