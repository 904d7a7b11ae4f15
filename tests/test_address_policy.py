"""Safe by default: a capture refuses private, loopback, link-local and reserved addresses,
judged on the address it would connect to (after the lookup, at every redirect, for every
requisite), before any connection is made; `--allow-private` turns that off.

Every test here runs under `network_watch`, which sees each connect() and name lookup of the
process (a Python audit hook, so nothing we ship is replaced) and stops, before it happens,
any connection to anything but 127.0.0.1: a broken policy fails the test instead of reaching
169.254.169.254 or the local network.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from typer.testing import CliRunner

from archiver.capture.address_policy import AddressPolicy, AddressRefused, blocked_kind
from archiver.cli import app
from archiver.package.build import create_package
from archiver.story.build import create_story_package
from tests.conftest import Captured, assert_standard_tools_accept, fast_settings
from tests.server import MOVED_PAGE_TARGET, REPORT_PATH, STORY_PATH, SiteServer

ADVICE = "archiver does not fetch private addresses unless --allow-private is given"
METADATA = "http://169.254.169.254/latest/meta-data/"
ONLY_THE_TEST_SITE = {"allow_private": False, "allowed_networks": ("127.0.0.1/32",)}
"""The default policy, with one exception for the test site's exact address."""


class ForbiddenContact(RuntimeError):
    """A test tried to connect to something other than 127.0.0.1."""


