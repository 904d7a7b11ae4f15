"""Provenance of a browser capture (issue 13, section 1, for `--browser`): each HTTPS origin
Chromium fetched from gets the same metadata record and manifest.json entry as in a plain
capture, from what Chromium reports through the DevTools protocol: the address it used, the
TLS version and cipher, the chain it holds for the origin (Network.getCertificate), whether it
was validated. verify checks the claims against their records; the report shows them.

The HTTPS server presents a real chain (its certificate and an intermediate CA, made by
trustme), so the chain recorded is compared with the one served. Chromium trusts its own
store, not the test CA, so these captures are --insecure (verify_tls=False) and record the
chain as not validated. Skipped, with the reason, where there is no Chromium.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from archiver.capture.browser.provenance import (
    browser_peer,
    browser_peer_document,
    chain_from_reply,
)
from archiver.package.build import create_package
from archiver.provenance_format import document_bytes, origin_document
from archiver.story.build import create_story_package
from archiver.verification import check
from tests.conftest import Captured, assert_standard_tools_accept, fast_settings, read_record
from tests.server import HOST, REPORT_PATH, STORY_PATH
from tests.test_browser_capture import LIMITS, needs_chromium
from tests.test_provenance import ChainedSite, origin_of, serve_chained_site
from tests.test_verify import edit_manifest

pytestmark = needs_chromium
PAGES = ("/", "/sources/smartflow-press-release.html")


@pytest.fixture(scope="module")
def chained_site() -> Iterator[ChainedSite]:
    """The test site over HTTPS, presenting its certificate and an intermediate CA's, TLS
    1.2 with ECDHE and AES-128-GCM only (Chromium offers both ECDSA and RSA suites)."""
    with serve_chained_site() as site:
        yield site


def browser_settings(**overrides: Any) -> Any:
    """--browser --insecure, with the address check made (127.0.0.1 allowed as a network, not
    through --allow-private), so the lookup's answer is recorded too."""
    return fast_settings(**{"browser": LIMITS, "verify_tls": False, "allow_private": False,
                            "allowed_networks": ("127.0.0.0/8",), **overrides})


@pytest.fixture(scope="module")
def captured(chained_site: ChainedSite, tmp_path_factory: pytest.TempPathFactory) -> Captured:
    site = chained_site.server
    output = tmp_path_factory.mktemp("browser-provenance") / "pkg"
    return Captured(create_package([site.url(page) for page in PAGES], output,
                                   settings=browser_settings()))


def origin_entries(package: Captured) -> list[dict[str, Any]]:
    return list(package.manifest["provenance"]["origins"])


def test_each_https_origin_is_recorded_from_what_chromium_reported(
        captured: Captured, chained_site: ChainedSite) -> None:
    site = chained_site.server
    [entry] = origin_entries(captured)  # two pages, one origin, the same facts: one record
    assert entry["origin"] == origin_of(site.base_url)
    assert entry["source"] == "chromium-devtools"
    assert entry["dns"]["used"] == HOST
    assert entry["dns"]["addresses"] == [HOST]  # archiver's own address check, reused
    assert entry["dns"]["refused"] == []
    assert entry["dns"]["lookup"].startswith("archiver's address check")
    tls = entry["tls"]
    assert tls["version"] == "TLSv1.2"
    assert tls["cipher"] == "AES_128_GCM"
    assert tls["key_exchange"].startswith("ECDHE_")
    assert tls["alpn"] == "http/1.1"
    assert tls["chain_source"] == "chromium"
    assert [cert["pem"] for cert in tls["chain"]] == chained_site.chain_pems
    assert tls["chain"][0]["subject"] and tls["chain"][1]["issuer"]
    assert tls["validated"] is False
    assert tls["validation"].startswith("not validated (--insecure)")
    assert tls["trust_store"] is None and tls["validated_path"] == []


