"""Check every RFC 3161 token of a package, offline: what `archiver verify` says about time.

For each token (attestations/timestamps/<NN>-<tsa>.tsr, beside it a .json naming the file it
stamps), token_check.check_token judges the token against the digest of that file as it is
now in the package (its imprint, the TSA's signature, the chain at genTime up to the trust
list); then the .json's own record of the digest must agree with the token, and for a
renewal, every file its list names must still have the SHA-256 listed. The first failure
found is the finding's reason (see findings.TimestampStatus).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from archiver.attestation.findings import TimestampFinding
from archiver.attestation.timestamp_files import (
    MAX_RENEWAL_BYTES,
    MAX_SIDECAR_BYTES,
    file_digest,
    find_timestamp_files,
    is_stampable,
    parse_renewal,
    sidecar_of,
)
from archiver.attestation.token_check import Imprint, TokenFailure, TokenVerdict, check_token
from archiver.attestation.trust import TrustList
from archiver.attestation.tsa_token import MAX_REPLY_BYTES
from archiver.errors import UnreadableEvidence
from archiver.regular_files import read_regular, real_directory
from archiver.untrusted_json import load_json_object


def check_timestamps(package: Path, trust: TrustList) -> list[TimestampFinding]:
    """A finding for every timestamp token in `package`, in file-name order (empty when the
    package has none). Reads only; contacts nothing."""
    files = find_timestamp_files(package)
    return [check_package_token(package, token, trust) for token in files.tokens]


def check_package_token(package: Path, token_path: str, trust: TrustList) -> TimestampFinding:
    """The finding for one token of `package` (`token_path` from the package root)."""
    stamped: str | None = None
    verdict: TokenVerdict | None = None
    try:
        sidecar = _read_sidecar(package, token_path)
        stamped = sidecar["stamped_file"]
        data = _read_token_bytes(package, token_path)
        verdict = check_token(data, _file_imprint(package, stamped), trust, name=token_path)
        if verdict.status in ("valid", "untrusted-authority"):
            _check_sidecar_digest(sidecar, verdict, token_path)
            if stamped.rpartition("/")[2].startswith("renewal-"):
                _check_renewal(package, stamped)
    except TokenFailure as failure:
        return TimestampFinding(token_path, stamped, failure.status,
                                verdict.authority if verdict else None,
                                verdict.stamped_at if verdict else None, failure.root,
                                failure.reason)
    return TimestampFinding(token_path, stamped, verdict.status, verdict.authority,
                            verdict.stamped_at, verdict.root_fingerprint, verdict.reason)


def _check_sidecar_digest(sidecar: dict[str, str], verdict: TokenVerdict,
                          token_path: str) -> None:
    token = verdict.token
    wanted = sidecar.get("stamped_sha256")
    if token is None or token.imprint_algorithm != "sha256" or wanted in (None,
                                                                          token.imprint.hex()):
        return
    raise TokenFailure("invalid", f"{sidecar_of(token_path)} says the token stamps SHA-256 "
                       f"{wanted}, but the token carries {token.imprint.hex()}")


def _read_sidecar(package: Path, token_path: str) -> dict[str, str]:
    name = sidecar_of(token_path)
    try:
        data = read_regular(package / name, MAX_SIDECAR_BYTES, name)
        document = load_json_object(data, name)
    except FileNotFoundError:
        raise TokenFailure("unreadable", f"{name} is missing: nothing says which file the token "
                      "stamps") from None
    except (UnreadableEvidence, OSError) as exc:
        raise TokenFailure("unreadable", str(exc)) from None
    stamped = document.get("stamped_file")
    if not isinstance(stamped, str) or not is_stampable(stamped):
        raise TokenFailure("invalid", f"{name}: the stamped file {str(stamped)[:100]!r} is neither "
                      "the tag manifest, a signature nor a renewal list")
    wanted = document.get("stamped_sha256")
    return {"stamped_file": stamped, **({"stamped_sha256": wanted}
                                        if isinstance(wanted, str) else {})}


def _read_token_bytes(package: Path, token_path: str) -> bytes:
    try:
        return read_regular(package / token_path, MAX_REPLY_BYTES, token_path)
    except (UnreadableEvidence, OSError) as exc:
        raise TokenFailure("unreadable", str(exc)) from None


def _file_imprint(package: Path, stamped: str) -> Callable[[str], Imprint]:
    """The imprint of the stamped file as it is now, hashed with the token's algorithm."""

    def imprint(algorithm: str) -> Imprint:
        try:  # an algorithm check_token accepts: sha256, sha384 or sha512
            digest = file_digest(package, stamped, algorithm)
        except FileNotFoundError:
            raise TokenFailure("unreadable", f"{stamped}, the file the token stamps, is "
                               "missing") from None
        except (UnreadableEvidence, OSError) as exc:
            raise TokenFailure("unreadable", str(exc)) from None
        return Imprint(algorithm, digest.digest(), stamped)

    return imprint


def _check_renewal(package: Path, renewal: str) -> None:
    try:
        text = read_regular(package / renewal, MAX_RENEWAL_BYTES, renewal).decode("utf-8")
        pairs = parse_renewal(text)
    except (UnreadableEvidence, OSError) as exc:
        raise TokenFailure("unreadable", str(exc)) from None
    except ValueError as exc:  # UnicodeDecodeError too
        raise TokenFailure("unreadable", f"{renewal}: not a renewal list ({exc})") from None
    for listed_digest, path in pairs:
        if real_directory(package, path.rpartition("/")[0]) is None:
            raise TokenFailure("invalid", f"{renewal} names {path}, which is not in a folder of "
                          "the package (missing, or reached through a link)")
        try:
            digest = file_digest(package, path)
        except FileNotFoundError:
            raise TokenFailure("invalid", f"{renewal} names {path}, which is missing") from None
        except (UnreadableEvidence, OSError) as exc:
            raise TokenFailure("invalid", f"{renewal}: {exc}") from None
        if digest.hexdigest() != listed_digest:
            raise TokenFailure("invalid", f"{path} changed since {renewal} was stamped (listed "
                          f"SHA-256 {listed_digest}, now {digest.hexdigest()})")