class NetworkWatch:
    """Every connect() and getaddrinfo() of this process while `active`."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active = False
        self.connects: list[str] = []
        self.lookups: list[str] = []

    def __call__(self, event: str, args: tuple[Any, ...]) -> None:
        if not self.active:
            return
        if event == "socket.connect" and args[0].family in (socket.AF_INET, socket.AF_INET6):
            host = str(args[1][0])
            with self.lock:
                self.connects.append(host)
            if host != "127.0.0.1":
                raise ForbiddenContact(f"a test tried to connect to {args[1]}")
        elif event == "socket.getaddrinfo":
            with self.lock:
                self.lookups.append(str(args[0]))


_WATCH = NetworkWatch()
_HOOKED: list[bool] = []


@pytest.fixture(autouse=True)
def network_watch() -> Iterator[NetworkWatch]:
    if not _HOOKED:
        sys.addaudithook(_WATCH)  # audit hooks stay for the process: installed once
        _HOOKED.append(True)
    _WATCH.connects.clear()
    _WATCH.lookups.clear()
    _WATCH.active = True
    try:
        yield _WATCH
    finally:
        _WATCH.active = False


def redirect_to(site: SiteServer, target: str) -> str:
    return site.url(f"/redirect/to?url={quote(target, safe='')}")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


# -- the judge -------------------------------------------------------------------------------


@pytest.mark.parametrize(("address", "kind"), [
    ("127.0.0.1", "a loopback address"),
    ("127.4.5.6", "a loopback address"),
    ("::1", "a loopback address"),
    ("10.0.0.1", "a private address"),
    ("172.16.0.1", "a private address"),
    ("192.168.1.1", "a private address"),
    ("fd00:ec2::254", "a private address"),  # AWS's IPv6 metadata service
    ("169.254.169.254", "a link-local address"),
    ("fe80::1", "a link-local address"),
    ("100.64.0.1", "a shared (carrier-grade NAT) address"),
    ("100.100.100.200", "a shared (carrier-grade NAT) address"),  # Alibaba's metadata
    ("0.0.0.0", "the unspecified address"),
    ("::", "the unspecified address"),
    ("224.0.0.1", "a multicast address"),
    ("ff02::1", "a multicast address"),
    ("192.0.2.10", "a documentation address"),
    ("2001:db8::1", "a documentation address"),
    ("0.1.2.3", "a reserved address"),
    ("198.18.0.1", "a reserved address"),
    ("240.0.0.1", "a reserved address"),
    ("255.255.255.255", "a reserved address"),
    ("192.0.0.192", "a reserved address"),  # Oracle Cloud's metadata
    ("fec0::1", "a reserved address"),
    ("64:ff9b:1::a00:1", "a reserved address"),
    ("::8.8.8.8", "a reserved address"),
    ("::ffff:127.0.0.1", "an IPv4-mapped form of 127.0.0.1, a loopback address"),
    ("::ffff:a9fe:a9fe", "an IPv4-mapped form of 169.254.169.254, a link-local address"),
    ("::127.0.0.1", "an IPv4-compatible form of 127.0.0.1, a loopback address"),
    ("64:ff9b::a00:1", "a NAT64 form of 10.0.0.1, a private address"),
    ("2002:a9fe:a9fe::1", "a 6to4 form of 169.254.169.254, a link-local address"),
    ("8.8.8.8", None),
    ("93.184.215.14", None),
    ("2606:4700:4700::1111", None),
    ("::ffff:8.8.8.8", None),
    ("64:ff9b::808:808", None),
    ("2002:808:808::1", None),
])
def test_the_judge_names_each_kind_of_address(address: str, kind: str | None) -> None:
    assert blocked_kind(ipaddress.ip_address(address)) == kind


def test_only_the_addresses_that_passed_are_connected_to() -> None:
    """A name that resolves to a private and a public address keeps only the public one; an
    allowed network lets its addresses through, and nothing else."""
    policy = AddressPolicy()
    assert policy.permitted("http://mixed.example/", "mixed.example",
                            ["10.0.0.7", "127.0.0.1", "93.184.215.14"]) == ["93.184.215.14"]
    with pytest.raises(AddressRefused, match=r"mixed\.example resolves to 10\.0\.0\.7, a private"):
        policy.permitted("http://mixed.example/", "mixed.example", ["10.0.0.7", "127.0.0.1"])
    test_site = AddressPolicy(allowed_networks=(ipaddress.ip_network("127.0.0.1/32"),))
    assert test_site.permitted("http://h/", "h", ["127.0.0.2", "::1", "127.0.0.1",
                                                  "::ffff:127.0.0.1"]) == [
        "127.0.0.1", "::ffff:127.0.0.1"]
    everything = AddressPolicy(allow_private=True)
    assert everything.permitted("http://h/", "h", ["10.0.0.7"]) == ["10.0.0.7"]


# -- capture ---------------------------------------------------------------------------------


def test_private_urls_are_refused_before_any_connection_or_lookup(
        fresh_site: SiteServer, tmp_path: Path, network_watch: NetworkWatch) -> None:
    port = fresh_site.base_url.rsplit(":", 1)[1]
    expected = {
        f"http://127.0.0.1:{port}/": "127.0.0.1 is a loopback address",
        f"http://localhost:{port}/": "localhost is a loopback name",
        f"http://[::1]:{port}/": "::1 is a loopback address",
        f"http://0x7f.1:{port}/": "127.0.0.1 is a loopback address",
        f"http://2130706433:{port}/": "127.0.0.1 is a loopback address",
        f"http://[::ffff:127.0.0.1]:{port}/":
            "::ffff:127.0.0.1 is an IPv4-mapped form of 127.0.0.1, a loopback address",
        f"http://017700000001:{port}/": "127.0.0.1 is a loopback address",
        METADATA: "169.254.169.254 is a link-local address",
        "http://metadata.google.internal/computeMetadata/v1/":
            "metadata.google.internal is a cloud metadata service name",
        "http://10.0.0.1/": "10.0.0.1 is a private address",
        "http://[fd00:ec2::254]/": "fd00:ec2::254 is a private address",
        f"http://0.0.0.0:{port}/": "0.0.0.0 is the unspecified address",
    }
    output = tmp_path / "package"
    result = create_package(list(expected), output, settings=fast_settings(allow_private=False))
    for source in result.capture.sources:
        assert source.outcome == "failed"
        assert source.reason == f"refused: {expected[source.requested_url]}; {ADVICE}"
        assert source.resource is not None and source.resource.attempts == 1  # never retried
    assert network_watch.connects == []
    assert "localhost" not in network_watch.lookups
    assert "metadata.google.internal" not in network_watch.lookups
    assert fresh_site.max_connections == 0 and not fresh_site.all_hits
    assert_standard_tools_accept(output)
    assert json.loads((output / "manifest.json").read_bytes())["settings"]["allow_private"] is False


@pytest.mark.parametrize(("target", "reason"), [
    (METADATA, "169.254.169.254 is a link-local address"),
    ("http://10.0.0.1/admin", "10.0.0.1 is a private address"),
    ("http://[::1]:{port}/", "::1 is a loopback address"),
    ("http://127.0.0.2:{port}/", "127.0.0.2 is a loopback address"),
    ("http://localhost:{port}/", "localhost is a loopback name"),
])
def test_a_redirect_to_a_private_address_is_refused_at_that_hop(
        site: SiteServer, capture: Callable[..., Captured], network_watch: NetworkWatch,
        target: str, reason: str) -> None:
    port = site.base_url.rsplit(":", 1)[1]
    source = redirect_to(site, target.format(port=port))
    captured = capture([source], **ONLY_THE_TEST_SITE)
    outcome = captured.source(source)
    assert outcome["outcome"] == "failed"
    assert outcome["reason"] == f"refused: {reason}; {ADVICE}"
    assert captured.resource(source)["status"] == 302  # the hop before is evidence
    assert set(network_watch.connects) == {"127.0.0.1"}


def test_a_redirect_within_an_allowed_network_is_followed(
        site: SiteServer, capture: Callable[..., Captured]) -> None:
    source = redirect_to(site, site.url(MOVED_PAGE_TARGET))
    captured = capture([source], **ONLY_THE_TEST_SITE)
    assert captured.source(source)["outcome"] == "captured"
    assert captured.source(source)["final_url"] == site.url(MOVED_PAGE_TARGET)
    assert captured.manifest["settings"]["allowed_networks"] == ["127.0.0.1/32"]


def test_a_requisite_on_a_private_address_is_refused_and_the_page_kept(
        site: SiteServer, capture: Callable[..., Captured], network_watch: NetworkWatch) -> None:
    port = site.base_url.rsplit(":", 1)[1]
    refused = {"http://169.254.169.254/latest/meta-data/iam.png":
               "169.254.169.254 is a link-local address",
               f"http://192.168.1.1:{port}/router.png": "192.168.1.1 is a private address"}
    query = "&".join(f"src={quote(url, safe='')}" for url in [*refused,
                                                               "/static/images/favicon.png"])
    page = site.url(f"/embeds?{query}")
    captured = capture([page], **ONLY_THE_TEST_SITE)
    assert captured.source(page)["outcome"] == "captured"
    for url, reason in refused.items():
        requisite = captured.resource(url)
        assert requisite["role"] == "requisite" and requisite["outcome"] == "failed"
        assert requisite["reason"] == f"refused: {reason}; {ADVICE}"
    assert captured.resource(site.url("/static/images/favicon.png"))["outcome"] == "captured"
    assert set(network_watch.connects) == {"127.0.0.1"}


def test_allow_private_fetches_what_the_policy_refuses(
        site: SiteServer, capture: Callable[..., Captured]) -> None:
    source = redirect_to(site, site.url(MOVED_PAGE_TARGET))
    refused = capture([source], allow_private=False)
    assert refused.source(source)["reason"] == f"refused: 127.0.0.1 is a loopback address; {ADVICE}"
    assert site.hits(MOVED_PAGE_TARGET) == 0
    allowed = capture([source], allow_private=True)
    assert allowed.source(source)["outcome"] == "captured"
    assert allowed.manifest["settings"]["allow_private"] is True
    assert site.hits(MOVED_PAGE_TARGET) == 1


# -- the verbs -------------------------------------------------------------------------------


def test_capture_refuses_private_addresses_unless_allow_private(
        site: SiteServer, tmp_path: Path) -> None:
    code, stdout, stderr = run("capture", site.url(REPORT_PATH), "-o", str(tmp_path / "default"))
    assert code == 1, stderr
    assert f"refused: 127.0.0.1 is a loopback address; {ADVICE}" in stdout
    assert site.hits(REPORT_PATH) == 0
    assert run("verify", str(tmp_path / "default"))[0] == 0
    code, stdout, stderr = run("capture", site.url(REPORT_PATH), "-o", str(tmp_path / "allowed"),
                               "--allow-private")
    assert code == 0, stdout + stderr
    manifest = json.loads((tmp_path / "allowed" / "manifest.json").read_bytes())
    assert manifest["settings"]["allow_private"] is True
    assert site.hits(REPORT_PATH) == 1


def test_a_story_on_a_private_address_is_refused_unless_allow_private(
        site: SiteServer, tmp_path: Path) -> None:
    code, _, stderr = run("story", site.url(STORY_PATH), "-o", str(tmp_path / "story"))
    assert code == 1
    assert stderr.strip() == (f"archiver: {site.url(STORY_PATH)}: the story could not be "
                              f"captured (refused: 127.0.0.1 is a loopback address; {ADVICE}); "
                              "there is nothing to chain")
    assert not (tmp_path / "story").exists() and site.hits(STORY_PATH) == 0
    code, _, stderr = run("story", site.url(STORY_PATH), "--dry-run")
    assert code == 1 and "refused: 127.0.0.1 is a loopback address" in stderr
    code, _, stderr = run("story", site.url(STORY_PATH), "-o", str(tmp_path / "story"),
                          "--allow-private")
    assert code in (0, 1) and (tmp_path / "story" / "manifest.json").is_file(), stderr


def test_a_refused_citation_is_a_failed_citation_with_its_reason_in_the_report(
        site: SiteServer, tmp_path: Path, network_watch: NetworkWatch) -> None:
    draft = tmp_path / "draft.md"
    draft.write_text(
        "# Meters\n\n"
        f"The [audit]({site.url(REPORT_PATH)}) found faults. The vendor's [portal]({METADATA}) "
        f"and its [dashboard]({redirect_to(site, 'http://10.0.0.1/')}) were cited too.\n",
        encoding="utf-8")
    output = tmp_path / "package"
    result = create_story_package(str(draft), output,
                                  settings=fast_settings(**ONLY_THE_TEST_SITE))
    outcomes = {source.url: (source.outcome, source.reason) for source in result.story.sources}
    assert outcomes == {
        site.url(REPORT_PATH): ("captured", None),
        METADATA: ("failed", f"refused: 169.254.169.254 is a link-local address; {ADVICE}"),
        redirect_to(site, "http://10.0.0.1/"): (
            "failed", f"refused: 10.0.0.1 is a private address; {ADVICE}"),
    }
    report = result.report_path.read_text("utf-8")
    assert f"refused: 169.254.169.254 is a link-local address; {ADVICE}" in report
    assert f"refused: 10.0.0.1 is a private address; {ADVICE}" in report
    assert not result.is_complete
    assert set(network_watch.connects) == {"127.0.0.1"}
    assert_standard_tools_accept(output)
