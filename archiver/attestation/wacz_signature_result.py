"""What checking a WACZ signature found (wacz_signature_check.py, wacz_domain_check.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from archiver.attestation.findings import SignatureFinding, SignatureStatus

SignatureKind = Literal["anonymous", "domain"]
DIGEST_FILE = "datapackage-digest.json"


@dataclass(frozen=True)
class TimeSignatureCheck:
    """What was found of a timeSignature: an RFC 3161 timestamp of the signature."""

    ok: bool
    stamped_at: datetime | None
    authority: str | None
    reason: str | None = None
    root_fingerprint: str | None = None
    """SHA-256 of the certificate the TSA's chain ends at, when the trust list lacks its
    root (the TSA's signature and the chain as far as it goes are checked all the same)."""


@dataclass(frozen=True)
class WaczSignatureCheck:
    """The verdict on one WACZ signature.

    `status`: valid (it verifies, by a key or a certificate chain the trust list names),
    untrusted-key (it verifies, by a key or chain the trust list does not name), invalid
    (it does not verify, or signs other content), unreadable (not what the spec says).
    """

    status: SignatureStatus
    kind: SignatureKind | None
    fingerprint: str | None
    """SHA-256 of the signer's SubjectPublicKeyInfo (DER), upper-case hex."""
    curve: str | None
    created: str | None
    """When the signer says it signed: its own word, which the signature does not cover."""
    software: str | None
    domain: str | None = None
    root_fingerprint: str | None = None
    """SHA-256 of the top certificate of a domain chain the trust list does not name."""
    timestamp: TimeSignatureCheck | None = None
    reason: str | None = None

    @property
    def verifies(self) -> bool:
        """The signature holds over this WACZ's datapackage.json (trusted or not)."""
        return self.status in ("valid", "untrusted-key")

    def finding(self) -> SignatureFinding:
        """The same verdict in the shared vocabulary of attestation checks (findings.py)."""
        return SignatureFinding(DIGEST_FILE, self.status, self.fingerprint,
                                parse_time(self.created), self.reason)


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 time with its zone, from signedData, or None when it is not one.

    >>> parse_time("2026-12-06T10:41:00Z").isoformat(), parse_time("yesterday")
    ('2026-12-06T10:41:00+00:00', None)
    """
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
