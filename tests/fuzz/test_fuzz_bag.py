"""Fuzz the readers of a bag's tag files (bagit.txt, bag-info.txt, manifest-sha256.txt,
tagmanifest-sha256.txt) through `archiver verify` of a package: it ends with a report, never
an exception, whatever a tag file holds.

Seeds: the session's sample package's own tag files; each example damages one of them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archiver.verification import VerificationReport, check
from tests.fuzz.mutations import mutated

TAG_FILES = ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", "tagmanifest-sha256.txt")


@pytest.fixture(scope="session")
def package_copy(sample_package: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("fuzz-bag") / "package"
    shutil.copytree(sample_package, copy)
    return copy


def test_verify_of_damaged_tag_files(package_copy: Path, sample_package: Path) -> None:
    originals = {name: (sample_package / name).read_bytes() for name in TAG_FILES}

    @given(st.sampled_from(TAG_FILES).flatmap(
        lambda name: st.tuples(st.just(name), mutated(list(originals.values())))))
    def verify(damage: tuple[str, bytes]) -> None:
        name, data = damage
        for original, content in originals.items():
            (package_copy / original).write_bytes(data if original == name else content)
        assert isinstance(check(package_copy), VerificationReport)

    verify()
