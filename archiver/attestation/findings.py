"""What verify found about each attestation: the shared vocabulary of signature, timestamp and
custody checks, so one verdict line and one --json shape can say all of it.

Each check returns findings; a finding whose `ok` is False is a problem in the evidence
(exit 1), and its `reason` says exactly what failed, in words a journalist reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

SignatureStatus = Literal["valid", "untrusted-key", "invalid", "unreadable"]
"""valid: the signature verifies over this package's tag manifest with a trusted key;
untrusted-key: it verifies, but the key is not in the trust list;
invalid: it does not verify (content changed since, or a signature over other content);
unreadable: the attestation's files are missing, damaged or not what they claim."""

TimestampStatus = Literal["valid", "untrusted-authority", "wrong-imprint", "invalid",
                          "unreadable"]
"""valid: the token's imprint is the SHA-256 of the file it names, the TSA's signature
verifies, its chain ends at a trusted root and was valid at stamping time with the
timeStamping EKU; untrusted-authority: all of that but the root is not trusted;
wrong-imprint: a token over another digest; invalid: a bad signature, an expired or wrongly
used certificate; unreadable: not a TimeStampResp, or its stamped file is missing."""

CustodyStatus = Literal["valid", "broken", "unreadable"]


@dataclass(frozen=True)
class SignatureFinding:
    path: str
    """The signature file, from the package root."""
    status: SignatureStatus
    fingerprint: str | None
    """The signer's key fingerprint (64 hex digits), when the key could be read."""
    signed_at: datetime | None
    """When the signer says it signed (the signer's own clock, not a proof of time)."""
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "valid"


@dataclass(frozen=True)
class TimestampFinding:
    path: str
    """The .tsr token file, from the package root."""
    stamped_file: str | None
    """The file of the package whose SHA-256 the token carries."""
    status: TimestampStatus
    authority: str | None
    """The TSA, as its certificate names it (subject common name or organisation)."""
    stamped_at: datetime | None
    """genTime from the token: when the TSA says it saw the digest."""
    root_fingerprint: str | None = None
    """SHA-256 of the chain's root certificate, named when it is not trusted."""
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "valid"


@dataclass(frozen=True)
class CustodyFinding:
    status: CustodyStatus
    entries: int
    """How many entries the log holds."""
    broken_at: str | None = None
    """The first entry whose link, signature or content fails."""
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "valid"
