"""DNS rebinding in a --browser capture: archiver judges a name before the browser's request
leaves, then Chromium resolves it again itself. The address Chromium reports it connected to
is judged too, by the same policy; an answer from a refused address is not recorded.

The decision is tested here with the real address policy on the answers Chromium's
Network.responseReceived carries (a real rebinding would need a second address on this
machine, and the tests contact nothing but 127.0.0.1); tests/test_browser_provenance.py
captures through the same path with the check on and the test server's network allowed.
"""

from __future__ import annotations

import ipaddress

from archiver.capture.address_policy import AddressPolicy
from archiver.capture.browser.recorder import rebound


def test_an_answer_from_a_private_address_is_refused_with_its_reason() -> None:
    reason = rebound(AddressPolicy(), "https://news.example/story", {
        "remoteIPAddress": "192.168.1.20"})
    assert reason is not None and "\n" not in reason
    assert reason.startswith("refused: the browser connected to 192.168.1.20 for "
                             "news.example, a private address")
    assert "DNS rebinding" in reason and reason.endswith("not recorded")


def test_loopback_and_metadata_addresses_in_any_form_are_refused() -> None:
    for address in ("127.0.0.1", "[::1]", "169.254.169.254", "[::ffff:10.0.0.1]", "0.0.0.0"):
        assert rebound(AddressPolicy(), "http://a.example/", {"remoteIPAddress": address}), \
            address


def test_a_public_address_an_allowed_network_and_allow_private_are_kept() -> None:
    public = {"remoteIPAddress": "93.184.215.14"}
    assert rebound(AddressPolicy(), "http://a.example/", public) is None
    allowed = AddressPolicy(allowed_networks=(ipaddress.ip_network("127.0.0.0/8"),))
    assert rebound(allowed, "http://a.example/", {"remoteIPAddress": "127.0.0.1"}) is None
    assert rebound(AddressPolicy(allow_private=True), "http://a.example/",
                   {"remoteIPAddress": "10.0.0.1"}) is None


def test_no_address_no_judgement() -> None:
    """From the browser's cache, or with no response at all: nothing was connected to."""
    for response in (None, {}, {"remoteIPAddress": ""}, {"remoteIPAddress": 7}):
        assert rebound(AddressPolicy(), "http://a.example/", response) is None
