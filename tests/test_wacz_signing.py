"""Signed WACZ: `archiver export --wacz --key` writes datapackage-digest.json with an
anonymous `signedData` as the WACZ signing spec 0.1.0 lays it out, and `archiver verify`
checks the signature of any WACZ: archiver's, ArchiveWeb.page's (made here by WebCrypto in
Node.js, as ArchiveWeb.page makes it) and authsign's domain signatures (a certificate chain
and an RFC 3161 timestamp from OpenSSL's own TSA).

The outside judges: py-wacz's `wacz validate`, WebCrypto (Node.js) verifying as wabac.js
does, and `openssl dgst -verify` on the extracted key, signature and signed bytes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import NameOID
from typer.testing import CliRunner

from archiver.attestation.keys import PASSPHRASE_ENV, SigningKey, load_signing_key, new_key
from archiver.attestation.layout import signature_stem
from archiver.attestation.trust import TrustList, load_trust
from archiver.attestation.tsa_token import read_reply
from archiver.attestation.wacz_signature_check import check_signed_data
from archiver.cli import app
from archiver.errors import CaptureError
from archiver.rendering import render_export, render_export_notes
from archiver.schema_files import load_schema
from archiver.settings import ReadLimits
from archiver.transfer import ExportResult, export_wacz
from archiver.transfer.wacz_export import has_package_signature
from archiver.verification import VerificationReport, check
from tests.peers import wacz_validate
from tests.tsa_server import Pki, TsaServer, make_pki, openssl_verify

NODE = shutil.which("node")
OPENSSL = shutil.which("openssl")


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def digest_document(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(members(path)["datapackage-digest.json"])
    return document


def rewrite(source: Path, target: Path, changes: dict[str, bytes]) -> Path:
    """A copy of the zip `source` with entries replaced."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            new.writestr(info, changes.get(info.filename, old.read(info)))
    return target


def with_signed_data(source: Path, target: Path, signed: Any, *,
                     datapackage: bytes | None = None) -> Path:
    """A copy of `source` whose datapackage-digest.json carries `signed` (and vouches for
    `datapackage`, when given, in place of the original)."""
    changes: dict[str, bytes] = {}
    document = digest_document(source)
    if datapackage is not None:
        changes["datapackage.json"] = datapackage
        document["hash"] = "sha256:" + hashlib.sha256(datapackage).hexdigest()
    document["signedData"] = signed
    changes["datapackage-digest.json"] = json.dumps(document, indent=2).encode()
    return rewrite(source, target, changes)



def codes(report: VerificationReport) -> list[str]:
    return [problem.code for problem in report.problems]


def signed_notes(report: VerificationReport) -> list[str]:
    return [note.message for note in report.notes if note.code == "wacz-signed"]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    path = tmp_path_factory.mktemp("keys") / "ana.key"
    new_key(path)
    return load_signing_key(path)


