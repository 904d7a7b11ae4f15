"""The `signedData` of a WACZ's datapackage-digest.json, as the WACZ Signing and Verification
spec 0.1.0 (specs.webrecorder.net/wacz-auth/0.1.0) lays it out and as Webrecorder's tools
write and read it. Everything archiver knows about the format is here, for signing and
checking alike.

    {"path": "datapackage.json", "hash": "sha256:<hex of datapackage.json>",
     "signedData": {"hash": <the same string>, "created": <ISO 8601>, "software": ...,
                    "version": ..., "signature": <base64>, "publicKey": <base64>}}

What the code of those tools settles where the spec's prose leaves it open:
- What is signed: the bytes of the `hash` string itself, "sha256:" and all, UTF-8 encoded
  (ArchiveWeb.page's `Signer.sign(hash)` in src/sw/keystore.ts signs
  `TextEncoder().encode(string)`; authsign's `crypto.sign(data)` signs `data.encode("ascii")`;
  wabac.js's `verifyWACZSignature` verifies over `TextEncoder().encode(hash)`). ECDSA with
  SHA-256 in every case. Only `hash` is signed: `created`, `software` and `publicKey` are
  the signer's unsigned word.
- The signature: base64 (standard alphabet, padded). An anonymous signature is WebCrypto's
  raw r||s (IEEE P1363: two big-endian integers, each the curve's size), as ArchiveWeb.page
  writes it and as wabac.js hands it to `crypto.subtle.verify`; a domain signature from
  authsign is DER (an ASN.1 SEQUENCE of two INTEGERs), as `cryptography` writes it.
- publicKey: base64 of the SubjectPublicKeyInfo, DER (WebCrypto's "spki" export).
- The curve: the spec says only "ECDSA". ArchiveWeb.page makes P-384 keys and wabac.js
  imports an anonymous publicKey as P-384 only; authsign's domain keys are P-256. archiver's
  keys are P-256 (issue 13's contract), so checking accepts P-256, P-384 and P-521 and signing
  uses whatever curve the key has (docs/decisions.md, "Signed WACZ").
- `created` must equal datapackage.json's own `created`: py-wacz's `wacz validate` fails a
  WACZ where they differ ("signed timestamp != created timestamp").
- A timestamp on an anonymous signature (`timeSignature`, `timestampCert`) is an open
  proposal (webrecorder/specs issue 142), shaped like the domain signature's: an RFC 3161
  response, base64 DER, over the bytes of the `signature` string (authsign's `Timestamper`
  stamps `signature.encode("ascii")`), and the TSA's certificate chain as PEM.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from archiver.attestation.keys import SigningKey
from archiver.errors import CaptureError

if TYPE_CHECKING:
    from archiver.attestation.tsa_token import TimestampToken

SPEC_VERSION: Final = "0.1.0"
"""The version of the WACZ signing spec followed, written as signedData's `version` (as
authsign's SignedHash model writes it)."""

ECDSA_SHA256: Final = ec.ECDSA(hashes.SHA256())
CURVES: Final[dict[str, int]] = {"secp256r1": 32, "secp384r1": 48, "secp521r1": 66}
"""The curves a WACZ signature may use, with the size in bytes of each half of a raw
signature."""
CURVE_NAMES: Final = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}

MAX_SIGNATURE_CHARS: Final = 512
"""A P-521 DER signature is 139 bytes, 188 in base64; anything far longer is not one."""
MAX_PUBLIC_KEY_CHARS: Final = 1024
"""A P-521 SubjectPublicKeyInfo is 158 bytes, 212 in base64."""
MAX_PEM_CHARS: Final = 256 * 1024
"""A certificate chain as PEM: a few kilobytes each, a handful of them."""
MAX_CHAIN_CERTIFICATES: Final = 10
MAX_TIME_SIGNATURE_CHARS: Final = 256 * 1024
"""An RFC 3161 response with its certificates is a few kilobytes."""
MAX_TEXT_CHARS: Final = 1024
"""hash, created, software, version, domain: short strings."""


def signed_message(hash_label: str) -> bytes:
    """The bytes a WACZ signature signs: the `hash` string itself.

    >>> signed_message("sha256:ab")
    b'sha256:ab'
    """
    return hash_label.encode("utf-8")


def raw_signature(der: bytes, curve: ec.EllipticCurve) -> bytes:
    """A DER ECDSA signature as WebCrypto's raw r||s."""
    r, s = decode_dss_signature(der)
    size = CURVES[curve.name]
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def der_signature(raw: bytes) -> bytes:
    """WebCrypto's raw r||s as DER (what `openssl dgst -verify` and `cryptography` take)."""
    half = len(raw) // 2
    return encode_dss_signature(int.from_bytes(raw[:half], "big"),
                                int.from_bytes(raw[half:], "big"))


def anonymous_signed_data(hash_label: str, created: str, key: SigningKey,
                          software: str) -> dict[str, Any]:
    """signedData for an anonymous signature of `hash_label` by `key`, in the shape
    ArchiveWeb.page writes (and the spec's extra `version`)."""
    private = key.key
    der = private.sign(signed_message(hash_label), ECDSA_SHA256)
    return {
        "hash": hash_label,
        "created": created,
        "software": software,
        "version": SPEC_VERSION,
        "signature": b64(raw_signature(der, private.curve)),
        "publicKey": b64(key.public.der),
    }


