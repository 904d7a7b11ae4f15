"""Which addresses a capture may connect to: by default, only globally reachable ones.

A story's links are chosen by its author, and a redirect or a requisite by whoever runs the
cited site; on a server, any of them could point archiver at the cloud metadata service
(169.254.169.254), a router's admin page or a database on the local network. So every
connection is judged on the address it is actually made to: the host is resolved once, each
address is judged here, and the connection goes only to an address that passed (never a name
looked up again, which a rebinding DNS server could answer differently).

Python's `ipaddress` is the judge. An address is refused when it is not `is_global` (private,
loopback, link-local, shared/CGNAT, documentation, benchmarking, reserved, unspecified), or
is multicast or IPv6 site-local; a few networks that older Pythons count as global are added
by hand. An IPv6 address that carries an IPv4 one (IPv4-mapped, IPv4-compatible, 6to4, NAT64)
is judged by the IPv4 address, where its packets end up.

    >>> policy = AddressPolicy()
    >>> policy.refusal("169.254.169.254", ["169.254.169.254"]).split(";")[0]
    '169.254.169.254 is a link-local address'
    >>> policy.refusal("intranet.example", ["10.1.2.3"]).split(";")[0]
    'intranet.example resolves to 10.1.2.3, a private address'
    >>> policy.permitted("https://example.org/", "example.org", ["10.0.0.7", "93.184.215.14"])
    ['93.184.215.14']
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from archiver.capture.network_errors import network_errors
from archiver.errors import CaptureError

if TYPE_CHECKING:
    from archiver.settings import CaptureSettings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
AddressInfo = tuple[socket.AddressFamily, socket.SocketKind, int, str, tuple[Any, ...]]
"""One entry of socket.getaddrinfo's answer: family, type, protocol, name, socket address."""

ADVICE = "archiver does not fetch private addresses unless --allow-private is given"

REFUSED_NAMES = {
    "localhost": "a loopback name",
    "metadata": "a cloud metadata service name",
    "metadata.google.internal": "a cloud metadata service name",
    "metadata.goog": "a cloud metadata service name",
    "instance-data": "a cloud metadata service name",
    "instance-data.ec2.internal": "a cloud metadata service name",
}
"""Names that exist only to reach this machine or its cloud's metadata service: refused before
any lookup, so not even a DNS query leaves. `*.localhost` is loopback too (RFC 6761)."""

_NET = ipaddress.ip_network
_KINDS: tuple[tuple[str, tuple[IPNetwork, ...]], ...] = (
    ("a shared (carrier-grade NAT) address", (_NET("100.64.0.0/10"),)),
    ("a documentation address", (_NET("192.0.2.0/24"), _NET("198.51.100.0/24"),
                                 _NET("203.0.113.0/24"), _NET("2001:db8::/32"))),
    ("a private address", (_NET("10.0.0.0/8"), _NET("172.16.0.0/12"),
                           _NET("192.168.0.0/16"), _NET("fc00::/7"))),
)
"""Plain names for the common non-global networks; anything else refused is "reserved"."""

_NOT_GLOBAL_ANYWAY = (
    _NET("192.0.0.0/24"),  # IETF protocol assignments (Oracle Cloud's metadata: 192.0.0.192)
    _NET("64:ff9b:1::/48"),  # local-use NAT64: which IPv4 it reaches is the operator's choice
    _NET("fec0::/10"),  # IPv6 site-local (deprecated, yet routed on some networks)
)
"""Networks that Python 3.11's `is_global` counts as global, and IANA does not."""

_NAT64 = _NET("64:ff9b::/96")
_IPV4_COMPATIBLE = _NET("::/96")


class Lookup(NamedTuple):
    answers: tuple[str, ...]
    """Every address the name resolved to, once each, in the resolver's order."""
    candidates: list[AddressInfo]
    """The answers that may be connected to."""


class AddressRefused(CaptureError):
    """A URL whose host is a private, loopback, link-local or reserved address (or a name
    that resolves only to such addresses). Never retried: asking again gives the same answer."""