@pytest.fixture(scope="module")
def signed_wacz(sample_package: Path, key: SigningKey,
                tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("signed") / "signed.wacz"
    result = export_wacz(sample_package, out, key=key)
    assert result.signed_by == key.public.fingerprint
    return out


def public_pem(key: SigningKey, folder: Path) -> Path:
    path = folder / "ana.pub.pem"
    path.write_text(key.public.pem)
    return path


# -- the signed export, judged by others ----------------------------------------------------


def test_signed_data_is_laid_out_as_the_spec_says(signed_wacz: Path, key: SigningKey) -> None:
    document = digest_document(signed_wacz)
    datapackage = json.loads(members(signed_wacz)["datapackage.json"])
    signed = document["signedData"]
    assert set(signed) == {"hash", "created", "software", "version", "signature", "publicKey"}
    assert signed["hash"] == document["hash"]
    assert signed["created"] == datapackage["created"]  # py-wacz refuses a WACZ otherwise
    assert signed["software"].startswith("archiver ")
    assert base64.b64decode(signed["publicKey"]) == key.public.der  # SubjectPublicKeyInfo
    assert len(base64.b64decode(signed["signature"])) == 64  # P-256 raw r||s, as WebCrypto


def test_the_digest_file_is_valid_against_its_schema(signed_wacz: Path,
                                                     sample_package: Path,
                                                     tmp_path: Path) -> None:
    schema = load_schema("datapackage-digest")
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    validator.validate(digest_document(signed_wacz))
    unsigned = tmp_path / "plain.wacz"
    export_wacz(sample_package, unsigned)
    validator.validate(digest_document(unsigned))
    spoiled = digest_document(signed_wacz)
    spoiled["signedData"]["signature"] = "not base64!"
    assert not validator.is_valid(spoiled)


def test_wacz_validate_accepts_the_signed_wacz(signed_wacz: Path) -> None:
    said = wacz_validate(signed_wacz)
    # py-wacz reads the signature (and checks its `created`), but verifies signatures only
    # through authsign, which takes domain signatures alone: it says so.
    assert "Has signature" in said


@pytest.mark.skipif(NODE is None, reason="Node.js is not installed")
def test_webcrypto_verifies_it_as_wabac_js_does(signed_wacz: Path, tmp_path: Path) -> None:
    signed = digest_document(signed_wacz)["signedData"]
    assert webcrypto_verify(signed, "P-256", tmp_path) is True
    other = "1" if signed["hash"].endswith("0") else "0"  # another hash, always
    assert webcrypto_verify({**signed, "hash": signed["hash"][:-1] + other}, "P-256",
                            tmp_path) is False


def webcrypto_verify(signed: dict[str, Any], curve: str, folder: Path) -> bool:
    """wabac.js's verifyWACZSignature (src/wacz/certutils.ts), anonymous branch: import the
    base64 SPKI publicKey, verify the base64 signature over TextEncoder().encode(hash).
    (wabac.js names the curve P-384, ArchiveWeb.page's; here it is the key's own.)"""
    script = folder / "verify.mjs"
    script.write_text("""
const s = JSON.parse(process.argv[2]);
const key = await crypto.subtle.importKey("spki", Buffer.from(s.publicKey, "base64"),
    {name: "ECDSA", namedCurve: process.argv[3]}, true, ["verify"]);
const ok = await crypto.subtle.verify({name: "ECDSA", hash: "SHA-256"}, key,
    Buffer.from(s.signature, "base64"), new TextEncoder().encode(s.hash));
console.log(JSON.stringify(ok));
""")
    done = subprocess.run([str(NODE), str(script), json.dumps(signed), curve],
                          capture_output=True, text=True, timeout=60, check=True)
    result: bool = json.loads(done.stdout)
    return result


@pytest.mark.skipif(OPENSSL is None, reason="openssl is not installed")
def test_openssl_verifies_the_extracted_signature(signed_wacz: Path, tmp_path: Path) -> None:
    signed = digest_document(signed_wacz)["signedData"]
    (tmp_path / "key.der").write_bytes(base64.b64decode(signed["publicKey"]))
    raw = base64.b64decode(signed["signature"])
    (tmp_path / "sig.der").write_bytes(encode_dss_signature(
        int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")))
    (tmp_path / "hash.txt").write_bytes(signed["hash"].encode())
    (tmp_path / "other.txt").write_bytes(signed["hash"].encode() + b" ")

    def openssl_verify(message: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(OPENSSL), "dgst", "-sha256", "-keyform", "DER", "-verify",
                               "key.der", "-signature", "sig.der", message], cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)

    assert "Verified OK" in openssl_verify("hash.txt").stdout
    assert openssl_verify("other.txt").returncode == 1


def test_archiver_verify_passes_and_names_the_signer(signed_wacz: Path, key: SigningKey) -> None:
    code, stdout, stderr = run("verify", str(signed_wacz))
    assert code == 0, stdout + stderr
    assert f"signed by the P-256 key {key.public.fingerprint}" in stdout
    code, stdout, _ = run("verify", "--json", str(signed_wacz))
    notes = json.loads(stdout)[0]["notes"]
    assert [n["code"] for n in notes if n["path"] == "datapackage-digest.json"] == ["wacz-signed"]


def test_a_signature_by_a_trusted_key_is_said_to_be_trusted(signed_wacz: Path, key: SigningKey,
                                                            tmp_path: Path) -> None:
    trust = load_trust([public_pem(key, tmp_path)], with_defaults=False)
    report = check(signed_wacz, trust=trust)
    assert report.is_valid, report.problems
    assert "the trust list names the signer" in signed_notes(report)[0]


def test_a_signature_by_a_key_the_trust_list_does_not_name_is_a_problem(
        signed_wacz: Path, key: SigningKey, tmp_path: Path) -> None:
    other = tmp_path / "bob.key"
    new_key(other)
    report = check(signed_wacz, trust=load_trust([other], with_defaults=False))
    assert codes(report) == ["wacz-signature-untrusted"]
    assert report.problems[0].found == key.public.fingerprint
    # With nobody named, it is a note naming the key (an anonymous signature proves only
    # that nothing changed since it was made).
    report = check(signed_wacz, trust=TrustList())
    assert report.is_valid and "does not name that key" in signed_notes(report)[0]


def test_an_unsigned_wacz_stays_as_it_was(sample_package: Path, tmp_path: Path) -> None:
    out = tmp_path / "plain.wacz"
    assert export_wacz(sample_package, out).signed_by is None
    assert "signedData" not in digest_document(out)
    report = check(out)
    assert report.is_valid and not signed_notes(report)


# -- tampering ------------------------------------------------------------------------------


def test_a_changed_datapackage_with_its_hash_rebuilt_fails(signed_wacz: Path,
                                                           tmp_path: Path) -> None:
    datapackage = json.loads(members(signed_wacz)["datapackage.json"])
    datapackage["title"] = "A different story"
    changed = json.dumps(datapackage, indent=2).encode()
    signed = digest_document(signed_wacz)["signedData"]
    # The hash in datapackage-digest.json rebuilt, the signature left as it was...
    forged = with_signed_data(signed_wacz, tmp_path / "a.wacz", signed, datapackage=changed)
    report = check(forged)
    assert codes(report) == ["wacz-signature-invalid"]
    assert "not this datapackage.json" in report.problems[0].message
    # ... and signedData's hash rebuilt too: the signature no longer verifies.
    new_hash = "sha256:" + hashlib.sha256(changed).hexdigest()
    forged = with_signed_data(signed_wacz, tmp_path / "b.wacz", {**signed, "hash": new_hash},
                              datapackage=changed)
    code, stdout, _ = run("verify", str(forged))
    assert code == 1
    assert "datapackage-digest.json: its signature is invalid: the signature does not " \
        "verify" in stdout


def test_a_swapped_signature_fails(signed_wacz: Path, key: SigningKey, tmp_path: Path) -> None:
    signed = digest_document(signed_wacz)["signedData"]
    other = key.key.sign(b"sha256:" + b"0" * 64, ec.ECDSA(hashes.SHA256()))
    forged = with_signed_data(signed_wacz, tmp_path / "x.wacz", {**signed,
                                                                 "signature": b64(other)})
    assert codes(check(forged)) == ["wacz-signature-invalid"]


def test_a_swapped_public_key_fails(signed_wacz: Path, tmp_path: Path) -> None:
    signed = digest_document(signed_wacz)["signedData"]
    stranger = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    forged = with_signed_data(signed_wacz, tmp_path / "x.wacz", {**signed,
                                                                 "publicKey": b64(stranger)})
    report = check(forged)
    assert codes(report) == ["wacz-signature-invalid"]
    stranger_fingerprint = hashlib.sha256(stranger).hexdigest().upper()
    assert f"(signedData names the key {stranger_fingerprint})" in report.problems[0].message


def test_a_wacz_re_signed_by_another_key_names_that_key(signed_wacz: Path, key: SigningKey,
                                                        tmp_path: Path) -> None:
    """The forger who rebuilds and re-signs: the signature holds, but by their key, which
    the trust list does not name."""
    forger = ec.generate_private_key(ec.SECP256R1())
    signed = digest_document(signed_wacz)["signedData"]
    der = forger.sign(signed["hash"].encode(), ec.ECDSA(hashes.SHA256()))
    spki = forger.public_key().public_bytes(serialization.Encoding.DER,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    forged = with_signed_data(signed_wacz, tmp_path / "x.wacz",
                              {**signed, "signature": b64(der), "publicKey": b64(spki)})
    trusted = load_trust([public_pem(key, tmp_path)], with_defaults=False)
    report = check(forged, trust=trusted)
    assert codes(report) == ["wacz-signature-untrusted"]
    assert report.problems[0].found == hashlib.sha256(spki).hexdigest().upper()


def _rsa_spki() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    return b64(key.public_bytes(serialization.Encoding.DER,
                                serialization.PublicFormat.SubjectPublicKeyInfo))


GARBAGE: dict[str, tuple[Any, str]] = {
    "not-object": (lambda s: ["a list"], "signedData is not a JSON object"),
    "no-key": (lambda s: {k: v for k, v in s.items() if k != "publicKey"},
               "signedData has no publicKey"),
    "key-not-base64": (lambda s: {**s, "publicKey": "!!!"}, "publicKey is not base64"),
    "key-not-spki": (lambda s: {**s, "publicKey": b64(b"0\x03\x02\x01\x00")},
                     "publicKey is not a public key"),
    "rsa-key": (lambda s: {**s, "publicKey": _rsa_spki()}, "not an ECDSA key"),
    "signature-number": (lambda s: {**s, "signature": 17}, "signature is not a string"),
    "signature-long": (lambda s: {**s, "signature": "A" * 5000},
                       "signature is 5,000 characters long"),
}


@pytest.mark.parametrize("case", sorted(GARBAGE))
def test_garbage_signed_data_is_a_problem_with_its_reason(signed_wacz: Path, tmp_path: Path,
                                                          case: str) -> None:
    spoil, reason = GARBAGE[case]
    forged = with_signed_data(signed_wacz, tmp_path / "x.wacz",
                              spoil(digest_document(signed_wacz)["signedData"]))
    code, stdout, stderr = run("verify", str(forged))
    assert code == 1, stdout + stderr
    assert "Traceback" not in stdout + stderr
    report = check(forged)
    assert codes(report) == ["wacz-signature-unreadable"]
    assert reason in report.problems[0].message


def test_a_huge_digest_file_is_refused_unread(signed_wacz: Path, tmp_path: Path) -> None:
    signed = digest_document(signed_wacz)["signedData"]
    # 3 MiB of base64 (random, or the zip would rightly be refused as a bomb): no key is
    # that long.
    huge = {**signed, "publicKey": b64(os.urandom(3 << 20))[: 3 << 20]}
    forged = with_signed_data(signed_wacz, tmp_path / "x.wacz", huge)
    report = check(forged)
    assert codes(report) == ["wacz-signature-unreadable"]
    assert "characters long, far more than any publicKey needs" in report.problems[0].message
    small = ReadLimits(max_json_bytes=1 << 20)
    assert codes(check(forged, limits=small)) == ["wacz-file-too-large"]


# -- the CLI --------------------------------------------------------------------------------


def test_export_signs_with_the_configured_key_by_default(sample_package: Path, key: SigningKey,
                                                         tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'key = "{key.path}"\n')
    out = tmp_path / "out.wacz"
    code, stdout, stderr = run("export", str(sample_package), "--wacz", str(out),
                               env={"ARCHIVER_CONFIG": str(config)})
    assert code == 0, stderr
    assert "signed by key " + key.public.short_fingerprint in stdout
    assert digest_document(out)["signedData"]["publicKey"] == b64(key.public.der)


def test_export_with_a_key_that_cannot_be_used_writes_nothing(sample_package: Path,
                                                              tmp_path: Path) -> None:
    bad = tmp_path / "bad.key"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    out = tmp_path / "out.wacz"
    code, _, stderr = run("export", str(sample_package), "--wacz", str(out), "--key", str(bad))
    assert code == 2
    assert f"{bad}: not a usable signing key" in stderr and "Traceback" not in stderr
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["bad.key"]


def signed_package(sample_package: Path, key: SigningKey, folder: Path) -> Path:
    """A copy of the sample package with a signature of its own, as attestations/ lays it
    out (archiver/attestation/layout.py): over the bytes of tagmanifest-sha256.txt."""
    package = folder / "signed-package"
    shutil.copytree(sample_package, package)
    stem = package / signature_stem(key.public.fingerprint)
    stem.parent.mkdir(exist_ok=True)  # the custody log's folder is there already
    tag_manifest = (package / "tagmanifest-sha256.txt").read_bytes()
    stem.with_suffix(".sig").write_bytes(key.key.sign(tag_manifest, ec.ECDSA(hashes.SHA256())))
    stem.with_suffix(".pub.pem").write_text(key.public.pem)
    return package


def test_the_export_line_says_when_a_signed_package_made_an_unsigned_wacz(
        sample_package: Path, key: SigningKey, tmp_path: Path) -> None:
    package = signed_package(sample_package, key, tmp_path)
    assert has_package_signature(package) and not has_package_signature(sample_package)
    result = ExportResult(tmp_path / "out.wacz", "wacz", package, 1, package_signed=True)
    assert render_export_notes(result) == [
        f"note: {package} is signed, but {tmp_path / 'out.wacz'} is not: a WACZ carries its "
        "own signature; give --key (or `key` in the configuration) to sign it"]
    result.signed_by = key.public.fingerprint
    assert render_export_notes(result) == []
    assert "signed by key " + key.public.short_fingerprint in render_export(result)


def test_a_key_with_a_passphrase_signs_when_the_passphrase_is_given(
        sample_package: Path, tmp_path: Path) -> None:
    path = tmp_path / "locked.key"
    public = new_key(path, "correct horse")
    out = tmp_path / "out.wacz"
    code, _, stderr = run("export", str(sample_package), "--wacz", str(out), "--key", str(path),
                          env={PASSPHRASE_ENV: ""})
    assert code == 2 and "protected by a passphrase" in stderr and not out.exists()
    code, _, stderr = run("export", str(sample_package), "--wacz", str(out), "--key", str(path),
                          env={PASSPHRASE_ENV: "correct horse"})
    assert code == 0, stderr
    assert digest_document(out)["signedData"]["publicKey"] == b64(public.der)


def test_a_key_without_a_wacz_is_a_usage_error(sample_package: Path, key: SigningKey,
                                                tmp_path: Path) -> None:
    out = tmp_path / "out.zip"
    code, _, stderr = run("export", str(sample_package), "--zip", str(out), "--key",
                          str(key.path))
    assert code == 2 and "--key signs a WACZ export" in stderr
    assert not out.exists()


def test_a_signed_package_exported_without_a_key_says_its_wacz_is_unsigned(
        sample_package: Path, key: SigningKey, tmp_path: Path) -> None:
    package = signed_package(sample_package, key, tmp_path)
    out = tmp_path / "out.wacz"
    code, stdout, stderr = run("export", str(package), "--wacz", str(out),
                               env={"ARCHIVER_CONFIG": str(tmp_path / "none.toml")})
    assert code == 0, stderr
    assert f"note: {package} is signed, but {out} is not" in stderr
    assert "signedData" not in digest_document(out) and "signed by" not in stdout


# -- WACZ signed by other tools -------------------------------------------------------------


@pytest.mark.skipif(NODE is None, reason="Node.js is not installed")
def test_a_wacz_signed_as_archiveweb_page_signs_verifies(signed_wacz: Path,
                                                         tmp_path: Path) -> None:
    """ArchiveWeb.page's Signer (src/sw/keystore.ts): a P-384 key made by WebCrypto, the
    hash string signed with ECDSA SHA-256, the signature raw r||s, the key as SPKI."""
    document = digest_document(signed_wacz)
    created = json.loads(members(signed_wacz)["datapackage.json"])["created"]
    script = tmp_path / "sign.mjs"
    script.write_text("""
const [hash, created] = process.argv.slice(2);
const params = {name: "ECDSA", namedCurve: "P-384"};
const pair = await crypto.subtle.generateKey(params, true, ["sign", "verify"]);
const signature = await crypto.subtle.sign({name: "ECDSA", hash: "SHA-256"}, pair.privateKey,
    new TextEncoder().encode(hash));
const spki = await crypto.subtle.exportKey("spki", pair.publicKey);
console.log(JSON.stringify({hash, signature: Buffer.from(signature).toString("base64"),
    publicKey: Buffer.from(spki).toString("base64"), created, software: "ArchiveWeb.page"}));
""")
    done = subprocess.run([str(NODE), str(script), document["hash"], created],
                          capture_output=True, text=True, timeout=60, check=True)
    signed = json.loads(done.stdout)
    assert len(base64.b64decode(signed["signature"])) == 96  # raw r||s on P-384
    assert webcrypto_verify(signed, "P-384", tmp_path) is True  # as wabac.js checks it
    theirs = with_signed_data(signed_wacz, tmp_path / "awp.wacz", signed)
    wacz_validate(theirs)
    code, stdout, _ = run("verify", str(theirs))
    assert code == 0, stdout
    fingerprint = hashlib.sha256(base64.b64decode(signed["publicKey"])).hexdigest().upper()
    assert f"signed by the P-384 key {fingerprint}" in stdout
    assert "with 'ArchiveWeb.page'" in stdout
    spoiled = {**signed, "hash": document["hash"][:-1] + ("0" if document["hash"][-1] != "0"
                                                          else "1")}
    code, stdout, _ = run("verify", str(with_signed_data(signed_wacz, tmp_path / "x.wacz",
                                                         spoiled)))
    assert code == 1 and "[wacz-signature-invalid]" in stdout


class Authority:
    """A certificate authority of the test's own: a self-signed root that issues leaves."""

    def __init__(self, name: str) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        self.cert = (self._builder(subject, subject, self.key.public_key(), days=3650)
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
                     .sign(self.key, hashes.SHA256()))

    @staticmethod
    def _builder(subject: x509.Name, issuer: x509.Name, key: Any,
                 days: int) -> x509.CertificateBuilder:
        now = datetime.now(UTC)
        return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
                .public_key(key).serial_number(x509.random_serial_number())
                .not_valid_before(now - timedelta(days=1))
                .not_valid_after(now + timedelta(days=days)))

    def issue(self, name: str, *, time_stamping: bool = False
              ) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = self._builder(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]),
                                self.cert.subject, key.public_key(), days=90)
        if time_stamping:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.TIME_STAMPING]), True)
        else:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]),
                                            False)
        return key, builder.sign(self.key, hashes.SHA256())

    @property
    def pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode()


def pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


TSA_CONFIG = """\
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
serial = ./serial
crypto_device = builtin
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def openssl_timestamp(data: bytes, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate,
                      folder: Path, *, chain: x509.Certificate | None = None) -> bytes:
    """An RFC 3161 response over `data` from OpenSSL's own TSA (`openssl ts -reply`), with
    the TSA's certificate (and, given `chain`, that one too, in chain order as OpenSSL
    writes it)."""
    folder.mkdir(exist_ok=True)
    (folder / "data").write_bytes(data)
    (folder / "serial").write_text("01\n")
    (folder / "ts.cnf").write_text(TSA_CONFIG)
    (folder / "tsa.pem").write_text(pem(cert))
    if chain is not None:
        (folder / "chain.pem").write_text(pem(chain))
    (folder / "tsa.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    for command in (["ts", "-query", "-data", "data", "-sha256", "-cert", "-no_nonce",
                     "-out", "q.tsq"],
                    ["ts", "-reply", "-config", "ts.cnf", "-queryfile", "q.tsq", "-signer",
                     "tsa.pem", "-inkey", "tsa.key", "-out", "r.tsr",
                     *(["-chain", "chain.pem"] if chain is not None else [])]):
        subprocess.run([str(OPENSSL), *command], cwd=folder, check=True, capture_output=True,
                       timeout=60)
    return (folder / "r.tsr").read_bytes()


@dataclass
class DomainSigner:
    """authsign's Signer, offline: a domain certificate from a CA, a TSA of OpenSSL's."""

    domain_ca: Authority
    tsa_ca: Authority
    folder: Path

    def sign(self, hash_label: str, created: str, *, domain: str = "signer.example",
             certificate_for: str = "signer.example",
             stamped: bytes | None = None) -> dict[str, Any]:
        key, cert = self.domain_ca.issue(certificate_for)
        # authsign's crypto.sign: DER, base64, over the hash string's ASCII bytes.
        signature = b64(key.sign(hash_label.encode("ascii"), ec.ECDSA(hashes.SHA256())))
        return self.stamp({"hash": hash_label, "created": created,
                           "software": "authsigner 0.6.1", "version": "0.1.0",
                           "signature": signature, "domain": domain,
                           "domainCert": pem(cert) + self.domain_ca.pem,
                           "crossSignedCert": None}, stamped=stamped)

    def stamp(self, signed: dict[str, Any], *, stamped: bytes | None = None,
              tsa: tuple[ec.EllipticCurvePrivateKey, x509.Certificate] | None = None
              ) -> dict[str, Any]:
        """`signed` with a timeSignature from OpenSSL's TSA over its signature (or over
        `stamped`), as authsign's Timestamper makes it: the response over the signature
        string's ASCII bytes; and the TSA's certificate as timestampCert."""
        tsa_key, tsa_cert = tsa or self.tsa_ca.issue("Test TSA", time_stamping=True)
        token = openssl_timestamp(stamped or signed["signature"].encode("ascii"), tsa_key,
                                  tsa_cert, self.folder / "tsa")
        return {**signed, "timeSignature": b64(token), "timestampCert": pem(tsa_cert)}

    def trust(self) -> TrustList:
        (self.folder / "roots.pem").write_text(self.domain_ca.pem + self.tsa_ca.pem)
        return load_trust([self.folder / "roots.pem"], with_defaults=False)


@pytest.fixture
def authsign(tmp_path: Path) -> DomainSigner:
    if OPENSSL is None:
        pytest.skip("openssl is not installed")
    return DomainSigner(Authority("Test Domain CA"), Authority("Test TSA CA"), tmp_path)


def now_iso(offset: timedelta = timedelta()) -> str:
    return (datetime.now(UTC) + offset).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_domain_signature_with_its_timestamp_verifies(signed_wacz: Path,
                                                        authsign: DomainSigner,
                                                        tmp_path: Path) -> None:
    document = digest_document(signed_wacz)
    signed = authsign.sign(document["hash"], now_iso())
    theirs = with_signed_data(signed_wacz, tmp_path / "domain.wacz", signed)
    report = check(theirs, trust=authsign.trust())
    assert report.is_valid, report.problems
    said = signed_notes(report)[0]
    assert "signed for the domain 'signer.example'" in said
    assert "timestamped by 'Test TSA'" in said and "the trust list names the signer" in said
    # A domain root nobody named: it verifies, and the note names the chain's root.
    (tmp_path / "tsa-root.pem").write_text(authsign.tsa_ca.pem)
    report = check(theirs, trust=load_trust([tmp_path / "tsa-root.pem"], with_defaults=False))
    assert report.is_valid, report.problems
    root = hashlib.sha256(authsign.domain_ca.cert.public_bytes(
        serialization.Encoding.DER)).hexdigest().upper()
    assert f"ends at a root the trust list does not name (SHA-256 {root})" in \
        signed_notes(report)[0]
    # A TSA nobody named: a timestamp by an untrusted authority proves no time (exit 1).
    code, stdout, _ = run("verify", str(theirs))
    assert code == 1
    tsa_leaf = hashlib.sha256(base64.b64decode(
        "".join(signed["timestampCert"].splitlines()[1:-1]))).hexdigest().upper()
    assert "the timestamp is by an untrusted authority" in stdout
    assert f"found {tsa_leaf}" in stdout and "[wacz-signature-untrusted]" in stdout


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("domainCert", "nonsense", "domainCert is not a PEM certificate chain"),
    ("domainCert", "-----BEGIN CERTIFICATE-----\n" * 11, "holds 11 certificates"),
    ("timestampCert", "", "timestampCert is not a PEM certificate chain"),
    ("timeSignature", b64(b"not a token"), "timeSignature is not an RFC 3161 timestamp"),
    ("timeSignature", None, "signedData has no timeSignature"),
    ("created", "last Tuesday", "created is not an ISO 8601 time"),
    ("domain", ["signer.example"], "domain is not a string"),
])
def test_a_domain_signature_that_cannot_be_read_says_why(signed_wacz: Path,
                                                         authsign: DomainSigner, field: str,
                                                         value: Any, reason: str) -> None:
    hash_label = digest_document(signed_wacz)["hash"]
    signed = {**authsign.sign(hash_label, now_iso()), field: value}
    result = check_signed_data(signed, hash_label, authsign.trust())
    assert (result.status, result.kind) == ("unreadable", "domain")
    assert result.reason is not None and reason in result.reason


@pytest.mark.parametrize(("spoil", "reason"), [
    ("other-domain", "it names the domain 'archive.example', but its certificate is for "
                     "signer.example"),
    ("late-stamp", "more than 10 minutes from when it says it was signed"),
    ("other-stamp", "the timestamp is over other content than this signature"),
    ("other-hash", "not this datapackage.json"),
    ("swapped-signature", "does not verify with the domain certificate's key"),
    ("broken-chain", "certificate 1 of domainCert (signer.example) is not signed by the next "
                     "one (Another CA)"),
    ("signed-before-the-certificate", "certificate 1 of domainCert (signer.example) was not "
                                      "valid when it says it signed"),
])
def test_a_domain_signature_that_does_not_hold_is_invalid(signed_wacz: Path,
                                                          authsign: DomainSigner,
                                                          tmp_path: Path, spoil: str,
                                                          reason: str) -> None:
    hash_label = digest_document(signed_wacz)["hash"]
    if spoil == "other-domain":
        signed = authsign.sign(hash_label, now_iso(), domain="archive.example")
    elif spoil == "late-stamp":
        signed = authsign.sign(hash_label, now_iso(-timedelta(minutes=20)))
    elif spoil == "other-stamp":
        signed = authsign.sign(hash_label, now_iso(), stamped=b"another signature")
    elif spoil == "other-hash":
        signed = authsign.sign("sha256:" + "0" * 64, now_iso())
    elif spoil == "broken-chain":
        signed = authsign.sign(hash_label, now_iso())
        signed["domainCert"] = signed["domainCert"].replace(authsign.domain_ca.pem,
                                                            Authority("Another CA").pem)
    elif spoil == "signed-before-the-certificate":
        signed = authsign.sign(hash_label, now_iso(-timedelta(days=30)))
    else:
        signed = authsign.sign(hash_label, now_iso())
        signed["signature"] = authsign.sign(hash_label, now_iso())["signature"]
    report = check(with_signed_data(signed_wacz, tmp_path / "x.wacz", signed),
                   trust=authsign.trust())
    assert codes(report) == ["wacz-signature-invalid"], report.problems
    assert reason in report.problems[0].message


def test_an_anonymous_signature_with_a_timestamp_as_the_open_proposal_adds_it(
        signed_wacz: Path, authsign: DomainSigner, tmp_path: Path) -> None:
    """webrecorder/specs issue 142: timeSignature and timestampCert beside an anonymous
    signature, shaped as a domain signature's (a response over the signature string)."""
    signed = dict(digest_document(signed_wacz)["signedData"])
    signed["created"] = now_iso()
    tsa_key, tsa_cert = authsign.tsa_ca.issue("Test TSA", time_stamping=True)
    stamped = authsign.stamp(signed, tsa=(tsa_key, tsa_cert))
    theirs = with_signed_data(signed_wacz, tmp_path / "stamped.wacz", stamped)
    report = check(theirs, trust=authsign.trust())
    assert report.is_valid, report.problems
    assert "timestamped by 'Test TSA' at " in signed_notes(report)[0]
    assert codes(check(theirs)) == ["wacz-signature-untrusted"]  # by an untrusted authority
    other = openssl_timestamp(b"another signature", tsa_key, tsa_cert, tmp_path / "tsa")
    spoiled = with_signed_data(signed_wacz, tmp_path / "spoiled.wacz",
                               {**stamped, "timeSignature": b64(other)})
    report = check(spoiled, trust=authsign.trust())
    assert codes(report) == ["wacz-signature-invalid"]
    assert "the timestamp is over other content than this signature" in \
        report.problems[0].message


