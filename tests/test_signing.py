"""Signing a package, and verify judging its signatures: real P-256 keys, OpenSSL's own
`openssl dgst -verify` and bagit-python as the outside judges, and a tamper test for every way
a signature can fail, the rebuilt-checksums forgery first."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import bagit
import jsonschema
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from typer.testing import CliRunner

from archiver.attestation.keys import load_signing_key, new_key
from archiver.attestation.signature import sign_sealed_package
from archiver.cli import app
from archiver.schema_files import load_schema
from archiver.verification import check
from archiver.verification.attestation_problems import ProofOptions
from tests.server import REPORT_PATH, STORY_PATH, SiteServer

runner = CliRunner()
TAG_FILES = ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest.json")


# -- helpers ----------------------------------------------------------------------------------


def copy_of(package: Path, tmp_path: Path, name: str = "package") -> Path:
    """A copy of the package as it was sealed: the shared sample package's custody log also
    holds the exports other tests made of it, which are left out."""
    target = tmp_path / name
    shutil.copytree(package, target)
    for entry in (target / "attestations" / "custody").glob("*"):
        if entry.name != "000001.json":
            entry.unlink()
    return target


def make_key(tmp_path: Path, name: str = "ana.key", passphrase: str | None = None) -> Path:
    """A key made by the CLI, as a user makes one (so it is trusted on this machine)."""
    path = tmp_path / name
    args = ["key", "new", str(path)]
    env = {"ARCHIVER_KEY_PASSPHRASE": passphrase} if passphrase else {}
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    return path


def signed_copy(sample_package: Path, tmp_path: Path) -> tuple[Path, Path]:
    package = copy_of(sample_package, tmp_path)
    key = make_key(tmp_path)
    result = runner.invoke(app, ["sign", str(package), "--key", str(key)])
    assert result.exit_code == 0, result.output
    return package, key


def verify(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["verify", *args])
    return result.exit_code, result.stdout, result.stderr


def verify_json(package: Path, *args: str) -> dict:
    code, out, _ = verify(str(package), "--json", *args)
    (report,) = json.loads(out)
    jsonschema.validate(report, load_schema("verification"))
    assert report["valid"] == (code == 0)
    return report


def codes(report: dict) -> list[str]:
    return [problem["code"] for problem in report["problems"]]


def signature_files(package: Path) -> tuple[Path, Path, Path]:
    (sig,) = sorted((package / "attestations").glob("signature-*.sig"))
    stem = str(sig)[: -len(".sig")]
    return sig, Path(stem + ".pub.pem"), Path(stem + ".json")


def openssl_verifies(package: Path, signed: Path | None = None) -> str:
    sig, pub, _ = signature_files(package)
    done = subprocess.run(["openssl", "dgst", "-sha256", "-verify", str(pub), "-signature",
                           str(sig), str(signed or package / "tagmanifest-sha256.txt")],
                          capture_output=True, text=True, check=False)
    return done.stdout.strip() or done.stderr.strip()


def rebuild_tag_manifest(package: Path) -> None:
    """What a forger does after editing a tag file: every checksum recomputed, consistently."""
    lines = [f"{hashlib.sha256((package / name).read_bytes()).hexdigest()}  {name}\n"
             for name in TAG_FILES]
    (package / "tagmanifest-sha256.txt").write_text("".join(lines))


def listing(package: Path) -> dict[str, tuple[int, int]]:
    return {str(path.relative_to(package)): (path.stat().st_size, path.stat().st_mtime_ns)
            for path in sorted(package.rglob("*")) if path.is_file()}


# -- the forgery that checksums cannot see ----------------------------------------------------


def test_rebuilt_checksums_forgery_fails_a_signed_package(sample_package: Path,
                                                          tmp_path: Path) -> None:
    package, _ = signed_copy(sample_package, tmp_path)
    assert verify(str(package))[0] == 0
    with (package / "bag-info.txt").open("a") as info:
        info.write("Source-Organization: Someone Else\n")
    rebuild_tag_manifest(package)
    bagit.Bag(str(package)).validate()  # every checksum agrees: BagIt cannot tell
    report = verify_json(package)
    assert codes(report) == ["signature-invalid", "custody-broken"]
    assert "changed after it was signed" in report["problems"][0]["message"]
    assert report["verdict"] == "damaged" and report["attestations"]["signed"] is False
    assert openssl_verifies(package) == "Verification failure"  # the outside judge agrees
    code, out, _ = verify(str(package))
    assert code == 1 and "proof: SIGNATURE DOES NOT VERIFY" in out


def test_the_same_forgery_on_an_unsigned_package_is_said_to_prove_nothing(
        sample_package: Path, tmp_path: Path) -> None:
    package = copy_of(sample_package, tmp_path)
    (package / "attestations" / "custody" / "000001.json").unlink()  # the forger's clean-up
    (package / "attestations" / "custody").rmdir()
    (package / "attestations").rmdir()
    with (package / "bag-info.txt").open("a") as info:
        info.write("Source-Organization: Someone Else\n")
    rebuild_tag_manifest(package)
    code, out, _ = verify(str(package))
    assert code == 0
    assert "not signed: anyone could rebuild these checksums" in out
    code, out, _ = verify(str(package), "--require-signature")
    assert code == 1 and "[not-signed]" in out


# -- a signed package, judged by others ---------------------------------------------------------


def test_openssl_alone_verifies_the_signature(sample_package: Path, tmp_path: Path) -> None:
    package, _ = signed_copy(sample_package, tmp_path)
    assert openssl_verifies(package) == "Verified OK"
    other = tmp_path / "other.txt"
    other.write_bytes((package / "tagmanifest-sha256.txt").read_bytes() + b"\n")
    assert openssl_verifies(package, other) == "Verification failure"


def test_a_signed_package_is_still_a_valid_bag_and_verifies(sample_package: Path,
                                                            tmp_path: Path) -> None:
    before = {name: (sample_package / name).read_bytes() for name in TAG_FILES}
    package, key = signed_copy(sample_package, tmp_path)
    assert {name: (package / name).read_bytes() for name in TAG_FILES} == before
    bagit.Bag(str(package)).validate()
    bagit_script = Path(sys.executable).parent / "bagit.py"  # the peer's own command line
    done = subprocess.run([sys.executable, str(bagit_script), "--validate", str(package)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    report = verify_json(package)
    assert report["verdict"] == "intact" and report["attestations"]["signed"] is True
    fingerprint = load_signing_key(key).public.fingerprint
    (finding,) = report["attestations"]["signatures"]
    assert finding["status"] == "valid" and finding["fingerprint"] == fingerprint
    code, out, _ = verify(str(package))
    short = " ".join(fingerprint[i:i + 4] for i in range(0, 16, 4))
    assert code == 0 and f"by key {short} …; unchanged since" in out


def test_the_signature_record_is_valid_against_its_schema(sample_package: Path,
                                                          tmp_path: Path) -> None:
    package, key = signed_copy(sample_package, tmp_path)
    _, pub, record_path = signature_files(package)
    record = json.loads(record_path.read_bytes())
    jsonschema.validate(record, load_schema("signature"))
    tag = (package / "tagmanifest-sha256.txt").read_bytes()
    assert record["signed_sha256"] == hashlib.sha256(tag).hexdigest()
    assert pub.read_text() == load_signing_key(key).public.pem


def test_signing_twice_with_the_same_key_writes_nothing(sample_package: Path,
                                                        tmp_path: Path) -> None:
    package, key = signed_copy(sample_package, tmp_path)
    before = listing(package)
    result = runner.invoke(app, ["sign", str(package), "--key", str(key)])
    assert result.exit_code == 0 and "already signed" in result.stdout
    assert listing(package) == before


def test_a_second_signer_adds_a_second_signature(sample_package: Path, tmp_path: Path) -> None:
    package, _ = signed_copy(sample_package, tmp_path)
    second = make_key(tmp_path, "editor.key")
    result = runner.invoke(app, ["sign", str(package), "--key", str(second), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["already_signed"] is False
    report = verify_json(package)
    assert [f["status"] for f in report["attestations"]["signatures"]] == ["valid", "valid"]
    assert report["attestations"]["proof"].count("sealed") == 2


def test_capture_with_a_key_signs_the_package_as_it_is_sealed(site: SiteServer,
                                                              tmp_path: Path) -> None:
    key = make_key(tmp_path)
    output = tmp_path / "signed"
    result = runner.invoke(app, ["capture", site.url(REPORT_PATH), "-o", str(output),
                                 "--allow-private", "--no-extract", "--key", str(key)])
    assert result.exit_code == 0, result.output
    assert "Signed with key" in result.stdout
    assert openssl_verifies(output) == "Verified OK"
    entries = sorted(p.name for p in (output / "attestations" / "custody").iterdir())
    assert entries == ["000001.json", "000001.sig", "000002.json", "000002.sig"]
    assert [json.loads((output / "attestations" / "custody" / name).read_bytes())["event"]
            for name in ("000001.json", "000002.json")] == ["created", "signed"]
    assert verify_json(output)["attestations"]["signed"] is True


def test_story_with_the_configured_key_signs_the_package(site: SiteServer, tmp_path: Path,
                                                         _own_configuration: Path) -> None:
    key = make_key(tmp_path)
    _own_configuration.mkdir(parents=True, exist_ok=True)
    (_own_configuration / "config.toml").write_text(
        f'key = "{key}"\noperator = "Ana Lima"\norganisation = "The Daily Ledger"\n')
    output = tmp_path / "story"
    result = runner.invoke(app, ["story", site.url(STORY_PATH), "-o", str(output),
                                 "--allow-private", "--no-extract", "--no-requisites",
                                 "--json"])
    assert result.exit_code in (0, 1), result.output  # a cited source may fail: evidence too
    signature = json.loads(result.stdout)["signature"]
    assert signature["key_fingerprint"] == load_signing_key(key).public.fingerprint
    assert openssl_verifies(output) == "Verified OK"
    record = json.loads(signature_files(output)[2].read_bytes())
    assert (record["operator"], record["organisation"]) == ("Ana Lima", "The Daily Ledger")
    assert verify_json(output)["attestations"]["signed"] is True


# -- tampering: each failure named --------------------------------------------------------------


def test_a_changed_byte_without_rebuilt_checksums_is_changed_since(sample_package: Path,
                                                                    tmp_path: Path) -> None:
    package, _ = signed_copy(sample_package, tmp_path)
    info = package / "bag-info.txt"
    info.write_bytes(info.read_bytes().replace(b"Bagging-Date: 2", b"Bagging-Date: 1"))
    report = verify_json(package)
    assert codes(report) == ["file-digest-mismatch"]
    assert report["attestations"]["proof"].endswith("CHANGED SINCE: see the problems")


def test_a_changed_tag_manifest_fails_the_signature(sample_package: Path,
                                                    tmp_path: Path) -> None:
    package, _ = signed_copy(sample_package, tmp_path)
    with (package / "tagmanifest-sha256.txt").open("a") as tags:
        tags.write("\n")
    assert "signature-invalid" in codes(verify_json(package))


def test_a_package_re_signed_by_another_key_is_untrusted(sample_package: Path,
                                                         tmp_path: Path) -> None:
    """The forger edits, rebuilds the checksums, and replaces the signature with their own."""
    package, _ = signed_copy(sample_package, tmp_path)
    shutil.rmtree(package / "attestations")
    with (package / "bag-info.txt").open("a") as info:
        info.write("Source-Organization: Someone Else\n")
    rebuild_tag_manifest(package)
    forger_key = tmp_path / "forger.key"
    new_key(forger_key)  # not through the CLI: this machine does not trust it
    sign_sealed_package(package, load_signing_key(forger_key))
    assert openssl_verifies(package) == "Verified OK"  # a good signature, by the wrong key
    report = verify_json(package)
    assert codes(report) == ["signature-untrusted-key"] and report["verdict"] == "not-proven"
    short = load_signing_key(forger_key).public.short_fingerprint
    assert f"signed by key {short} … which is not in your trust list" in \
        report["problems"][0]["message"]
    code, out, _ = verify(str(package))
    assert code == 1 and "NOT PROVEN" in out
    # Trusting it on purpose (the user knows that key) passes.
    assert verify(str(package), "--trust", str(signature_files(package)[1]))[0] == 0


def test_a_swapped_public_key_file_is_named(sample_package: Path, tmp_path: Path) -> None:
    package, _ = signed_copy(sample_package, tmp_path)
    _, pub, _ = signature_files(package)
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    pub.write_bytes(other.public_bytes(serialization.Encoding.PEM,
                                       serialization.PublicFormat.SubjectPublicKeyInfo))
    report = verify_json(package)
    assert codes(report) == ["signature-unreadable"]
    assert "the key file was swapped" in report["problems"][0]["message"]


def test_a_signature_over_other_content_is_invalid(sample_package: Path,
                                                   tmp_path: Path) -> None:
    package, key = signed_copy(sample_package, tmp_path)
    sig, _, _ = signature_files(package)
    sig.write_bytes(load_signing_key(key).key.sign(b"another package's tag manifest",
                                                   ec.ECDSA(hashes.SHA256())))
    report = verify_json(package)
    assert codes(report) == ["signature-invalid"]
    assert "made over other content" in report["problems"][0]["message"]


@pytest.mark.parametrize("content, words", [
    (b"\x00garbage, not DER", "does not verify"),
    (b"\x30" * (2 * 1024 * 1024), "more than the 1,024 archiver reads"),
])
def test_a_garbage_or_huge_signature_file_is_one_problem(sample_package: Path, tmp_path: Path,
                                                         content: bytes, words: str) -> None:
    package, _ = signed_copy(sample_package, tmp_path)
    sig, _, _ = signature_files(package)
    sig.write_bytes(content)
    report = verify_json(package)
    assert len(report["problems"]) == 1 and words in report["problems"][0]["message"]
    code, out, err = verify(str(package))
    assert code == 1 and err == "" and "Traceback" not in out


def test_a_signature_without_its_record_still_verifies(sample_package: Path,
                                                      tmp_path: Path) -> None:
    """The .sig and the key are the proof (what OpenSSL checks); the record only says when
    and by whom. A record that is there must be valid."""
    package, _ = signed_copy(sample_package, tmp_path)
    record = signature_files(package)[2]
    kept = record.read_bytes()
    record.unlink()
    report = verify_json(package)
    assert report["valid"] and report["attestations"]["signatures"][0]["signed_at"] is None
    assert "sealed at an unknown time by key" in report["attestations"]["proof"]
    record.write_bytes(kept.replace(b'"algorithm"', b'"algorithm_"'))
    report = verify_json(package)
    assert codes(report) == ["signature-unreadable"]
    assert "not a valid signature record" in report["problems"][0]["message"]


def test_unknown_files_are_named_in_attestations_and_beside_the_bag(sample_package: Path,
                                                                    tmp_path: Path) -> None:
    package, _ = signed_copy(sample_package, tmp_path)
    (package / "attestations" / "notes.txt").write_text("trust me\n")
    (package / "README.txt").write_text("added later\n")
    report = verify_json(package)
    assert sorted((p["code"], p["path"]) for p in report["problems"]) == [
        ("attestation-unknown-file", "attestations/notes.txt"),
        ("unlisted-file", "README.txt")]


def test_library_check_takes_a_trust_list(sample_package: Path, tmp_path: Path) -> None:
    from archiver.attestation.trust import TrustList

    package, key = signed_copy(sample_package, tmp_path)
    trusted = TrustList(signers=(load_signing_key(key).public,))
    assert check(package, proof=ProofOptions(trust=TrustList())).verdict == "not-proven"
    assert check(package, proof=ProofOptions(trust=trusted)).is_valid


# -- signing refuses what it must not sign -------------------------------------------------------


def test_a_damaged_package_is_not_signed(sample_package: Path, tmp_path: Path) -> None:
    package = copy_of(sample_package, tmp_path)
    report = next((package / "data" / "warc").glob("*.warc.gz"))
    data = bytearray(report.read_bytes())
    data[len(data) // 2] ^= 0x01
    report.write_bytes(bytes(data))
    key = make_key(tmp_path)
    result = runner.invoke(app, ["sign", str(package), "--key", str(key)])
    assert result.exit_code == 1 and "not signed" in result.stderr
    assert not list((package / "attestations").glob("signature-*"))


def test_sign_without_a_key_or_a_package_is_a_usage_error(sample_package: Path,
                                                          tmp_path: Path) -> None:
    result = runner.invoke(app, ["sign", str(copy_of(sample_package, tmp_path))])
    assert result.exit_code == 2 and "no key to sign with" in result.stderr
    key = make_key(tmp_path)
    result = runner.invoke(app, ["sign", str(tmp_path / "nothing"), "--key", str(key)])
    assert result.exit_code == 2 and "no such package directory" in result.stderr


# -- bad keys: one line, exit 2, nothing written -------------------------------------------------


def _rsa_key(path: Path) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(private.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))


@pytest.mark.parametrize("kind, words", [
    ("corrupt", "not a PEM private key, or damaged"),
    ("rsa", "not an ECDSA P-256 key"),
    ("wrong-passphrase", "wrong passphrase"),
    ("no-passphrase", "protected by a passphrase; give it, or set ARCHIVER_KEY_PASSPHRASE"),
    ("missing", "no such file"),
    ("huge", "far too large to be a key"),
])
def test_a_bad_key_is_one_line_and_nothing_is_written(sample_package: Path, tmp_path: Path,
                                                      site: SiteServer, kind: str,
                                                      words: str) -> None:
    key = tmp_path / "bad.key"
    env: dict[str, str] = {}
    if kind == "corrupt":
        good = make_key(tmp_path, "good.key").read_text()
        key.write_text(good.replace(good.splitlines()[2], "A" * 64))
    elif kind == "rsa":
        _rsa_key(key)
    elif kind == "huge":
        key.write_bytes(b"-----BEGIN PRIVATE KEY-----\n" + b"A" * (8 << 20))
    elif kind in ("wrong-passphrase", "no-passphrase"):
        make_key(tmp_path, key.name, passphrase="correct horse")
        env = {"ARCHIVER_KEY_PASSPHRASE": "wrong"} if kind == "wrong-passphrase" else {}
    package = copy_of(sample_package, tmp_path)
    before = listing(package)
    result = runner.invoke(app, ["sign", str(package), "--key", str(key)], env=env)
    assert result.exit_code == 2, result.output
    assert words in result.stderr and len(result.stderr.splitlines()) == 1
    assert listing(package) == before
    output = tmp_path / "never"
    result = runner.invoke(app, ["capture", site.url(REPORT_PATH), "-o", str(output),
                                 "--allow-private", "--key", str(key)], env=env)
    assert result.exit_code == 2 and words in result.stderr
    assert not output.exists() and site.hits(REPORT_PATH) == 0  # refused before capturing


def test_a_passphrase_from_the_environment_signs(sample_package: Path, tmp_path: Path) -> None:
    key = make_key(tmp_path, passphrase="correct horse")
    assert b"ENCRYPTED" in key.read_bytes()
    package = copy_of(sample_package, tmp_path)
    result = runner.invoke(app, ["sign", str(package), "--key", str(key)],
                           env={"ARCHIVER_KEY_PASSPHRASE": "correct horse"})
    assert result.exit_code == 0, result.output
    assert openssl_verifies(package) == "Verified OK"


# -- archiver key new / show ---------------------------------------------------------------------


def test_key_new_writes_a_private_key_only_its_owner_reads(tmp_path: Path,
                                                           _own_configuration: Path) -> None:
    key = tmp_path / "ana.key"
    result = runner.invoke(app, ["key", "new", str(key)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    der = subprocess.run(["openssl", "pkey", "-in", str(key), "-pubout", "-outform", "DER"],
                         capture_output=True, check=True).stdout
    fingerprint = hashlib.sha256(der).hexdigest().upper()
    assert f"Fingerprint: {fingerprint}" in result.stdout
    trusted = _own_configuration / "keys" / f"{fingerprint[:16]}.pub.pem"
    assert trusted.is_file() and f"Trusted on this machine: {trusted}" in result.stdout
    again = runner.invoke(app, ["key", "new", str(key)])
    assert again.exit_code == 2 and "already exists" in again.stderr
    assert hashlib.sha256(subprocess.run(
        ["openssl", "pkey", "-in", str(key), "-pubout", "-outform", "DER"],
        capture_output=True, check=True).stdout).hexdigest().upper() == fingerprint


def test_key_new_asks_for_a_passphrase_when_told(tmp_path: Path) -> None:
    key = tmp_path / "ana.key"
    result = runner.invoke(app, ["key", "new", str(key), "--passphrase-prompt", "--no-trust",
                                 "--json"], input="s3cret words\ns3cret words\n")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout[result.stdout.index("{"):])
    assert shown["passphrase"] is True and shown["trusted_as"] is None
    assert load_signing_key(key, "s3cret words").public.fingerprint == shown["fingerprint"]
    differ = runner.invoke(app, ["key", "new", str(tmp_path / "b.key"), "--passphrase-prompt"],
                           input="one\ntwo\none\ntwo\n")
    assert differ.exit_code != 0 and not (tmp_path / "b.key").exists()


def test_key_show_prints_the_public_key_and_its_fingerprint(tmp_path: Path) -> None:
    key = make_key(tmp_path)
    public = load_signing_key(key).public
    text = runner.invoke(app, ["key", "show", str(key)])
    assert text.exit_code == 0 and text.stdout.startswith(public.pem)
    assert f"# fingerprint: {public.fingerprint}" in text.stdout
    saved = tmp_path / "ana.pub.pem"
    saved.write_text(text.stdout)  # `archiver key show KEY > ana.pub.pem`, as the help says
    shown = runner.invoke(app, ["key", "show", str(saved), "--json"])
    assert json.loads(shown.stdout)["fingerprint"] == public.fingerprint
    assert subprocess.run(["openssl", "pkey", "-pubin", "-in", str(saved), "-noout"],
                          check=False).returncode == 0


def test_a_bad_trust_file_is_a_usage_error(sample_package: Path, tmp_path: Path) -> None:
    bad = tmp_path / "trust.pem"
    bad.write_text("not a key\n")
    code, _, err = verify(str(sample_package), "--trust", str(bad))
    assert code == 2 and "not a usable trust file" in err


def test_verify_writes_nothing_by_default(sample_package: Path, tmp_path: Path) -> None:
    package, _ = signed_copy(sample_package, tmp_path)
    before = listing(package)
    assert verify(str(package), "--json")[0] == 0
    assert listing(package) == before
    assert os.access(package, os.W_OK)


def test_the_signer_itself_refuses_a_tag_manifest_that_does_not_match(
        sample_package: Path, tmp_path: Path) -> None:
    """What capture calls (no full verify: it has just written the bag) still refuses a bag
    whose tag manifest does not match its files."""
    from archiver.attestation.sealed_bag import NotSealed

    package = copy_of(sample_package, tmp_path)
    with (package / "bag-info.txt").open("a") as info:
        info.write("Source-Organization: Someone Else\n")
    before = listing(package)
    with pytest.raises(NotSealed, match=r"bag-info\.txt does not match its SHA-256"):
        sign_sealed_package(package, load_signing_key(make_key(tmp_path)))
    assert listing(package) == before


def test_timestamps_are_never_passed_unchecked(sample_package: Path, tmp_path: Path) -> None:
    """Whatever checks the tokens, a package with a timestamps folder it cannot vouch for
    does not verify as proven."""
    package, _ = signed_copy(sample_package, tmp_path)
    stamps = package / "attestations" / "timestamps"
    stamps.mkdir()
    (stamps / "01-tsa.tsr").write_bytes(b"\x30\x03garbage")
    report = verify_json(package)
    assert report["valid"] is False
    assert any(code.startswith("timestamp-") for code in codes(report))


def test_re_signing_a_forged_package_with_the_original_key_is_refused(
        sample_package: Path, tmp_path: Path) -> None:
    """The bag was edited and its checksums rebuilt (so it verifies as a bag); its signature
    by this key no longer verifies: signing again must not paper over that."""
    package, key = signed_copy(sample_package, tmp_path)
    with (package / "bag-info.txt").open("a") as info:
        info.write("Source-Organization: Someone Else\n")
    rebuild_tag_manifest(package)
    before = listing(package)
    result = runner.invoke(app, ["sign", str(package), "--key", str(key)])
    assert result.exit_code == 1
    assert "already in the package but does not verify" in result.stderr
    assert listing(package) == before


def _run_on_a_terminal(args: list[str], answer: str) -> tuple[int, str]:
    """`archiver ARGS` with a pseudo-terminal as its controlling terminal, stdin and output;
    `answer` typed once it asks for a passphrase and has turned echo off (as a person types
    after the prompt shows: input sent earlier is flushed). Its exit code and all it wrote."""
    import pty
    import select
    import signal
    import termios
    import time

    pid, master = pty.fork()
    if pid == 0:  # the child: archiver, on the terminal
        os.execve(sys.executable, [sys.executable, "-m", "archiver", *args], os.environ)
    output = b""
    answered = False
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if not answered and b"Passphrase for" in output and \
                    not termios.tcgetattr(master)[3] & termios.ECHO:
                os.write(master, answer.encode() + b"\n")
                answered = True
            ready, _, _ = select.select([master], [], [], 0.05)
            if not ready:
                continue
            try:
                block = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                break
            if not block:
                break
            output += block
    finally:
        if time.monotonic() >= deadline:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        os.close(master)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


def test_a_protected_key_asks_for_its_passphrase_on_a_terminal(sample_package: Path,
                                                               tmp_path: Path) -> None:
    key = make_key(tmp_path, passphrase="correct horse")
    package = copy_of(sample_package, tmp_path)
    code, shown = _run_on_a_terminal(["sign", str(package), "--key", str(key)], "wrong")
    assert code == 2 and "wrong passphrase" in shown and "wrong\r\n" not in shown  # no echo
    code, shown = _run_on_a_terminal(["sign", str(package), "--key", str(key)],
                                     "correct horse")
    assert code == 0, shown
    assert "correct horse" not in shown and openssl_verifies(package) == "Verified OK"
