"""The one signature scheme attestations use: ECDSA with SHA-256 (on P-256, or P-384 for a key
made with --curve P-384), DER-encoded, as `openssl dgst -sha256 -sign` writes and `-verify`
reads it."""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from archiver.attestation.keys import PublicKey, SigningKey, curve_name

ALGORITHMS = {"P-256": "ecdsa-p256-sha256", "P-384": "ecdsa-p384-sha256"}
"""How a signature's record names the scheme, by the key's curve."""
MAX_SIGNATURE_BYTES = 1024
"""A DER ECDSA signature is at most 72 bytes on P-256, 104 on P-384; a larger file is not
one."""


def algorithm_of(key: PublicKey) -> str:
    """The scheme's name for signatures by `key` (its curve is one archiver signs with)."""
    return ALGORITHMS[curve_name(key.key.curve) or "P-256"]


def sign_bytes(key: SigningKey, data: bytes) -> bytes:
    """The DER signature of `data` by `key`."""
    return key.key.sign(data, ec.ECDSA(hashes.SHA256()))


def signs(public: PublicKey, signature: bytes, data: bytes) -> bool:
    """Whether `signature` (DER) is `public`'s signature over `data`; False for bytes that
    are not a signature at all."""
    try:
        public.key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True