def test_a_damaged_timestamp_is_a_reason_never_a_traceback(signed_wacz: Path,
                                                           authsign: DomainSigner) -> None:
    hash_label = digest_document(signed_wacz)["hash"]
    signed = authsign.sign(hash_label, now_iso())
    token = base64.b64decode(signed["timeSignature"])
    original = read_reply(token)
    damaged = [token[:cut] for cut in range(0, len(token), 97)]
    damaged += [token[:at] + bytes([token[at] ^ 0x41]) + token[at + 1:]
                for at in range(0, len(token), 7)]
    trust = authsign.trust()
    statuses: list[str] = []
    for data in damaged:
        result = check_signed_data({**signed, "timeSignature": b64(data)}, hash_label, trust)
        statuses.append(result.status)
        if result.status == "valid":
            # As for a package's tokens: only a byte no signature covers (the CMS framing,
            # its unused digestAlgorithms, a copy of the TSA's certificate that timestampCert
            # also holds) may change and leave the timestamp valid.
            read = read_reply(data)
            assert (read.tst_info_der, read.signed_attributes, read.signature) == (
                original.tst_info_der, original.signed_attributes, original.signature)
    assert set(statuses) >= {"invalid", "unreadable"}, statuses


@pytest.mark.skipif(NODE is None, reason="Node.js is not installed")
def test_a_p384_key_signs_what_wabac_js_verifies_with_its_own_parameters(
        sample_package: Path, tmp_path: Path) -> None:
    """wabac.js imports an anonymous publicKey as P-384 only (ArchiveWeb.page's curve).
    archiver's keys are P-256 (the issue's contract), but signing follows the key's curve: a
    P-384 key gives the signature ReplayWeb.page verifies as it stands."""
    key = SigningKey(ec.generate_private_key(ec.SECP384R1()), tmp_path / "p384.key")
    out = tmp_path / "p384.wacz"
    export_wacz(sample_package, out, key=key)
    signed = digest_document(out)["signedData"]
    assert len(base64.b64decode(signed["signature"])) == 96
    assert webcrypto_verify(signed, "P-384", tmp_path) is True
    assert f"signed by the P-384 key {key.public.fingerprint}" in signed_notes(check(out))[0]


