"""RFC 3161 on the wire: the TimeStampReq archiver sends, and a TimeStampResp read from bytes
that came from outside (a TSA, or a .tsr file in a package from anywhere).

Parse leniently, verify strictly. asn1crypto reads the reply as it is, whatever the order of
its certificate SET (OpenSSL's own TSA writes it in chain order, not sorted DER, and
rfc3161-client 1.0.9 refuses that; see docs/decisions.md, "Timestamps: asn1crypto reads,
cryptography verifies"). Nothing here trusts what it reads: `token_check` verifies it.
The bytes kept are always the reply's own, never a re-encoding.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509

from archiver.certificates import load_der_certificate

MAX_REPLY_BYTES = 1 << 20
"""A reply is a few kilobytes (a token and a chain of three certificates is about 5 KB);
anything past 1 MiB is not a timestamp reply, and is refused before it is read whole."""

TST_INFO_OID = "1.2.840.113549.1.9.16.1.4"
SIGNED_DATA_OID = "1.2.840.113549.1.7.2"
_HASHES = {"sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}
"""The imprint algorithms a token may use; SHA-1 and MD5 are not proof of anything now."""
_STATUS = {"granted": True, "granted_with_mods": True}


class TokenError(ValueError):
    """Bytes that are not a usable TimeStampResp; the message says why, in plain words."""


@dataclass(frozen=True)
class SignerIdentity:
    """How the SignerInfo names its certificate: issuer and serial, or key identifier."""

    issuer: bytes | None
    """The issuer Name's DER (with `serial`), when the SignerInfo names it so."""
    serial: int | None
    key_identifier: bytes | None

    def matches(self, certificate: x509.Certificate) -> bool:
        if self.key_identifier is not None:
            try:
                ski = certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
            except x509.ExtensionNotFound:
                return False
            return ski.value.digest == self.key_identifier
        return (certificate.serial_number == self.serial
                and certificate.issuer.public_bytes() == self.issuer)


@dataclass(frozen=True)
class TimestampToken:
    """What a TimeStampResp says, read and not yet believed."""

    imprint_algorithm: str
    """The hash of the stamped data: sha256, sha384 or sha512."""
    imprint: bytes
    gen_time: datetime
    serial: int
    nonce: int | None
    policy: str
    tsa_name: str | None
    certificates: tuple[x509.Certificate, ...]
    """Every certificate the token carries, in the order it carries them (no meaning)."""
    signer: SignerIdentity
    digest_algorithm: str
    """The SignerInfo's digest algorithm (for messageDigest and the signature)."""
    signature_algorithm: algos.SignedDigestAlgorithm
    signature: bytes
    signed_attributes: bytes
    """The signed attributes as the signature covers them: DER, with the SET OF tag."""
    content_type: str | None
    """The contentType signed attribute (must be id-ct-TSTInfo)."""
    message_digest: bytes | None
    """The messageDigest signed attribute (must be the digest of `tst_info_der`)."""
    ess_cert_hashes: tuple[tuple[str, bytes], ...]
    """ESS signing-certificate hashes (algorithm, digest), first the signer's; may be empty."""
    tst_info_der: bytes
    """The encapsulated TSTInfo, exactly as carried."""

    def signer_certificate(self, others: Sequence[x509.Certificate] = ()
                           ) -> x509.Certificate | None:
        """The certificate the SignerInfo names, among the token's and `others` (never
        found by position: FreeTSA puts its signer second)."""
        return next((c for c in (*self.certificates, *others) if self.signer.matches(c)), None)


def make_request(digest: bytes, nonce: int | None = None) -> tuple[bytes, int]:
    """A DER TimeStampReq for a SHA-256 `digest`, asking for the TSA's certificate, with a
    random 64-bit nonce (or `nonce`); returns the request and its nonce."""
    if len(digest) != 32:
        raise ValueError("a SHA-256 digest is 32 bytes")
    nonce = secrets.randbits(63) | 1 << 62 if nonce is None else nonce
    request = tsp.TimeStampReq({
        "version": "v1",
        "message_imprint": {"hash_algorithm": {"algorithm": "sha256"},
                            "hashed_message": digest},
        "nonce": nonce,
        "cert_req": True,
    })
    return request.dump(), nonce


def read_reply(data: bytes) -> TimestampToken:
    """The token in a TimeStampResp; TokenError when it is not one, not granted, or not a
    signed TSTInfo. Reads; does not verify."""
    if len(data) > MAX_REPLY_BYTES:
        raise TokenError(f"{len(data):,} bytes, far larger than a timestamp reply")
    try:
        reply = tsp.TimeStampResp.load(data, strict=True)
        status = reply["status"]["status"].native
        if status not in _STATUS:
            said = _status_text(reply["status"])
            raise TokenError(f"the authority refused: {status}{said}")
        return _read_token(reply["time_stamp_token"])
    except TokenError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError,
            RecursionError) as exc:
        raise TokenError(f"not an RFC 3161 timestamp reply ({_why(exc)})") from None


def _status_text(status: tsp.PKIStatusInfo) -> str:
    text = status["status_string"]
    if isinstance(text, core.Void) or not text.native:
        return ""
    return " (" + "; ".join(str(part) for part in text.native)[:200] + ")"


def _why(exc: Exception) -> str:
    return str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__


