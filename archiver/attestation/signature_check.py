"""Check a package's signatures: each verifies over the tag manifest as it is now, with the key
its files name, and that key is in the user's trust list.

Everything here is read from the package, so hostile: each file is read only if it is a
regular file within a small bound, and a file that is not what it claims is named with why.
"""

from __future__ import annotations

import os
import stat
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from archiver.attestation.documents import (
    MAX_DOCUMENT_BYTES,
    Unreadable,
    load_document,
    read_bytes,
)
from archiver.attestation.ecdsa import MAX_SIGNATURE_BYTES, signs
from archiver.attestation.findings import SignatureFinding
from archiver.attestation.keys import PublicKey
from archiver.attestation.layout import ATTESTATIONS_DIR, SIGNATURE_FILE
from archiver.attestation.sealed_bag import TagManifest
from archiver.attestation.trust import TrustList
from archiver.package_layout import TAG_MANIFEST

_MAX_PEM_BYTES = 16 * 1024


def signature_stems(package: Path) -> list[str]:
    """The FP16 of every signer with any file in attestations/, sorted."""
    folder = package / ATTESTATIONS_DIR
    try:
        if not stat.S_ISDIR(os.lstat(folder).st_mode):
            return []
        names = os.listdir(folder)
    except OSError:
        return []
    return sorted({match[1] for name in names if (match := SIGNATURE_FILE.fullmatch(name))})


def check_signatures(package: Path, trust: TrustList,
                     tag: TagManifest | None) -> list[SignatureFinding]:
    """A finding for every signature in the package (none when it is not signed). `tag` is
    the tag manifest as read now (None when the package has none: nothing can verify)."""
    return [check_signature(package, stem, trust, tag) for stem in signature_stems(package)]


def check_signature(package: Path, stem: str, trust: TrustList,
                    tag: TagManifest | None) -> SignatureFinding:
    base = f"{ATTESTATIONS_DIR}/signature-{stem}"
    path = f"{base}.sig"
    try:
        public = _public_key(package, f"{base}.pub.pem", stem)
        signature = read_bytes(package / path, path, MAX_SIGNATURE_BYTES)
        record = _record(package, f"{base}.json")
    except Unreadable as unreadable:
        return SignatureFinding(path, "unreadable", None, None, unreadable.reason)
    except OSError as exc:
        return SignatureFinding(path, "unreadable", None, None,
                                f"{path}: {exc.strerror or type(exc).__name__}")
    fingerprint = public.fingerprint
    signed_at = _moment(record["signed_at"]) if record is not None else None
    if record is not None and (record["key_fingerprint"] != fingerprint
                               or record["signature_file"] != path):
        return SignatureFinding(path, "unreadable", fingerprint, signed_at,
                                f"{base}.json describes another signature (key "
                                f"{_short(record['key_fingerprint'])}, file "
                                f"{record['signature_file']})")
    if tag is None:
        return SignatureFinding(path, "invalid", fingerprint, signed_at,
                                f"the package has no {TAG_MANIFEST} for the signature to cover")
    if not signs(public, signature, tag.data):
        return SignatureFinding(path, "invalid", fingerprint, signed_at,
                                _why_invalid(record, tag, public))
    if not trust.trusts_key(public):
        return SignatureFinding(path, "untrusted-key", fingerprint, signed_at,
                                f"signed by key {public.short_fingerprint} … which is not in "
                                f"your trust list (if it is the signer's key, give --trust "
                                f"{package / base}.pub.pem)")
    return SignatureFinding(path, "valid", fingerprint, signed_at)


def _record(package: Path, relative: str) -> dict[str, Any] | None:
    """The signature's record, or None when there is none: the .sig and the key are the
    proof (what OpenSSL checks); the record only says when and by whom, so a signature made
    by another tool without one still verifies. A record that is there must be valid."""
    if not os.path.lexists(package / relative):
        return None
    return load_document(read_bytes(package / relative, relative, MAX_DOCUMENT_BYTES),
                         relative, "signature")


def _public_key(package: Path, relative: str, stem: str) -> PublicKey:
    data = read_bytes(package / relative, relative, _MAX_PEM_BYTES)
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise Unreadable(f"{relative}: not a PEM public key, or damaged") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve,
                                                                         ec.SECP256R1):
        raise Unreadable(f"{relative}: not an ECDSA P-256 public key")
    public = PublicKey(key)
    if public.fingerprint[:16] != stem:
        raise Unreadable(f"{relative}: holds key {public.short_fingerprint} …, not the key "
                         f"{_short(stem)} … its name says (the key file was swapped)")
    return public


def _why_invalid(record: dict[str, Any] | None, tag: TagManifest, public: PublicKey) -> str:
    who = f"key {public.short_fingerprint} …"
    if record is not None and record["signed_sha256"] != tag.sha256:
        return (f"the package changed after it was signed by {who}: {TAG_MANIFEST} had "
                f"SHA-256 {record['signed_sha256']} then and has {tag.sha256} now")
    return (f"the signature by {who} does not verify over this package's {TAG_MANIFEST}: it "
            "was made over other content, or the package or the signature was changed since")


def _short(fingerprint: str) -> str:
    head = fingerprint[:16]
    return " ".join(head[i:i + 4] for i in range(0, len(head), 4))


def _moment(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
