"""Check a package's custody log: every entry is there (000001 on, no gap), each names the
SHA-256 of the one before it, each signed entry's signature verifies with the key it names,
and an entry about the seal (created, signed) names the tag manifest the package has now.

The first break found is named: which entry, and why.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import os
import stat
from pathlib import Path
from typing import Any

from archiver.attestation.documents import (
    MAX_DOCUMENT_BYTES,
    Unreadable,
    load_document,
    read_bytes,
)
from archiver.attestation.findings import CustodyFinding, CustodyStatus
from archiver.attestation.layout import CUSTODY_DIR, CUSTODY_FILE, custody_entry
from archiver.attestation.sealed_bag import TagManifest

MAX_ENTRIES = 100_000
"""A log this long is not one archiver wrote (an entry per action on a package)."""
SEAL_EVENTS = ("created", "signed")
"""Events whose details name the tag manifest's SHA-256: a sealed bag never changes, so it
must be the one the package has now."""


class _Break(Exception):
    def __init__(self, entry: str, reason: str) -> None:
        super().__init__(reason)
        self.entry = entry
        self.reason = reason


def check_custody(package: Path, tag: TagManifest | None) -> list[CustodyFinding]:
    """One finding for the package's custody log; none when the package has no log."""
    folder = package / CUSTODY_DIR
    try:
        if not stat.S_ISDIR(os.lstat(folder).st_mode):
            return [CustodyFinding("unreadable", 0, CUSTODY_DIR,
                                   f"{CUSTODY_DIR} is not a folder")]
        with os.scandir(folder) as listing:  # bounded: a hostile folder may hold millions
            names = [entry.name for entry in itertools.islice(listing, 2 * MAX_ENTRIES + 1)]
    except FileNotFoundError:
        return []
    except OSError as exc:
        return [CustodyFinding("unreadable", 0, CUSTODY_DIR,
                               f"{CUSTODY_DIR}: {exc.strerror or type(exc).__name__}")]
    numbered = {int(match[1]) for name in names if (match := CUSTODY_FILE.fullmatch(name))}
    entries = {int(match[1]) for name in names
               if (match := CUSTODY_FILE.fullmatch(name)) and match[2] == "json"}
    if len(numbered) > MAX_ENTRIES or len(names) > 2 * MAX_ENTRIES:
        return [CustodyFinding("unreadable", len(entries), CUSTODY_DIR,
                               f"more than {MAX_ENTRIES:,} entries; not a log archiver wrote")]
    try:
        _check_chain(package, sorted(numbered), entries, tag)
    except _Break as broken:
        status: CustodyStatus = ("unreadable" if broken.reason.startswith("unreadable: ")
                                 else "broken")
        return [CustodyFinding(status, len(entries), broken.entry,
                               broken.reason.removeprefix("unreadable: "))]
    return [CustodyFinding("valid", len(entries))]


def _check_chain(package: Path, numbers: list[int], entries: set[int],
                 tag: TagManifest | None) -> None:
    previous: str | None = None
    for expected, number in enumerate(numbers, 1):
        if number != expected:
            raise _Break(custody_entry(expected), f"entry {expected:06d} is missing: the log "
                         f"goes on at entry {number:06d}, so an entry was removed")
        relative = custody_entry(number)
        if number not in entries:
            raise _Break(relative, f"entry {number:06d} is missing; only its signature is there")
        data = _read(package, relative, MAX_DOCUMENT_BYTES)
        try:
            entry = load_document(data, relative, "custody-entry")
        except Unreadable as unreadable:
            raise _Break(relative, f"unreadable: {unreadable.reason}") from None
        _check_entry(package, relative, number, entry, data, previous, tag)
        previous = hashlib.sha256(data).hexdigest()


def _check_entry(package: Path, relative: str, number: int, entry: dict[str, Any],
                 data: bytes, previous: str | None, tag: TagManifest | None) -> None:
    if entry["sequence"] != number:
        raise _Break(relative, f"entry {number:06d} says it is entry {entry['sequence']:06d}: "
                               "entries were renumbered")
    if entry["previous_sha256"] != previous:
        said = entry["previous_sha256"] or "no previous entry"
        raise _Break(relative, f"entry {number:06d} names {said} as the entry before it, but "
                               f"that entry's SHA-256 is {previous or 'nothing (it is first)'}"
                               ": an entry before it was changed or replaced")
    _check_signature(package, relative, number, entry, data)
    sealed = entry["details"].get("tag_manifest_sha256")
    if entry["event"] in SEAL_EVENTS and tag is not None and sealed is not None \
            and sealed != tag.sha256:
        raise _Break(relative, f"entry {number:06d} ({entry['event']}) was written for a "
                               f"tag manifest with SHA-256 {sealed}; the package's is "
                               f"{tag.sha256} now: the bag was changed after it was sealed")


def _check_signature(package: Path, relative: str, number: int, entry: dict[str, Any],
                     data: bytes) -> None:
    signature_path = relative.removesuffix(".json") + ".sig"
    fingerprint = entry["by"]["key_fingerprint"]
    there = os.path.lexists(package / signature_path)
    if fingerprint is None:
        if there:
            raise _Break(relative, f"entry {number:06d} names no key, yet a signature lies "
                                   "beside it")
        return
    if not there:
        raise _Break(relative, f"entry {number:06d} names key {fingerprint[:16]} but its "
                               "signature is missing")
    # Here only: an unsigned log is checked without loading the cryptography at all.
    from archiver.attestation.ecdsa import MAX_SIGNATURE_BYTES, signs
    from archiver.attestation.keys import public_key_from_der

    try:
        der = base64.b64decode(entry["by"]["public_key"] or "", validate=True)
    except (binascii.Error, ValueError):
        der = b""
    public = public_key_from_der(der)
    if public is None or public.fingerprint != fingerprint:
        raise _Break(relative, f"entry {number:06d}: its public key is missing, damaged or not "
                               f"the key {fingerprint[:16]} it names")
    signature = _read(package, signature_path, MAX_SIGNATURE_BYTES)
    if not signs(public, signature, data):
        raise _Break(relative, f"entry {number:06d}: its signature does not verify: the entry "
                               "was changed after it was signed")


def _read(package: Path, relative: str, limit: int) -> bytes:
    try:
        return read_bytes(package / relative, relative, limit)
    except Unreadable as unreadable:
        raise _Break(relative, f"unreadable: {unreadable.reason}") from None
    except OSError as exc:
        raise _Break(relative, f"unreadable: {relative}: "
                               f"{exc.strerror or type(exc).__name__}") from None
