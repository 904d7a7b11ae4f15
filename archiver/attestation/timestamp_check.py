"""Check every RFC 3161 token of a package, offline: what `archiver verify` says about time.

For each token (attestations/timestamps/<NN>-<tsa>.tsr, beside it a .json naming the file it
stamps):
  1. the imprint is the digest of that file as it is now in the package (else wrong-imprint);
  2. the TSA's CMS signature: the signer found through its SignerInfo (issuer and serial, or
     key identifier), never by position; contentType and messageDigest (over the TSTInfo as
     carried) among the signed attributes; the ESS signing-certificate hash, when given,
     naming that certificate; the signature over the signed attributes;
  3. the chain, from the signer up through the token's certificates and the trust list's
     roots: each link's signature, each certificate valid at genTime, every issuer a CA,
     the signer's extended key usage critical and for timeStamping;
  4. the chain ends at a root of the trust list (else untrusted-authority, with the root's
     fingerprint);
  5. for a renewal, every file its list names still has the SHA-256 listed.
The first failure found is the finding's reason (see findings.TimestampStatus).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from archiver.attestation.findings import TimestampFinding, TimestampStatus
from archiver.attestation.timestamp_files import (
    MAX_RENEWAL_BYTES,
    MAX_SIDECAR_BYTES,
    find_timestamp_files,
    is_stampable,
    parse_renewal,
    sidecar_of,
)
from archiver.attestation.trust import TrustList, certificate_fingerprint
from archiver.attestation.tsa_token import (
    MAX_REPLY_BYTES,
    TST_INFO_OID,
    TimestampToken,
    TokenError,
    digest_of,
    hasher,
    read_reply,
)
from archiver.errors import UnreadableEvidence
from archiver.regular_files import open_binary, read_regular, real_directory
from archiver.untrusted_json import load_json_object

MAX_CHAIN = 8
"""Certificates in a chain, signer to root: real TSAs use three or four."""
_BLOCK = 1 << 20
_HASH_CLASSES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


class _Failed(Exception):
    """One check failed: its status and the plain reason."""

    def __init__(self, status: TimestampStatus, reason: str, root: str | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.root = root


@dataclass
class _Judged:
    """What is known of a token so far, for its finding."""

    stamped_file: str | None = None
    authority: str | None = None
    stamped_at: datetime | None = None


def check_timestamps(package: Path, trust: TrustList) -> list[TimestampFinding]:
    """A finding for every timestamp token in `package`, in file-name order (empty when the
    package has none). Reads only; contacts nothing."""
    files = find_timestamp_files(package)
    return [check_token(package, token, trust) for token in files.tokens]


def check_token(package: Path, token_path: str, trust: TrustList) -> TimestampFinding:
    """The finding for one token of `package` (`token_path` from the package root)."""
    judged = _Judged()
    try:
        _judge(package, token_path, trust, judged)
    except _Failed as failure:
        return TimestampFinding(token_path, judged.stamped_file, failure.status,
                                judged.authority, judged.stamped_at, failure.root,
                                failure.reason)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        # The token came from anywhere: a field asn1crypto or cryptography reads only when
        # asked (a certificate's extensions, say) may be malformed. Never a traceback.
        return TimestampFinding(token_path, judged.stamped_file, "unreadable",
                                judged.authority, judged.stamped_at, None,
                                f"{token_path}: a part of the token cannot be read "
                                f"({type(exc).__name__})")
    return TimestampFinding(token_path, judged.stamped_file, "valid", judged.authority,
                            judged.stamped_at)


def _judge(package: Path, token_path: str, trust: TrustList, judged: _Judged) -> None:
    sidecar = _read_sidecar(package, token_path)
    judged.stamped_file = stamped = sidecar["stamped_file"]
    token = _read_token(package, token_path)
    judged.stamped_at = token.gen_time
    _check_imprint(package, stamped, token)
    if token.imprint_algorithm == "sha256" and sidecar.get("stamped_sha256") not in (
            None, token.imprint.hex()):
        raise _Failed("invalid", f"{sidecar_of(token_path)} says the token stamps SHA-256 "
                      f"{sidecar['stamped_sha256']}, but the token carries "
                      f"{token.imprint.hex()}")
    signer = _find_signer(token)
    judged.authority = authority_name(signer)
    _check_signature(token, signer)
    root = _check_chain(token, signer, trust)
    if stamped.rpartition("/")[2].startswith("renewal-"):
        _check_renewal(package, stamped)
    if trust.root_for(root) is None:
        raise _Failed("untrusted-authority",
                      f"timestamp by an untrusted authority: its chain ends at "
                      f"{_subject(root)} (root SHA-256 fingerprint "
                      f"{certificate_fingerprint(root)}), which the trust list does not hold; "
                      "if you trust it, give its certificate with --trust",
                      certificate_fingerprint(root))


def _read_sidecar(package: Path, token_path: str) -> dict[str, str]:
    name = sidecar_of(token_path)
    try:
        data = read_regular(package / name, MAX_SIDECAR_BYTES, name)
        document = load_json_object(data, name)
    except FileNotFoundError:
        raise _Failed("unreadable", f"{name} is missing: nothing says which file the token "
                      "stamps") from None
    except (UnreadableEvidence, OSError) as exc:
        raise _Failed("unreadable", str(exc)) from None
    stamped = document.get("stamped_file")
    if not isinstance(stamped, str) or not is_stampable(stamped):
        raise _Failed("invalid", f"{name}: the stamped file {str(stamped)[:100]!r} is neither "
                      "the tag manifest, a signature nor a renewal list")
    wanted = document.get("stamped_sha256")
    return {"stamped_file": stamped, **({"stamped_sha256": wanted}
                                        if isinstance(wanted, str) else {})}


def _read_token(package: Path, token_path: str) -> TimestampToken:
    try:
        return read_reply(read_regular(package / token_path, MAX_REPLY_BYTES, token_path))
    except (UnreadableEvidence, OSError) as exc:
        raise _Failed("unreadable", str(exc)) from None
    except TokenError as exc:
        raise _Failed("unreadable", f"{token_path}: {exc}") from None


def _check_imprint(package: Path, stamped: str, token: TimestampToken) -> None:
    digest = hasher(token.imprint_algorithm)
    if digest is None:
        raise _Failed("invalid", f"the token's imprint is a {token.imprint_algorithm} digest; "
                      "archiver accepts SHA-256, SHA-384 and SHA-512 only")
    try:
        with open_binary(package / stamped, stamped) as handle:
            while block := handle.read(_BLOCK):
                digest.update(block)
    except FileNotFoundError:
        raise _Failed("unreadable", f"{stamped}, the file the token stamps, is missing") \
            from None
    except (UnreadableEvidence, OSError) as exc:
        raise _Failed("unreadable", str(exc)) from None
    if digest.digest() != token.imprint:
        raise _Failed("wrong-imprint", f"the token stamps {token.imprint_algorithm} "
                      f"{token.imprint.hex()}, but {stamped} has {digest.hexdigest()}: "
                      "a token over other content, or the file changed since")


def _find_signer(token: TimestampToken) -> x509.Certificate:
    for certificate in token.certificates:
        if token.signer.matches(certificate):
            return certificate
    raise _Failed("invalid", "the token does not carry the certificate its signer names "
                  "(archiver asks for it; a token without it cannot be checked offline)")


def authority_name(certificate: x509.Certificate) -> str:
    """The TSA as its certificate names it: common name, else organisation, else subject."""
    for oid in (NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME):
        values = certificate.subject.get_attributes_for_oid(oid)
        if values:
            return str(values[0].value)[:200]
    return certificate.subject.rfc4514_string()[:200]


def _subject(certificate: x509.Certificate) -> str:
    return f'"{certificate.subject.rfc4514_string()[:200]}"'


def _check_signature(token: TimestampToken, signer: x509.Certificate) -> None:
    if token.content_type != TST_INFO_OID:
        raise _Failed("invalid", "the signed contentType is not a TSTInfo")
    expected = digest_of(token.digest_algorithm, token.tst_info_der)
    if expected is None:
        raise _Failed("invalid", f"the TSA signed with {token.digest_algorithm}, which archiver "
                      "does not accept")
    if token.message_digest != expected:
        raise _Failed("invalid", "the TSA's signature does not cover this TSTInfo (its "
                      "messageDigest differs): the token was altered")
    _check_ess(token, signer)
    try:
        _verify(signer, token)
    except InvalidSignature:
        raise _Failed("invalid", "the TSA's signature does not verify: the token was altered "
                      "or not signed by the certificate it names") from None
    except (UnsupportedAlgorithm, ValueError, TypeError) as exc:
        raise _Failed("invalid", f"the TSA's signature cannot be checked ({exc})") from None


def _check_ess(token: TimestampToken, signer: x509.Certificate) -> None:
    if not token.ess_cert_hashes:
        return
    algorithm, wanted = token.ess_cert_hashes[0]
    der = signer.public_bytes(Encoding.DER)
    found = hashlib.sha1(der).digest() if algorithm == "sha1" else digest_of(algorithm, der)
    if found != wanted:
        raise _Failed("invalid", "the token's signing-certificate attribute names another "
                      "certificate than the one its signer uses")


def _verify(signer: x509.Certificate, token: TimestampToken) -> None:
    key = signer.public_key()
    algorithm = token.signature_algorithm
    name = algorithm.signature_algo
    data, signature = token.signed_attributes, token.signature
    if isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        key.verify(signature, data)
        return
    if name == "rsassa_pss":
        params = algorithm["parameters"]
        chosen = _hash(params["hash_algorithm"]["algorithm"].native)
        mgf = _hash(params["mask_gen_algorithm"]["parameters"]["algorithm"].native)
        if not isinstance(key, rsa.RSAPublicKey):
            raise ValueError("an RSA-PSS signature from a key that is not RSA")
        key.verify(signature, data, padding.PSS(padding.MGF1(mgf),
                                                params["salt_length"].native), chosen)
        return
    try:
        hash_name = algorithm.hash_algo
    except ValueError:  # rsaEncryption alone: the digest is the SignerInfo's
        hash_name = token.digest_algorithm
    if isinstance(key, rsa.RSAPublicKey):
        key.verify(signature, data, padding.PKCS1v15(), _hash(hash_name))
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(signature, data, ec.ECDSA(_hash(hash_name)))
    else:
        raise ValueError(f"a {type(key).__name__} signer")


def _hash(name: str) -> hashes.HashAlgorithm:
    chosen = _HASH_CLASSES.get(name)
    if chosen is None:
        raise ValueError(f"digest {name} not accepted")
    return chosen()


def _check_chain(token: TimestampToken, signer: x509.Certificate,
                 trust: TrustList) -> x509.Certificate:
    """Walk from the signer to a root; return the root (trusted or not). Raise on a link that
    fails, a certificate not valid at genTime, or a signer not meant for timestamping."""
    _check_timestamping_usage(signer)
    at = token.gen_time
    pool = [*trust.roots, *token.certificates]
    current = signer
    for depth in range(MAX_CHAIN):
        _check_valid_at(current, at, "the TSA's certificate" if depth == 0 else
                        f"the certificate {_subject(current)} in its chain")
        if trust.root_for(current) is not None:
            return current
        issuer = _issuer_of(current, pool)
        if issuer is None:
            if current.issuer == current.subject:
                return current  # self-signed, not in the trust list
            issuer_name = current.issuer.rfc4514_string()[:200]
            raise _Failed("untrusted-authority",
                          f"timestamp by an untrusted authority: its chain stops at "
                          f"{_subject(current)}, whose issuer {issuer_name!r} is neither in "
                          "the token nor in the trust list", certificate_fingerprint(current))
        if issuer is current:
            return current
        if not _is_ca(issuer):
            raise _Failed("invalid", f"{_subject(issuer)} signed a certificate of the chain "
                          "but is not a certificate authority")
        current = issuer
    raise _Failed("invalid", f"the certificate chain is longer than {MAX_CHAIN}")


def _issuer_of(certificate: x509.Certificate,
               pool: list[x509.Certificate]) -> x509.Certificate | None:
    """The certificate of `pool` whose key signed `certificate` (itself, when self-signed)."""
    for candidate in pool:
        if candidate.subject != certificate.issuer:
            continue
        try:
            certificate.verify_directly_issued_by(candidate)
        except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
            continue
        return candidate if candidate != certificate else certificate
    return None


def _check_valid_at(certificate: x509.Certificate, at: datetime, what: str) -> None:
    start, end = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    if not start <= at <= end:
        raise _Failed("invalid", f"{what} was not valid at the time of stamping "
                      f"({at:%Y-%m-%d %H:%M:%S} UTC; valid from {start:%Y-%m-%d %H:%M:%S} "
                      f"to {end:%Y-%m-%d %H:%M:%S} UTC)")


def _check_timestamping_usage(signer: x509.Certificate) -> None:
    try:
        usage = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        raise _Failed("invalid", "the TSA's certificate has no extended key usage; a TSA's "
                      "must be for timestamping (RFC 3161)") from None
    if ExtendedKeyUsageOID.TIME_STAMPING not in usage.value:
        raise _Failed("invalid", "the TSA's certificate is not for timestamping (no "
                      "timeStamping extended key usage)")
    if not usage.critical:
        raise _Failed("invalid", "the TSA's certificate's extended key usage is not marked "
                      "critical, as RFC 3161 requires")


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return bool(certificate.extensions.get_extension_for_class(
            x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return certificate.version == x509.Version.v1  # old roots carry no extensions


def _check_renewal(package: Path, renewal: str) -> None:
    try:
        text = read_regular(package / renewal, MAX_RENEWAL_BYTES, renewal).decode("utf-8")
        pairs = parse_renewal(text)
    except (UnreadableEvidence, OSError) as exc:
        raise _Failed("unreadable", str(exc)) from None
    except ValueError as exc:  # UnicodeDecodeError too
        raise _Failed("unreadable", f"{renewal}: not a renewal list ({exc})") from None
    for listed_digest, path in pairs:
        if real_directory(package, path.rpartition("/")[0]) is None:
            raise _Failed("invalid", f"{renewal} names {path}, which is not in a folder of "
                          "the package (missing, or reached through a link)")
        digest = hashlib.sha256()
        try:
            with open_binary(package / path, path) as handle:
                while block := handle.read(_BLOCK):
                    digest.update(block)
        except FileNotFoundError:
            raise _Failed("invalid", f"{renewal} names {path}, which is missing") from None
        except (UnreadableEvidence, OSError) as exc:
            raise _Failed("invalid", f"{renewal}: {exc}") from None
        if digest.hexdigest() != listed_digest:
            raise _Failed("invalid", f"{path} changed since {renewal} was stamped (listed "
                          f"SHA-256 {listed_digest}, now {digest.hexdigest()})")