def _read_token(token: cms.ContentInfo) -> TimestampToken:
    if isinstance(token, core.Void) or token["content_type"].dotted != SIGNED_DATA_OID:
        raise TokenError("the reply holds no signed timestamp token")
    signed: cms.SignedData = token["content"]
    encapsulated = signed["encap_content_info"]
    if encapsulated["content_type"].dotted != TST_INFO_OID:
        raise TokenError("the signed content is not a TSTInfo")
    content = encapsulated["content"]
    if not isinstance(content, core.ParsableOctetString):
        raise TokenError("the token carries no TSTInfo")
    raw_info = bytes(content)  # the octets as carried: what messageDigest covers
    info = tsp.TSTInfo.load(raw_info, strict=True)
    signers = list(signed["signer_infos"])
    if len(signers) != 1:
        raise TokenError(f"{len(signers)} signers in the token; a timestamp has exactly one")
    signer = signers[0]
    algorithm = info["message_imprint"]["hash_algorithm"]["algorithm"].native
    return TimestampToken(
        imprint_algorithm=str(algorithm),
        imprint=bytes(info["message_imprint"]["hashed_message"].native),
        gen_time=_utc(info["gen_time"].native),
        serial=int(info["serial_number"].native),
        nonce=info["nonce"].native if not isinstance(info["nonce"], core.Void) else None,
        policy=info["policy"].dotted,
        tsa_name=_general_name(info["tsa"]),
        certificates=_certificates(signed),
        signer=_signer_identity(signer["sid"]),
        digest_algorithm=str(signer["digest_algorithm"]["algorithm"].native),
        signature_algorithm=signer["signature_algorithm"],
        signature=bytes(signer["signature"].native),
        signed_attributes=_signed_attributes_der(signer),
        content_type=_content_type(signer),
        message_digest=_message_digest(signer),
        ess_cert_hashes=_ess_hashes(signer),
        tst_info_der=raw_info,
    )


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _general_name(name: core.Asn1Value) -> str | None:
    if isinstance(name, core.Void) or name.native is None:
        return None
    chosen = name.chosen
    if isinstance(chosen, asn1_x509.Name):
        return str(chosen.human_friendly)[:200]
    return str(chosen.native)[:200]


def _certificates(signed: cms.SignedData) -> tuple[x509.Certificate, ...]:
    found: list[x509.Certificate] = []
    certificates = signed["certificates"]
    if isinstance(certificates, core.Void):
        return ()
    for choice in certificates:
        if choice.name != "certificate":
            continue  # attribute or other certificate formats: not for chains
        try:
            found.append(load_der_certificate(choice.chosen.dump()))
        except ValueError:
            continue  # a certificate cryptography cannot read is no link of a chain
    return tuple(found)


def _signer_identity(sid: cms.SignerIdentifier) -> SignerIdentity:
    if sid.name == "subject_key_identifier":
        return SignerIdentity(None, None, bytes(sid.chosen.native))
    chosen = sid.chosen
    return SignerIdentity(chosen["issuer"].dump(), int(chosen["serial_number"].native), None)


def _signed_attributes_der(signer: cms.SignerInfo) -> bytes:
    attributes = signer["signed_attrs"]
    if isinstance(attributes, core.Void):
        raise TokenError("the token's signer signed no attributes; RFC 3161 requires them")
    # The signature covers the attributes as a SET OF (tag 0x31), not as the [0] IMPLICIT
    # field they are carried in: the same bytes with their first octet changed (RFC 5652 5.4).
    carried: bytes = attributes.dump()
    return b"\x31" + carried[1:]


def _attribute(signer: cms.SignerInfo, name: str) -> core.Asn1Value | None:
    for attribute in signer["signed_attrs"]:
        if attribute["type"].native == name:
            values = attribute["values"]
            if len(values) != 1:
                raise TokenError(f"the signed attribute {name} has {len(values)} values")
            return values[0]
    return None


def _content_type(signer: cms.SignerInfo) -> str | None:
    value = _attribute(signer, "content_type")
    return None if value is None else str(value.dotted)


def _message_digest(signer: cms.SignerInfo) -> bytes | None:
    value = _attribute(signer, "message_digest")
    return None if value is None else bytes(value.native)


_ESS = {"signing_certificate": "sha1", "signing_certificate_v2": None}


def _ess_hashes(signer: cms.SignerInfo) -> tuple[tuple[str, bytes], ...]:
    hashes: list[tuple[str, bytes]] = []
    for attribute in signer["signed_attrs"]:
        kind = attribute["type"].native
        if kind not in _ESS:
            continue
        for value in attribute["values"]:
            for cert_id in value["certs"]:
                algorithm = _ESS[kind] or _ess_v2_algorithm(cert_id)
                hashes.append((algorithm, bytes(cert_id["cert_hash"].native)))
    return tuple(hashes)


def _ess_v2_algorithm(cert_id: core.Asn1Value) -> str:
    algorithm = cert_id["hash_algorithm"]
    return "sha256" if isinstance(algorithm, core.Void) else str(algorithm["algorithm"].native)


def digest_of(algorithm: str, data: bytes) -> bytes | None:
    """`data` hashed with a token's imprint or signer algorithm; None for one archiver does
    not accept as proof (MD5, SHA-1 imprints)."""
    make = _HASHES.get(algorithm)
    return make(data).digest() if make else None


def hasher(algorithm: str) -> hashlib._Hash | None:
    make = _HASHES.get(algorithm)
    return make() if make else None
