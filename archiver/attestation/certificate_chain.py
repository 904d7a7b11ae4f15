"""Certificate chains judged offline: one set of rules for every chain archiver checks, a
TSA's (a package's tokens, a WACZ's timeSignature) and a WACZ domain signer's.

A chain is found, never taken on trust: from the leaf, each issuer is looked for among the
certificates given (a token's own, a WACZ's PEM fields, the trust list's roots) by name and
by signature (`Certificate.verify_directly_issued_by`), never by position. Each certificate
must be valid at the moment that matters (a token's genTime; when a domain signer says it
signed) and every issuer must be a certificate authority. The walk ends at a root of the
trust list (trusted), or untrusted: at a self-signed root the list lacks, or where no issuer
is found. cryptography's own verifier (`PolicyBuilder`) judges chains for TLS and cannot
tell "valid then, but untrusted" from "expired" (docs/decisions.md, "Timestamps: asn1crypto
reads, cryptography verifies").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from archiver.attestation.trust import TrustList

MAX_CHAIN = 8
"""Certificates in a chain, leaf to root: real TSAs and web PKI use three or four."""


class ChainBroken(Exception):
    """A link of a chain fails (a certificate not valid then, an issuer that is no CA, a
    chain too long): the reason, in words."""


@dataclass(frozen=True)
class Chain:
    """A chain as found, leaf first; `trusted` when it ends at a root of the trust list."""

    certificates: tuple[x509.Certificate, ...]
    trusted: bool

    @property
    def top(self) -> x509.Certificate:
        """The certificate the walk ended at: a root, or the last one whose issuer is known."""
        return self.certificates[-1]

    @property
    def stops_short(self) -> bool:
        """The walk ended where no issuer was found (not at a root, trusted or not)."""
        return not self.trusted and not issued_by(self.top, self.top)


Naming = Callable[[int, x509.Certificate], str]
"""How a message names the certificate at a depth of the chain (0: the leaf)."""


def walk_chain(leaf: x509.Certificate, pool: Iterable[x509.Certificate], trust: TrustList,
               at: datetime, *, naming: Naming, when: str) -> Chain:
    """The chain from `leaf` through `pool` and the trust list's roots, each certificate
    valid at `at` ("was not valid {when}" otherwise) and each issuer a CA; raises
    ChainBroken naming the failing certificate as `naming` does."""
    candidates = [*trust.roots, *pool]
    found = [leaf]
    for depth in range(MAX_CHAIN):
        current = found[-1]
        problem = validity_problem(current, at, naming(depth, current), when)
        if problem:
            raise ChainBroken(problem)
        if trust.root_for(current) is not None:
            return Chain(tuple(found), trusted=True)
        issuer = issuer_in(current, candidates)
        if issuer is None or issuer == current:  # no issuer known, or a root
            return Chain(tuple(found), trusted=False)
        if not is_ca(issuer):
            raise ChainBroken(f"{naming(depth + 1, issuer)} signed a certificate of the chain "
                              "but is not a certificate authority")
        found.append(issuer)
    raise ChainBroken(f"the certificate chain is longer than {MAX_CHAIN}")


def issuer_in(certificate: x509.Certificate,
              pool: Iterable[x509.Certificate]) -> x509.Certificate | None:
    """The certificate of `pool` whose key signed `certificate` (itself, when self-signed)."""
    for candidate in pool:
        if candidate.subject == certificate.issuer and issued_by(certificate, candidate):
            return candidate
    return None


def issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether `issuer` names and signed `certificate`."""
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def is_ca(certificate: x509.Certificate) -> bool:
    """A certificate authority's, by its basic constraints (old v1 roots carry none)."""
    try:
        return bool(certificate.extensions.get_extension_for_class(
            x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return certificate.version == x509.Version.v1


def validity_problem(certificate: x509.Certificate, at: datetime, what: str,
                     when: str) -> str | None:
    """Why `certificate` was not valid at `at`, or None."""
    start, end = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    if start <= at <= end:
        return None
    return (f"{what} was not valid {when} ({at:%Y-%m-%d %H:%M:%S} UTC; valid from "
            f"{start:%Y-%m-%d %H:%M:%S} to {end:%Y-%m-%d %H:%M:%S} UTC)")


def certificate_name(certificate: x509.Certificate, limit: int = 200) -> str:
    """How a certificate is named to people: its subject's common name, else organisation,
    else the whole subject, else the start of its SHA-256 fingerprint."""
    try:
        for oid in (NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME):
            for attribute in certificate.subject.get_attributes_for_oid(oid):
                if isinstance(attribute.value, str) and attribute.value:
                    return attribute.value[:limit]
        subject = certificate.subject.rfc4514_string()
    except ValueError:  # a subject cryptography cannot parse (read only when asked)
        subject = ""
    if subject:
        return subject[:limit]
    return "SHA-256 " + certificate.fingerprint(hashes.SHA256()).hex().upper()[:16]


def subject_text(certificate: x509.Certificate) -> str:
    """The whole subject, quoted, for messages that must tell certificates apart."""
    return f'"{certificate.subject.rfc4514_string()[:200]}"'
