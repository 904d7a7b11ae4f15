"""archiver.transfer: WACZ and zip exports that tools written by others accept (`wacz
validate`, `wacz create`'s own index, `warcio check`, bagit-python), `archiver verify` on a
WACZ, and archives from elsewhere treated as hostile: refused, and nothing written outside
the target.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import stat
import struct
import subprocess
import sys
import uuid
import warnings
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bagit
import pytest
from typer.testing import CliRunner

from archiver.cli import app
from archiver.errors import ArchiveRefused, EvidenceError, NotEvidenceError, OutputExistsError
from archiver.settings import ReadLimits
from archiver.transfer import check_wacz, export_wacz, export_zip, unpack_archive
from archiver.transfer.pages import extraction_titles, pages
from archiver.transfer.surt import surt
from archiver.verification import Problem
from archiver.verification.zip_directory import directory_problems
from tests.conftest import assert_standard_tools_accept, warcio_check
from tests.peers import WACZ_TOOL, wacz_validate


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr



def tree(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*"))


@pytest.fixture(scope="module")
def wacz_file(sample_package: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wacz") / "sample.wacz"
    export_wacz(sample_package, out)
    return out


def read_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rewrite(source: Path, target: Path, changes: dict[str, bytes | None]) -> Path:
    """A copy of the zip `source` with entries replaced (or, for None, left out)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            if info.filename in changes:
                data = changes[info.filename]
                if data is not None:
                    new.writestr(info, data)
            else:
                new.writestr(info, old.read(info))
    return target


def reseal(datapackage: dict[str, Any]) -> dict[str, bytes | None]:
    """datapackage.json and a datapackage-digest.json that vouches for it."""
    data = json.dumps(datapackage).encode()
    digest = {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(data).hexdigest()}
    return {"datapackage.json": data, "datapackage-digest.json": json.dumps(digest).encode()}


# -- the WACZ export ------------------------------------------------------------------------------


def test_wacz_export_passes_wacz_validate(wacz_file: Path) -> None:
    wacz_validate(wacz_file)


