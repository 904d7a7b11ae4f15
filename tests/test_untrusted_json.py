"""JSON from elsewhere is bounded (size, values, nesting) before anything parses or validates
it, at every place archiver reads it: manifest.json (verify, extract, replay, export),
datapackage.json and datapackage-digest.json (verify and unpack of a WACZ), extraction files
and metadata records (replay's index, a WACZ's pages), and JSON-LD in a page."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner
from warcio.warcwriter import WARCWriter

from archiver.attestation.check import NOT_SIGNED
from archiver.cli import app
from archiver.errors import UnreadableEvidence
from archiver.extract.api import extract
from archiver.replay.catalogue import package_entries, warc_entries
from archiver.replay.warc_scan import scan_warc
from archiver.settings import ReadLimits
from archiver.transfer import export_wacz
from archiver.transfer.pages import extraction_titles
from archiver.untrusted_json import load_json, measure
from archiver.verification import Problem, check
from tests.test_verify import reseal

ZIP_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "zip"
DEEP = b"[" * 1100 + b"]" * 1100
"""Nested past what json (RecursionError) and orjson (1,024) take."""
TOO_DEEP = "nested deeper than 64 levels, the most archiver reads"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def with_deep_value(data: bytes) -> bytes:
    """A JSON object's bytes with one more member, nested 1,100 deep."""
    return data.rstrip()[:-1] + b', "extras": ' + DEEP + b"}\n"


