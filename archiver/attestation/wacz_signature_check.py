"""Check the `signedData` of a WACZ's datapackage-digest.json, offline: an anonymous ECDSA
signature (ArchiveWeb.page's kind, and archiver's), with the RFC 3161 timestamp an open
proposal adds to it when there is one, or a domain signature with its timestamp (authsign's
kind, which Browsertrix and py-wacz's `--signing-url` use).

The document comes from a WACZ made by anyone: every field is measured before it is decoded,
and every decoding failure is a reason, never an exception. wacz_signed_data.py says what
exactly is signed and how each field is encoded.
"""

from __future__ import annotations

from typing import Any

from archiver.attestation.findings import SignatureStatus
from archiver.attestation.keys import PublicKey
from archiver.attestation.trust import TrustList
from archiver.attestation.wacz_domain_check import check_domain_signature, check_time_signature
from archiver.attestation.wacz_signature_result import (
    SignatureKind,
    TimeSignatureCheck,
    WaczSignatureCheck,
    parse_time,
)
from archiver.attestation.wacz_signed_data import (
    CURVE_NAMES,
    MAX_SIGNATURE_CHARS,
    MAX_TEXT_CHARS,
    Unreadable,
    binary_field,
    public_key_field,
    said_by_signer,
    signed_message,
    text_field,
    verifies,
)


def check_signed_data(signed: object, datapackage_hash: str,
                      trust: TrustList | None = None) -> WaczSignatureCheck:
    """Check `signed` (signedData, as parsed from the JSON) against `datapackage_hash`: the
    `hash` of datapackage-digest.json, found to be that of datapackage.json."""
    trust = trust or TrustList()
    if not isinstance(signed, dict):
        return WaczSignatureCheck("unreadable", None, None, None, None, None,
                                  reason="signedData is not a JSON object")
    # As wabac.js tells them apart: a publicKey makes it anonymous.
    kind: SignatureKind = ("domain" if signed.get("publicKey") is None
                           and signed.get("domainCert") is not None else "anonymous")
    try:
        hash_label = text_field(signed, "hash", MAX_TEXT_CHARS)
        if kind == "domain":
            return check_domain_signature(signed, hash_label, datapackage_hash, trust)
        return _check_anonymous(signed, hash_label, datapackage_hash, trust)
    except Unreadable as reason:
        return WaczSignatureCheck("unreadable", kind, None, None, *said_by_signer(signed),
                                  reason=str(reason))


def _check_anonymous(signed: dict[str, Any], hash_label: str, datapackage_hash: str,
                     trust: TrustList) -> WaczSignatureCheck:
    key = public_key_field(signed)
    signature = binary_field(signed, "signature", MAX_SIGNATURE_CHARS)
    public = PublicKey(key)
    created, software = said_by_signer(signed)
    found: dict[str, Any] = {"kind": "anonymous", "fingerprint": public.fingerprint,
                             "curve": CURVE_NAMES[key.curve.name], "created": created,
                             "software": software}
    if hash_label != datapackage_hash:
        return WaczSignatureCheck("invalid", **found, reason=f"it signs {short(hash_label)}, "
                                  f"not this datapackage.json ({datapackage_hash})")
    if not verifies(key, signature, signed_message(hash_label)):
        return WaczSignatureCheck("invalid", **found, reason="the signature does not verify "
                                  "with its publicKey over the hash of datapackage.json")
    stamp = _timestamp(signed, trust)
    if stamp is not None and not stamp.ok:
        return WaczSignatureCheck("invalid", **found, timestamp=stamp, reason=stamp.reason)
    status: SignatureStatus = "valid" if trust.trusts_key(public) else "untrusted-key"
    if stamp is not None and stamp.root_fingerprint is not None:
        status = "untrusted-key"
    return WaczSignatureCheck(status, **found, timestamp=stamp)


def _timestamp(signed: dict[str, Any], trust: TrustList) -> TimeSignatureCheck | None:
    """The timestamp of an anonymous signature, as the open proposal (webrecorder/specs
    issue 142) adds it: timeSignature and timestampCert shaped as a domain signature's."""
    if signed.get("timeSignature") is None and signed.get("timestampCert") is None:
        return None
    created = parse_time(said_by_signer(signed)[0])
    if created is None:
        raise Unreadable("signedData's created is not an ISO 8601 time with its zone, so its "
                         "timestamp cannot be compared with it")
    signature_text = text_field(signed, "signature", MAX_SIGNATURE_CHARS)
    return check_time_signature(signed, signature_text, created, trust)


def short(value: str) -> str:
    """A string from a hostile document, cut to fit in a message."""
    return repr(value[:80] + ("…" if len(value) > 80 else ""))