Timestamper = Callable[[bytes], bytes]
"""Asks a timestamp authority to stamp some bytes: given them, returns the TSA's RFC 3161
TimeStampResp (DER, exactly as received) over their SHA-256, or raises naming the TSA and
the reason. archiver's TSA client provides one for the `--tsa` URLs
(tsa_client.TsaTimestamper)."""


def add_timestamp(signed: dict[str, Any], stamp: Timestamper) -> TimestampToken:
    """Add to anonymous signedData the timestamp the open proposal (webrecorder/specs issue
    142) gives it, shaped as a domain signature's: `timeSignature`, the TSA's response over
    the bytes of the `signature` string, base64; `timestampCert`, the certificates the
    response carries as PEM, the TSA's own first. Returns the token as read; raises
    CaptureError when the reply is not a timestamp of those bytes (nothing is added)."""
    from archiver.attestation.tsa_token import TokenError, read_reply  # only when stamping

    stamped = signed["signature"].encode("ascii")
    response = stamp(stamped)
    try:
        token = read_reply(response)
    except TokenError as exc:
        raise CaptureError("the timestamp authority", f"its reply is not a timestamp ({exc})") \
            from None
    if (token.imprint_algorithm, token.imprint) != ("sha256", hashlib.sha256(stamped).digest()):
        raise CaptureError("the timestamp authority", "its reply stamps other bytes than the "
                           "signature")
    signed["timeSignature"] = b64(response)
    signed["timestampCert"] = "".join(
        certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")
        for certificate in token_certificates(token))
    return token


def token_certificates(token: TimestampToken) -> list[x509.Certificate]:
    """The certificates a token carries: the signer's first (found through its SignerInfo,
    never by position), then each one's issuer as far as they go, then the rest."""
    from archiver.attestation.certificate_chain import issuer_in

    signer = token.signer_certificate()
    ordered = [signer] if signer is not None else []
    while ordered and (issuer := issuer_in(ordered[-1], [c for c in token.certificates
                                                         if c not in ordered])):
        ordered.append(issuer)
    return ordered + [c for c in token.certificates if c not in ordered]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes | None:
    """Strict base64 (standard alphabet, padded; whitespace refused), or None."""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None


class Unreadable(Exception):
    """signedData is not what the spec says: the reason, in words."""


def verifies(key: ec.EllipticCurvePublicKey, signature: bytes, message: bytes) -> bool:
    """Whether `signature` (raw r||s, as WebCrypto writes it, or DER, as authsign and
    OpenSSL write it) is `key`'s ECDSA-SHA256 signature of `message`."""
    size = CURVES.get(key.curve.name)
    candidates = []
    if size is not None and len(signature) == 2 * size:
        candidates.append(der_signature(signature))
    candidates.append(signature)
    for candidate in candidates:
        try:
            key.verify(candidate, message, ECDSA_SHA256)
            return True
        except (InvalidSignature, ValueError):
            continue
    return False


def text_field(signed: dict[str, Any], name: str, limit: int) -> str:
    """signedData's `name`, a string of at most `limit` characters; else Unreadable."""
    value = signed.get(name)
    if value is None:
        raise Unreadable(f"signedData has no {name}")
    if not isinstance(value, str):
        raise Unreadable(f"signedData's {name} is not a string")
    if len(value) > limit:
        raise Unreadable(f"signedData's {name} is {len(value):,} characters long, far more "
                         f"than any {name} needs ({limit:,})")
    return value


def binary_field(signed: dict[str, Any], name: str, limit: int) -> bytes:
    """signedData's `name`, base64-decoded; else Unreadable."""
    data = unb64(text_field(signed, name, limit))
    if not data:
        raise Unreadable(f"signedData's {name} is not base64")
    return data


def public_key_field(signed: dict[str, Any]) -> ec.EllipticCurvePublicKey:
    """signedData's publicKey: base64 SubjectPublicKeyInfo (DER) of an ECDSA key."""
    der = binary_field(signed, "publicKey", MAX_PUBLIC_KEY_CHARS)
    try:
        key = serialization.load_der_public_key(der)
    except (ValueError, UnsupportedAlgorithm):
        raise Unreadable("signedData's publicKey is not a public key (base64 "
                         "SubjectPublicKeyInfo, DER)") from None
    return ecdsa_key(key, "publicKey")


def ecdsa_key(key: object, what: str) -> ec.EllipticCurvePublicKey:
    """`key` if it is an ECDSA key on a curve a WACZ signature may use; else Unreadable."""
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise Unreadable(f"the {what} is not an ECDSA key, which the WACZ signing spec uses")
    if key.curve.name not in CURVES:
        raise Unreadable(f"the {what} is on the curve {key.curve.name}, not P-256, P-384 or "
                         "P-521")
    return key


def said_by_signer(signed: dict[str, Any]) -> tuple[str | None, str | None]:
    """signedData's created and software, when they are short strings: the signer's word."""
    created, software = signed.get("created"), signed.get("software")
    return (created if isinstance(created, str) and len(created) <= MAX_TEXT_CHARS else None,
            software if isinstance(software, str) and len(software) <= MAX_TEXT_CHARS else None)