def test_the_record_holds_what_manifest_json_states(captured: Captured,
                                                    chained_site: ChainedSite) -> None:
    [entry] = origin_entries(captured)
    record = read_record(captured.path / entry["record"]["warc_file"], entry["record"]["offset"])
    assert record.headers["WARC-Type"] == "metadata"
    assert record.headers["WARC-Record-ID"] == entry["record"]["record_id"]
    assert record.headers["WARC-IP-Address"] == HOST
    assert record.headers["WARC-Target-URI"].startswith("urn:archiver:provenance:")
    assert record.block == document_bytes(origin_document(entry))
    # Written with the exchange whose response reported these facts: the first page's to
    # answer (the pages load in tabs side by side, so which one that is may vary).
    pages = {response.headers["WARC-Record-ID"]: response for response in (
        captured.response(chained_site.server.url(path)) for path in PAGES)}
    page = pages[record.headers["WARC-Concurrent-To"]]
    assert page.headers["WARC-IP-Address"] == entry["dns"]["used"]


def test_the_package_passes_the_standard_tools_and_verify(captured: Captured) -> None:
    assert_standard_tools_accept(captured.path)
    report = check(captured.path)
    assert report.problems == [], report.problems


CERTUTIL = shutil.which("certutil")


@pytest.mark.skipif(CERTUTIL is None, reason="no certutil (Debian: libnss3-tools), which makes "
                    "Chromium trust the test CA (in an NSS database of the test's own)")
