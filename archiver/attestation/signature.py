"""Sign a sealed package: ECDSA P-256 with SHA-256 over the bytes of tagmanifest-sha256.txt.

The signature covers the tag manifest's SHA-256, which covers manifest.json, bag-info.txt,
bagit.txt and manifest-sha256.txt, which covers every payload byte. It is written beside the
bag as three new files (see layout.py), never touching a file of the bag:

    attestations/signature-<FP16>.pub.pem   the signer's public key
    attestations/signature-<FP16>.json      what was signed, when, by whom (signature schema)
    attestations/signature-<FP16>.sig       the signature, DER: written last, so a package is
                                            signed only once its signature is whole

so that anyone can check it with OpenSSL alone:

    openssl dgst -sha256 -verify attestations/signature-<FP16>.pub.pem \\
        -signature attestations/signature-<FP16>.sig tagmanifest-sha256.txt
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archiver import __version__
from archiver.attestation.custody import append_entry
from archiver.attestation.documents import Unreadable, dump_document, read_bytes
from archiver.attestation.ecdsa import ALGORITHM, MAX_SIGNATURE_BYTES, sign_bytes, signs
from archiver.attestation.keys import PublicKey, SigningKey
from archiver.attestation.layout import ATTESTATIONS_DIR, signature_stem
from archiver.attestation.new_files import NameTaken, make_directory, write_new_file
from archiver.attestation.sealed_bag import TagManifest, sealed_tag_manifest
from archiver.errors import EnvironmentFault, EvidenceError
from archiver.package_layout import TAG_MANIFEST
from archiver.timestamps import utc_iso

SIGNATURE_FORMAT = "archiver-signature/1"


@dataclass(frozen=True)
class SignatureFiles:
    """Where a signer's three files sit in a package, from its root."""

    signature: str
    public_key: str
    record: str

    @classmethod
    def for_key(cls, fingerprint: str) -> SignatureFiles:
        stem = signature_stem(fingerprint)
        return cls(f"{stem}.sig", f"{stem}.pub.pem", f"{stem}.json")


@dataclass(frozen=True)
class SignResult:
    """What `sign_sealed_package` did: the signature's files, and whether it was there already."""

    package: Path
    fingerprint: str
    files: SignatureFiles
    tag_manifest_sha256: str
    already_signed: bool
    custody_entry: str | None = None

    @property
    def short_fingerprint(self) -> str:
        head = self.fingerprint[:16]
        return " ".join(head[i:i + 4] for i in range(0, 16, 4))

    def to_dict(self) -> dict[str, Any]:
        return {"package": str(self.package), "key_fingerprint": self.fingerprint,
                "signature": self.files.signature, "public_key": self.files.public_key,
                "record": self.files.record, "tag_manifest_sha256": self.tag_manifest_sha256,
                "already_signed": self.already_signed, "custody_entry": self.custody_entry}


class SignatureConflict(EvidenceError):
    """A signature by this key is in the package already and does not verify over it: the
    package changed since it was signed, or the files are damaged (exit 1)."""


def sign_sealed_package(package: Path, key: SigningKey, *, operator: str | None = None,
                 organisation: str | None = None) -> SignResult:
    """Sign the sealed package at `package` with `key`, and add a "signed" custody entry.

    A package whose tag manifest does not match its files is refused (NotSealed, exit 1).
    Signing again with the same key writes nothing (`already_signed`). Raises
    SignatureConflict when a signature by this key is there but no longer verifies, and
    EnvironmentFault when the package cannot be written (nothing is left half-written: the
    .sig, which makes the package signed, is written last)."""
    tag = sealed_tag_manifest(package)
    public = key.public
    files = SignatureFiles.for_key(public.fingerprint)
    if _existing_signature(package, files, public, tag):
        return SignResult(package, public.fingerprint, files, tag.sha256, already_signed=True)
    make_directory(package, ATTESTATIONS_DIR)
    record = {
        "format": SIGNATURE_FORMAT,
        "signed_file": TAG_MANIFEST,
        "signed_sha256": tag.sha256,
        "algorithm": ALGORITHM,
        "signature_file": files.signature,
        "public_key_file": files.public_key,
        "key_fingerprint": public.fingerprint,
        "signed_at": utc_iso(),
        "software": f"archiver/{__version__}",
        "operator": operator,
        "organisation": organisation,
    }
    signature = sign_bytes(key, tag.data)
    written: list[Path] = []
    try:
        for relative, data in ((files.public_key, public.pem.encode()),
                               (files.record, dump_document(record)),
                               (files.signature, signature)):
            write_new_file(package / relative, data)
            written.append(package / relative)
    except NameTaken as taken:
        _remove(written)
        raise SignatureConflict(f"{taken}: already exists; another signing by the same key "
                                "is under way, or its earlier files were left behind") from None
    except EnvironmentFault:
        _remove(written)
        raise
    entry = append_entry(package, "signed", details={
        "tag_manifest_sha256": tag.sha256, "signature_file": files.signature},
        key=key, operator=operator, organisation=organisation)
    return SignResult(package, public.fingerprint, files, tag.sha256, already_signed=False,
                      custody_entry=entry)


def _existing_signature(package: Path, files: SignatureFiles, public: PublicKey,
                        tag: TagManifest) -> bool:
    """True when this key's signature is there and verifies over `tag`; False when none of
    its files is there. Anything else is a conflict, for a person to look at."""
    present = [name for name in (files.signature, files.public_key, files.record)
               if os.path.lexists(package / name)]
    if not present:
        return False
    try:
        signature = read_bytes(package / files.signature, files.signature, MAX_SIGNATURE_BYTES)
    except (Unreadable, OSError):
        signature = b""
    if signature and signs(public, signature, tag.data):
        return True
    raise SignatureConflict(
        f"{package / present[0]}: a signature by this key is already in the package but "
        f"does not verify over its {TAG_MANIFEST}; run `archiver verify {package}` to see why")


def _remove(paths: list[Path]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()
