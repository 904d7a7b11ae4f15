"""Fuzz the address policy: the host of a URL someone else wrote (a story's link, a redirect's
Location, a page's image) is judged before any connection.

Seeds are fixtures/urls/private-addresses.txt, every one a host the policy must refuse, in
the spellings URL parsers accept. The properties: judging a mutated URL ends with a verdict or
an archiver error, never another exception; whatever address the URL names, the policy refuses
it when an independent list of non-global networks (IANA's special-purpose registries, as
Perma's Scoop lists them) holds it; and an IPv4 address in any spelling (decimal, hex, octal,
short forms, IPv6 wrappings) is refused exactly when that list holds it, public ones allowed.

Only literal addresses are looked up (getaddrinfo of a literal asks no DNS server); a fuzzed
name is judged by name and never resolved, so nothing leaves this machine.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from archiver.capture.address_policy import AddressPolicy, AddressRefused
from archiver.capture.urls import normalize_url, origin_of
from archiver.errors import ArchiverError
from tests.fuzz.mutations import mutated

SEED_FILE = Path(__file__).resolve().parents[2] / "fixtures" / "urls" / "private-addresses.txt"
SEEDS = [line.encode("utf-8") for line in SEED_FILE.read_text("utf-8").splitlines()
         if line.strip() and not line.startswith("#")]

_NETS = ipaddress.ip_network
NOT_GLOBAL_V4 = [_NETS(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
    "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4")]
NOT_GLOBAL_V6 = [_NETS(n) for n in (
    "::/96", "100::/64", "2001::/23", "2001:db8::/32", "fc00::/7", "fe80::/10", "fec0::/10",
    "ff00::/8", "64:ff9b:1::/48")]
"""The oracle, written apart from the code under test."""

WRAPPERS = {_NETS("::ffff:0:0/96"): lambda a: ipaddress.IPv4Address(int(a) & 0xFFFFFFFF),
            _NETS("64:ff9b::/96"): lambda a: ipaddress.IPv4Address(int(a) & 0xFFFFFFFF),
            _NETS("2002::/16"): lambda a: ipaddress.IPv4Address((int(a) >> 80) & 0xFFFFFFFF)}
"""IPv6 forms whose packets go to the IPv4 address they carry."""


def oracle_refuses(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv4Address):
        return any(address in network for network in NOT_GLOBAL_V4)
    for prefix, inner in WRAPPERS.items():
        if address in prefix:
            return oracle_refuses(inner(address))
    return any(address in network for network in NOT_GLOBAL_V6)


def literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def verdict(text: str) -> tuple[str, str | None]:
    """(the host as the capture would use it, the refusal's reason or None to connect).
    Raises CaptureError for what is not a fetchable URL."""
    url = normalize_url(text)
    host = origin_of(url).host
    policy = AddressPolicy()
    try:
        policy.check_name(url, host)
        if literal(host) is not None:
            policy.resolve(url, host, 80)
    except AddressRefused as refused:
        return host, refused.reason
    return host, None


@given(mutated(SEEDS))
def test_judging_any_url_ends_in_a_verdict_and_never_lets_a_private_address_through(
        data: bytes) -> None:
    try:
        host, reason = verdict(data.decode("utf-8", errors="replace"))
    except ArchiverError:
        return
    address = literal(host)
    if address is not None and oracle_refuses(address):
        assert reason is not None and reason.startswith("refused: "), (host, reason)


@st.composite
def ipv4_spelling(draw: st.DrawFn) -> tuple[ipaddress.IPv4Address, str]:
    """An IPv4 address and one of the ways a URL may write it."""
    value = draw(st.one_of(st.integers(0, 2**32 - 1),
                           st.sampled_from(NOT_GLOBAL_V4).flatmap(
                               lambda net: st.integers(int(net.network_address),
                                                       int(net.broadcast_address)))))
    address = ipaddress.IPv4Address(value)
    octets = list(address.packed)
    number = draw(st.sampled_from(["{:d}", "0x{:x}", "0{:o}"]))
    spellings = [
        str(address),
        number.format(value),
        ".".join(draw(st.sampled_from(["{:d}", "0x{:x}", "0{:o}"])).format(o) for o in octets),
        f"{octets[0]}.{value & 0xFFFFFF}",
        f"{octets[0]}.{octets[1]}.{value & 0xFFFF}",
        f"[::ffff:{address}]",
        f"[64:ff9b::{address}]",
        f"[2002:{value >> 16:x}:{value & 0xFFFF:x}::1]",
    ]
    return address, draw(st.sampled_from(spellings))


@given(ipv4_spelling())
def test_an_ipv4_address_is_refused_in_every_spelling_exactly_when_it_is_not_global(
        case: tuple[ipaddress.IPv4Address, str]) -> None:
    address, spelling = case
    host, reason = verdict(f"http://{spelling}/")
    judged = literal(host)
    assert judged is not None, host
    assert (reason is not None) == oracle_refuses(address), (spelling, host, reason)
