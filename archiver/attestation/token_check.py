"""One RFC 3161 token judged offline: the one verification behind a package's tokens
(timestamp_check.py) and a WACZ's timeSignature (wacz_domain_check.py).

Given a TimeStampResp's bytes, what it must stamp and a trust list:
  1. the reply is read leniently (tsa_token.read_reply: any certificate order, bytes kept);
  2. its message imprint is the one expected (else wrong-imprint);
  3. the TSA's CMS signature: the signer found through its SignerInfo (issuer and serial, or
     key identifier) among the token's certificates and any given beside it, never by
     position; contentType and messageDigest (over the TSTInfo as carried) among the signed
     attributes; the ESS signing-certificate hash, when given, naming that certificate; the
     signature over the signed attributes;
  4. the chain (certificate_chain.walk_chain), from the signer through those certificates to
     the trust list's roots, each valid at genTime, every issuer a CA, the signer's extended
     key usage critical and for timeStamping;
  5. the chain ends at a root of the trust list (else untrusted-authority, with the
     fingerprint of the certificate it ends at).
The first failure found is the verdict's reason (see findings.TimestampStatus).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID

from archiver.attestation.certificate_chain import (
    ChainBroken,
    certificate_name,
    subject_text,
    walk_chain,
)
from archiver.attestation.findings import TimestampStatus
from archiver.attestation.trust import TrustList, certificate_fingerprint
from archiver.attestation.tsa_token import (
    TST_INFO_OID,
    TimestampToken,
    TokenError,
    digest_of,
    read_reply,
)

_HASH_CLASSES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


@dataclass(frozen=True)
class Imprint:
    """What a token must stamp: a digest and the algorithm that made it."""

    algorithm: str
    """sha256, sha384 or sha512 (RFC 3161's names as asn1crypto gives them)."""
    digest: bytes
    of: str = "the data"
    """What was hashed, for messages: a file's path, "the signature"."""

    @classmethod
    def of_bytes(cls, data: bytes, algorithm: str = "sha256", of: str = "the data") -> Imprint:
        """The imprint of `data`; ValueError for an algorithm archiver does not accept.

        >>> Imprint.of_bytes(b"").digest.hex()[:16]
        'e3b0c44298fc1c14'
        """
        digest = digest_of(algorithm, data)
        if digest is None:
            raise ValueError(f"{algorithm} is not an imprint archiver accepts")
        return cls(algorithm, digest, of)


ImprintFor = Callable[[str], Imprint]
"""Gives the expected imprint for the algorithm the token chose, so a file is hashed once,
as the token asks. It may raise TokenFailure (the stamped file is missing, say)."""


class TokenFailure(Exception):
    """One check failed: its status, the plain reason, and the root's fingerprint when the
    chain ends at an untrusted one."""

    def __init__(self, status: TimestampStatus, reason: str, root: str | None = None) -> None:
        super().__init__(reason)
        self.status: TimestampStatus = status
        self.reason = reason
        self.root = root


@dataclass(frozen=True)
class TokenVerdict:
    """What one token proves: `status` (findings.TimestampStatus) and what was learnt of it
    before any failure (the authority, genTime), with the reason when it is not valid."""

    status: TimestampStatus
    authority: str | None = None
    """The TSA, as its signing certificate names it."""
    stamped_at: datetime | None = None
    """genTime: when the TSA says it saw the imprint."""
    root_fingerprint: str | None = None
    """SHA-256 of the certificate an untrusted chain ends at."""
    reason: str | None = None
    token: TimestampToken | None = None
    """The token as read (None when it could not be)."""
    signer: x509.Certificate | None = None
    """The certificate whose key signed the token, once found."""

    @property
    def ok(self) -> bool:
        return self.status == "valid"


@dataclass
class _Learnt:
    token: TimestampToken | None = None
    signer: x509.Certificate | None = None
    authority: str | None = None


def check_token(data: bytes, expected: Imprint | ImprintFor, trust: TrustList, *,
                certificates: Sequence[x509.Certificate] = (),
                name: str = "the token") -> TokenVerdict:
    """The verdict on the TimeStampResp `data`: does it stamp `expected` (an Imprint, or a
    function giving one for the token's algorithm), signed by a TSA whose chain, through
    the token's certificates and `certificates`, holds at genTime up to a root of `trust`?
    `name` names the token in messages. Reads only; contacts nothing; never raises for
    what the bytes hold."""
    learnt = _Learnt()
    try:
        _judge(data, expected, trust, certificates, name, learnt)
    except TokenFailure as failure:
        return _verdict(learnt, failure.status, failure.reason, failure.root)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        # The token came from anywhere: a field asn1crypto or cryptography reads only when
        # asked (a certificate's extensions, say) may be malformed. Never a traceback.
        return _verdict(learnt, "unreadable", f"{name}: a part of the token cannot be read "
                        f"({type(exc).__name__})")
    return _verdict(learnt, "valid")


def _verdict(learnt: _Learnt, status: TimestampStatus, reason: str | None = None,
             root: str | None = None) -> TokenVerdict:
    token = learnt.token
    return TokenVerdict(status, learnt.authority, token.gen_time if token is not None else None,
                        root, reason, token, learnt.signer)


def _judge(data: bytes, expected: Imprint | ImprintFor, trust: TrustList,
           certificates: Sequence[x509.Certificate], name: str, learnt: _Learnt) -> None:
    try:
        learnt.token = token = read_reply(data)
    except TokenError as exc:
        raise TokenFailure("unreadable", f"{name}: {exc}") from None
    if digest_of(token.imprint_algorithm, b"") is None:
        raise TokenFailure("invalid", f"the token's imprint is a {token.imprint_algorithm} "
                           "digest; archiver accepts SHA-256, SHA-384 and SHA-512 only")
    _check_imprint(token, expected if isinstance(expected, Imprint)
                   else expected(token.imprint_algorithm))
    signer = token.signer_certificate(certificates)
    if signer is None:
        raise TokenFailure("invalid", "the token does not carry the certificate its signer "
                           "names (archiver asks for it; a token without it cannot be checked "
                           "offline)")
    learnt.authority = certificate_name(signer)
    learnt.signer = signer
    pool = [*token.certificates, *certificates]
    _check_signature(token, signer)
    _check_timestamping_usage(signer)
    try:
        chain = walk_chain(signer, pool, trust, token.gen_time, naming=_naming,
                           when="at the time of stamping")
    except ChainBroken as broken:
        raise TokenFailure("invalid", str(broken)) from None
    if chain.trusted:
        return
    top = chain.top
    fingerprint = certificate_fingerprint(top)
    if chain.stops_short:
        issuer = top.issuer.rfc4514_string()[:200]
        raise TokenFailure("untrusted-authority", "timestamp by an untrusted authority: its "
                           f"chain stops at {subject_text(top)}, whose issuer {issuer!r} is "
                           "neither in the token nor in the trust list", fingerprint)
    raise TokenFailure("untrusted-authority", "timestamp by an untrusted authority: its chain "
                       f"ends at {subject_text(top)} (root SHA-256 fingerprint {fingerprint}), "
                       "which the trust list does not hold; if you trust it, give its "
                       "certificate with --trust", fingerprint)


def _naming(depth: int, certificate: x509.Certificate) -> str:
    return ("the TSA's certificate" if depth == 0
            else f"the certificate {subject_text(certificate)} in its chain")


def _check_imprint(token: TimestampToken, expected: Imprint) -> None:
    if (token.imprint_algorithm, token.imprint) != (expected.algorithm, expected.digest):
        raise TokenFailure("wrong-imprint", f"the token stamps {token.imprint_algorithm} "
                           f"{token.imprint.hex()}, but {expected.of} has {expected.algorithm} "
                           f"{expected.digest.hex()}: a token over other content, or "
                           f"{expected.of} changed since")


def _check_signature(token: TimestampToken, signer: x509.Certificate) -> None:
    if token.content_type != TST_INFO_OID:
        raise TokenFailure("invalid", "the signed contentType is not a TSTInfo")
    expected = digest_of(token.digest_algorithm, token.tst_info_der)
    if expected is None:
        raise TokenFailure("invalid", f"the TSA signed with {token.digest_algorithm}, which "
                           "archiver does not accept")
    if token.message_digest != expected:
        raise TokenFailure("invalid", "the TSA's signature does not cover this TSTInfo (its "
                           "messageDigest differs): the token was altered")
    _check_ess(token, signer)
    try:
        _verify(signer, token)
    except InvalidSignature:
        raise TokenFailure("invalid", "the TSA's signature does not verify: the token was "
                           "altered or not signed by the certificate it names") from None
    except (UnsupportedAlgorithm, ValueError, TypeError) as exc:
        raise TokenFailure("invalid", f"the TSA's signature cannot be checked ({exc})") \
            from None


def _check_ess(token: TimestampToken, signer: x509.Certificate) -> None:
    if not token.ess_cert_hashes:
        return
    algorithm, wanted = token.ess_cert_hashes[0]
    der = signer.public_bytes(Encoding.DER)
    found = hashlib.sha1(der).digest() if algorithm == "sha1" else digest_of(algorithm, der)
    if found != wanted:
        raise TokenFailure("invalid", "the token's signing-certificate attribute names "
                           "another certificate than the one its signer uses")


def _verify(signer: x509.Certificate, token: TimestampToken) -> None:
    key = signer.public_key()
    algorithm = token.signature_algorithm
    data, signature = token.signed_attributes, token.signature
    if isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        key.verify(signature, data)
        return
    if algorithm.signature_algo == "rsassa_pss":
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


def _check_timestamping_usage(signer: x509.Certificate) -> None:
    try:
        usage = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        raise TokenFailure("invalid", "the TSA's certificate has no extended key usage; a "
                           "TSA's must be for timestamping (RFC 3161)") from None
    if ExtendedKeyUsageOID.TIME_STAMPING not in usage.value:
        raise TokenFailure("invalid", "the TSA's certificate is not for timestamping (no "
                           "timeStamping extended key usage)")
    if not usage.critical:
        raise TokenFailure("invalid", "the TSA's certificate's extended key usage is not "
                           "marked critical, as RFC 3161 requires")
