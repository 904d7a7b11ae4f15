"""What a connection learnt about the server it reached: the addresses its name resolved to,
the one connected to and, over TLS, the session and the certificate chain the server
presented. Taken once per connection, as it opens, and kept as raw facts (DER bytes, names):
turning them into a provenance record happens once per origin, off this path
(archiver/capture/provenance.py).

Python 3.11 gives no public way to read the chain a server sent: `SSLSocket.getpeercert`
returns the leaf only. Its C object has had `get_unverified_chain()` (what the server
presented, in its order) and `get_verified_chain()` (the path OpenSSL built to a trusted
root) since 3.10; 3.13 makes them public on `SSLSocket`. They are used here, guarded: on a
Python without them, the leaf alone is kept and `chain_source` says so, rather than
recording a chain that was not read (docs/decisions.md, "The presented certificate chain").
"""

from __future__ import annotations

import _ssl
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from archiver.capture.urls import Origin

_ENCODING_DER: int = getattr(_ssl, "ENCODING_DER", 1)
ChainSource = Literal["presented", "leaf-only"]
"""`presented`: every certificate the server sent, in its order; `leaf-only`: this Python
could not read the chain, and only the server's own certificate was kept."""


@dataclass(frozen=True)
class TrustStore:
    """What a validated chain was checked against: the system's certificate authorities (as
    OpenSSL's default paths name them, `SSL_CERT_FILE`/`SSL_CERT_DIR` heeded) and the
    `--ca-file` given, if any."""

    system_cafile: str | None
    system_capath: str | None
    ca_file: str | None


@dataclass(frozen=True)
class TlsSession:
    version: str | None
    cipher: str | None
    cipher_bits: int | None
    alpn: str | None
    server_name: str | None
    """The name checked against the certificate (sent in SNI too, unless an address);
    None when names are not checked (--insecure)."""
    presented: tuple[bytes, ...]
    """DER of each certificate the server presented, its own first."""
    chain_source: ChainSource
    validated: bool
    """Whether the handshake required the chain to validate (and the name to match): it
    could not have succeeded otherwise. False under --insecure."""
    trust_store: TrustStore | None
    validated_path: tuple[bytes, ...] = ()
    """DER of the path OpenSSL built, the server's certificate to a trusted root (only
    when validated)."""


@dataclass(frozen=True)
class PeerFacts:
    """One connection's server: who it was, where, and over what."""

    origin: Origin
    addresses: tuple[str, ...]
    """What the name resolved to (the system resolver: DNS, or /etc/hosts), in its order."""
    refused: tuple[str, ...]
    """Those of `addresses` the address policy did not allow."""
    used: str
    """The address connected to."""
    tls: TlsSession | None
    connected_at: datetime = field(compare=False)

    @property
    def identity(self) -> tuple[Any, ...]:
        """What makes two connections' facts the same for the record (the addresses as a
        set: round-robin DNS turns its answers around at every lookup)."""
        return (self.origin, frozenset(self.addresses), frozenset(self.refused), self.used,
                self.tls)


def address_of(sock: socket.socket) -> str:
    return str(sock.getpeername()[0])


def tls_session(sock: ssl.SSLSocket, server_name: str | None,
                trust_store: TrustStore | None) -> TlsSession:
    """The facts of `sock`'s finished handshake. `trust_store` is None when the context
    does not verify (--insecure)."""
    cipher = sock.cipher()
    presented, source = _presented_chain(sock)
    validated = trust_store is not None and sock.context.verify_mode == ssl.CERT_REQUIRED
    return TlsSession(
        version=sock.version(),
        cipher=cipher[0] if cipher else None,
        cipher_bits=cipher[2] if cipher else None,
        alpn=sock.selected_alpn_protocol(),
        server_name=server_name if sock.context.check_hostname else None,
        presented=presented,
        chain_source=source,
        validated=validated,
        trust_store=trust_store if validated else None,
        validated_path=_chain(sock, "get_verified_chain") if validated else (),
    )


def _presented_chain(sock: ssl.SSLSocket) -> tuple[tuple[bytes, ...], ChainSource]:
    chain = _chain(sock, "get_unverified_chain")
    if chain:
        return chain, "presented"
    leaf = sock.getpeercert(binary_form=True)
    return ((leaf,) if leaf else ()), "leaf-only"


def _chain(sock: ssl.SSLSocket, method: str) -> tuple[bytes, ...]:
    """The chain `method` gives, as DER: public on SSLSocket from Python 3.13 (DER bytes),
    on its private C object before (certificate objects); empty when neither has it."""
    public = getattr(sock, method, None)
    if public is not None:
        return _as_der(public())
    private = getattr(getattr(sock, "_sslobj", None), method, None)
    if private is None:
        return ()
    try:
        return _as_der(private())
    except (ssl.SSLError, ValueError):
        return ()


def _as_der(chain: Sequence[Any] | None) -> tuple[bytes, ...]:
    found = []
    for certificate in chain or ():
        if isinstance(certificate, bytes):
            found.append(certificate)
        else:  # _ssl.Certificate (3.10-3.12)
            found.append(certificate.public_bytes(_ENCODING_DER))
    return tuple(found)


def system_trust_store(ca_file: str | None) -> TrustStore:
    paths = ssl.get_default_verify_paths()
    return TrustStore(paths.cafile, paths.capath, ca_file)
