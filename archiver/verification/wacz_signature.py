"""A WACZ's signature (`signedData` in datapackage-digest.json), as verify reports it: a
signature that does not hold, or cannot be read, is a problem (exit 1); one that holds is a
note saying by whom, and whether the trust list names the signer.

A signature by a key (or a certificate chain) the trust list does not name proves only that
nothing changed since its holder signed: anyone can make a key. Such a signature is a note
naming the key's fingerprint, since an anonymous signature is, by the spec's design, by a
key nobody vouches for. Once the user names whose signatures they trust (`trust` holds a
signer's public key), a signature by anyone else is a problem, `wacz-signature-untrusted`.
(Roots alone name no signer: a newsroom trusts its TSA's root to check timestamps, and a
WACZ someone else signed is no fault of that.)
A domain signature's timestamp by an authority whose root the trust list does not hold is
that problem too, whatever the trust list holds: as for a package's tokens (issue 13), a
timestamp by an untrusted authority proves no time.
"""

from __future__ import annotations

from typing import Any

from archiver.attestation.trust import TrustList
from archiver.attestation.wacz_signature_check import check_signed_data
from archiver.attestation.wacz_signature_result import WaczSignatureCheck
from archiver.verification.problems import Note, Problem
from archiver.wacz_layout import DATAPACKAGE_DIGEST


def signature_findings(document: dict[str, Any], trust: TrustList | None = None
                       ) -> tuple[list[Problem], list[Note]]:
    """What verify says of the signature in datapackage-digest.json `document`, whose
    `hash` was found to be datapackage.json's: nothing when it has no signedData."""
    if "signedData" not in document:
        return [], []
    check = check_signed_data(document["signedData"], str(document.get("hash")), trust)
    if check.status == "unreadable":
        return [Problem("wacz-signature-unreadable", DATAPACKAGE_DIGEST, "its signature "
                        f"cannot be checked: {check.reason}")], []
    if check.status == "invalid":
        by = f" (signedData names the key {check.fingerprint})" if check.fingerprint else ""
        return [Problem("wacz-signature-invalid", DATAPACKAGE_DIGEST, "its signature is "
                        f"invalid: {check.reason}{by}")], []
    said = describe(check)
    if check.status == "valid":
        return [], [Note("wacz-signed", DATAPACKAGE_DIGEST, f"{said}; the trust list names "
                         "the signer")]
    stamp = check.timestamp
    if stamp is not None and stamp.root_fingerprint is not None:
        # As for a package's tokens: a timestamp by an untrusted authority proves no time.
        return [Problem("wacz-signature-untrusted", DATAPACKAGE_DIGEST, f"{said}; the "
                        "timestamp is by an untrusted authority: its chain ends at a root the "
                        "trust list does not name", found=stamp.root_fingerprint)], []
    unnamed = _unnamed(check)
    if trust is not None and trust.signers:
        return [Problem("wacz-signature-untrusted", DATAPACKAGE_DIGEST, f"{said}; {unnamed}",
                        found=check.root_fingerprint or check.fingerprint)], []
    return [], [Note("wacz-signed", DATAPACKAGE_DIGEST, f"{said}; {unnamed}, so it proves "
                     "only that datapackage.json and every file it lists are unchanged since "
                     "the holder of that key signed")]


def describe(check: WaczSignatureCheck) -> str:
    """Who signed and how, in one clause."""
    key = f"key {check.fingerprint}"
    if check.kind == "domain":
        said = (f"signed for the domain {check.domain!r} by the {check.curve} {key} of its "
                "certificate (a domain signature, WACZ signing spec 0.1.0)")
        if check.timestamp is not None and check.timestamp.stamped_at is not None:
            said += (f", timestamped by {check.timestamp.authority!r} at "
                     f"{check.timestamp.stamped_at:%Y-%m-%d %H:%M:%S} UTC")
        said += "; revocation of its certificates is not checked (that needs the network)"
    else:
        said = (f"signed by the {check.curve} {key} (an anonymous signature, WACZ signing "
                "spec 0.1.0)")
        if check.timestamp is not None and check.timestamp.stamped_at is not None:
            said += (f", timestamped by {check.timestamp.authority!r} at "
                     f"{check.timestamp.stamped_at:%Y-%m-%d %H:%M:%S} UTC")
    if check.created:
        said += f"; it says it signed at {check.created}"
    if check.software:
        said += f" with {check.software!r}"
    return said


def _unnamed(check: WaczSignatureCheck) -> str:
    if check.kind == "domain":
        return ("its certificate chain ends at a root the trust list does not name "
                f"(SHA-256 {check.root_fingerprint})")
    return "the trust list does not name that key"

