"""Each origin's provenance in a browser capture, from what Chromium reports through the
DevTools protocol: the same record, the same JSON shape and the same manifest.json entry as
a plain HTTP capture's (archiver/capture/provenance.py), with `source: chromium-devtools`
saying where the facts came from.

Chromium makes its own connections, so archiver reads their facts from it rather than from a
socket: a response's `remoteIPAddress` (the address used) and `securityDetails` (the TLS
version, key exchange, cipher, Certificate Transparency compliance), and the certificate
chain it holds for the origin (`Network.getCertificate`: DER, the server's own first). The
addresses the name resolved to are those of archiver's address-policy lookup, made just
before the browser's request was let go (Chromium then resolves the name itself).

Whether the chain was validated follows from how the browser was started: without
`--insecure` Chromium fails a request whose chain or name does not check out, so a response
means it was validated; with `--insecure` it is told to ignore certificate errors, and the
record says "not validated (--insecure)".
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from archiver.capture.provenance import NOT_VALIDATED, certificate_document, origin_text
from archiver.capture.urls import Origin
from archiver.timestamps import utc_iso

SOURCE = "chromium-devtools"
"""An origin record's `source` when its facts are what Chromium reported."""
CHAIN_PRESENTED = "chromium"
"""`tls.chain_source` when not validated: the chain Chromium holds for the origin
(Network.getCertificate), which is then the chain the server presented, in its order."""
CHAIN_VERIFIED = "chromium-verified"
"""`tls.chain_source` when validated: Chromium then gives the path its verifier built, the
server's certificate to the trusted root (which the server does not send)."""
TRUST_STORE_ROOTS = ("the roots Chromium trusts: its own root store (on Linux, the Chrome Root "
                     "Store built into Chromium) and the authorities marked trusted in the "
                     "user's NSS database (~/.pki/nssdb)")
TRUST_STORE_WITH_CA_FILE = ("the roots Chromium trusts: its own root store (on Linux, the Chrome "
                            "Root Store built into Chromium) and the certificate authorities of "
                            "--ca-file, put in an NSS database of the run's own (the user's is "
                            "not read)")
MAX_CERTIFICATES = 16
"""Most certificates kept of one chain: a real chain has 2 to 4."""
MAX_CERTIFICATE_BYTES = 64 * 1024
"""A certificate larger than this (a real one is under 4 KiB) is not kept."""


@dataclass(frozen=True)
class BrowserTls:
    """The TLS facts Chromium reported for a response."""

    version: str | None
    cipher: str | None
    key_exchange: str | None
    key_exchange_group: str | None
    alpn: str | None
    server_name: str | None
    """The name Chromium checked against the certificate; None when not validated."""
    certificate_transparency: str | None
    validated: bool
    chain: tuple[bytes, ...] = ()
    """DER of each certificate Chromium holds for the origin, the server's own first."""
    ca_file: str | None = None
    """The --ca-file whose authorities Chromium trusted too (validated captures only)."""


@dataclass(frozen=True)
class BrowserPeer:
    """The server one response of the browser came from, as Chromium reported it."""

    origin: Origin
    addresses: tuple[str, ...]
    """What archiver's address-policy lookup of the name returned (empty: none was made)."""
    refused: tuple[str, ...]
    looked_up: bool
    used: str
    tls: BrowserTls | None
    browser: str
    """The browser's product and version (Browser.getVersion): whose verifier and store."""
    connected_at: datetime = field(compare=False)

    @property
    def identity(self) -> tuple[Any, ...]:
        """What makes two responses' facts the same for the record."""
        return (SOURCE, self.origin, frozenset(self.addresses), frozenset(self.refused),
                self.used, self.tls)


def security_key(response: dict[str, Any]) -> tuple[Any, ...]:
    """What tells one TLS session's certificate from another's in a response, without the
    chain itself: the chain is asked for once per origin and key."""
    details = response.get("securityDetails") or {}
    return tuple(str(details.get(name)) for name in (
        "subjectName", "issuer", "validFrom", "validTo", "sanList", "certificateId",
        "protocol", "cipher", "keyExchange"))


def peer_origin(url: str) -> Origin | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    return Origin(parts.scheme, parts.hostname, port)


