"""archiver.verification: intact evidence passes, and every kind of damage is caught and named.

Packages come from `sample_package` (a real capture of the test site, copied before any
damage); bare WARCs are the named fixtures in fixtures/warc (made by make_fixtures.py) and
WARCs written here by warcio.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import json
import os
import random
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import bagit
import pytest
from typer.testing import CliRunner
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archiver.cli import app
from archiver.errors import (
    EnvironmentFault,
    InputNotFoundError,
    NotEvidenceError,
    VerificationFailed,
)
from archiver.rendering import render_verification
from archiver.verification import Problem, VerificationReport, check, is_valid, verify
from archiver.verification.boundary import os_errors
from archiver.verification.digests import parse_digest
from tests.server import DEAD_LINK_PATH, REPORT_PATH, SiteServer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "warc"
TAG_FILES = ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest.json",
             "tagmanifest-sha256.txt")


def codes(report: VerificationReport) -> list[str]:
    return [problem.code for problem in report.problems]


@pytest.fixture
def package(sample_package: Path, tmp_path: Path) -> Path:
    """A copy of the sample package, free to damage."""
    copy = tmp_path / "package"
    shutil.copytree(sample_package, copy)
    return copy


def warcs(package: Path) -> list[Path]:
    return sorted((package / "data" / "warc").glob("*.warc.gz"))


def reseal(package: Path) -> None:
    """Rewrite tagmanifest-sha256.txt for the tag files as they are now, so that a test can
    change a tag file and see only the check it is about. The package's attestations (its
    custody log names the tag manifest it was sealed with) go: a resealed bag is a new one."""
    shutil.rmtree(package / "attestations", ignore_errors=True)
    lines = [f"{hashlib.sha256((package / name).read_bytes()).hexdigest()}  {name}\n"
             for name in sorted(TAG_FILES[:-1])]
    (package / "tagmanifest-sha256.txt").write_text("".join(lines), "utf-8")


def edit_manifest(package: Path, change: object) -> dict[str, object]:
    manifest = json.loads((package / "manifest.json").read_text("utf-8"))
    change(manifest)  # type: ignore[operator]
    (package / "manifest.json").write_text(json.dumps(manifest, indent=2), "utf-8")
    reseal(package)
    return manifest  # type: ignore[no-any-return]


# -- intact evidence ---------------------------------------------------------------------------


def test_an_intact_package_passes(sample_package: Path) -> None:
    seen: list[tuple[int, int]] = []
    report = verify(sample_package, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (report.bytes_read, report.bytes_read)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert report.is_valid and report.kind == "package"
    assert report.records_checked >= 10 and report.unverifiable_records == 0
    # Every record archiver writes carries the digests that cover it whole.
    assert report.coverage.verified == report.records_checked and report.coverage.fully_covered
    assert report.notes == [] and report.verdict == "intact"
    assert verify(sample_package, strict=True).is_valid
    every_file = [path for path in sample_package.rglob("*") if path.is_file()]
    assert report.files_checked == len(every_file)
    assert report.bytes_read == sum(path.stat().st_size for path in every_file)
    assert is_valid(sample_package)
    bagit.Bag(str(sample_package)).validate()  # the other judge agrees


@pytest.mark.parametrize("name", ["intact-sha256.warc.gz", "uncompressed.warc",
                                  "whole-file-gzip.warc.gz", "sha1-base32-wget.warc.gz",
                                  "mixed-digests.warc"])
def test_intact_warcs_pass(name: str) -> None:
    report = check(FIXTURES / name)
    assert report.problems == [] and report.kind == "warc"
    assert report.records_checked >= 3 and report.files_checked == 1


def test_each_warc_of_a_package_passes_alone(sample_package: Path) -> None:
    for warc in warcs(sample_package):
        assert check(warc).problems == []


def test_a_warc_written_by_warcio_passes(tmp_path: Path) -> None:
    path = tmp_path / "warcio.warc.gz"
    with path.open("wb") as output:
        writer = WARCWriter(output, gzip=True)  # sha1 in base32, as warcio does by default
        writer.write_record(writer.create_warcinfo_record("warcio.warc.gz", {"software": "t"}))
        for number in range(3):
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/plain")],
                                       protocol="HTTP/1.0")
            body = io.BytesIO(b"body %d " % number * 1000)
            writer.write_record(writer.create_warc_record(
                f"http://127.0.0.1/{number}", "response", payload=body, http_headers=headers))
    report = check(path)
    assert report.problems == [] and report.records_checked == 4


def test_a_dechunked_payload_digest_is_accepted_with_a_note() -> None:
    report = check(FIXTURES / "chunked-dechunked-digest.warc.gz")
    assert report.is_valid
    assert [note.code for note in report.notes] == ["payload-digest-dechunked"]


# -- named broken WARCs ------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "expected"), [
    ("truncated-record.warc.gz", ["truncated-gzip"]),
    ("truncated-record.warc", ["truncated-record"]),
    ("bad-block-digest.warc.gz", ["record-block-digest-mismatch"]),
    ("bad-payload-digest.warc.gz", ["record-payload-digest-mismatch"]),
    ("no-digest.warc", ["record-unverifiable"]),  # its response; warcinfo and request listed
    ("unknown-digest-algorithm.warc", ["record-digest-invalid"]),
    ("not-gzip-garbage.warc.gz", ["not-gzip"]),
    ("trailing-garbage.warc.gz", ["not-gzip"]),
    ("corrupt-member.warc.gz", ["gzip-member-corrupt"]),
    ("bad-header.warc", ["record-header-invalid"]),
    ("empty.warc.gz", ["warc-empty"]),
    ("no-target-uri.warc", ["record-field-invalid"]),
    ("no-warc-date.warc", ["record-field-invalid"]),
])
def test_each_broken_warc_gives_its_problem(name: str, expected: list[str]) -> None:
    path = FIXTURES / name
    report = check(path)
    assert codes(report) == expected
    assert all(problem.path == str(path) for problem in report.problems)
    with pytest.raises(VerificationFailed) as raised:
        verify(path)
    assert raised.value.problems == report.problems
    assert not is_valid(path)


def test_problems_name_the_record_and_its_offset() -> None:
    report = check(FIXTURES / "bad-block-digest.warc.gz")
    (problem,) = report.problems
    assert problem.record_id == "<urn:uuid:00000000-0000-4000-8000-000000000003>"
    assert problem.offset is not None and problem.offset > 0
    assert problem.expected and problem.found and problem.expected != problem.found
    line = str(problem)
    for part in (problem.path, problem.record_id, str(problem.offset), problem.expected,
                 problem.found, "WARC-Block-Digest"):
        assert part in line
    assert problem.to_dict()["code"] == "record-block-digest-mismatch"
    assert json.loads(json.dumps(report.to_dict()))["valid"] is False


def test_unverifiable_records_are_counted() -> None:
    report = check(FIXTURES / "no-digest.warc")
    assert report.unverifiable_records == 1 and report.records_checked == 3
    assert report.coverage.no_digest == {"warcinfo": 1, "request": 1}
    assert [note.code for note in report.notes] == ["record-no-digest"] * 2
    assert report.verdict == "cannot-be-verified"


def test_a_revisit_with_only_the_payload_digest_it_names_is_listed_not_failed() -> None:
    report = check(FIXTURES / "revisit-payload-digest-only.warc.gz")
    assert report.is_valid and report.verdict == "intact"
    assert report.coverage.no_digest == {"revisit": 1} and report.coverage.verified == 1
    (note,) = report.notes
    assert note.code == "record-no-digest" and "revisit" in note.message
    strict = check(FIXTURES / "revisit-payload-digest-only.warc.gz", strict=True)
    assert codes(strict) == ["record-no-digest"] and strict.verdict == "cannot-be-verified"


# -- damaged packages --------------------------------------------------------------------------


def test_a_missing_file_is_named(package: Path) -> None:
    warc = warcs(package)[0]
    warc.unlink()
    report = check(package)
    relative = warc.relative_to(package).as_posix()
    assert ("missing-file", relative) in [(p.code, p.path) for p in report.problems]
    assert "oxum-mismatch" in codes(report)


def test_an_extra_file_is_named(package: Path) -> None:
    (package / "data" / "notes.txt").write_text("added later\n")
    (package / "extra-tag.txt").write_text("added later\n")
    report = check(package)
    assert sorted((p.code, p.path) for p in report.problems
                  if p.code == "unlisted-file") == [("unlisted-file", "data/notes.txt"),
                                                    ("unlisted-file", "extra-tag.txt")]
    assert "oxum-mismatch" in codes(report)


def test_a_package_without_bagit_txt_is_damaged_not_unknown(package: Path) -> None:
    (package / "bagit.txt").unlink()
    assert [(p.code, p.path) for p in check(package).problems] == [
        ("missing-file", "bagit.txt")]


def test_a_wrong_payload_oxum_is_named(package: Path) -> None:
    info = package / "bag-info.txt"
    text = info.read_text("utf-8")
    oxum = next(line for line in text.splitlines() if line.startswith("Payload-Oxum"))
    octets, count = oxum.split(": ")[1].split(".")
    info.write_text(text.replace(oxum, f"Payload-Oxum: {int(octets) + 1}.{count}"), "utf-8")
    reseal(package)
    report = check(package)
    assert codes(report) == ["oxum-mismatch"]
    assert report.problems[0].path == "bag-info.txt"


def test_manifest_json_must_match_its_schema(package: Path) -> None:
    edit_manifest(package, lambda manifest: manifest.update(format="something-else/9"))
    report = check(package)
    assert codes(report) == ["manifest-schema"]
    assert "$.format" in report.problems[0].message


def test_manifest_json_that_does_not_parse(package: Path) -> None:
    (package / "manifest.json").write_bytes(b'{"format": ')
    reseal(package)
    assert codes(check(package)) == ["manifest-json-invalid"]


def first_record(manifest: dict[str, object]) -> dict[str, object]:
    resources = manifest["resources"]
    assert isinstance(resources, list)
    return next(item for item in resources if item["record"] is not None)


def test_a_record_reference_at_the_wrong_offset(package: Path) -> None:
    def move(manifest: dict[str, object]) -> None:
        first_record(manifest)["record"]["offset"] += 1  # type: ignore[index]

    edit_manifest(package, move)
    report = check(package)
    assert set(codes(report)) == {"manifest-record-offset"}
    assert all(problem.path == "manifest.json" for problem in report.problems)


def test_a_record_reference_to_no_record(package: Path) -> None:
    def rename(manifest: dict[str, object]) -> None:
        first_record(manifest)["record"]["record_id"] = (  # type: ignore[index]
            "<urn:uuid:00000000-0000-4000-8000-000000000000>")

    edit_manifest(package, rename)
    assert set(codes(check(package))) == {"manifest-record-missing"}


def test_a_wrong_payload_digest_in_manifest_json(package: Path) -> None:
    def change(manifest: dict[str, object]) -> None:
        first_record(manifest)["payload_sha256"] = "0" * 64

    edit_manifest(package, change)
    report = check(package)
    assert codes(report) == ["manifest-payload-mismatch"]
    assert report.problems[0].expected == "0" * 64


@pytest.mark.parametrize(("section", "key", "claimed"), [
    ("sources", "status", 418),
    ("sources", "content_type", "application/x-glued"),
    ("sources", "captured_at", "2001-01-01T00:00:00Z"),
    ("sources", "final_url", "http://127.0.0.1:1/another-page"),
    ("sources", "truncated", "length"),
    ("resources", "status", 200.0),
    ("resources", "content_type", None),
    ("resources", "payload_length", 1),
    ("resources", "ip_address", "192.0.2.1"),
    ("resources", "url", "http://127.0.0.1:1/another-page"),
    # A page that does not redirect, said to: the chain built on it would lead elsewhere.
    ("resources", "redirect_to", "http://127.0.0.1:1/another-page"),
])
def test_a_claim_its_record_does_not_hold(package: Path, section: str, key: str,
                                          claimed: object) -> None:
    # The bag is resealed after the edit: only the check of the claim against the record
    # can catch it.
    def change(manifest: dict[str, object]) -> None:
        entries = manifest[section]
        assert isinstance(entries, list)
        entry = next(item for item in entries if item["record"] is not None
                     and item["status"] == 200)
        assert entry[key] != claimed or type(entry[key]) is not type(claimed)
        entry[key] = claimed

    edit_manifest(package, change)
    report = check(package)
    assert codes(report) == ["manifest-claim-mismatch"]
    problem = report.problems[0]
    assert problem.path == "manifest.json" and problem.record_id is not None
    assert problem.message.startswith(f"{section}[")
    assert f": {key} is not what its response record" in problem.message
    assert problem.expected == ("none" if claimed is None else str(claimed))
    result = CliRunner().invoke(app, ["verify", str(package)])
    assert result.exit_code == 1, result.output
    assert f"{key} is not what its response record" in result.output


def test_a_redirect_claimed_to_lead_elsewhere_is_named(package: Path) -> None:
    """Where a redirect leads is the record's status and Location, resolved as capture
    resolves them: a manifest that sends the chain elsewhere is caught."""
    def change(manifest: dict[str, object]) -> None:
        entries = manifest["resources"]
        assert isinstance(entries, list)
        entry = next(item for item in entries if item["redirect_to"])
        entry["redirect_to"] = "http://127.0.0.1:1/somewhere-else"

    edit_manifest(package, change)
    report = check(package)
    assert codes(report) == ["manifest-claim-mismatch"]
    assert ": redirect_to is not what its response record" in report.problems[0].message
    assert report.problems[0].found and report.problems[0].found.startswith("http://")


def test_derived_files_must_be_in_the_package(package: Path) -> None:
    def derive(manifest: dict[str, object]) -> None:
        first_record(manifest)["derived"] = [{
            "path": "data/extract/gone.txt", "kind": "text", "sha256": "0" * 64,
            "record": {"warc_file": "data/warc/x.warc.gz",
                       "record_id": "<urn:uuid:00000000-0000-0000-0000-000000000000>",
                       "offset": 0}}]

    edit_manifest(package, derive)
    report = check(package)
    assert sorted(codes(report)) == ["manifest-derived-missing", "manifest-record-missing"]
    assert any("data/extract/gone.txt" in str(problem) for problem in report.problems)


def test_the_records_derived_files_name_are_checked(package: Path) -> None:
    def shift(manifest: dict[str, object]) -> None:
        resources = manifest["resources"]
        assert isinstance(resources, list)
        derived = next(item["derived"] for item in resources if item["derived"])
        derived[0]["record"]["offset"] += 1

    edit_manifest(package, shift)
    report = check(package)
    assert codes(report) == ["manifest-record-offset"]
    assert ".derived[0]" in str(report.problems[0])


def test_manifest_json_files_must_agree_with_the_bag(package: Path) -> None:
    def drop(manifest: dict[str, object]) -> None:
        files = manifest["files"]
        assert isinstance(files, list)
        files[0]["size"] += 1

    edit_manifest(package, drop)
    assert codes(check(package)) == ["manifest-files-mismatch"]


def test_a_changed_record_is_named_with_its_offset(package: Path) -> None:
    warc = warcs(package)[0]
    data = bytearray(warc.read_bytes())
    data[len(data) // 2] ^= 0x10
    warc.write_bytes(bytes(data))
    report = check(package)
    relative = warc.relative_to(package).as_posix()
    assert "file-digest-mismatch" in codes(report)
    record_problems = [p for p in report.problems if p.offset is not None]
    assert record_problems and all(p.path == relative for p in record_problems)
    assert all(p.offset is not None and p.offset <= len(data) // 2 for p in record_problems)


def test_every_single_bit_flip_is_caught_and_named(sample_package: Path,
                                                    tmp_path: Path) -> None:
    """Flip one bit at a time, at seeded random places in every file, and put it back."""
    package = tmp_path / "package"
    shutil.copytree(sample_package, package)
    rng = random.Random(20240501)
    files = [package / name for name in TAG_FILES] + sorted((package / "data").rglob("*.*"))
    flips = 0
    for path in files:
        original = path.read_bytes()
        for position in rng.sample(range(len(original) * 8), min(40, len(original) * 8)):
            damaged = bytearray(original)
            damaged[position // 8] ^= 1 << (position % 8)
            path.write_bytes(bytes(damaged))
            report = check(package)
            name = path.relative_to(package).as_posix()
            assert not report.is_valid, f"{name}: flip of bit {position} not caught"
            assert any(name in str(problem) for problem in report.problems), (
                f"{name}: bit {position}: {[str(p) for p in report.problems]}")
            flips += 1
        path.write_bytes(original)
    assert flips >= 200
    assert check(package).is_valid


# -- usage and environment errors --------------------------------------------------------------


def test_paths_that_are_not_evidence(tmp_path: Path) -> None:
    with pytest.raises(InputNotFoundError):
        check(tmp_path / "nothing-here")
    with pytest.raises(NotEvidenceError):
        check(tmp_path)  # a directory without bagit.txt
    text = tmp_path / "notes.txt"
    text.write_text("not a WARC\n")
    with pytest.raises(NotEvidenceError):
        check(text)


def test_a_warc_without_its_name_is_recognised(tmp_path: Path) -> None:
    copy = tmp_path / "capture.bin"
    shutil.copyfile(FIXTURES / "intact-sha256.warc.gz", copy)
    assert check(copy).is_valid


def test_an_os_error_while_reading_is_an_environment_fault(tmp_path: Path) -> None:
    # /proc/self/mem cannot be read from offset 0: a real I/O error, from a real file.
    if not Path("/proc/self/mem").exists():
        pytest.skip("needs /proc")
    link = tmp_path / "unreadable.warc"
    link.symlink_to("/proc/self/mem")
    with pytest.raises(EnvironmentFault) as raised:
        check(link)
    assert "unreadable.warc" in str(raised.value)


def test_a_link_inside_a_package_is_never_read(package: Path) -> None:
    # (It used to be read, and reading /proc/self/mem fails: now it is not even opened.)
    if not Path("/proc/self/mem").exists():
        pytest.skip("needs /proc")
    warc = warcs(package)[0]
    warc.unlink()
    warc.symlink_to("/proc/self/mem")
    report = check(package)
    name = f"data/warc/{warc.name}"
    assert Problem("not-a-regular-file", name, "a symbolic link; a package holds only "
                   "regular files") in report.problems


def test_the_boundary_maps_every_os_error() -> None:
    for error in (OSError(5, "Input/output error"), PermissionError(13, "Permission denied"),
                  FileNotFoundError(2, "No such file"), IsADirectoryError(21, "Is a dir")):
        with pytest.raises(EnvironmentFault), os_errors(Path("x")):
            raise error


def test_problem_reads_as_one_line() -> None:
    problem = Problem("file-digest-mismatch", "data/warc/a.warc.gz", "the file changed",
                      expected="aa", found="bb")
    assert str(problem) == ("data/warc/a.warc.gz: the file changed (expected aa, found bb) "
                            "[file-digest-mismatch]")
    report = VerificationReport("p", "package")
    report.add(problem)
    report.add(problem)
    assert report.problems == [problem]  # logged once


def test_a_report_keeps_the_first_problems_of_a_file_and_counts_the_rest() -> None:
    report = VerificationReport("pkg", "package", max_per_file=100, max_problems=150)
    for number in range(250):
        report.add(Problem("record-digest-mismatch", "data/warc/a.warc.gz", f"record {number}"))
    for number in range(80):
        report.add(Problem("missing-file", f"data/extract/{number}.txt", "missing"))
    assert len(report.problems) == 150 and report.problem_count == 330
    assert report.omitted == {"data/warc/a.warc.gz": 150, "pkg": 30}
    assert report.to_dict()["problems_omitted"] == report.omitted
    lines = render_verification(report).splitlines()
    assert lines[0].startswith("pkg: DAMAGED (package; 330 problem(s);")
    assert lines[-2:] == ["  ... and 150 more problems in data/warc/a.warc.gz",
                          "  ... and 30 more problems in pkg"]
    with pytest.raises(VerificationFailed, match="330 problems found"):
        raise VerificationFailed(Path("pkg"), report.problems, report.problem_count - 150)


def test_a_million_continuation_lines_in_bag_info_are_read_in_linear_time(
        package: Path) -> None:
    with (package / "bag-info.txt").open("a", encoding="utf-8") as bag_info:
        bag_info.write("Internal-Sender-Description: a long one\n" + " more\n" * 1_000_000)
    reseal(package)
    # In a child, under a time limit: each line used to copy all the ones before it.
    done = subprocess.run([sys.executable, "-m", "archiver", "verify", str(package)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_manifest_of_200_000_wrong_lines_is_reported_in_short(package: Path) -> None:
    first = len((package / "manifest-sha256.txt").read_text("utf-8").splitlines()) + 1
    with (package / "manifest-sha256.txt").open("a", encoding="utf-8") as manifest:
        manifest.write("not a line of a manifest\n" * 200_000)
    reseal(package)
    report = check(package)
    assert len(report.problems) == 100 and report.problem_count == 200_000
    assert report.omitted == {"manifest-sha256.txt": 199_900}
    assert str(report.problems[0]) == (
        f"manifest-sha256.txt: line {first} lists 'a line of a manifest', but payload files "
        "are under data/ [manifest-line-invalid]")


# -- memory stays flat -------------------------------------------------------------------------


def test_memory_stays_flat_for_a_huge_record(tmp_path: Path) -> None:
    size = 384 * 1024 * 1024
    path = tmp_path / "huge.warc.gz"
    block_hash = hashlib.sha256()
    compressor = zlib.compressobj(1, zlib.DEFLATED, 31)
    chunk = bytes(range(256)) * 4096
    for _ in range(size // len(chunk)):
        block_hash.update(chunk)
    head = (b"WARC/1.1\r\nWARC-Type: resource\r\nWARC-Record-ID: <urn:uuid:1>\r\n"
            b"WARC-Date: 2026-01-01T00:00:00Z\r\nWARC-Target-URI: file:///huge.bin\r\n"
            b"WARC-Block-Digest: sha256:" + block_hash.hexdigest().encode() +
            b"\r\nContent-Length: %d\r\n\r\n" % size)
    with path.open("wb") as output:
        output.write(compressor.compress(head))
        for _ in range(size // len(chunk)):
            output.write(compressor.compress(chunk))
        output.write(compressor.compress(b"\r\n\r\n") + compressor.flush())
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent (pytest,
    # which may be large), while VmHWM belongs to the new program's own memory.
    code = ("import re, sys; from archiver.verification import check;"
            "r = check(sys.argv[1]); assert r.is_valid, r.problems;"
            "print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())[1])")
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, check=True, env={**os.environ, "PYTHONPATH": os.getcwd()})
    peak_kib = int(done.stdout.split()[-1])
    assert peak_kib < 120 * 1024, f"peak RSS {peak_kib} KiB for a {size >> 20} MiB record"


def test_a_warc_written_by_wget_passes(site: SiteServer, tmp_path: Path) -> None:
    wget = shutil.which("wget")
    if wget is None:
        pytest.skip("wget is not installed")
    urls = [site.url(path) for path in ("/encoding/chunked", "/encoding/gzip-chunked",
                                        REPORT_PATH, DEAD_LINK_PATH)]
    subprocess.run([wget, "-q", "--tries=1", "--warc-file", str(tmp_path / "wget"),
                    "--no-warc-keep-log", "-O", os.devnull, *urls], cwd=tmp_path, check=False,
                   timeout=60)
    report = check(tmp_path / "wget.warc.gz")
    assert report.problems == [] and report.records_checked >= 9


def test_the_public_names_are_exact() -> None:
    module = importlib.import_module("archiver.verification")
    assert sorted(module.__all__) == ["Note", "Problem", "ProofOptions", "VerificationReport",
                                      "check", "is_valid", "verify"]
    assert all(hasattr(module, name) for name in module.__all__)


@pytest.mark.parametrize(("label", "algorithm", "encoding"), [
    ("sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ", "sha1", "base32"),
    ("sha256:" + hashlib.sha256(b"").hexdigest(), "sha256", "hex"),
    ("SHA-256:" + hashlib.sha256(b"").hexdigest().upper(), "sha256", "hex"),
    ("md5:1B2M2Y8AsgTpgAmY7PhCfg==", "md5", "base64"),
    ("sha512:" + hashlib.sha512(b"").hexdigest(), "sha512", "hex"),
])
def test_digest_labels_as_tools_write_them(label: str, algorithm: str, encoding: str) -> None:
    claim = parse_digest(label)
    assert (claim.algorithm, claim.encoding) == (algorithm, encoding)
    assert claim.render(claim.value) == label


@pytest.mark.parametrize("label", ["sha256", "sha256:", "crc32:00000000", "sha1:not-a-digest",
                                   "sha256:" + "0" * 63])
def test_digest_labels_that_cannot_be_used(label: str) -> None:
    with pytest.raises(ValueError):
        parse_digest(label)


def test_damage_is_listed_before_what_only_lacks_a_digest() -> None:
    # Under --strict a WARC of a tool that writes no digests fills the list with uncovered
    # records; a damaged record met after them still gets a line of its own.
    report = VerificationReport("w.warc.gz", "warc", strict=True, max_per_file=10)
    for number in range(30):
        report.add(Problem("record-no-digest", "w.warc.gz", f"record {number} has none"))
    damaged = Problem("record-digest-mismatch", "w.warc.gz", "record 31 changed")
    report.add(damaged)
    assert damaged in report.problems and len(report.problems) == 10
    assert report.problem_count == 31
    assert render_verification(report).splitlines()[0].startswith("w.warc.gz: DAMAGED")