def test_wacz_warcs_are_stored_and_pass_warcio_check(wacz_file: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(wacz_file) as archive:
        warcs = [info for info in archive.infolist() if info.filename.startswith("archive/")]
        assert warcs
        for info in warcs:
            assert info.compress_type == zipfile.ZIP_STORED, info.filename
            unpacked = tmp_path / Path(info.filename).name
            unpacked.write_bytes(archive.read(info))
            code, report = warcio_check(unpacked)
            assert code == 0, report
            assert report.count("digest pass") == report.count(" offset "), report


def test_wacz_lists_every_file_with_its_digest(wacz_file: Path, sample_package: Path) -> None:
    members = read_members(wacz_file)
    datapackage = json.loads(members["datapackage.json"])
    assert datapackage["profile"] == "data-package" and datapackage["wacz_version"] == "1.1.1"
    listed = {r["path"]: r for r in datapackage["resources"]}
    assert set(listed) == set(members) - {"datapackage.json", "datapackage-digest.json"}
    for path, resource in listed.items():
        assert resource["hash"] == "sha256:" + hashlib.sha256(members[path]).hexdigest()
        assert resource["bytes"] == len(members[path])
    digest = json.loads(members["datapackage-digest.json"])
    assert digest["hash"] == "sha256:" + hashlib.sha256(members["datapackage.json"]).hexdigest()
    # archiver's own record travels inside, byte for byte
    assert members["archiver/manifest.json"] == (sample_package / "manifest.json").read_bytes()
    extracts = sorted((sample_package / "data" / "extract").iterdir())
    assert extracts
    for extract in extracts:
        assert members[f"extract/{extract.name}"] == extract.read_bytes()
        assert listed[f"extract/{extract.name}"]["archiver_path"] == f"data/extract/{extract.name}"


def test_wacz_pages_are_the_captured_sources(wacz_file: Path, sample_package: Path) -> None:
    lines = read_members(wacz_file)["pages/pages.jsonl"].decode().splitlines()
    header, pages = json.loads(lines[0]), [json.loads(line) for line in lines[1:]]
    assert header["format"] == "json-pages-1.0"
    manifest = json.loads((sample_package / "manifest.json").read_bytes())
    captured = [s["url"] for s in manifest["sources"] if s["outcome"] == "captured"]
    assert [page["url"] for page in pages] == list(dict.fromkeys(captured))
    assert all(page["ts"].endswith("Z") and page["id"] for page in pages)
    story = pages[0]
    assert story["title"].startswith("Harrow Point")  # from data/extract/*.json


def test_a_page_read_from_its_rendered_dom_keeps_its_title(tmp_path: Path) -> None:
    """A browser capture's extraction reads the rendered DOM, a resource record of its own,
    not the response record the source names: pages.jsonl still gives the page its title (the
    title ReplayWeb.page lists it by), found by the page's address; a redirected page's by the
    address it reached."""
    response, rendered, moved_response, moved_rendered = (
        f"<urn:uuid:{uuid.uuid4()}>" for _ in range(4))
    article, start, moved = ("http://127.0.0.1:8000/article.html",
                             "http://127.0.0.1:8000/redirect/to?url=%2Fmoved.html",
                             "http://127.0.0.1:8000/moved.html")
    for name, url, record_id, title in (("1.json", article, rendered, "Meters ran\n backwards"),
                                        ("2.json", moved, moved_rendered, "Moved notice")):
        (tmp_path / name).write_text(json.dumps({"title": title, "source": {
            "url": url, "record": {"record_id": record_id}}}), "utf-8")
    manifest = {"sources": [
        {"url": article, "final_url": article, "outcome": "captured",
         "captured_at": "2026-01-01T00:00:00Z", "record": {"record_id": response}},
        {"url": start, "final_url": moved, "outcome": "captured",
         "captured_at": "2026-01-01T00:00:01Z", "record": {"record_id": moved_response}}]}
    found = pages(manifest, extraction_titles(sorted(tmp_path.glob("*.json"))))
    assert [(page.url, page.title) for page in found] == [
        (article, "Meters ran backwards"), (start, "Moved notice")]


def test_wacz_index_agrees_with_py_wacz(wacz_file: Path, tmp_path: Path) -> None:
    """Our CDXJ lines carry the same keys, offsets and lengths as `wacz create` writes for
    the same WARC (py-wacz also indexes archiver's urn: metadata records; we do not)."""
    if not WACZ_TOOL.exists():
        pytest.skip("py-wacz (the [test] extra) provides `wacz create`")
    members = read_members(wacz_file)
    ours = members["indexes/index.cdx"].decode().splitlines()
    assert ours == sorted(ours)
    warcs = [name for name in members if name.startswith("archive/")]
    for name in warcs:
        (tmp_path / Path(name).name).write_bytes(members[name])
    reference = tmp_path / "reference.wacz"
    subprocess.run([str(WACZ_TOOL), "create", "-o", str(reference),
                    *[str(tmp_path / Path(name).name) for name in warcs]],
                   check=True, capture_output=True, timeout=120)
    with zipfile.ZipFile(reference) as archive:
        theirs = zlib.decompress(archive.read("indexes/index.cdx.gz"), 31).decode().splitlines()

    def fields(line: str) -> tuple[str, str, str, str, str, str | None]:
        key, stamp, data = line.split(" ", 2)
        record = json.loads(data)
        return (key, stamp, record["offset"], record["length"], record["filename"],
                record.get("status"))

    assert {fields(line) for line in ours} == {
        fields(line) for line in theirs if not line.startswith("urn:")}
    assert not any("urn:archiver" in line for line in ours)


@pytest.mark.parametrize("url", [
    "https://www.Example.org:443/A/b/?z=1&a=2#top", "http://127.0.0.1:8080/",
    "http://example.com/a%20b/c%2fd?x=%41&y", "https://www2.example.com/x/?b=&a",
    "http://user:pw@example.com:80/p", "http://example.com/caf%C3%A9", "http://[::1]:8000/x",
    "http://EXAMPLE.com./x", "http://example.com/%7Euser/", "https://example.com/a+b?q=a+b&r=%2B",
])
def test_surt_keys_are_pywbs(url: str) -> None:
    reference = pytest.importorskip("surt", reason="surt comes with py-wacz (the [test] extra)")
    assert surt(url) == reference.surt(url)


def test_archiver_verify_accepts_an_intact_wacz(wacz_file: Path) -> None:
    report = check_wacz(wacz_file)
    assert report.is_valid, [str(p) for p in report.problems]
    assert report.records_checked > 10 and report.kind == "wacz"
    code, stdout, _ = run("verify", str(wacz_file))
    assert code == 0 and ": intact: " in stdout and " records verified (wacz;" in stdout
    assert report.coverage.fully_covered and report.verdict == "intact"


def test_verify_names_a_damaged_warc_inside_a_wacz(wacz_file: Path, tmp_path: Path) -> None:
    members = read_members(wacz_file)
    name = next(name for name in members if name.startswith("archive/"))
    damaged = bytearray(members[name])
    damaged[len(damaged) // 2] ^= 0x01
    copy = rewrite(wacz_file, tmp_path / "damaged.wacz", {name: bytes(damaged)})
    code, stdout, _ = run("verify", str(copy))
    assert code == 1 and "DAMAGED" in stdout
    report = check_wacz(copy)
    codes = {problem.code for problem in report.problems}
    assert "file-digest-mismatch" in codes
    assert all(problem.path in (name, "archiver/manifest.json") for problem in report.problems)
    mismatch = next(p for p in report.problems if p.code == "file-digest-mismatch")
    assert mismatch.expected and mismatch.found and mismatch.expected != mismatch.found


def with_edited_manifest(wacz: Path, out: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of `wacz` whose archiver/manifest.json was changed by `edit`, with every digest
    that covers it rebuilt (datapackage.json and its digest): only the manifest's own claims
    can give the forgery away."""
    members = read_members(wacz)
    manifest = json.loads(members["archiver/manifest.json"])
    edit(manifest)
    changed = json.dumps(manifest, indent=2).encode()
    datapackage = json.loads(members["datapackage.json"])
    for resource in datapackage["resources"]:
        if resource["path"] == "archiver/manifest.json":
            resource["hash"] = "sha256:" + hashlib.sha256(changed).hexdigest()
            resource["bytes"] = len(changed)
    return rewrite(wacz, out, {"archiver/manifest.json": changed, **reseal(datapackage)})


def test_verify_checks_the_archiver_manifest_inside(wacz_file: Path, tmp_path: Path) -> None:
    def move_the_first_record(manifest: dict[str, Any]) -> None:
        manifest["sources"][0]["record"]["offset"] += 1

    copy = with_edited_manifest(wacz_file, tmp_path / "claims.wacz", move_the_first_record)
    report = check_wacz(copy)
    assert [(p.code, p.path) for p in report.problems] == [
        ("manifest-record-offset", "archiver/manifest.json")], report.problems


def test_verify_catches_a_datapackage_changed_behind_its_digest(wacz_file: Path,
                                                                tmp_path: Path) -> None:
    members = read_members(wacz_file)
    datapackage = json.loads(members["datapackage.json"])
    datapackage["title"] = "edited"
    copy = rewrite(wacz_file, tmp_path / "edited.wacz",
                   {"datapackage.json": json.dumps(datapackage).encode()})
    report = check_wacz(copy)
    assert [p.code for p in report.problems] == ["file-digest-mismatch"]
    assert report.problems[0].path == "datapackage.json"


# -- the zip export -------------------------------------------------------------------------------


def test_zip_export_unzips_to_a_bag_that_standard_tools_accept(sample_package: Path,
                                                               tmp_path: Path) -> None:
    out = tmp_path / "mail" / "evidence.zip"
    result = export_zip(sample_package, out)
    assert result.path == out and out.is_file()
    with zipfile.ZipFile(out) as archive:
        for info in archive.infolist():
            assert info.filename.startswith(f"{sample_package.name}/")
            if info.filename.endswith(".warc.gz"):
                assert info.compress_type == zipfile.ZIP_STORED
        archive.extractall(tmp_path / "unzipped")
    bag = tmp_path / "unzipped" / sample_package.name
    bagit.Bag(str(bag)).validate()
    assert_standard_tools_accept(bag)
    code, stdout, _ = run("verify", str(bag))
    assert code == 0, stdout
    assert unpack_archive(out, tmp_path / "imported") == tmp_path / "imported" / bag.name


def test_cli_export_writes_both_and_reports_json(sample_package: Path, tmp_path: Path) -> None:
    code, stdout, stderr = run("export", str(sample_package), "--wacz", str(tmp_path / "a.wacz"),
                               "--zip", str(tmp_path / "a.zip"), "--json")
    assert code == 0, stderr
    results = json.loads(stdout)
    assert [r["kind"] for r in results] == ["wacz", "zip"]
    assert results[0]["pages"] >= 1 and results[0]["records_indexed"] >= 1
    assert tree(tmp_path) == ["a.wacz", "a.zip"]  # no partial file left beside them


def test_export_refuses_an_existing_output(sample_package: Path, tmp_path: Path) -> None:
    out = tmp_path / "taken.wacz"
    out.write_bytes(b"keep me")
    code, _, stderr = run("export", str(sample_package), "--wacz", str(out))
    assert code == 2 and "already exists" in stderr and stderr.count("\n") == 1
    assert out.read_bytes() == b"keep me"
    with pytest.raises(OutputExistsError):
        export_zip(sample_package, out)


def test_export_refuses_a_damaged_package(sample_package: Path, tmp_path: Path) -> None:
    copy = tmp_path / "pkg"
    shutil.copytree(sample_package, copy)
    warc = next((copy / "data" / "warc").iterdir())
    data = bytearray(warc.read_bytes())
    data[len(data) // 2] ^= 0x01
    warc.write_bytes(bytes(data))
    code, stdout, stderr = run("export", str(copy), "--wacz", str(tmp_path / "out.wacz"))
    assert code == 1 and stdout == ""
    assert "not exported" in stderr and warc.name in stderr
    assert tree(tmp_path) == sorted(["pkg", *(f"pkg/{p}" for p in tree(copy))])


def test_a_failed_export_leaves_nothing(sample_package: Path, tmp_path: Path) -> None:
    def interrupt(done: int, total: int, what: str) -> None:
        if what.startswith("data/"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        export_wacz(sample_package, tmp_path / "out.wacz", progress=interrupt)
    with pytest.raises(KeyboardInterrupt):
        export_zip(sample_package, tmp_path / "out.zip", progress=interrupt)
    assert tree(tmp_path) == []


def test_export_takes_a_package_directory(wacz_file: Path, tmp_path: Path) -> None:
    code, _, stderr = run("export", str(wacz_file), "--zip", str(tmp_path / "x.zip"))
    assert code == 2 and "package directory" in stderr
    code, _, stderr = run("export", str(tmp_path))
    assert code == 2 and "--wacz" in stderr


# -- archives from elsewhere ----------------------------------------------------------------------


def hostile_zip(path: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate names we want
        for info, data in entries:
            archive.writestr(info, data)
    return path


def symlink_entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def with_datapackage(entries: list[tuple[zipfile.ZipInfo | str, bytes]]
                     ) -> list[tuple[zipfile.ZipInfo | str, bytes]]:
    """The entries plus a datapackage.json listing them, so only their own fault remains."""
    resources = [{"name": "x", "path": info if isinstance(info, str) else info.filename,
                  "hash": "sha256:" + hashlib.sha256(data).hexdigest(), "bytes": len(data)}
                 for info, data in entries]
    document = {"profile": "data-package", "wacz_version": "1.1.1", "resources": resources}
    return [*entries, ("datapackage.json", json.dumps(document).encode())]


def declare_size(path: Path, name: str, size: int) -> None:
    """Make the entry `name` declare `size` bytes, in its local and central headers alike."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
    struct.pack_into("<I", data, info.header_offset + 22, size)
    position = data.find(b"PK\x01\x02")
    while position >= 0:
        name_length = struct.unpack_from("<H", data, position + 28)[0]
        if data[position + 46:position + 46 + name_length] == name.encode():
            struct.pack_into("<I", data, position + 24, size)
        position = data.find(b"PK\x01\x02", position + 4)
    path.write_bytes(bytes(data))


ESCAPE = f"archiver-test-escape-{uuid.uuid4().hex[:8]}"

HOSTILE: dict[str, tuple[str, list[tuple[zipfile.ZipInfo | str, bytes]]]] = {
    "absolute": ("zip-entry-unsafe-path", [(f"/tmp/{ESCAPE}", b"owned")]),
    "dot-dot": ("zip-entry-unsafe-path", [(f"pages/../../{ESCAPE}", b"owned")]),
    "backslash": ("zip-entry-unsafe-path", [(f"..\\{ESCAPE}", b"owned")]),
    "symlink": ("zip-entry-link", [(symlink_entry("archive/link"), b"/etc/passwd")]),
    "duplicate": ("zip-entry-duplicate", [("pages/pages.jsonl", b"{}"),
                                          ("pages/pages.jsonl", b"[]")]),
    "case-duplicate": ("zip-entry-duplicate", [("pages/a.jsonl", b"{}"),
                                               ("pages/A.jsonl", b"[]")]),
    "ratio-bomb": ("zip-bomb", [("archive/zeros.warc", bytes(8 * 1024 * 1024))]),
    # Thousands of folders deep: unpacking made the folders one call per level, and died of
    # RecursionError ("internal error") in replay.
    "deep-path": ("zip-entry-unsafe-path", [("archive/" + "d/" * 1500 + "a.warc", b"x")]),
    "long-name": ("zip-entry-unsafe-path", [("archive/" + "n" * 2000 + ".warc", b"x")]),
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_archives_are_refused(kind: str, tmp_path: Path) -> None:
    code, entries = HOSTILE[kind]
    source = hostile_zip(tmp_path / f"{kind}.wacz", with_datapackage(entries))
    before = tree(tmp_path)
    with pytest.raises(EvidenceError) as refused:
        unpack_archive(source, tmp_path / "target")
    message = str(refused.value)
    assert "\n" not in message and message.startswith(f"{source}: refused: ")
    assert f"[{code}]" in message
    assert tree(tmp_path) == before  # not even the target or a staging directory
    assert not Path("/tmp", ESCAPE).exists() and not (tmp_path.parent / ESCAPE).exists()
    exit_code, stdout, _ = run("verify", str(source))
    assert exit_code == 1 and f"[{code}]" in stdout


def test_an_entry_that_inflates_past_its_declared_size_is_refused(tmp_path: Path) -> None:
    source = hostile_zip(tmp_path / "bomb.wacz",
                         with_datapackage([("archive/big.warc", b"W" * 5_000_000)]))
    declare_size(source, "archive/big.warc", 1000)
    with pytest.raises(EvidenceError) as refused:
        unpack_archive(source, tmp_path / "target")
    assert "[zip-entry-corrupt]" in str(refused.value) and "declares" in str(refused.value)
    assert tree(tmp_path) == ["bomb.wacz"]
    code, stdout, _ = run("verify", str(source))
    assert code == 1 and "archive/big.warc" in stdout


def test_a_wacz_with_a_wrong_digest_is_refused(wacz_file: Path, tmp_path: Path) -> None:
    members = read_members(wacz_file)
    datapackage = json.loads(members["datapackage.json"])
    pages = next(r for r in datapackage["resources"] if r["path"] == "pages/pages.jsonl")
    pages["hash"] = "sha256:" + "0" * 64
    source = rewrite(wacz_file, tmp_path / "wrong.wacz", reseal(datapackage))
    with pytest.raises(EvidenceError) as refused:
        unpack_archive(source, tmp_path / "target")
    assert "pages/pages.jsonl" in str(refused.value)
    assert "[file-digest-mismatch]" in str(refused.value)
    assert tree(tmp_path) == ["wrong.wacz"]
    code, stdout, _ = run("verify", str(source))
    assert code == 1 and "pages/pages.jsonl" in stdout and "0000000000" in stdout


def test_a_wacz_without_datapackage_is_not_a_wacz(wacz_file: Path, tmp_path: Path) -> None:
    source = rewrite(wacz_file, tmp_path / "bare.wacz", {"datapackage.json": None})
    code, _, stderr = run("verify", str(source))
    assert code == 2 and "without datapackage.json" in stderr and stderr.count("\n") == 1
    with pytest.raises(NotEvidenceError):
        unpack_archive(source, tmp_path / "target")
    garbage = tmp_path / "garbage.wacz"
    garbage.write_bytes(b"not a zip at all")
    code, _, stderr = run("verify", str(garbage))
    assert code == 2 and "not a zip" in stderr
    assert tree(tmp_path) == ["bare.wacz", "garbage.wacz"]


def test_unpack_serves_a_wacz_whole(wacz_file: Path, tmp_path: Path) -> None:
    root = unpack_archive(wacz_file, tmp_path / "served")
    assert root == tmp_path / "served"
    assert (root / "datapackage.json").is_file() and (root / "indexes" / "index.cdx").is_file()
    with pytest.raises(OutputExistsError):
        unpack_archive(wacz_file, root)


# -- archives past the limits: refused from their own description, before they are read ------------

ZIP_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "zip"


def test_a_zip_that_claims_a_million_entries_is_refused_from_its_end_record(
        tmp_path: Path) -> None:
    source = ZIP_FIXTURES / "claims-a-million-entries.wacz"
    code, stdout, _ = run("verify", str(source))
    assert code == 1
    assert stdout.splitlines()[1:] == [
        "  - (zip): the zip lists 1,000,000 entries, more than the 250,000 archiver reads; "
        "refused [zip-too-many-entries]"]
    with pytest.raises(ArchiveRefused, match=r"\[zip-too-many-entries\]"):
        unpack_archive(source, tmp_path / "target")
    assert tree(tmp_path) == []


def zip64_with_signature_in_its_end_record(path: Path, entries: int) -> Path:
    """A zip whose classic end record defers to a ZIP64 one (counts 0xFFFF) and holds the end
    record's own signature in its offset field, as a search from the end would find it."""
    with zipfile.ZipFile(path, "w") as archive:
        for number in range(entries):
            archive.writestr(f"f{number}.txt", b"x")
    data = path.read_bytes()
    end = data.rindex(b"PK\x05\x06")
    _, _, _, count, _, size, offset, _ = struct.unpack_from("<4s4H2LH", data, end)
    zip64_end = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count,
                            size, offset)
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, end, 1)
    classic = struct.pack("<4s4H2L", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF,
                          int.from_bytes(b"PK\x05\x06", "little")) + b"\0\0"
    path.write_bytes(data[:end] + zip64_end + locator + classic)
    return path


def test_a_zip_end_record_holding_its_own_signature_still_bounds_the_entries(
        tmp_path: Path) -> None:
    """The end record was found by searching back for its signature: in a ZIP64 zip whose
    classic record holds those bytes in a field, the search found them, judged the record
    cut, and let zipfile read the whole directory unbounded."""
    source = zip64_with_signature_in_its_end_record(tmp_path / "hidden.wacz", 3)
    assert len(zipfile.ZipFile(source).infolist()) == 3  # zipfile reads it
    problems = directory_problems(source, ReadLimits(max_zip_entries=2))
    assert [problem.code for problem in problems] == ["zip-too-many-entries"]


def test_a_central_directory_larger_than_the_file_is_refused() -> None:
    code, stdout, _ = run("verify", str(ZIP_FIXTURES / "directory-larger-than-file.wacz"))
    assert code == 1
    assert stdout.splitlines()[1:] == [
        "  - (zip): its central directory claims 2,147,483,647 bytes, more than the 177 that "
        "come before its end; refused [zip-directory-invalid]"]


def test_an_entry_that_declares_two_tebibytes_is_refused(tmp_path: Path) -> None:
    source = ZIP_FIXTURES / "entry-declares-two-tebibytes.wacz"
    code, stdout, _ = run("verify", str(source))
    assert code == 1
    assert ("  - archive/big.warc: it declares 2,199,023,255,552 bytes, more than the "
            "1,099,511,627,776 archiver reads from one entry; refused [zip-entry-too-large]"
            ) in stdout.splitlines()
    with pytest.raises(ArchiveRefused, match=r"\[zip-entry-too-large\]"):
        unpack_archive(source, tmp_path / "target")


def test_the_limits_of_reading_an_archive_are_settings(wacz_file: Path, tmp_path: Path) -> None:
    size = len(read_members(wacz_file)["datapackage.json"])
    too_large = Problem("wacz-file-too-large", "datapackage.json", f"{size:,} bytes, more "
                        "than the 1,000 archiver reads from such a file")
    assert check_wacz(wacz_file, limits=ReadLimits(max_json_bytes=1000)).problems == [too_large]
    with pytest.raises(ArchiveRefused) as refused:
        unpack_archive(wacz_file, tmp_path / "target", limits=ReadLimits(max_json_bytes=1000))
    assert refused.value.problems == [too_large]
    report = check_wacz(wacz_file, limits=ReadLimits(max_zip_entries=3))
    assert [problem.code for problem in report.problems] == ["zip-too-many-entries"]


def test_a_datapackage_listing_120_000_missing_files_is_reported_in_short(
        wacz_file: Path, tmp_path: Path) -> None:
    members = read_members(wacz_file)
    datapackage = json.loads(members["datapackage.json"])
    datapackage["resources"] += [
        {"name": f"x{i}", "path": f"archive/x-{i:06d}.warc", "hash": "sha256:" + "0" * 64,
         "bytes": 1} for i in range(120_000)]
    source = rewrite(wacz_file, tmp_path / "listing.wacz", reseal(datapackage))
    # In a child, under a time limit: this took 3.5 GB and minutes.
    done = subprocess.run([sys.executable, "-m", "archiver", "verify", str(source)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"{source}: DAMAGED (wacz; 120,000 problem(s);")
    assert len(lines) == 1 + 1000 + 1  # the first 1,000 problems, then their count
    assert lines[1] == ("  - archive/x-000000.warc: datapackage.json lists this file, but the "
                        "WACZ does not hold it [missing-file]")
    assert lines[-1] == f"  ... and 119,000 more problems in {source}"
    with pytest.raises(ArchiveRefused) as refused:
        unpack_archive(source, tmp_path / "target")
    assert len(refused.value.problems) == 1000 and refused.value.more == 119_000
    assert str(refused.value).endswith("(and 119,999 more)")


def test_an_entry_whose_deflate_stream_is_corrupt_is_named(tmp_path: Path) -> None:
    # Found by tests/fuzz/test_fuzz_wacz.py: zlib's own error went out of unpack_archive.
    source = ZIP_FIXTURES / "corrupt-deflate-stream.wacz"
    with pytest.raises(ArchiveRefused) as refused:
        unpack_archive(source, tmp_path / "target")
    assert [problem.code for problem in refused.value.problems] == ["zip-entry-corrupt"]
    assert tree(tmp_path) == []
    code, stdout, _ = run("verify", str(source))
    assert code == 1
    assert ("  - archive/a.warc: the entry cannot be read from the zip: Error -3 while "
            "decompressing data: invalid stored block lengths [zip-entry-corrupt]"
            ) in stdout.splitlines()
