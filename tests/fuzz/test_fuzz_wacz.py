"""Fuzz the readers of zip and WACZ files: `archiver verify` of a WACZ and `unpack_archive`
(what replay does with one) end with a report or an archiver error, never another exception,
and an unpack never writes outside its target.

Seeds: a WACZ exported by archiver from the session's sample package (re-stored with every
entry uncompressed, so that mutations meet datapackage.json's text, not deflate's bits) and
the named broken zips of fixtures/zip.
"""

from __future__ import annotations

import contextlib
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import given

from archiver.errors import ArchiverError
from archiver.transfer import export_wacz, unpack_archive
from archiver.verification import VerificationReport, check
from tests.fuzz.mutations import mutated

ZIP_FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "zip"


@pytest.fixture(scope="session")
def wacz_seeds(sample_package: Path, tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    folder = tmp_path_factory.mktemp("wacz-seeds")
    exported = folder / "sample.wacz"
    export_wacz(sample_package, exported)
    stored = folder / "stored.wacz"
    with zipfile.ZipFile(exported) as old, zipfile.ZipFile(stored, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            info.compress_type = zipfile.ZIP_STORED
            new.writestr(info, data)
    fixtures = [path.read_bytes() for path in sorted(ZIP_FIXTURES.glob("*.wacz"))]
    return [stored.read_bytes(), exported.read_bytes(), *fixtures]


def test_verify_and_unpack_of_a_damaged_wacz(wacz_seeds: list[bytes]) -> None:
    @given(mutated(wacz_seeds))
    def verify_and_unpack(data: bytes) -> None:
        with tempfile.TemporaryDirectory(prefix="fuzz-wacz-") as scratch:
            folder = Path(scratch)
            source = folder / "damaged.wacz"
            source.write_bytes(data)
            with contextlib.suppress(ArchiverError):
                assert isinstance(check(source), VerificationReport)
            with contextlib.suppress(ArchiverError):
                unpack_archive(source, folder / "out" / "target")
            # nothing beside the target: no staging folder left, nothing escaped
            assert {path.name for path in folder.iterdir()} <= {"damaged.wacz", "out"}

    verify_and_unpack()