def test_export_adds_a_timestamp_to_the_signature_as_the_open_proposal_lays_it_out(
        sample_package: Path, key: SigningKey, authsign: DomainSigner, tmp_path: Path) -> None:
    """The TSA here is OpenSSL's own (`openssl ts -reply`), called in place of archiver's
    TSA client; `openssl ts -verify` judges the token the export wrote."""
    tsa_key, tsa_cert = authsign.tsa_ca.issue("Test TSA", time_stamping=True)

    def stamp(data: bytes) -> bytes:
        return openssl_timestamp(data, tsa_key, tsa_cert, tmp_path / "tsa")

    out = tmp_path / "stamped.wacz"
    export_wacz(sample_package, out, key=key, timestamper=stamp)
    signed = digest_document(out)["signedData"]
    assert signed["timestampCert"] == pem(tsa_cert)
    validator = jsonschema.Draft202012Validator(load_schema("datapackage-digest"))
    validator.validate(digest_document(out))
    wacz_validate(out)
    judge = tmp_path / "judge"
    judge.mkdir()
    (judge / "token.tsr").write_bytes(base64.b64decode(signed["timeSignature"]))
    (judge / "signature.txt").write_text(signed["signature"])
    (judge / "tsa.pem").write_text(signed["timestampCert"])
    (judge / "root.pem").write_text(authsign.tsa_ca.pem)
    done = subprocess.run([str(OPENSSL), "ts", "-verify", "-in", "token.tsr", "-data",
                           "signature.txt", "-CAfile", "root.pem", "-untrusted", "tsa.pem"],
                          cwd=judge, capture_output=True, text=True, timeout=60)
    assert "Verification: OK" in done.stdout, done.stdout + done.stderr
    report = check(out, trust=authsign.trust())
    assert report.is_valid, report.problems
    assert "timestamped by 'Test TSA' at " in signed_notes(report)[0]


