"""A WACZ's domain signature, checked offline as the WACZ signing spec 0.1.0 ("Domain-Name
Identity + Timestamp Validation", steps 3 to 9) and authsign's Verifier lay out:

- `signature` verifies over the bytes of `hash` with the key of the first certificate of
  `domainCert` (step 3), and `domain` is that certificate's name (step 4);
- each certificate of `domainCert` is signed by the next, and each was valid when the
  signer says it signed (`created`);
- `timeSignature` is an RFC 3161 response over the bytes of the `signature` string (its
  message imprint), stamped within 10 minutes of `created` (step 6), and signed by the first
  certificate of `timestampCert`, whose chain holds, with the timeStamping usage, at the time
  of stamping (step 5): judged by token_check.check_token, the one verification a package's
  own tokens get, through the token's certificates and `timestampCert` in any order;
- the top of each chain is a root in the trust list, or is issued by one (steps 7 and 8),
  walked as certificate_chain.walk_chain walks a TSA's: if not, the signature is reported
  as by an untrusted key, with the SHA-256 of the certificate the chain ends at;
- `crossSignedCert`, when given, holds the same key and a chain that holds (step 9).

Not checked, as it cannot be offline: whether a certificate was revoked since (the spec
leaves this optional, through Certificate Transparency logs).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID

from archiver.attestation.certificate_chain import (
    Chain,
    ChainBroken,
    certificate_name,
    is_ca,
    issued_by,
    validity_problem,
    walk_chain,
)
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
from archiver.certificates import load_pem_certificates

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
    try:
        walked = trusted_chain(chain, trust, created, "domainCert")
        crossed = trusted_chain(cross_chain, trust, created, "crossSignedCert") \
            if cross_chain else None
    except ChainBroken as broken:
        return invalid(str(broken), stamp)
    trusted = walked.trusted or (crossed is not None and crossed.trusted)
    if trusted and stamp.root_fingerprint is None:
        return WaczSignatureCheck("valid", **found, timestamp=stamp)
    root = None if trusted else certificate_fingerprint(walked.top)
    return WaczSignatureCheck("untrusted-key", **found, root_fingerprint=root, timestamp=stamp)


def check_time_signature(signed: dict[str, Any], signature_text: str, created: datetime,
                         trust: TrustList) -> TimeSignatureCheck:
    """timeSignature: an RFC 3161 response over the bytes of the `signature` string, signed
    by the first certificate of timestampCert, judged as a package's tokens are
    (token_check.check_token: any certificate order, the chain at genTime, the trust list),
    and stamped within STAMP_WINDOW of `created`."""
    # Loaded here, only for a WACZ with a timestamp: the ASN.1 reader costs a plain verify
    # memory it does not need.
    from archiver.attestation.token_check import Imprint, check_token

    token = binary_field(signed, "timeSignature", MAX_TIME_SIGNATURE_CHARS)
    chain = certificate_chain(signed, "timestampCert")
    message = signature_text.encode("ascii")
    verdict = check_token(token, lambda algorithm: Imprint.of_bytes(message, algorithm,
                                                                    "the signature"),
                          trust, certificates=chain, name="timeSignature")
    if verdict.status == "unreadable" or verdict.stamped_at is None:  # None: never read
        detail = (verdict.reason or "").removeprefix("timeSignature: ")
        raise Unreadable(f"timeSignature is not an RFC 3161 timestamp archiver can read "
                         f"({detail})")
    stamped_at = verdict.stamped_at
    authority = verdict.authority or certificate_name(chain[0])
    if verdict.status == "wrong-imprint":
        return TimeSignatureCheck(False, stamped_at, authority, "the timestamp is over other "
                                  "content than this signature")
    if verdict.status == "invalid":
        return TimeSignatureCheck(False, stamped_at, authority, "the timestamp does not "
                                  f"hold for this signature: {verdict.reason}")
    if verdict.signer is not None and verdict.signer != chain[0]:
        return TimeSignatureCheck(False, stamped_at, authority, "the timestamp is signed by "
                                  f"{authority!r}, not by the first certificate of "
                                  f"timestampCert ({certificate_name(chain[0])})")
    if abs(stamped_at - created) > STAMP_WINDOW:
        return TimeSignatureCheck(False, stamped_at, authority, f"it was stamped at "
                                  f"{stamped_at:%Y-%m-%d %H:%M:%S} UTC, more than 10 minutes "
                                  f"from when it says it was signed ({created_text(created)})")
    return TimeSignatureCheck(True, stamped_at, authority,
                              root_fingerprint=verdict.root_fingerprint)


def certificate_chain(signed: dict[str, Any], name: str) -> list[x509.Certificate]:
    """signedData's `name`: PEM certificates, the first the signer's; else Unreadable."""
    text = text_field(signed, name, MAX_PEM_CHARS)
    count = text.count("-----BEGIN CERTIFICATE-----")
    if count > MAX_CHAIN_CERTIFICATES:
        raise Unreadable(f"signedData's {name} holds {count:,} certificates, more than a "
                         f"chain has ({MAX_CHAIN_CERTIFICATES})")
    try:
        chain = load_pem_certificates(text.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        chain = []
    if not chain:
        raise Unreadable(f"signedData's {name} is not a PEM certificate chain")
    return chain


def chain_problem(chain: list[x509.Certificate], moment: datetime, name: str) -> str | None:
    """Why the chain does not hold at `moment`, or None: each certificate must be valid then
    and signed by the next (the spec's order), which must be a certificate authority."""
    for place, certificate in enumerate(chain, 1):
        what = f"certificate {place} of {name} ({certificate_name(certificate, 80)})"
        problem = validity_problem(certificate, moment, what, "when it says it signed")
        if problem:
            return problem
        if place < len(chain):
            issuer = chain[place]
            if not issued_by(certificate, issuer):
                return (f"{what} is not signed by the next one "
                        f"({certificate_name(issuer, 80)})")
            if not is_ca(issuer):
                return (f"certificate {place + 1} of {name} ({certificate_name(issuer, 80)}) "
                        "signed the one before it but is not a certificate authority")
    return None


def trusted_chain(chain: list[x509.Certificate], trust: TrustList, moment: datetime,
                  name: str) -> Chain:
    """The chain from `chain`'s first certificate to a root, as a TSA's is walked
    (certificate_chain.walk_chain, through `chain` and the trust list's roots); raises
    ChainBroken when a root the walk reaches was not valid at `moment`."""
    return walk_chain(chain[0], chain[1:], trust, moment, when="when it says it signed",
                      naming=lambda depth, certificate: f"certificate {depth + 1} of {name}'s "
                      f"chain ({certificate_name(certificate, 80)})")


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


def created_text(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"
