"""The custody log: one entry per event, hash-chained, signed where a key is set, appended
by capture, sign, export and `verify --record` (never by a plain verify), and every break
named by verify: which entry, and why."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from archiver.attestation.custody import append_entry
from archiver.attestation.keys import load_signing_key
from archiver.cli import app
from archiver.schema_files import load_schema
from tests.test_signing import copy_of, make_key, signed_copy, verify_json

runner = CliRunner()


def custody(package: Path) -> Path:
    return package / "attestations" / "custody"


def entries(package: Path) -> list[dict]:
    return [json.loads(path.read_bytes()) for path in sorted(custody(package).glob("*.json"))]


def broken(package: Path) -> tuple[str, str, str]:
    report = verify_json(package)
    (problem,) = [p for p in report["problems"] if p["code"].startswith("custody-")]
    return problem["code"], problem["path"], problem["message"]


def test_every_new_package_begins_its_log_with_created(sample_package: Path) -> None:
    # (Exports of the shared sample package by other tests add entries after it.)
    entry = entries(sample_package)[0]
    for each in entries(sample_package):
        jsonschema.validate(each, load_schema("custody-entry"))
    assert (entry["sequence"], entry["event"], entry["previous_sha256"]) == (1, "created", None)
    tag = (sample_package / "tagmanifest-sha256.txt").read_bytes()
    assert entry["details"]["tag_manifest_sha256"] == hashlib.sha256(tag).hexdigest()
    manifest = json.loads((sample_package / "manifest.json").read_bytes())
    assert entry["details"]["package_id"] == manifest["package_id"]
    assert entry["by"]["key_fingerprint"] is None
    assert not (custody(sample_package) / "000001.sig").exists()
    assert verify_json(sample_package)["attestations"]["custody"] == [
        {"status": "valid", "entries": len(entries(sample_package)), "broken_at": None,
         "reason": None}]


def test_signing_chains_a_signed_entry_that_openssl_verifies(sample_package: Path,
                                                             tmp_path: Path) -> None:
    package, key = signed_copy(sample_package, tmp_path)
    first, second = entries(package)
    for entry in (first, second):
        jsonschema.validate(entry, load_schema("custody-entry"))
    assert second["event"] == "signed" and second["sequence"] == 2
    assert second["previous_sha256"] == hashlib.sha256(
        (custody(package) / "000001.json").read_bytes()).hexdigest()
    public = load_signing_key(key).public
    assert second["by"]["key_fingerprint"] == public.fingerprint
    assert base64.b64decode(second["by"]["public_key"]) == public.der
    pem = tmp_path / "entry-key.pem"
    pem.write_text(public.pem)
    done = subprocess.run(["openssl", "dgst", "-sha256", "-verify", str(pem), "-signature",
                           str(custody(package) / "000002.sig"),
                           str(custody(package) / "000002.json")],
                          capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "Verified OK"


def test_entries_are_never_overwritten_and_the_chain_goes_on(sample_package: Path,
                                                             tmp_path: Path) -> None:
    package = copy_of(sample_package, tmp_path)
    first = (custody(package) / "000001.json").read_bytes()
    key = load_signing_key(make_key(tmp_path))
    written = [append_entry(package, event, details={"n": n}, key=key if n % 2 else None,
                            operator="Ana Lima", organisation=None)
               for n, event in enumerate(["verified", "exported", "timestamped"])]
    assert written == [f"attestations/custody/00000{n}.json" for n in (2, 3, 4)]
    assert (custody(package) / "000001.json").read_bytes() == first
    assert sorted(p.name for p in custody(package).glob("*.sig")) == ["000003.sig"]
    report = verify_json(package)
    assert report["attestations"]["custody"][0] == {"status": "valid", "entries": 4,
                                                     "broken_at": None, "reason": None}
    with pytest.raises(ValueError, match="unknown custody event"):
        append_entry(package, "deleted", details={}, key=None, operator=None,
                     organisation=None)


def test_a_removed_entry_is_named(sample_package: Path, tmp_path: Path) -> None:
    package, _ = signed_copy(sample_package, tmp_path)
    append_entry(package, "verified", details={}, key=None, operator=None, organisation=None)
    (custody(package) / "000002.json").unlink()
    (custody(package) / "000002.sig").unlink()
    assert broken(package) == ("custody-broken", "attestations/custody/000002.json",
                               "entry 000002 is missing: the log goes on at entry 000003, so "
                               "an entry was removed")


def test_a_changed_entry_breaks_the_link_after_it(sample_package: Path, tmp_path: Path) -> None:
    package, _ = signed_copy(sample_package, tmp_path)
    first = custody(package) / "000001.json"
    first.write_bytes(first.read_bytes().replace(b'"operator": null',
                                                 b'"operator": "Someone Else"'))
    code, path, message = broken(package)
    assert (code, path) == ("custody-broken", "attestations/custody/000002.json")
    assert "an entry before it was changed or replaced" in message


def test_a_changed_signed_entry_fails_its_signature(sample_package: Path,
                                                    tmp_path: Path) -> None:
    package, _ = signed_copy(sample_package, tmp_path)
    last = custody(package) / "000002.json"
    last.write_bytes(last.read_bytes().replace(b'"event": "signed"', b'"event": "exported"'))
    code, path, message = broken(package)
    assert (code, path) == ("custody-broken", "attestations/custody/000002.json")
    assert "its signature does not verify" in message


def test_a_removed_entry_signature_is_named(sample_package: Path, tmp_path: Path) -> None:
    package, _ = signed_copy(sample_package, tmp_path)
    (custody(package) / "000002.sig").unlink()
    assert "its signature is missing" in broken(package)[2]


def test_renumbered_entries_are_named(sample_package: Path, tmp_path: Path) -> None:
    package = copy_of(sample_package, tmp_path)
    append_entry(package, "verified", details={}, key=None, operator=None, organisation=None)
    second = custody(package) / "000002.json"
    second.write_bytes(second.read_bytes().replace(b'"sequence": 2', b'"sequence": 7'))
    assert "entries were renumbered" in broken(package)[2]


@pytest.mark.parametrize("content, words", [
    (b"{not json", "not valid JSON"),
    (b'{"format": "archiver-custody-entry/1"}', "not a valid custody-entry record"),
    (b"[" * 200_000, "more than the 65,536 archiver reads"),
])
def test_an_unreadable_entry_is_named(sample_package: Path, tmp_path: Path, content: bytes,
                                      words: str) -> None:
    package = copy_of(sample_package, tmp_path)
    (custody(package) / "000001.json").write_bytes(content)
    code, path, message = broken(package)
    assert (code, path) == ("custody-unreadable", "attestations/custody/000001.json")
    assert words in message
    assert path not in message  # the problem line names the file once, before the message


def test_plain_verify_writes_nothing_and_record_adds_an_entry(sample_package: Path,
                                                              tmp_path: Path) -> None:
    package = copy_of(sample_package, tmp_path)
    assert runner.invoke(app, ["verify", str(package)]).exit_code == 0
    assert len(entries(package)) == 1
    result = runner.invoke(app, ["verify", str(package), "--record"])
    assert result.exit_code == 0, result.output
    recorded = entries(package)[-1]
    jsonschema.validate(recorded, load_schema("custody-entry"))
    assert recorded["event"] == "verified" and recorded["details"]["verdict"] == "intact"
    assert verify_json(package)["attestations"]["custody"][0]["status"] == "valid"


def test_record_on_a_log_that_cannot_be_written_warns_and_still_verifies(
        sample_package: Path, tmp_path: Path) -> None:
    package = copy_of(sample_package, tmp_path)
    shutil.rmtree(custody(package))
    custody(package).write_text("not a folder\n")  # no log can be written there
    result = runner.invoke(app, ["verify", str(package), "--record"])
    assert result.exit_code == 1  # the log is unreadable: a problem of its own
    assert "custody-unreadable" in result.stdout
    assert "warning:" in result.stderr and "could not record this verified" in result.stderr


def test_export_is_recorded_in_the_log(sample_package: Path, tmp_path: Path) -> None:
    package, _ = signed_copy(sample_package, tmp_path)
    result = runner.invoke(app, ["export", str(package), "--zip", str(tmp_path / "p.zip"),
                                 "--json"])
    assert result.exit_code == 0, result.output
    (exported,) = json.loads(result.stdout)
    assert exported["custody_entry"] == "attestations/custody/000003.json"
    entry = entries(package)[-1]
    assert entry["event"] == "exported" and entry["details"]["output"] == "p.zip"
    assert verify_json(package)["valid"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_export_of_a_read_only_package_warns_and_exports(sample_package: Path,
                                                         tmp_path: Path) -> None:
    package = copy_of(sample_package, tmp_path)
    custody(package).chmod(0o555)
    try:
        result = runner.invoke(app, ["export", str(package), "--zip", str(tmp_path / "p.zip")])
    finally:
        custody(package).chmod(0o755)
    assert result.exit_code == 0 and "could not record this exported" in result.stderr
    assert (tmp_path / "p.zip").is_file()


def test_a_zip_export_carries_the_signature_and_the_log(sample_package: Path,
                                                        tmp_path: Path) -> None:
    import zipfile

    package, _ = signed_copy(sample_package, tmp_path)
    out = tmp_path / "p.zip"
    assert runner.invoke(app, ["export", str(package), "--zip", str(out)]).exit_code == 0
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(out) as archive:
        archive.extractall(unpacked)
    (bag,) = unpacked.iterdir()
    assert sorted(p.name for p in custody(bag).iterdir()) == [
        "000001.json", "000002.json", "000002.sig"]  # the export's own entry came after
    report = verify_json(bag)
    assert report["valid"] and report["attestations"]["signed"] is True


def test_writers_at_the_same_time_each_get_an_entry_of_their_own(sample_package: Path,
                                                                 tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    package = copy_of(sample_package, tmp_path)
    with ThreadPoolExecutor(8) as pool:
        written = list(pool.map(lambda n: append_entry(
            package, "verified", details={"n": n}, key=None, operator=None,
            organisation=None), range(16)))
    assert len(set(written)) == 16
    assert [entry["sequence"] for entry in entries(package)] == list(range(1, 18))
    assert verify_json(package)["attestations"]["custody"][0]["status"] == "valid"
