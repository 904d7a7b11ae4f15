"""The one signature scheme attestations use: ECDSA on P-256 with SHA-256, DER-encoded, as
`openssl dgst -sha256 -sign` writes and `-verify` reads it."""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from archiver.attestation.keys import PublicKey, SigningKey

ALGORITHM = "ecdsa-p256-sha256"
MAX_SIGNATURE_BYTES = 1024
"""A DER ECDSA P-256 signature is at most 72 bytes; a larger file is not one."""


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
