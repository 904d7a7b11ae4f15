"""Each origin's provenance, written into the WARC as the capture goes: which addresses its
name resolved to and which one answered; over TLS, the protocol version, the cipher, whether
the chain was validated and against which trust store, and every certificate the server
presented, as PEM.

A connection's facts (archiver/capture/peer.py) are read as it opens; here, once per origin
(and again only when a later connection meets other facts), they become a JSON document in a
`metadata` record written with the exchange that used the connection. Certificates are read
with `cryptography` for the names and dates a person looks for; the PEM is the server's own
bytes, whatever the parse makes of them.
"""

from __future__ import annotations

import hashlib
import ipaddress
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from archiver.capture.peer import PeerFacts, TlsSession, TrustStore
from archiver.capture.results import PeerRecord
from archiver.capture.urls import Origin
from archiver.provenance_format import document_bytes
from archiver.timestamps import utc_iso
from archiver.warc.provenance_records import provenance_record
from archiver.warc.records import PreparedRecord
from archiver.warc.writer import RecordLocation

NOT_VALIDATED = "not validated (--insecure)"


def origin_text(origin: Origin) -> str:
    """An origin as a URL without a path: `https://example.org:443`, `http://[::1]:8080`.

    >>> origin_text(Origin("https", "::1", 8443))
    'https://[::1]:8443'
    """
    host = f"[{origin.host}]" if ":" in origin.host else origin.host
    return f"{origin.scheme}://{host}:{origin.port}"


def peer_document(peer: PeerFacts) -> dict[str, Any]:
    """The JSON an origin's provenance record holds."""
    return {
        "origin": origin_text(peer.origin),
        "host": peer.origin.host,
        "connected_at": utc_iso(peer.connected_at),
        "dns": {
            "addresses": list(peer.addresses),
            "refused": list(peer.refused),
            "used": peer.used,
            "lookup": "none: the URL names an address" if _is_address(peer.origin.host)
            else "the system resolver (DNS, or the hosts file)",
        },
        "tls": _tls_document(peer.tls) if peer.tls is not None else None,
    }


def _tls_document(session: TlsSession) -> dict[str, Any]:
    presented = set(session.presented)
    return {
        "version": session.version,
        "cipher": session.cipher,
        "cipher_bits": session.cipher_bits,
        "alpn": session.alpn,
        "server_name": session.server_name,
        "validated": session.validated,
        "validation": _validation_words(session.trust_store) if session.validated
        else NOT_VALIDATED,
        "trust_store": _trust_document(session.trust_store),
        "chain_source": session.chain_source,
        "chain": [certificate_document(der, with_pem=True) for der in session.presented],
        # The path to a trusted root: the root itself (not sent by the server) in full, so
        # the chain can be checked again offline, years later, with no trust store of then.
        "validated_path": [certificate_document(der, with_pem=der not in presented)
                           for der in session.validated_path],
    }


def _validation_words(store: TrustStore | None) -> str:
    if store is None:
        return NOT_VALIDATED
    extra = (f" and the certificate authorities of --ca-file {store.ca_file}" if store.ca_file
             else "")
    return f"validated (chain and host name) against the system trust store{extra}"


def _trust_document(store: TrustStore | None) -> dict[str, Any] | None:
    if store is None:
        return None
    return {"system_cafile": store.system_cafile, "system_capath": store.system_capath,
            "ca_file": store.ca_file}


def certificate_document(der: bytes, *, with_pem: bool) -> dict[str, Any]:
    """A certificate's SHA-256 fingerprint and the names and dates a person reads; and its
    PEM (`with_pem`). A certificate `cryptography` cannot read keeps its fingerprint and
    PEM, with `unreadable` saying why."""
    entry: dict[str, Any] = {"sha256": hashlib.sha256(der).hexdigest()}
    entry.update(_summary(der))
    if with_pem:
        entry["pem"] = ssl.DER_cert_to_PEM_cert(der)
    return entry


def _summary(der: bytes) -> dict[str, Any]:
    from archiver.certificates import load_der_certificate  # once per origin: X.509 is big

    try:
        certificate = load_der_certificate(der)
        return {
            "subject": certificate.subject.rfc4514_string(),
            "issuer": certificate.issuer.rfc4514_string(),
            "serial": format(certificate.serial_number, "x"),
            "not_before": _certificate_time(certificate.not_valid_before_utc),
            "not_after": _certificate_time(certificate.not_valid_after_utc),
        }
    except ValueError as error:
        return {"unreadable": f"cryptography could not read it: {error}"}


def _certificate_time(moment: datetime) -> str:
    """A certificate's date in UTC, ISO 8601, the year in four digits even before 1000 (a
    certificate may say anything).

    >>> _certificate_time(datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC))
    '0999-01-02T03:04:05Z'
    """
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@dataclass
class PendingPeer:
    """A provenance record prepared, to be written with its exchange's records."""

    record: PreparedRecord
    origin: str
    sha256: str
    document: dict[str, Any]


class PeerRecords:
    """The provenance records of one capture job (used from every fetch thread)."""

    def __init__(self, gzip_level: int) -> None:
        self._gzip_level = gzip_level
        self._seen: set[tuple[Any, ...]] = set()
        self._lock = threading.Lock()
        self.found: list[PeerRecord] = []

    def prepare(self, peer: PeerFacts | None, response_id: str) -> PendingPeer | None:
        """The record of `peer`, unless facts the same were recorded already."""
        if peer is None:
            return None
        return self.prepare_document(peer.identity, lambda: peer_document(peer),
                                     connected_at=peer.connected_at, used=peer.used,
                                     response_id=response_id)

    def prepare_document(self, identity: tuple[Any, ...],
                         document_of: Callable[[], dict[str, Any]], *,
                         connected_at: datetime, used: str,
                         response_id: str) -> PendingPeer | None:
        """The record of the document `document_of` makes, unless facts with the same
        `identity` were recorded already (a browser capture's facts come this way:
        archiver/capture/browser/provenance.py)."""
        with self._lock:
            if identity in self._seen:
                return None
            self._seen.add(identity)
        document = document_of()
        body = document_bytes(document)
        record = provenance_record(body, concurrent_to=response_id,
                                   date=utc_iso(connected_at), ip_address=used,
                                   gzip_level=self._gzip_level)
        return PendingPeer(record, document["origin"], hashlib.sha256(body).hexdigest(),
                           document)

    def written(self, pending: PendingPeer, where: RecordLocation) -> None:
        found = PeerRecord(pending.origin, where.warc_file, pending.record.record_id,
                           where.offset, pending.sha256, pending.document)
        with self._lock:
            self.found.append(found)