@dataclass(frozen=True)
class AddressPolicy:
    allow_private: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()
    """Networks allowed even though they are not global (a test server's own address)."""

    @classmethod
    def from_settings(cls, settings: CaptureSettings) -> AddressPolicy:
        return cls(settings.allow_private,
                   tuple(ipaddress.ip_network(net) for net in settings.allowed_networks))

    def resolve(self, url: str, host: str, port: int) -> list[AddressInfo]:
        """Look `host` up once; the answers that may be connected to, in their order.
        Raise AddressRefused when none may, NetworkError when the lookup fails."""
        return self.lookup(url, host, port).candidates

    def lookup(self, url: str, host: str, port: int) -> Lookup:
        """`resolve`, keeping every address the lookup returned too (for the record)."""
        self.check_name(url, host)
        with network_errors(url, "connecting"):
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        answers = list(dict.fromkeys(str(entry[4][0]) for entry in found))
        allowed = set(self.permitted(url, host, answers))
        return Lookup(tuple(answers), [entry for entry in found if str(entry[4][0]) in allowed])

    def check_name(self, url: str, host: str) -> None:
        """Refuse a name that can only mean this machine or a metadata service, before any
        lookup (`host` as in the URL, without brackets)."""
        if self.allow_private:
            return
        name = host.lower().rstrip(".")
        kind = REFUSED_NAMES.get(name) or ("a loopback name" if name.endswith(".localhost")
                                           else None)
        if kind is not None:
            raise AddressRefused(url, f"refused: {host} is {kind}; {ADVICE}")

    def permitted(self, url: str, host: str, addresses: Sequence[str]) -> list[str]:
        """The addresses `host` resolved to that may be connected to, in their order; raise
        AddressRefused, naming the first address, when none may."""
        if self.allow_private:
            return list(addresses)
        allowed = [address for address in addresses if self.is_allowed(address)]
        if not allowed:
            raise AddressRefused(url, f"refused: {self.refusal(host, addresses)}")
        return allowed

    def refusal(self, host: str, addresses: Sequence[str]) -> str:
        """Why `host` is refused, naming its first address."""
        first = addresses[0] if addresses else ""
        kind = blocked_kind(_parse(first)) or "not an address"
        if _parse(host) is not None:
            return f"{first} is {kind}; {ADVICE}"
        return f"{host} resolves to {first}, {kind}; {ADVICE}"

    def is_allowed(self, text: str) -> bool:
        address = _parse(text)
        if address is None:
            return False
        if blocked_kind(address) is None:
            return True
        inner = embedded_ipv4(address)
        return any(each in network for each in (address, inner) if each is not None
                   for network in self.allowed_networks if each.version == network.version)


def blocked_kind(address: IPAddress | None) -> str | None:
    """None for an address archiver may fetch from; else what kind of address it is.

    >>> [blocked_kind(ipaddress.ip_address(a)) for a in ("8.8.8.8", "::ffff:127.0.0.1")]
    [None, 'an IPv4-mapped form of 127.0.0.1, a loopback address']
    """
    if address is None:
        return "not an address"
    inner = embedded_ipv4(address)
    if inner is not None and isinstance(address, ipaddress.IPv6Address):
        kind = blocked_kind(inner)
        if kind is not None:
            return f"{_form_of(address)} of {inner}, {kind}"
        # IPv4-compatible addresses are deprecated (RFC 4291): nothing public uses them.
        return "a reserved address" if address in _IPV4_COMPATIBLE else None
    for kind, test in (("the unspecified address", address.is_unspecified),
                       ("a loopback address", address.is_loopback),
                       ("a link-local address", address.is_link_local),
                       ("a multicast address", address.is_multicast)):
        if test:
            return kind
    for kind, networks in _KINDS:
        if any(address in network for network in networks if network.version == address.version):
            return kind
    if not address.is_global or any(address in network for network in _NOT_GLOBAL_ANYWAY
                                    if network.version == address.version):
        return "a reserved address"
    return None


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (IPv4-mapped, IPv4-compatible, 6to4, NAT64)."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _form_of(address: ipaddress.IPv6Address) -> str:
    if address.ipv4_mapped is not None:
        return "an IPv4-mapped form"
    if address.sixtofour is not None:
        return "a 6to4 form"
    if address in _NAT64:
        return "a NAT64 form"
    return "an IPv4-compatible form"


def _parse(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])  # an IPv6 zone ("%eth0") set apart
    except ValueError:
        return None
