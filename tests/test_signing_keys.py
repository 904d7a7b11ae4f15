"""Signing keys as a library: written private and whole, loaded with plain reasons when not."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from archiver.attestation.keys import (
    PASSPHRASE_ENV,
    KeyFileError,
    PassphraseNeeded,
    load_public_key,
    load_signing_key,
    new_key,
    public_key_from_der,
)
from archiver.errors import ArchiverUsageError, OutputExistsError


def test_a_new_key_is_p256_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "ana.key"
    public = new_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = load_signing_key(path)
    assert isinstance(loaded.key.curve, ec.SECP256R1)
    assert loaded.public.fingerprint == public.fingerprint
    assert [p.name for p in tmp_path.iterdir()] == ["ana.key"]  # no temporary left behind


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_the_fingerprint_is_the_sha256_of_the_der_public_key_as_openssl_writes_it(
        tmp_path: Path) -> None:
    path = tmp_path / "ana.key"
    public = new_key(path)
    der = subprocess.run(["openssl", "pkey", "-in", str(path), "-pubout", "-outform", "DER"],
                         capture_output=True, check=True).stdout
    assert public.fingerprint == hashlib.sha256(der).hexdigest().upper()
    assert public.short_fingerprint == " ".join(public.fingerprint[i:i + 4]
                                                for i in range(0, 16, 4))


def test_a_key_is_never_written_over_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "ana.key"
    path.write_text("someone's evidence")
    with pytest.raises(OutputExistsError):
        new_key(path)
    assert path.read_text() == "someone's evidence"


def test_a_passphrase_protects_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    path = tmp_path / "ana.key"
    public = new_key(path, "correct horse")
    assert b"ENCRYPTED PRIVATE KEY" in path.read_bytes()
    with pytest.raises(PassphraseNeeded, match=PASSPHRASE_ENV):
        load_signing_key(path)
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        load_signing_key(path, "battery staple")
    assert load_signing_key(path, "correct horse").public.fingerprint == public.fingerprint
    monkeypatch.setenv(PASSPHRASE_ENV, "correct horse")
    assert load_signing_key(path).public.fingerprint == public.fingerprint


def test_a_passphrase_given_for_a_plain_key_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "ana.key"
    public = new_key(path)
    assert load_signing_key(path, "unneeded").public.fingerprint == public.fingerprint


def test_what_is_not_a_usable_key_is_named_with_its_reason(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.key"
    garbage.write_bytes(b"-----BEGIN PRIVATE KEY-----\nnot base64 at all\n")
    huge = tmp_path / "huge.key"
    huge.write_bytes(b"A" * (1 << 20))
    other = tmp_path / "ed25519.key"
    other.write_bytes(ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    cases = {garbage: "not a PEM private key", huge: "far too large",
             other: "not an ECDSA P-256 or P-384 key", tmp_path / "missing.key": "no such file",
             tmp_path: "not a regular file"}
    for path, reason in cases.items():
        with pytest.raises(KeyFileError) as caught:
            load_signing_key(path)
        assert isinstance(caught.value, ArchiverUsageError)
        message = str(caught.value)
        assert message.startswith(f"{path}: not a usable signing key (") and reason in message
        assert "\n" not in message


def test_a_public_key_loads_from_its_pem_from_the_private_key_and_from_der(
        tmp_path: Path) -> None:
    path = tmp_path / "ana.key"
    public = new_key(path)
    pem = tmp_path / "ana.pub.pem"
    pem.write_text(public.pem)
    assert load_public_key(pem).fingerprint == public.fingerprint
    assert load_public_key(path).fingerprint == public.fingerprint
    from_der = public_key_from_der(public.der)
    assert from_der is not None and from_der.fingerprint == public.fingerprint
    assert public_key_from_der(b"\x30\x03\x02\x01\x00") is None
    assert public_key_from_der(os.urandom(91)) is None
