"""The trust list: certificates and signers' keys from the user's PEM files."""

from __future__ import annotations

from pathlib import Path

import pytest
import trustme
from cryptography import x509

from archiver.attestation.keys import new_key
from archiver.attestation.trust import TrustFileError, certificate_fingerprint, load_trust
from archiver.errors import ArchiverUsageError


def test_certificates_and_keys_are_read_from_the_users_files(tmp_path: Path) -> None:
    authority = trustme.CA()
    roots = tmp_path / "roots.pem"
    authority.cert_pem.write_to_path(str(roots))
    signer = new_key(tmp_path / "ana.key")
    key_file = tmp_path / "ana.pub.pem"
    key_file.write_text(signer.pem)
    trust = load_trust([roots, key_file], with_defaults=False)
    root = x509.load_pem_x509_certificate(authority.cert_pem.bytes())
    assert trust.root_for(root) is not None
    assert trust.trusts_key(signer)
    assert not trust.trusts_key(new_key(tmp_path / "other.key"))
    assert trust.sources == (str(roots), str(key_file))
    assert len(certificate_fingerprint(root)) == 64


def test_a_file_that_is_neither_is_named(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("trust me")
    damaged = tmp_path / "damaged.pem"
    damaged.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    for path, reason in ((notes, "holds no PEM certificate or public key"),
                         (damaged, "damaged"), (tmp_path / "gone.pem", "no such file")):
        with pytest.raises(TrustFileError) as caught:
            load_trust([path], with_defaults=False)
        assert isinstance(caught.value, ArchiverUsageError)
        assert str(caught.value).startswith(f"{path}: not a usable trust file (")
        assert reason in str(caught.value)