def test_a_validated_chain_is_the_path_chromium_built_to_the_root(
        chained_site: ChainedSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --insecure, Chromium validates against its trust store, which on Linux takes
    the authorities trusted in the user's NSS database: the test CA is put in one of the
    test's own (HOME set to a temporary folder), and the chain recorded ends at it."""
    assert CERTUTIL is not None
    database = tmp_path / "home" / ".pki" / "nssdb"
    database.mkdir(parents=True)
    root = tmp_path / "root.pem"
    root.write_text(chained_site.root_pem, "ascii")
    for command in (["-N", "--empty-password"],
                    ["-A", "-t", "C,,", "-n", "archiver test root", "-i", str(root)]):
        subprocess.run([CERTUTIL, "-d", f"sql:{database}", *command], check=True,
                       capture_output=True, timeout=30)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    site = chained_site.server
    package = Captured(create_package([site.url("/")], tmp_path / "pkg",
                                      settings=browser_settings(verify_tls=True)))
    [entry] = origin_entries(package)
    tls = entry["tls"]
    assert tls["validated"] is True
    assert tls["validation"].startswith("validated (chain and host name) by Chromium ")
    assert tls["trust_store"]["verifier"].startswith("Chromium ")
    assert "NSS" in tls["trust_store"]["roots"]
    assert tls["server_name"] == HOST
    assert tls["chain_source"] == "chromium-verified"
    pems = [cert["pem"] for cert in tls["chain"]]
    assert pems == [*chained_site.chain_pems, chained_site.root_pem]
    assert [cert["sha256"] for cert in tls["validated_path"]] == [
        cert["sha256"] for cert in tls["chain"]]
    assert tls["validated_path"][-1]["pem"] == chained_site.root_pem
    assert check(package.path).problems == []


@pytest.fixture
def copy(captured: Captured, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(captured.path, target)
    return target


def codes(package: Path) -> list[tuple[str, str]]:
    return [(problem.code, problem.message) for problem in check(package).problems]


def test_an_edited_chain_fails_verify_whatever_checksums_were_rebuilt(copy: Path) -> None:
    def hide_the_intermediate(manifest: dict[str, Any]) -> None:
        manifest["provenance"]["origins"][0]["tls"]["chain"] = (
            manifest["provenance"]["origins"][0]["tls"]["chain"][:1])

    edit_manifest(copy, hide_the_intermediate)  # the tag manifest rebuilt: the bag is whole
    found = codes(copy)
    assert [code for code, _ in found] == ["manifest-claim-mismatch"]
    assert "provenance.origins[0]" in found[0][1]


def test_an_edited_claim_with_its_digest_rebuilt_fails_verify(copy: Path) -> None:
    def validate(manifest: dict[str, Any]) -> None:
        entry = manifest["provenance"]["origins"][0]
        entry["tls"]["validated"] = True
        entry["sha256"] = hashlib.sha256(
            document_bytes(origin_document(entry))).hexdigest()

    edit_manifest(copy, validate)
    found = codes(copy)
    assert [code for code, _ in found] == ["manifest-payload-mismatch"]
    assert found[0][1].startswith("provenance.origins[0]: sha256 is not")


def test_the_story_report_shows_browser_provenance(chained_site: ChainedSite,
                                                   tmp_path: Path) -> None:
    site = chained_site.server
    output = tmp_path / "story"
    create_story_package(site.url(STORY_PATH), output, settings=browser_settings())
    assert check(output).problems == []
    manifest = json.loads((output / "manifest.json").read_text("utf-8"))
    [entry] = manifest["provenance"]["origins"]
    cited = {resource["url"] for resource in manifest["resources"]}
    assert site.url(REPORT_PATH) in cited  # the cited PDF came through the browser too
    leaf = entry["tls"]["chain"][0]
    html = (output / "data" / "report.html").read_text("utf-8")
    markdown = (output / "data" / "report.md").read_text("utf-8")
    for report in (html, markdown):
        assert origin_of(site.base_url) in report
        assert "TLSv1.2, AES_128_GCM" in report.replace("\\_", "_")  # Markdown escapes _
        assert "as reported by Chromium" in report
        assert leaf["sha256"][:12] in report


# -- what Chromium's answers become, however odd ------------------------------------------------


def test_a_response_from_the_cache_or_with_no_address_makes_no_record() -> None:
    now = datetime.now(UTC)
    common = {"lookup": None, "validated": True, "browser": "Chromium 1", "connected_at": now}
    assert browser_peer("https://a.example/", {}, **common) is None
    assert browser_peer("https://a.example/", {"remoteIPAddress": "192.0.2.1",
                                               "fromDiskCache": True}, **common) is None
    peer = browser_peer("https://a.example/", {"remoteIPAddress": "[2001:db8::1]",
                                               "protocol": "h2", "securityDetails": {
                                                   "protocol": "TLS 1.3",
                                                   "cipher": "AES_128_GCM"}}, **common)
    assert peer is not None and peer.used == "2001:db8::1"
    document = browser_peer_document(peer)
    assert document["tls"]["version"] == "TLSv1.3" and document["tls"]["validated"] is True
    assert document["tls"]["server_name"] == "a.example"
    assert document["tls"]["trust_store"]["verifier"] == "Chromium 1"
    assert document["dns"]["lookup"].startswith("none by archiver")


def test_a_certificate_reply_is_read_within_bounds() -> None:
    good = base64.b64encode(b"\x30\x03\x02\x01\x01").decode()
    assert chain_from_reply({"tableNames": [good, "not base64!", 7]}) == (
        b"\x30\x03\x02\x01\x01",)
    assert chain_from_reply({"tableNames": "x"}) == ()
    assert len(chain_from_reply({"tableNames": [good] * 1000})) == 16
    assert chain_from_reply({"tableNames": ["A" * 200_000]}) == ()


@pytest.mark.skipif(CERTUTIL is None, reason="no certutil (Debian: libnss3-tools), which puts "
                    "--ca-file in an NSS database Chromium reads")
def test_ca_file_is_trusted_by_chromium_and_named_in_the_provenance(
        chained_site: ChainedSite, tmp_path: Path) -> None:
    """--ca-file reaches the browser: without --insecure and with nothing in the user's own
    NSS database, the page loads only because Chromium trusts the file's CA, and the
    provenance says the chain was validated against that file."""
    root = tmp_path / "root.pem"
    root.write_text(chained_site.root_pem, "ascii")
    site = chained_site.server
    package = Captured(create_package([site.url("/")], tmp_path / "pkg", settings=
                                      browser_settings(verify_tls=True, ca_file=root)))
    assert package.source(site.url("/"))["outcome"] == "captured"
    [entry] = origin_entries(package)
    tls = entry["tls"]
    assert tls["validated"] is True and tls["chain_source"] == "chromium-verified"
    assert tls["validation"].endswith(f"and the certificate authorities of --ca-file {root}")
    assert tls["trust_store"]["ca_file"] == str(root)
    assert "--ca-file" in tls["trust_store"]["roots"]
    assert tls["validated_path"][-1]["pem"] == chained_site.root_pem
    assert check(package.path).problems == []


def test_without_ca_file_the_test_ca_is_not_trusted(chained_site: ChainedSite,
                                                    tmp_path: Path) -> None:
    """The same capture without --ca-file fails: Chromium does not trust the test CA by
    itself (so the test above shows --ca-file at work)."""
    site = chained_site.server
    result = create_package([site.url("/")], tmp_path / "pkg",
                            settings=browser_settings(verify_tls=True))
    [source] = result.manifest["sources"]
    assert source["outcome"] == "failed"