def test_a_tsa_that_fails_stops_the_export_and_writes_nothing(sample_package: Path,
                                                              key: SigningKey,
                                                              tmp_path: Path) -> None:
    def unreachable(data: bytes) -> bytes:
        raise CaptureError("https://tsa.invalid/", "the TSA did not answer")

    out = tmp_path / "out.wacz"
    with pytest.raises(CaptureError):
        export_wacz(sample_package, out, key=key, timestamper=unreachable)
    assert list(tmp_path.iterdir()) == []


def test_a_timestamp_from_an_openssl_tsa_that_sends_its_chain_verifies(
        signed_wacz: Path, authsign: DomainSigner, tmp_path: Path) -> None:
    hash_label = digest_document(signed_wacz)["hash"]
    signed = authsign.sign(hash_label, now_iso())
    tsa_key, tsa_cert = authsign.tsa_ca.issue("Test TSA", time_stamping=True)
    token = openssl_timestamp(signed["signature"].encode("ascii"), tsa_key, tsa_cert,
                              tmp_path / "tsa", chain=authsign.tsa_ca.cert)
    signed.update(timeSignature=b64(token), timestampCert=pem(tsa_cert) + authsign.tsa_ca.pem)
    result = check_signed_data(signed, hash_label, authsign.trust())
    assert result.status == "valid", result.reason



