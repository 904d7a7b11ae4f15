"""Attest a package the moment it is sealed: its custody log's first entry ("created") and,
when a key is given, its signature (with a "signed" entry).

Called by the package builder inside the hidden staging directory, after the bag's tag
manifest is written and before the rename: the package appears at its path already signed,
or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from archiver.attestation.custody import append_entry
from archiver.attestation.sealed_bag import read_tag_manifest

if TYPE_CHECKING:
    # Only a package that is signed needs the cryptography library: an unsigned capture does
    # not load it (some 8 MB and 40 ms).
    from archiver.attestation.keys import SigningKey
    from archiver.attestation.signature import SignResult


@dataclass(frozen=True)
class Signer:
    """Who seals a new package: an optional key to sign it with, and the names recorded in
    its custody log (nothing secret: a passphrase is never kept)."""

    key: SigningKey | None = None
    operator: str | None = None
    organisation: str | None = None


def attest_new_package(package: Path, package_id: str, signer: Signer) -> SignResult | None:
    """The custody log's "created" entry, then the signature when `signer` has a key."""
    tag = read_tag_manifest(package)
    append_entry(package, "created", details={"package_id": package_id,
                                              "tag_manifest_sha256": tag.sha256},
                 key=signer.key, operator=signer.operator, organisation=signer.organisation)
    if signer.key is None:
        return None
    from archiver.attestation.signature import sign_sealed_package

    return sign_sealed_package(package, signer.key, operator=signer.operator,
                        organisation=signer.organisation)
