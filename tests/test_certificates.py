"""Certificates from outside are read without a library warning reaching the terminal."""

from __future__ import annotations

import datetime
import warnings

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from archiver.certificates import (
    load_der_certificate,
    load_pem_certificates,
    quiet_hostile_certificate_warnings,
)

SERIAL = bytes.fromhex("7f11223344556677")


def _with_negative_serial() -> bytes:
    """A certificate whose serial number is negative, as a hostile token may carry one: made
    with a positive serial, whose first byte is then flipped (the signature no longer
    matches, which loading does not check)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Hostile TSA")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(int.from_bytes(SERIAL, "big"))
                   .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
                   .sign(key, hashes.SHA256()))
    der = certificate.public_bytes(serialization.Encoding.DER)
    field = b"\x02\x08" + SERIAL
    assert der.count(field) == 1
    return der.replace(field, b"\x02\x08\xff" + SERIAL[1:])


def test_a_negative_serial_is_read_without_a_warning() -> None:
    der = _with_negative_serial()
    with pytest.warns(Warning):  # what cryptography says when asked directly
        x509.load_der_x509_certificate(der)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        certificate = load_der_certificate(der)
        (again,) = load_pem_certificates(certificate.public_bytes(serialization.Encoding.PEM))
    assert again.public_bytes(serialization.Encoding.DER) == der


def test_the_command_line_never_shows_that_warning() -> None:
    """Reading the serial number warns again; the CLI (not the library: its callers choose
    their own warning filters) silences exactly that warning."""
    certificate = load_der_certificate(_with_negative_serial())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet_hostile_certificate_warnings()
        assert certificate.serial_number < 0


def test_bytes_that_are_no_certificate_raise_value_error() -> None:
    with pytest.raises(ValueError):
        load_der_certificate(b"\x30\x03\x02\x01\x00")
    with pytest.raises(ValueError):
        load_pem_certificates(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