def browser_peer(url: str, response: dict[str, Any], *, lookup: tuple[tuple[str, ...],
                 tuple[str, ...]] | None, validated: bool, browser: str,
                 connected_at: datetime, chain: tuple[bytes, ...] = (),
                 ca_file: str | None = None) -> BrowserPeer | None:
    """The facts a response reports of its server; None when it reports no address (served
    from the browser's cache, or by a service worker: no connection was made for it)."""
    origin = peer_origin(url)
    used = response.get("remoteIPAddress")
    if origin is None or not isinstance(used, str) or not used:
        return None
    if any(response.get(flag) for flag in ("fromDiskCache", "fromPrefetchCache",
                                          "fromServiceWorker")):
        return None
    addresses, refused = lookup if lookup is not None else ((), ())
    tls = None
    details = response.get("securityDetails")
    if origin.scheme == "https" and isinstance(details, dict):
        tls = BrowserTls(
            version=_tls_version(details.get("protocol")),
            cipher=_text(details.get("cipher")),
            key_exchange=_text(details.get("keyExchange")),
            key_exchange_group=_text(details.get("keyExchangeGroup")),
            alpn=_text(response.get("protocol")),
            server_name=origin.host if validated else None,
            certificate_transparency=_text(details.get("certificateTransparencyCompliance")),
            validated=validated, chain=chain, ca_file=ca_file if validated else None)
    return BrowserPeer(origin, tuple(addresses), tuple(refused), lookup is not None,
                       used.strip("[]"), tls, browser, connected_at)


def browser_peer_document(peer: BrowserPeer) -> dict[str, Any]:
    """The JSON an origin's provenance record holds: the shape of a plain capture's
    (archiver/capture/provenance.peer_document), `source` saying the facts are Chromium's."""
    if peer.looked_up:
        lookup = ("archiver's address check, through the system resolver (DNS, or the hosts "
                  "file), just before the browser's request left; Chromium then resolved the "
                  "name itself and connected to the address in `used`")
    else:
        lookup = ("none by archiver (--allow-private: no address check): Chromium resolved "
                  "the name itself and connected to the address in `used`")
    return {
        "origin": origin_text(peer.origin),
        "host": peer.origin.host,
        "connected_at": utc_iso(peer.connected_at),
        "source": SOURCE,
        "dns": {"addresses": list(peer.addresses), "refused": list(peer.refused),
                "used": peer.used, "lookup": lookup},
        "tls": _tls_document(peer.tls, peer.browser) if peer.tls is not None else None,
    }


def _tls_document(tls: BrowserTls, browser: str) -> dict[str, Any]:
    extra = (f" and the certificate authorities of --ca-file {tls.ca_file}" if tls.ca_file
             else "")
    trust_store: dict[str, Any] = {
        "verifier": browser, "roots": TRUST_STORE_WITH_CA_FILE if tls.ca_file
        else TRUST_STORE_ROOTS}
    if tls.ca_file:
        trust_store["ca_file"] = tls.ca_file
    return {
        "version": tls.version,
        "cipher": tls.cipher,
        "cipher_bits": None,  # Chromium does not report it
        "key_exchange": tls.key_exchange,
        "key_exchange_group": tls.key_exchange_group,
        "certificate_transparency": tls.certificate_transparency,
        "alpn": tls.alpn,
        "server_name": tls.server_name,
        "validated": tls.validated,
        "validation": (f"validated (chain and host name) by {browser}'s certificate verifier, "
                       f"against its trust store{extra}" if tls.validated
                       else f"{NOT_VALIDATED}: Chromium was told to ignore certificate errors"),
        "trust_store": trust_store if tls.validated else None,
        "chain_source": CHAIN_VERIFIED if tls.validated else CHAIN_PRESENTED,
        "chain": [certificate_document(der, with_pem=True) for der in tls.chain],
        # Validated, the chain is the path Chromium built: restated as the validated path,
        # the root with its PEM, as in a plain capture (so the same openssl recipe works).
        "validated_path": [certificate_document(der, with_pem=index == len(tls.chain) - 1)
                           for index, der in enumerate(tls.chain)] if tls.validated else [],
    }


def chain_from_reply(reply: dict[str, Any]) -> tuple[bytes, ...]:
    """The DER certificates of a Network.getCertificate reply (base64 each), bounded; what
    cannot be decoded is left out."""
    names = reply.get("tableNames")
    if not isinstance(names, list):
        return ()
    chain = []
    for name in names[:MAX_CERTIFICATES]:
        if not isinstance(name, str) or len(name) > MAX_CERTIFICATE_BYTES * 4 // 3 + 4:
            continue
        try:
            chain.append(base64.b64decode(name, validate=True))
        except (binascii.Error, ValueError):
            continue
    return tuple(chain)


def _tls_version(protocol: Any) -> str | None:
    """Chromium's "TLS 1.3" in OpenSSL's spelling, as a plain capture records it ("TLSv1.3");
    anything else (QUIC) as Chromium names it.

    >>> _tls_version("TLS 1.2"), _tls_version("QUIC")
    ('TLSv1.2', 'QUIC')
    """
    text = _text(protocol)
    if text is not None and text.startswith("TLS "):
        return "TLSv" + text[4:]
    return text


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