def test_an_altered_timestamp_by_an_unnamed_authority_is_invalid_not_untrusted(
        signed_wacz: Path, authsign: DomainSigner, tmp_path: Path) -> None:
    """timestampCert stops short of its root and the trust list lacks it: the TSA's
    signature is still checked (rfc3161-client needed a root to check anything)."""
    hash_label = digest_document(signed_wacz)["hash"]
    signed = authsign.sign(hash_label, now_iso())
    (tmp_path / "domain-root.pem").write_text(authsign.domain_ca.pem)
    only_domain = load_trust([tmp_path / "domain-root.pem"], with_defaults=False)
    result = check_signed_data(signed, hash_label, only_domain)
    assert result.status == "untrusted-key" and result.timestamp is not None
    assert result.timestamp.root_fingerprint is not None
    token = bytearray(base64.b64decode(signed["timeSignature"]))
    token[-10] ^= 0x01  # inside the TSA's signature, the last field of the reply
    result = check_signed_data({**signed, "timeSignature": b64(bytes(token))}, hash_label,
                               only_domain)
    assert result.status == "invalid", result
    assert "the TSA's signature does not verify" in (result.reason or "")


def test_a_timestamp_by_another_tsa_than_timestamp_cert_names_is_invalid(
        signed_wacz: Path, authsign: DomainSigner, tmp_path: Path) -> None:
    hash_label = digest_document(signed_wacz)["hash"]
    signed = authsign.sign(hash_label, now_iso())
    _, other = authsign.tsa_ca.issue("Other TSA", time_stamping=True)
    result = check_signed_data({**signed, "timestampCert": pem(other)}, hash_label,
                               authsign.trust())
    assert result.status == "invalid"
    assert "not by the first certificate of timestampCert (Other TSA)" in (result.reason or "")


def test_a_tsa_certificate_not_valid_at_stamping_time_makes_the_signature_invalid(
        signed_wacz: Path, authsign: DomainSigner, tmp_path: Path) -> None:
    hash_label = digest_document(signed_wacz)["hash"]
    now = datetime.now(UTC)
    tsa_key = ec.generate_private_key(ec.SECP256R1())
    lapsed = (x509.CertificateBuilder()
              .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Lapsed TSA")]))
              .issuer_name(authsign.tsa_ca.cert.subject).public_key(tsa_key.public_key())
              .serial_number(x509.random_serial_number())
              .not_valid_before(now - timedelta(days=3)).not_valid_after(now - timedelta(days=1))
              .add_extension(x509.ExtendedKeyUsage(
                  [x509.oid.ExtendedKeyUsageOID.TIME_STAMPING]), True)
              .sign(authsign.tsa_ca.key, hashes.SHA256()))
    signed = authsign.stamp(authsign.sign(hash_label, now_iso()), tsa=(tsa_key, lapsed))
    result = check_signed_data(signed, hash_label, authsign.trust())
    assert result.status == "invalid"
    assert "the TSA's certificate was not valid at the time of stamping" in (
        result.reason or "")


def test_a_domain_chain_through_a_certificate_that_is_no_authority_is_invalid(
        signed_wacz: Path, authsign: DomainSigner, tmp_path: Path) -> None:
    """Each certificate signed by the next is not enough: the next must be a CA's."""
    hash_label = digest_document(signed_wacz)["hash"]
    leaf_key, leaf = authsign.domain_ca.issue("not-a-ca.example")  # no CA basic constraint
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "signer.example")]))
            .issuer_name(leaf.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=9))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("signer.example")]), False)
            .sign(leaf_key, hashes.SHA256()))
    signed = {**authsign.sign(hash_label, now_iso()),
              "signature": b64(key.sign(hash_label.encode("ascii"), ec.ECDSA(hashes.SHA256()))),
              "domainCert": pem(cert) + pem(leaf) + authsign.domain_ca.pem}
    result = check_signed_data(authsign.stamp(signed), hash_label, authsign.trust())
    assert result.status == "invalid"
    assert ("certificate 2 of domainCert (not-a-ca.example) signed the one before it but is "
            "not a certificate authority") in (result.reason or "")


# -- export --tsa: a real TSA (OpenSSL's `openssl ts -reply` over HTTP, tests/tsa_server.py) --


@pytest.fixture(scope="module")
def tsa_pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    if OPENSSL is None:
        pytest.skip("openssl is not installed")
    return make_pki(tmp_path_factory.mktemp("tsa-pki"), name="WACZ Test TSA")


@pytest.fixture(scope="module")
def tsa_server(tsa_pki: Pki) -> Iterator[TsaServer]:
    with TsaServer(tsa_pki) as server:
        yield server


def no_config(folder: Path) -> dict[str, str]:
    """An environment whose configuration names no key and no TSA."""
    return {"ARCHIVER_CONFIG": str(folder / "no-config.toml")}


