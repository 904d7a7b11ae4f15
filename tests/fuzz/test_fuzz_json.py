"""Fuzz the readers of JSON from elsewhere: manifest.json through `archiver verify` of a
package, datapackage.json through the WACZ's reader, and the bounded loader itself. Each ends
with a result or an archiver error, never another exception (a RecursionError, say).

Seeds: the session's sample package's manifest.json, a WACZ's datapackage.json exported
from it, and JSON hostile in shape (deep nesting, many small values).
"""

from __future__ import annotations

import contextlib
import shutil
import zipfile
from pathlib import Path

import pytest
from hypothesis import given

from archiver.errors import UnreadableEvidence
from archiver.transfer import export_wacz
from archiver.untrusted_json import load_json
from archiver.verification import VerificationReport, check
from archiver.verification.wacz_datapackage import read_datapackage, read_digest_file
from tests.fuzz.mutations import mutated
from tests.test_verify import reseal

SHAPES = [b"[" * 70 + b"]" * 70, b'{"a":' * 40 + b"1" + b"}" * 40, b"[" + b"{}," * 500 + b"{}]",
          b'["\\\\\\"[[[", "\\u005b"]']


@pytest.fixture(scope="session")
def package_copy(sample_package: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy for the whole test: each example writes its manifest.json over it."""
    copy = tmp_path_factory.mktemp("fuzz-json") / "package"
    shutil.copytree(sample_package, copy)
    return copy


@pytest.fixture(scope="session")
def datapackage_seeds(sample_package: Path, tmp_path_factory: pytest.TempPathFactory
                      ) -> list[bytes]:
    wacz = tmp_path_factory.mktemp("fuzz-datapackage") / "sample.wacz"
    export_wacz(sample_package, wacz)
    with zipfile.ZipFile(wacz) as archive:
        return [archive.read("datapackage.json"), archive.read("datapackage-digest.json")]


def test_verify_of_a_damaged_manifest_json(package_copy: Path, sample_package: Path) -> None:
    seeds = [(sample_package / "manifest.json").read_bytes(), *SHAPES]

    @given(mutated(seeds))
    def verify(data: bytes) -> None:
        (package_copy / "manifest.json").write_bytes(data)
        reseal(package_copy)  # so that the check reaches the document itself
        assert isinstance(check(package_copy), VerificationReport)

    verify()


def test_reading_a_damaged_datapackage(datapackage_seeds: list[bytes]) -> None:
    @given(mutated([*datapackage_seeds, *SHAPES]))
    def read(data: bytes) -> None:
        report = VerificationReport("x.wacz", "wacz")
        assert isinstance(read_datapackage(data, report), dict)
        assert isinstance(read_digest_file(data, datapackage_seeds[0]), list)

    read()


def test_the_loader_ends_with_a_value_or_a_refusal(datapackage_seeds: list[bytes]) -> None:
    @given(mutated([*datapackage_seeds, *SHAPES]))
    def load(data: bytes) -> None:
        with contextlib.suppress(UnreadableEvidence):
            load_json(data, "x.json")

    load()
