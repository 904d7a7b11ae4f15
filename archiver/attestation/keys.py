"""Signing keys: ECDSA on P-256 by default, the curve the WACZ signing spec's anonymous
signatures were written for, or on P-384 when asked (`archiver key new --curve P-384`):
ReplayWeb.page's library (wabac.js) imports an anonymous WACZ signer's key as P-384 only, so a
WACZ signed with a P-384 key is the one it shows as verified (docs/decisions.md).

A private key is a PKCS#8 PEM file, encrypted when a passphrase is given, readable by its owner
only. A public key is named by its fingerprint: the SHA-256 of its SubjectPublicKeyInfo (DER),
the same bytes `openssl pkey -pubout -outform DER | sha256sum` hashes.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from archiver.attestation.new_files import NameTaken, write_new_file
from archiver.errors import ArchiverUsageError, OutputExistsError
from archiver.user_files import UnusableFile, read_small_file

PASSPHRASE_ENV = "ARCHIVER_KEY_PASSPHRASE"
"""Where a key's passphrase may come from when no terminal can ask for it."""

CURVES: dict[str, type[ec.EllipticCurve]] = {"P-256": ec.SECP256R1, "P-384": ec.SECP384R1}
"""The curves archiver makes and signs with, by the names people (and WebCrypto) use."""
DEFAULT_CURVE = "P-256"

_MAX_KEY_BYTES = 64 * 1024
"""A PEM key is well under a kilobyte; anything far larger is not a key."""


class KeyFileError(ArchiverUsageError):
    """A key file that cannot be used (exit 2): its path and the reason, never its contents."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: not a usable signing key ({reason})")
        self.path = path


class PassphraseNeeded(KeyFileError):
    """The key is encrypted and no passphrase was given."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, f"it is protected by a passphrase; give it, or set {PASSPHRASE_ENV}")


@dataclass(frozen=True)
class PublicKey:
    """A signer's public key, as stored in attestations and trust lists."""

    key: ec.EllipticCurvePublicKey

    @property
    def der(self) -> bytes:
        """SubjectPublicKeyInfo, DER."""
        return self.key.public_bytes(serialization.Encoding.DER,
                                     serialization.PublicFormat.SubjectPublicKeyInfo)

    @property
    def pem(self) -> str:
        return self.key.public_bytes(serialization.Encoding.PEM,
                                     serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the DER public key, upper-case hex (64 characters)."""
        return hashlib.sha256(self.der).hexdigest().upper()

    @property
    def short_fingerprint(self) -> str:
        """The first 16 hex digits, in groups of four, as people read them out."""
        head = self.fingerprint[:16]
        return " ".join(head[i:i + 4] for i in range(0, 16, 4))


@dataclass(frozen=True)
class SigningKey:
    """A private key loaded for signing, with the file it came from."""

    key: ec.EllipticCurvePrivateKey
    path: Path

    @property
    def public(self) -> PublicKey:
        return PublicKey(self.key.public_key())


def new_key(path: Path, passphrase: str | None = None, curve: str = DEFAULT_CURVE) -> PublicKey:
    """Write a new private key on `curve` (see CURVES) to `path` (mode 0600, never over an
    existing file) and return its public key. The file appears whole or not at all."""
    if curve not in CURVES:
        raise ValueError(f"curve {curve!r}: not one of {', '.join(CURVES)}")
    if path.exists() or path.is_symlink():
        raise OutputExistsError(path)
    private = ec.generate_private_key(CURVES[curve]())
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase else serialization.NoEncryption())
    data = private.private_bytes(serialization.Encoding.PEM,
                                 serialization.PrivateFormat.PKCS8, encryption)
    try:
        write_new_file(path, data, mode=0o600)  # readable by its owner only, from the start
    except NameTaken:
        raise OutputExistsError(path) from None
    return PublicKey(private.public_key())


def load_signing_key(path: Path, passphrase: str | None = None) -> SigningKey:
    """The private key in `path`. Without a `passphrase`, ARCHIVER_KEY_PASSPHRASE is used if
    set. Raises KeyFileError (exit 2) naming the file and the reason: missing, not a key, not
    P-256, wrong or missing passphrase."""
    data = _read_small(path)
    if passphrase is None:
        passphrase = os.environ.get(PASSPHRASE_ENV) or None
    elif not passphrase:
        passphrase = None
    try:
        private = serialization.load_pem_private_key(
            data, passphrase.encode() if passphrase else None)
    except TypeError:
        # cryptography says TypeError both for "encrypted, no password given" and for
        # "not encrypted, but a password was given"; tell them apart by the PEM label.
        if b"ENCRYPTED" in data and not passphrase:
            raise PassphraseNeeded(path) from None
        if not passphrase:
            raise KeyFileError(path, "not a PEM private key") from None
        return load_signing_key(path, "")  # a passphrase for a key that has none: ignore it
    except ValueError:
        if b"ENCRYPTED" in data and passphrase:
            raise KeyFileError(path, "wrong passphrase") from None
        raise KeyFileError(path, "not a PEM private key, or damaged") from None
    except UnsupportedAlgorithm:
        raise KeyFileError(path, "a key type archiver does not sign with") from None
    if not isinstance(private, ec.EllipticCurvePrivateKey) or curve_name(private.curve) is None:
        raise KeyFileError(path, "not an ECDSA P-256 or P-384 key; make one with "
                                 "`archiver key new`")
    return SigningKey(private, path)


def load_public_key(path: Path) -> PublicKey:
    """The public key in `path`: a PEM public key, or a private key (its public half)."""
    data = _read_small(path)
    if b"PRIVATE KEY" in data:
        return load_signing_key(path).public
    try:
        public = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise KeyFileError(path, "not a PEM public key, or damaged") from None
    if not isinstance(public, ec.EllipticCurvePublicKey) or curve_name(public.curve) is None:
        raise KeyFileError(path, "not an ECDSA P-256 or P-384 public key")
    return PublicKey(public)


def public_key_from_der(der: bytes) -> PublicKey | None:
    """A P-256 or P-384 public key from SubjectPublicKeyInfo DER (as attestations carry it), or
    None if the bytes are not one. The bytes come from a package: hostile, never trusted for
    more."""
    try:
        public = serialization.load_der_public_key(der)
    except (ValueError, UnsupportedAlgorithm):
        return None
    if not isinstance(public, ec.EllipticCurvePublicKey) or curve_name(public.curve) is None:
        return None
    return PublicKey(public)


def curve_name(curve: ec.EllipticCurve) -> str | None:
    """"P-256" or "P-384" for the curves archiver signs with, None for any other."""
    return next((name for name, kind in CURVES.items() if isinstance(curve, kind)), None)


def _read_small(path: Path) -> bytes:
    try:
        return read_small_file(path, _MAX_KEY_BYTES, "far too large to be a key")
    except UnusableFile as problem:
        raise KeyFileError(path, problem.reason) from None
