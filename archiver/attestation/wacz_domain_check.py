"""A WACZ's domain signature, checked offline as the WACZ signing spec 0.1.0 ("Domain-Name
Identity + Timestamp Validation", steps 3 to 9) and authsign's Verifier lay out:

- `signature` verifies over the bytes of `hash` with the key of the first certificate of
  `domainCert` (step 3), and `domain` is that certificate's name (step 4);
- each certificate of `domainCert` is signed by the next, and each was valid when the
  signer says it signed (`created`);
- `timeSignature` is an RFC 3161 response over the bytes of the `signature` string (its
  message imprint), stamped within 10 minutes of `created` (step 6), and signed by the first
  certificate of `timestampCert`, whose chain holds, with the timeStamping usage, at the time
  of stamping (step 5, checked by rfc3161-client). That last check needs the chain's root:
  a root of the trust list, or the chain's own self-signed top; when `timestampCert` stops
  short of its root and the trust list has none that issued it, the TSA's signature cannot
  be checked, and the timestamp is reported as by an untrusted authority;
- the top of each chain is a root in the trust list, or is issued by one (steps 7 and 8): if
  not, the signature is reported as by an untrusted key, with the top certificate's
  SHA-256;
- `crossSignedCert`, when given, holds the same key and a chain that holds (step 9).

Not checked, as it cannot be offline: whether a certificate was revoked since (the spec
leaves this optional, through Certificate Transparency logs).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from archiver.attestation.keys import PublicKey
from archiver.attestation.trust import TrustList, certificate_fingerprint
from archiver.attestation.wacz_signature_result import (
    TimeSignatureCheck,
    WaczSignatureCheck,
    parse_time,
)
from archiver.attestation.wacz_signed_data import (
    CURVE_NAMES,
    MAX_CHAIN_CERTIFICATES,
    MAX_PEM_CHARS,
    MAX_SIGNATURE_CHARS,
    MAX_TEXT_CHARS,
    MAX_TIME_SIGNATURE_CHARS,
    Unreadable,
    binary_field,
    ecdsa_key,
    said_by_signer,
    signed_message,
    text_field,
    verifies,
)

STAMP_WINDOW = timedelta(minutes=10)
"""How far `created` may lie from the timestamp (the spec's step 6; authsign's
STAMP_DURATION)."""


def check_domain_signature(signed: dict[str, Any], hash_label: str, datapackage_hash: str,
                           trust: TrustList) -> WaczSignatureCheck:
    """The verdict on a domain signature (see the module's docstring); raises Unreadable
    when a field is missing or not what the spec says."""
    chain = certificate_chain(signed, "domainCert")
    key = ecdsa_key(chain[0].public_key(), "domain certificate's key")
    signature_text = text_field(signed, "signature", MAX_SIGNATURE_CHARS)
    signature = binary_field(signed, "signature", MAX_SIGNATURE_CHARS)
    domain = text_field(signed, "domain", MAX_TEXT_CHARS)
    public = PublicKey(key)
    created_said, software = said_by_signer(signed)
    found: dict[str, Any] = {"kind": "domain", "fingerprint": public.fingerprint,
                             "curve": CURVE_NAMES[key.curve.name], "created": created_said,
                             "software": software, "domain": domain}

    def invalid(reason: str, stamp: TimeSignatureCheck | None = None) -> WaczSignatureCheck:
        return WaczSignatureCheck("invalid", **found, timestamp=stamp, reason=reason)

    if hash_label != datapackage_hash:
        return invalid(f"it signs {hash_label[:80]!r}, not this datapackage.json "
                       f"({datapackage_hash})")
    if not verifies(key, signature, signed_message(hash_label)):
        return invalid("the signature does not verify with the domain certificate's key over "
                       "the hash of datapackage.json")
    names = certificate_names(chain[0])
    if domain.lower() not in names:
        return invalid(f"it names the domain {domain[:80]!r}, but its certificate is for "
                       f"{', '.join(sorted(names)) or 'no name'}")
    created = parse_time(created_said)
    if created is None:
        raise Unreadable("signedData's created is not an ISO 8601 time with its zone")
    broken = chain_problem(chain, created, "domainCert")
    if broken:
        return invalid(broken)
    cross = signed.get("crossSignedCert")
    cross_chain = certificate_chain(signed, "crossSignedCert") if cross is not None else []
    if cross_chain:
        if PublicKey(ecdsa_key(cross_chain[0].public_key(), "cross-signed certificate's key")
                     ).fingerprint != public.fingerprint:
            return invalid("crossSignedCert holds another key than domainCert")
        broken = chain_problem(cross_chain, created, "crossSignedCert")
        if broken:
            return invalid(broken)
    stamp = check_time_signature(signed, signature_text, created, trust)
    if not stamp.ok:
        return invalid(stamp.reason or "the timestamp does not hold", stamp)
    trusted = is_trusted(chain, trust) or (bool(cross_chain) and is_trusted(cross_chain, trust))
    if trusted and stamp.root_fingerprint is None:
        return WaczSignatureCheck("valid", **found, timestamp=stamp)
    root = None if trusted else certificate_fingerprint(chain[-1])
    return WaczSignatureCheck("untrusted-key", **found, root_fingerprint=root, timestamp=stamp)


def check_time_signature(signed: dict[str, Any], signature_text: str, created: datetime,
                         trust: TrustList) -> TimeSignatureCheck:
    """timeSignature: an RFC 3161 response over the bytes of the `signature` string."""
    from rfc3161_client import VerificationError, VerifierBuilder, decode_timestamp_response

    token = binary_field(signed, "timeSignature", MAX_TIME_SIGNATURE_CHARS)
    chain = certificate_chain(signed, "timestampCert")
    authority = common_name(chain[0])
    try:
        response = decode_timestamp_response(token)
        stamped_at = response.tst_info.gen_time
    except (ValueError, TypeError) as exc:
        if "InvalidSetOrdering" in str(exc):  # rfc3161-client 1.0.9; see the tests' xfail
            raise Unreadable("timeSignature lists its certificates in chain order, as OpenSSL's "
                             "TSA writes them, not in the order DER asks for, and archiver "
                             "cannot read such a token yet") from None
        raise Unreadable("timeSignature is not an RFC 3161 timestamp response "
                         f"({str(exc)[:120]})") from None
    if stamped_at.tzinfo is None:  # genTime is GeneralizedTime in UTC
        stamped_at = stamped_at.replace(tzinfo=UTC)
    message = signature_text.encode("ascii")
    if response.tst_info.message_imprint.message not in (
            hashlib.sha256(message).digest(), hashlib.sha384(message).digest(),
            hashlib.sha512(message).digest()):
        return TimeSignatureCheck(False, stamped_at, authority, "the timestamp is over other "
                                  "content than this signature")
    anchors = _anchors(chain, trust)
    trusted = bool(anchors)
    if not anchors and _issued_by(chain[-1], chain[-1]):
        anchors = [chain[-1]]  # a root nobody named: its cryptography is checked all the same
    if anchors:
        builder = VerifierBuilder().tsa_certificate(chain[0])
        for certificate in chain[1:]:
            if certificate not in anchors:
                builder = builder.add_intermediate_certificate(certificate)
        for anchor in anchors:
            builder = builder.add_root_certificate(anchor)
        try:
            builder.build().verify_message(response, message)
        except (VerificationError, ValueError) as exc:
            return TimeSignatureCheck(False, stamped_at, authority, "the timestamp does not "
                                      f"hold for this signature: {str(exc)[:200]}")
    if abs(stamped_at - created) > STAMP_WINDOW:
        return TimeSignatureCheck(False, stamped_at, authority, f"it was stamped at "
                                  f"{stamped_at:%Y-%m-%d %H:%M:%S} UTC, more than 10 minutes "
                                  f"from when it says it was signed ({created_text(created)})")
    root = None if trusted else certificate_fingerprint(chain[-1])
    return TimeSignatureCheck(True, stamped_at, authority, root_fingerprint=root,
                              verified=bool(anchors))


def _anchors(chain: list[x509.Certificate], trust: TrustList) -> list[x509.Certificate]:
    """The trusted roots a chain ends at: one of its own certificates, or the issuer of its
    top certificate."""
    found = [root for root in map(trust.root_for, chain) if root is not None]
    return found or [root for root in trust.roots if _issued_by(chain[-1], root)]


def certificate_chain(signed: dict[str, Any], name: str) -> list[x509.Certificate]:
    """signedData's `name`: PEM certificates, the first the signer's; else Unreadable."""
    text = text_field(signed, name, MAX_PEM_CHARS)
    count = text.count("-----BEGIN CERTIFICATE-----")
    if count > MAX_CHAIN_CERTIFICATES:
        raise Unreadable(f"signedData's {name} holds {count:,} certificates, more than a "
                         f"chain has ({MAX_CHAIN_CERTIFICATES})")
    try:
        chain = x509.load_pem_x509_certificates(text.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        chain = []
    if not chain:
        raise Unreadable(f"signedData's {name} is not a PEM certificate chain")
    return chain


def chain_problem(chain: list[x509.Certificate], moment: datetime, name: str) -> str | None:
    """Why the chain does not hold at `moment`, or None: each certificate must be signed by
    the next and valid then."""
    for place, certificate in enumerate(chain, 1):
        if not certificate.not_valid_before_utc <= moment <= certificate.not_valid_after_utc:
            return (f"certificate {place} of {name} ({common_name(certificate)}) was not valid "
                    f"when it says it signed ({created_text(moment)}; valid "
                    f"{certificate.not_valid_before_utc:%Y-%m-%d} to "
                    f"{certificate.not_valid_after_utc:%Y-%m-%d})")
        if place < len(chain) and not _issued_by(certificate, chain[place]):
            return (f"certificate {place} of {name} ({common_name(certificate)}) is not "
                    f"signed by the next one ({common_name(chain[place])})")
    return None


def is_trusted(chain: list[x509.Certificate], trust: TrustList) -> bool:
    """The chain holds a root of the trust list, or its top is issued by one."""
    if any(trust.root_for(certificate) is not None for certificate in chain):
        return True
    return any(_issued_by(chain[-1], root) for root in trust.roots)


def certificate_names(certificate: x509.Certificate) -> set[str]:
    """The DNS names a certificate is for: its subject's common name and its SANs."""
    names = {value.lower() for value in
             (attribute.value for attribute in
              certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME))
             if isinstance(value, str)}
    try:
        extension = certificate.extensions.get_extension_for_class(
            x509.SubjectAlternativeName)
        names.update(name.lower() for name in extension.value.get_values_for_type(x509.DNSName))
    except (x509.ExtensionNotFound, ValueError):
        pass
    return names


def common_name(certificate: x509.Certificate) -> str:
    """How a certificate is named in messages: its subject's common name or organisation."""
    for oid in (NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME):
        for attribute in certificate.subject.get_attributes_for_oid(oid):
            if isinstance(attribute.value, str):
                return attribute.value[:80]
    return "SHA-256 " + certificate.fingerprint(hashes.SHA256()).hex().upper()[:16]


def created_text(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def _issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True

