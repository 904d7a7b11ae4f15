"""The custody log: an append-only, hash-chained record of what happened to a package.

One file per entry, `attestations/custody/<NNNNNN>.json` (from 000001), each naming the SHA-256
of the previous entry's file, so that removing, changing or reordering an entry breaks the
chain at that place. When a key is set the entry is signed: `<NNNNNN>.sig` beside it, ECDSA
P-256 SHA-256 over the entry file's bytes, by the key the entry names (its public key is in
the entry, so the log can be checked alone; whether that key is trusted is the package
signature's question).

An entry is never overwritten: it is written under a temporary name and linked to its name,
which fails if another writer took the number first; then the next number is tried.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from archiver import __version__
from archiver.attestation.documents import MAX_DOCUMENT_BYTES, Unreadable, dump_document, read_bytes
from archiver.attestation.layout import CUSTODY_DIR, CUSTODY_FILE, custody_entry
from archiver.attestation.new_files import NameTaken, make_directory, write_new_file
from archiver.errors import EnvironmentFault
from archiver.timestamps import utc_iso

if TYPE_CHECKING:
    from archiver.attestation.keys import SigningKey

ENTRY_FORMAT = "archiver-custody-entry/1"
CustodyEvent = Literal["created", "signed", "timestamped", "exported", "verified"]
EVENTS: tuple[str, ...] = ("created", "signed", "timestamped", "exported", "verified")
_TRIES = 20


def append_entry(package: Path, event: str, *, details: dict[str, Any],
                 key: SigningKey | None, operator: str | None,
                 organisation: str | None) -> str:
    """Add an entry to the package's custody log; its path (from the package root) back.

    `event` is one of EVENTS; `details` a small JSON object (for "created" and "signed", the
    tag manifest's SHA-256). Signed by `key` when one is given. Raises ValueError for an
    unknown event, EnvironmentFault when the package cannot be written."""
    if event not in EVENTS:
        raise ValueError(f"unknown custody event {event!r}; one of {', '.join(EVENTS)}")
    folder = make_directory(package, CUSTODY_DIR)
    for _ in range(_TRIES):
        last = last_sequence(folder)
        previous = _previous_sha256(package, last)
        entry = _entry(last + 1, event, details, key, operator, organisation, previous)
        data = dump_document(entry)
        relative = custody_entry(last + 1)
        try:
            write_new_file(package / relative, data)
        except NameTaken:
            continue  # another writer took this number: chain onto its entry instead
        if key is not None:
            from archiver.attestation.ecdsa import sign_bytes  # only a key needs cryptography

            write_new_file(package / relative.replace(".json", ".sig"), sign_bytes(key, data))
        return relative
    raise EnvironmentFault(str(folder), f"could not add a custody entry after {_TRIES} tries; "
                                        "other writers keep taking the next number")


def last_sequence(folder: Path) -> int:
    """The highest entry number in the custody folder (0 when there is none)."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return 0
    except OSError as exc:
        raise EnvironmentFault.from_os_error(exc, folder) from None
    numbers = [int(match[1]) for name in names
               if (match := CUSTODY_FILE.fullmatch(name)) and match[2] == "json"]
    return max(numbers, default=0)


def _previous_sha256(package: Path, last: int) -> str | None:
    if last == 0:
        return None
    relative = custody_entry(last)
    try:
        data = read_bytes(package / relative, relative, MAX_DOCUMENT_BYTES)
    except Unreadable as unreadable:
        # Chaining onto an entry that cannot be read would hide the break: refuse.
        raise EnvironmentFault(str(package / relative), "the custody log's last entry cannot "
                               f"be read ({unreadable.reason}); no entry was added") from None
    except OSError as exc:
        raise EnvironmentFault.from_os_error(exc, package / relative) from None
    return hashlib.sha256(data).hexdigest()


def _entry(sequence: int, event: str, details: dict[str, Any], key: SigningKey | None,
           operator: str | None, organisation: str | None,
           previous: str | None) -> dict[str, Any]:
    public = key.public if key is not None else None
    return {
        "format": ENTRY_FORMAT,
        "sequence": sequence,
        "when": utc_iso(),
        "event": event,
        "by": {
            "operator": operator,
            "organisation": organisation,
            "key_fingerprint": public.fingerprint if public is not None else None,
            "public_key": base64.b64encode(public.der).decode() if public is not None else None,
            "software": f"archiver/{__version__}",
        },
        "details": details,
        "previous_sha256": previous,
    }


def record_event(package: Path, event: str, *, details: dict[str, Any],
                 operator: str | None = None,
                 organisation: str | None = None) -> tuple[str | None, str | None]:
    """Add an unsigned entry for something a reader did (exported, verified), if it can be
    added: (the entry's path, None), or (None, a warning that says why not). A package on a
    read-only disk, or one its reader may not write, is still exported or verified: only its
    log misses the event, and the warning says so."""
    try:
        return append_entry(package, event, details=details, key=None, operator=operator,
                            organisation=organisation), None
    except EnvironmentFault as fault:
        return None, (f"{package}: the custody log could not record this {event} "
                      f"({fault.reason}); the {event} itself is done")
