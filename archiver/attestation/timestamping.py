"""Add RFC 3161 timestamps to a sealed package: what `--tsa` on capture and story, and
`archiver timestamp`, call.

A first timestamp stamps the package's signature (or, unsigned, its tag manifest, which
covers every byte of the bag). On a package already stamped, a renewal: a list of the SHA-256
of every attestation file there is (signatures, tokens, earlier renewals) is stamped instead,
a chain of evidence records in the spirit of RFC 4998, so the package stays provable after a
TSA's certificate expires or a hash weakens (see timestamp_files.py for the names).

Nothing here rewrites a file: each token, its .json and a renewal list are written under a
hidden name and linked into place (never over an existing file). A TSA that fails costs only
its own token: it is named with the reason in the outcome, and the rest go on. A renewal list
no token stamps is not left behind.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from archiver import __version__
from archiver.attestation.certificate_chain import certificate_name
from archiver.attestation.custody import append_entry
from archiver.attestation.layout import ATTESTATIONS_DIR, TIMESTAMPS_DIR
from archiver.attestation.timestamp_files import (
    attestation_files,
    file_digest,
    find_timestamp_files,
    renewal_name,
    renewal_text,
    sidecar_of,
    signature_files,
    token_name,
)
from archiver.attestation.tsa_client import (
    DEFAULT_TIMEOUT,
    TsaFailed,
    TsaReply,
    check_tsa_url,
    request_timestamp,
)
from archiver.attestation.tsa_token import MAX_REPLY_BYTES
from archiver.errors import ArchiverUsageError, EnvironmentFault, NotEvidenceError
from archiver.package_layout import BAGIT, TAG_MANIFEST
from archiver.partial_paths import partial_name
from archiver.regular_files import real_directory
from archiver.timestamps import utc_iso


@dataclass(frozen=True)
class TimestampOutcome:
    """What one TSA gave: a token (its path, what it stamps, when, by whom), or the reason
    there is none."""

    tsa: str
    stamped_file: str
    token: str | None = None
    stamped_at: datetime | None = None
    authority: str | None = None
    reason: str | None = None
    renewal: bool = False
    """True when the stamped file is a renewal list (the package was stamped before)."""

    @property
    def ok(self) -> bool:
        return self.token is not None

    def to_dict(self) -> dict[str, Any]:
        return {"tsa": self.tsa, "ok": self.ok, "token": self.token,
                "stamped_file": self.stamped_file, "renewal": self.renewal,
                "stamped_at": utc_iso(self.stamped_at) if self.stamped_at else None,
                "authority": self.authority, "reason": self.reason}

    def __str__(self) -> str:
        if self.ok:
            when = f"{self.stamped_at:%Y-%m-%d %H:%M:%S} UTC" if self.stamped_at else "?"
            return f"timestamped by {self.authority} at {when}: {self.token} " \
                   f"(stamps {self.stamped_file})"
        return f"{self.tsa}: no timestamp ({self.reason})"


def timestamp_package(package: Path, tsa_urls: Sequence[str], *,
                      timeout: float = DEFAULT_TIMEOUT,
                      max_reply_bytes: int = MAX_REPLY_BYTES) -> list[TimestampOutcome]:
    """Ask each TSA of `tsa_urls` for a timestamp of the sealed `package` and store each token
    got; one outcome per TSA, in order. Raises ArchiverUsageError (no TSA, a TSA URL that is
    not one, not a package) before asking anyone, EnvironmentFault when a file cannot be
    written; a TSA that fails is an outcome with its reason, never an exception."""
    if not tsa_urls:
        raise ArchiverUsageError("no timestamp authority given")
    for url in tsa_urls:
        check_tsa_url(url)
    _require_sealed(package)
    existing = find_timestamp_files(package)
    _make_folders(package)
    if existing.tokens:
        stamped = f"{TIMESTAMPS_DIR}/{renewal_name(existing.next_renewal_number())}"
        listing = renewal_text([(_sha256_of(package, path), path)
                                for path in attestation_files(package)]).encode()
        digest = hashlib.sha256(listing).digest()
    else:
        signatures = signature_files(package)
        stamped = signatures[0] if signatures else TAG_MANIFEST
        listing = None
        digest = bytes.fromhex(_sha256_of(package, stamped))
    replies: list[TsaReply | TsaFailed] = []
    for url in tsa_urls:
        try:
            replies.append(request_timestamp(url, digest, timeout=timeout,
                                             max_bytes=max_reply_bytes))
        except TsaFailed as failure:
            replies.append(failure)
    outcomes = _store(package, stamped, listing, replies, existing.next_token_number())
    tokens = [outcome.token for outcome in outcomes if outcome.token is not None]
    if tokens:  # the custody log records what was stamped, and by which tokens
        append_entry(package, "timestamped",
                     details={"stamped_file": stamped, "tokens": tokens,
                              "renewal": listing is not None},
                     key=None, operator=None, organisation=None)
    return outcomes


def _require_sealed(package: Path) -> None:
    if not package.is_dir():
        raise NotEvidenceError(package, "no such folder" if not package.exists() else
                               "not a folder")
    for name in (BAGIT, TAG_MANIFEST):
        if not (package / name).is_file():
            raise NotEvidenceError(package, f"no {name}: not a sealed package")


def _make_folders(package: Path) -> None:
    """attestations/ and attestations/timestamps/, made when missing; a link or a file where
    one should be is refused (nothing is written through a link, out of the package)."""
    for folder in (ATTESTATIONS_DIR, TIMESTAMPS_DIR):
        path = package / folder
        if os.path.lexists(path) and real_directory(package, folder) is None:
            raise NotEvidenceError(package, f"{folder} is not a folder (a link, or a file)")
        try:
            path.mkdir(exist_ok=True)
        except OSError as exc:
            raise EnvironmentFault.from_os_error(exc, path) from exc


def _sha256_of(package: Path, path: str) -> str:
    try:
        return file_digest(package, path).hexdigest()
    except OSError as exc:
        raise EnvironmentFault.from_os_error(exc, package / path) from exc


def _store(package: Path, stamped: str, listing: bytes | None,
           replies: list[TsaReply | TsaFailed], number: int) -> list[TimestampOutcome]:
    renewal = listing is not None
    got = [reply for reply in replies if isinstance(reply, TsaReply)]
    if got and listing is not None:
        _write_new(package / stamped, listing)
    outcomes: list[TimestampOutcome] = []
    for reply in replies:
        if isinstance(reply, TsaFailed):
            outcomes.append(TimestampOutcome(reply.url, stamped, reason=reply.reason,
                                             renewal=renewal))
            continue
        token = f"{TIMESTAMPS_DIR}/{token_name(number, reply.url)}"
        number += 1
        sidecar = {
            "stamped_file": stamped,
            "stamped_sha256": reply.token.imprint.hex(),
            "tsa": reply.url,
            "gen_time": utc_iso(reply.token.gen_time),
            "software": f"archiver {__version__}",
        }
        # The .json first: a token is never in place without what says what it stamps.
        _write_new(package / sidecar_of(token),
                   (json.dumps(sidecar, indent=2) + "\n").encode())
        try:
            _write_new(package / token, reply.data)
        except EnvironmentFault:
            (package / sidecar_of(token)).unlink(missing_ok=True)  # ours, just written
            raise
        signer = reply.token.signer_certificate()
        outcomes.append(TimestampOutcome(
            reply.url, stamped, token=token, stamped_at=reply.token.gen_time,
            authority=certificate_name(signer) if signer else reply.token.tsa_name or reply.url,
            renewal=renewal))
    return outcomes


def _write_new(path: Path, data: bytes) -> None:
    """`data` at `path`, whole or not at all, never over an existing file."""
    hidden = path.with_name(partial_name(path))
    try:
        with open(hidden, "xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(hidden, path)
    except FileExistsError:
        raise EnvironmentFault(str(path), "already exists: another run is adding timestamps "
                               "to this package; try again when it is done") from None
    except OSError as exc:
        raise EnvironmentFault.from_os_error(exc, path) from exc
    finally:
        hidden.unlink(missing_ok=True)