def test_export_tsa_timestamps_the_signature_and_openssl_verifies_it(
        sample_package: Path, key: SigningKey, tsa_server: TsaServer, tsa_pki: Pki,
        tmp_path: Path) -> None:
    out = tmp_path / "stamped.wacz"
    code, stdout, stderr = run("export", str(sample_package), "--wacz", str(out), "--key",
                               str(key.path), "--tsa", tsa_server.url, "--json",
                               env=no_config(tmp_path))
    assert code == 0, stderr
    said, = json.loads(stdout)
    assert said["timestamped_by"] == "WACZ Test TSA" and said["timestamped_at"]
    signed = digest_document(out)["signedData"]
    token = base64.b64decode(signed["timeSignature"])
    assert token == tsa_server.replies[-1]  # the TSA's reply, byte for byte
    # The TSA's certificates as PEM, its own first, then its chain (OpenSSL sends them so).
    chain = x509.load_pem_x509_certificates(signed["timestampCert"].encode())
    assert [c.subject.rfc4514_string() for c in chain] == [
        x509.load_pem_x509_certificate(p.read_bytes()).subject.rfc4514_string()
        for p in (tsa_pki.tsa_cert_pem, tsa_pki.intermediate_pem, tsa_pki.root_pem)]
    # The outside judge, on the token and the data it stamps, extracted from the WACZ.
    (tmp_path / "token.tsr").write_bytes(token)
    (tmp_path / "signature.txt").write_text(signed["signature"])
    judged = openssl_verify(tmp_path / "token.tsr", tmp_path / "signature.txt",
                            tsa_pki.root_pem)
    assert "Verification: OK" in judged.stdout, judged.stdout + judged.stderr
    (tmp_path / "other.txt").write_text(signed["signature"][:-2] + "AA")
    judged = openssl_verify(tmp_path / "token.tsr", tmp_path / "other.txt", tsa_pki.root_pem)
    assert "Verification: OK" not in judged.stdout
    wacz_validate(out)
    report = check(out, trust=load_trust([tsa_pki.root_pem], with_defaults=False))
    assert report.is_valid, report.problems
    assert "timestamped by 'WACZ Test TSA' at " in signed_notes(report)[0]
    code, stdout, _ = run("export", str(sample_package), "--wacz", str(tmp_path / "2.wacz"),
                          "--key", str(key.path), "--tsa", tsa_server.url,
                          env=no_config(tmp_path))
    assert code == 0 and ", timestamped by WACZ Test TSA at " in stdout


def test_export_timestamps_with_the_configured_tsa_when_it_signs(
        sample_package: Path, key: SigningKey, tsa_server: TsaServer, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'tsa = ["{tsa_server.url}"]\n')
    asked = len(tsa_server.requests)
    code, _, stderr = run("export", str(sample_package), "--wacz", str(tmp_path / "plain.wacz"),
                          env={"ARCHIVER_CONFIG": str(config)})
    assert code == 0, stderr
    assert "signedData" not in digest_document(tmp_path / "plain.wacz")
    assert len(tsa_server.requests) == asked  # unsigned: nothing to stamp, no TSA asked
    config.write_text(f'tsa = ["{tsa_server.url}"]\nkey = "{key.path}"\n')
    code, _, stderr = run("export", str(sample_package), "--wacz", str(tmp_path / "s.wacz"),
                          env={"ARCHIVER_CONFIG": str(config)})
    assert code == 0, stderr
    assert "timeSignature" in digest_document(tmp_path / "s.wacz")["signedData"]


@pytest.mark.parametrize(("mode", "reason"), [
    ("error", "it answered HTTP 500"),
    ("garbage", "not an RFC 3161 timestamp reply"),
    ("other-digest", "the token stamps another digest than the one sent"),
    ("redirect", "it redirects (HTTP 302)"),
])
def test_a_tsa_failure_stops_the_export_and_nothing_is_written(
        sample_package: Path, key: SigningKey, tsa_server: TsaServer, tmp_path: Path,
        mode: str, reason: str) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "stamped.wacz"
    code, stdout, stderr = run("export", str(sample_package), "--wacz", str(out), "--key",
                               str(key.path), "--tsa", tsa_server.url_for(mode),
                               env=no_config(tmp_path))
    assert code == 3, stdout + stderr
    assert f"no timestamp for the WACZ's signature: {tsa_server.url_for(mode)}: " in stderr
    assert reason in stderr and "nothing was written" in stderr
    assert len(stderr.strip().splitlines()) == 1 and "Traceback" not in stderr
    assert list(folder.iterdir()) == []


def test_the_first_tsa_that_answers_stamps_and_the_failed_one_is_named(
        sample_package: Path, key: SigningKey, tsa_server: TsaServer, tsa_pki: Pki,
        tmp_path: Path) -> None:
    out = tmp_path / "stamped.wacz"
    failing = tsa_server.url_for("error")
    code, _, stderr = run("export", str(sample_package), "--wacz", str(out), "--key",
                          str(key.path), "--tsa", failing, "--tsa", tsa_server.url,
                          env=no_config(tmp_path))
    assert code == 0, stderr
    assert f"note: {failing}: it answered HTTP 500" in stderr
    report = check(out, trust=load_trust([tsa_pki.root_pem], with_defaults=False))
    assert report.is_valid, report.problems
    code, _, stderr = run("export", str(sample_package), "--wacz", str(tmp_path / "x.wacz"),
                          "--key", str(key.path), "--tsa", failing, "--tsa",
                          tsa_server.url_for("garbage"), env=no_config(tmp_path))
    assert code == 3 and "2 TSAs: " in stderr and failing in stderr
    assert tsa_server.url_for("garbage") in stderr and not (tmp_path / "x.wacz").exists()


def test_tsa_without_a_signed_wacz_is_a_usage_error(sample_package: Path, key: SigningKey,
                                                     tsa_server: TsaServer,
                                                     tmp_path: Path) -> None:
    asked = len(tsa_server.requests)
    for output in (["--wacz", str(tmp_path / "out.wacz")], ["--zip", str(tmp_path / "o.zip")]):
        code, _, stderr = run("export", str(sample_package), *output, "--tsa", tsa_server.url,
                              env=no_config(tmp_path))
        assert code == 2 and "--tsa timestamps a WACZ's signature" in stderr
    code, _, stderr = run("export", str(sample_package), "--wacz", str(tmp_path / "out.wacz"),
                          "--key", str(key.path), "--tsa", "tsa.example/tsr",
                          env=no_config(tmp_path))
    assert code == 2 and "no http:// or https://" in stderr
    assert len(tsa_server.requests) == asked
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_timestamper_answering_with_other_than_a_timestamp_of_the_signature_stops_it(
        sample_package: Path, key: SigningKey, authsign: DomainSigner, tmp_path: Path) -> None:
    tsa_key, tsa_cert = authsign.tsa_ca.issue("Test TSA", time_stamping=True)
    answers = {"other bytes": lambda data: openssl_timestamp(b"other", tsa_key, tsa_cert,
                                                            tmp_path / "tsa"),
               "not a timestamp": lambda data: b"<html>busy</html>"}
    folder = tmp_path / "out"
    folder.mkdir()
    for reason, answer in answers.items():
        with pytest.raises(CaptureError, match=reason if reason != "other bytes"
                           else "stamps other bytes than the signature"):
            export_wacz(sample_package, folder / "out.wacz", key=key, timestamper=answer)
        assert list(folder.iterdir()) == []
