"""`archiver extract` on what archivists have beyond archiver's own packages: a WACZ (ours, and
one `wacz create` makes), and loose text, CSV, JSON and XML files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archiver.cli import app
from archiver.transfer import export_wacz

ROOT = Path(__file__).resolve().parent.parent
WACZ_TOOL = Path(sys.executable).parent / "wacz"
WARC_FIXTURES = ROOT / "fixtures" / "warc"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def documents_of(path: Path) -> list[dict[str, object]]:
    code, stdout, stderr = run("extract", str(path), "--json")
    assert code == 0, stderr
    return json.loads(stdout)  # type: ignore[no-any-return]


def texts_by_url(documents: list[dict[str, object]]) -> dict[object, object]:
    return {document["source"]["url"]: document["text_sha256"]  # type: ignore[index]
            for document in documents}


# -- a WACZ --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def exported(sample_package: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wacz") / "sample.wacz"
    export_wacz(sample_package, out)
    return out


def test_a_wacz_of_ours_extracts_as_its_package_does(exported: Path,
                                                     sample_package: Path) -> None:
    from_wacz = documents_of(exported)
    assert texts_by_url(from_wacz) == texts_by_url(documents_of(sample_package))
    assert {d["kind"] for d in from_wacz} == {"html", "pdf"}
    for document in from_wacz:
        record = document["source"]["record"]  # type: ignore[index]
        assert record["warc_file"].startswith("archive/")  # where it is inside the WACZ


def test_a_wacz_that_py_wacz_makes_is_extracted(tmp_path: Path) -> None:
    if not WACZ_TOOL.exists():
        pytest.skip("py-wacz (the [test] extra) provides `wacz create`")
    warc = tmp_path / "crawl.warc.gz"
    shutil.copy(WARC_FIXTURES / "intact-sha256.warc.gz", warc)
    made = tmp_path / "theirs.wacz"
    subprocess.run([str(WACZ_TOOL), "create", "-o", str(made), str(warc)], check=True,
                   capture_output=True, timeout=120)
    theirs = documents_of(made)
    assert len(theirs) == 2 and texts_by_url(theirs) == texts_by_url(documents_of(warc))


def _copy_with(source: Path, target: Path, extra: dict[str, bytes]) -> None:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            new.writestr(info, old.read(info))
        for name, data in extra.items():
            new.writestr(name, data)


def test_unsafe_entries_of_a_wacz_are_named_and_never_read(exported: Path,
                                                           tmp_path: Path) -> None:
    hostile = tmp_path / "hostile.wacz"
    _copy_with(exported, hostile, {"archive/../escape.warc": b"WARC/1.1\r\n",
                                   "/abs/archive/x.warc": b"WARC/1.1\r\n"})
    code, stdout, stderr = run("extract", str(hostile), "--json")
    assert code == 1
    assert "archive/../escape.warc: its path climbs out of the target with '..'" in stderr
    assert "its path is absolute" in stderr
    assert texts_by_url(json.loads(stdout)) == texts_by_url(documents_of(exported))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hostile.wacz"]


def test_a_damaged_member_stops_its_warc_and_says_so(exported: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(exported) as archive:
        (warc,) = [i for i in archive.infolist() if i.filename.startswith("archive/")]
        start = warc.header_offset + 30 + len(warc.filename.encode()) + len(warc.extra)
    damaged = tmp_path / "damaged.wacz"
    data = bytearray(exported.read_bytes())
    middle = start + warc.compress_size // 2
    data[middle:middle + 64] = bytes(64)  # stored entry: its CRC no longer holds
    damaged.write_bytes(bytes(data))
    code, _, stderr = run("extract", str(damaged), "--json")
    assert code == 1
    assert f"{warc.filename}: reading stopped early: Bad CRC-32" in stderr
    assert "Traceback" not in stderr and "internal error" not in stderr


@pytest.mark.parametrize(("content", "says"), [
    (b"PK\x03\x04 not really a zip", "not a zip file, so not a WACZ"),
    (b"", "not a zip file, so not a WACZ"),
])
def test_a_wacz_that_is_no_zip_is_a_named_problem(tmp_path: Path, content: bytes,
                                                  says: str) -> None:
    fake = tmp_path / "fake.wacz"
    fake.write_bytes(content)
    code, _, stderr = run("extract", str(fake))
    assert code == 1 and says in stderr and "Traceback" not in stderr


def test_a_zip_without_warcs_is_a_named_problem(tmp_path: Path) -> None:
    empty = tmp_path / "empty.wacz"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("datapackage.json", b"{}")
    code, _, stderr = run("extract", str(empty))
    assert code == 1 and "a zip with no WARC file under archive/" in stderr