@pytest.fixture
def package(sample_package: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "package"
    shutil.copytree(sample_package, copy)
    return copy


@pytest.fixture
def deep_manifest(package: Path) -> Path:
    """A package whose manifest.json nests 1,100 deep, sealed again (so only that is wrong)."""
    manifest = package / "manifest.json"
    manifest.write_bytes(with_deep_value(manifest.read_bytes()))
    reseal(package)
    return package


# -- the loader ----------------------------------------------------------------------------------


def depth_of(value: Any) -> int:
    """The nesting of arrays and objects in a parsed value (the reference)."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return deepest


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='ab"\\[]{},:\n\u00e9'),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(alphabet='k"\\[]{', max_size=3), inner, max_size=4),
    max_leaves=40)


@given(JSON_VALUES, st.sampled_from([None, 1, 2]), st.integers(1, 9))
def test_the_scan_finds_the_nesting_a_parse_finds(value: Any, indent: int | None,
                                                  chunk_size: int) -> None:
    data = json.dumps(value, indent=indent, ensure_ascii=False).encode()
    assert measure(data, 10_000, chunk_size=chunk_size).depth == depth_of(value)


def test_the_limits_of_the_loader() -> None:
    assert load_json(b"[" * 64 + b"]" * 64, "x.json") is not None
    for data, limits, message in [
        (b"[" * 65 + b"]" * 65, ReadLimits(), TOO_DEEP),
        (DEEP, ReadLimits(), TOO_DEEP),
        (b"[" + b"0," * 200 + b"0]", ReadLimits(max_json_values=100),
         "more than 100 values, the most archiver reads in one file"),
        (b" " * 101, ReadLimits(max_json_bytes=100),
         "101 bytes, more than the 100 archiver reads from such a file"),
        (b'{"a": "\xff"}', ReadLimits(), "byte 7 is not valid UTF-8"),
        (b'{"a": }', ReadLimits(), "not valid JSON: Expecting value at line 1 column 7"),
    ]:
        with pytest.raises(UnreadableEvidence) as refused:
            load_json(data, "x.json", limits=limits)
        assert str(refused.value) == f"x.json: {message}"


def test_the_loader_reads_what_json_reads() -> None:
    assert load_json(b'[NaN, 123456789012345678901234567890]', "x")[1] == \
        123456789012345678901234567890
    assert load_json(b'{"a": "two\nlines"}', "x", strict=False) == {"a": "two\nlines"}
    with pytest.raises(UnreadableEvidence, match="Invalid control character"):
        load_json(b'{"a": "two\nlines"}', "x")


# -- every reader --------------------------------------------------------------------------------


def test_verify_names_a_manifest_nested_too_deep(deep_manifest: Path) -> None:
    code, stdout, stderr = run("verify", str(deep_manifest))
    assert code == 1, stderr
    assert stdout.splitlines()[1:] == [
        f"  proof: {NOT_SIGNED}", f"  - manifest.json: {TOO_DEEP} [manifest-json-invalid]"]


def test_verify_bounds_the_values_and_size_of_manifest_json(package: Path) -> None:
    report = check(package, limits=ReadLimits(max_json_values=100))
    [problem] = report.problems
    assert problem.path == "manifest.json" and problem.code == "manifest-json-invalid"
    assert problem.message == "more than 100 values, the most archiver reads in one file"
    report = check(package, limits=ReadLimits(max_json_bytes=1000))
    size = (package / "manifest.json").stat().st_size
    assert report.problems == [Problem("file-too-large", "manifest.json", f"{size:,} bytes, "
                                       "more than the 1,000 archiver reads from such a file")]


def exported_with_deep_member(package: Path, tmp_path: Path, member: str) -> Path:
    """The package exported as a WACZ, with one JSON member nested too deep."""
    wacz = tmp_path / "sample.wacz"
    export_wacz(package, wacz)
    damaged = tmp_path / f"deep-{member}.wacz"
    with zipfile.ZipFile(wacz) as old, zipfile.ZipFile(damaged, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            new.writestr(info, with_deep_value(data) if info.filename == member else data)
    return damaged


def test_verify_names_a_datapackage_nested_too_deep() -> None:
    code, stdout, stderr = run("verify", str(ZIP_FIXTURES / "datapackage-nested-deep.wacz"))
    assert code == 1, stderr
    assert f"  - datapackage.json: {TOO_DEEP} [wacz-datapackage-invalid]" in stdout.splitlines()


def test_a_wacz_whose_datapackage_cannot_be_read_still_has_its_records_checked(
        sample_package: Path, tmp_path: Path) -> None:
    """Without datapackage.json the WARCs' own record digests still hold: they are checked,
    and what manifest.json says of them, rather than every record reported missing."""
    report = check(exported_with_deep_member(sample_package, tmp_path, "datapackage.json"))
    assert {(p.path, p.code) for p in report.problems} == {
        ("datapackage.json", "wacz-datapackage-invalid"),  # and its digest file says so:
        ("datapackage.json", "file-digest-mismatch")}
    assert report.records_checked > 0
    assert any(note.code == "wacz-unlisted" for note in report.notes)


def test_verify_names_a_digest_file_nested_too_deep(sample_package: Path,
                                                    tmp_path: Path) -> None:
    damaged = exported_with_deep_member(sample_package, tmp_path, "datapackage-digest.json")
    code, stdout, stderr = run("verify", str(damaged))
    assert code == 1, stderr
    assert stdout.splitlines()[1:] == [
        f"  - datapackage-digest.json: {TOO_DEEP} [wacz-datapackage-invalid]"]


def test_extract_reads_the_warcs_when_manifest_json_is_too_deep(deep_manifest: Path) -> None:
    code, stdout, stderr = run("extract", str(deep_manifest))
    assert code == 1
    assert stderr.splitlines() == [
        f"archiver: {deep_manifest / 'manifest.json'}: cannot be read ({TOO_DEEP}); the WARC "
        "files are read instead"]
    assert "complete" in stdout  # the documents are still extracted


def test_a_page_whose_json_ld_is_too_deep_keeps_its_text(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("<html><head><title>Deep</title><script type='application/ld+json'>"
                    + DEEP.decode() + "</script></head><body><article><p>"
                    + "The council approved the meters. " * 40
                    + "</p></article></body></html>", "utf-8")
    [found] = list(extract(page))
    assert found.outcome == "partial" and "council approved" in (found.text or "")
    assert found.problems == ["JSON-LD block 1 was not read (nested deeper than 32 levels, "
                              "the most archiver reads); skipped"]


def test_replay_lists_a_package_whose_json_is_too_deep(deep_manifest: Path) -> None:
    extraction = sorted((deep_manifest / "data" / "extract").glob("*.json"))[0]
    extraction.write_bytes(with_deep_value(extraction.read_bytes()))
    assert package_entries(deep_manifest) == []  # no manifest.json to list from: no crash
    assert extraction_titles([extraction]) == {}


def test_replay_lists_a_warc_whose_metadata_record_is_too_deep(tmp_path: Path) -> None:
    warc = tmp_path / "deep.warc.gz"
    with warc.open("wb") as output:
        writer = WARCWriter(output, gzip=True)
        headers = {"WARC-Refers-To": "<urn:uuid:00000000-0000-4000-8000-000000000001>"}
        writer.write_record(writer.create_warc_record(
            "urn:archiver:metadata:1", "metadata", payload=io.BytesIO(DEEP),
            warc_content_type="application/json", warc_headers_dict=headers))
    scan = scan_warc(warc)
    assert scan.titles == {} and warc_entries([scan]) == []
