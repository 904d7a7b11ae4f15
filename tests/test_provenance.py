"""Provenance recorded at capture (issue 13, section 1): each origin's addresses, TLS session
and certificate chain in a WARC metadata record; the environment and operator in warcinfo;
manifest.json's provenance section restating them, checked by verify; the report's section.

The HTTPS server here presents a real chain (its certificate and an intermediate CA, both
made by trustme), so the chain recorded can be compared with the one served."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import shutil
import socket
import ssl
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from archiver.cli import app
from archiver.package.build import building, create_package
from archiver.package.manifest import build_manifest
from archiver.package.provenance import Operator
from archiver.provenance_format import document_bytes, origin_document
from archiver.story.build import create_story_package
from archiver.transfer import check_wacz, export_wacz
from archiver.verification import check
from tests.conftest import (
    Captured,
    assert_standard_tools_accept,
    fast_settings,
    read_record,
)
from tests.server import HOST, REPORT_PATH, STORY_PATH, SiteServer
from tests.test_export import with_edited_manifest
from tests.test_verify import edit_manifest

TLS12_CIPHERS = ("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256")


class ChainedSite:
    """The test site over HTTPS, presenting its certificate and an intermediate CA's; TLS
    1.2 with one cipher suite, so the version and cipher recorded are the server's choice."""

    def __init__(self, server: SiteServer, chain_pems: list[str], root_pem: str) -> None:
        self.server = server
        self.chain_pems = chain_pems
        self.root_pem = root_pem


@contextlib.contextmanager
def serve_chained_site() -> Iterator[ChainedSite]:
    """The test site over HTTPS with a chained certificate (see ChainedSite)."""
    trustme = pytest.importorskip("trustme")
    root = trustme.CA()
    intermediate = root.create_child_ca()
    leaf = intermediate.issue_cert(HOST)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)  # the leaf and the intermediate: the chain presented
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(":".join(TLS12_CIPHERS))
    with tempfile.TemporaryDirectory(prefix="archiver-test-chain-") as folder:
        ca_file = Path(folder) / "root.pem"
        root.cert_pem.write_to_path(str(ca_file))
        with SiteServer(tls=context, ca_file=ca_file) as server:
            yield ChainedSite(server, [blob.bytes().decode() for blob in leaf.cert_chain_pems],
                              root.cert_pem.bytes().decode())


@pytest.fixture(scope="module")
def chained_site() -> Iterator[ChainedSite]:
    with serve_chained_site() as site:
        yield site


def captured(tmp_path: Path, urls: list[str], name: str = "package",
             operator: Operator | None = None, **settings: Any) -> Captured:
    output = tmp_path / name
    result = create_package(urls, output, settings=fast_settings(**settings), operator=operator)
    assert_standard_tools_accept(output)  # warcio check, fastwarc, bagit, the schema
    assert check(output).is_valid
    return Captured(result)


def origins(package: Captured) -> dict[str, dict[str, Any]]:
    found = package.manifest["provenance"]["origins"]
    by_origin = {entry["origin"]: entry for entry in found}
    assert len(by_origin) == len(found), "one entry per origin when nothing changed"
    return by_origin


def origin_of(url: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{rest.split('/', 1)[0]}"


def record_json(package: Captured, entry: dict[str, Any]) -> dict[str, Any]:
    record = read_record(package.path / entry["record"]["warc_file"], entry["record"]["offset"])
    assert record.headers["WARC-Type"] == "metadata"
    assert record.headers["WARC-Record-ID"] == entry["record"]["record_id"]
    assert record.headers["Content-Type"] == "application/json"
    loaded: dict[str, Any] = json.loads(record.block)
    return loaded


# -- TLS --------------------------------------------------------------------------------------


def test_the_chain_the_server_presented_is_recorded_as_pem(chained_site: ChainedSite,
                                                            tmp_path: Path) -> None:
    site = chained_site.server
    package = captured(tmp_path, [site.url(STORY_PATH)], ca_file=site.ca_file)
    entry = origins(package)[origin_of(site.base_url)]
    tls = record_json(package, entry)["tls"]
    assert tls["chain_source"] == "presented"
    assert [cert["pem"] for cert in tls["chain"]] == chained_site.chain_pems
    assert len(tls["chain"]) == 2  # the server's own certificate, then the intermediate
    assert tls["chain"][0]["issuer"] == tls["chain"][1]["subject"]
    for cert in tls["chain"]:
        der = ssl.PEM_cert_to_DER_cert(cert["pem"])
        assert cert["sha256"] == hashlib.sha256(der).hexdigest()
    assert tls["version"] == "TLSv1.2"
    assert tls["cipher"] in TLS12_CIPHERS and tls["cipher_bits"] == 128


def test_a_validated_chain_names_its_trust_store_and_root(chained_site: ChainedSite,
                                                          tmp_path: Path) -> None:
    site = chained_site.server
    package = captured(tmp_path, [site.url(REPORT_PATH)], ca_file=site.ca_file)
    tls = origins(package)[origin_of(site.base_url)]["tls"]
    assert tls["validated"] is True
    assert tls["server_name"] == HOST
    paths = ssl.get_default_verify_paths()
    assert tls["trust_store"] == {"system_cafile": paths.cafile,
                                  "system_capath": paths.capath,
                                  "ca_file": str(site.ca_file)}
    assert "validated" in tls["validation"] and str(site.ca_file) in tls["validation"]
    # The path OpenSSL built ends at the test root, kept whole for checking again offline.
    path = tls["validated_path"]
    assert [cert["sha256"] for cert in path[:2]] == [cert["sha256"] for cert in tls["chain"]]
    assert path[-1]["pem"] == chained_site.root_pem
    assert all("pem" not in cert for cert in path[:2])  # already in the chain


def test_an_insecure_capture_is_recorded_as_not_validated(chained_site: ChainedSite,
                                                          tmp_path: Path) -> None:
    site = chained_site.server
    package = captured(tmp_path, [site.url(REPORT_PATH)], verify_tls=False)
    tls = origins(package)[origin_of(site.base_url)]["tls"]
    assert tls["validated"] is False
    assert tls["validation"] == "not validated (--insecure)"
    assert tls["trust_store"] is None and tls["validated_path"] == []
    assert tls["server_name"] is None
    assert [cert["pem"] for cert in tls["chain"]] == chained_site.chain_pems


# -- addresses --------------------------------------------------------------------------------


def test_dns_answers_and_the_address_used_are_recorded(site: SiteServer,
                                                       tmp_path: Path) -> None:
    port = site.base_url.rsplit(":", 1)[1]
    url = f"http://localhost:{port}{REPORT_PATH}"
    package = captured(tmp_path, [url])
    entry = origins(package)[f"http://localhost:{port}"]
    answers = list(dict.fromkeys(str(info[4][0]) for info in
                                 socket.getaddrinfo("localhost", int(port),
                                                    type=socket.SOCK_STREAM)))
    assert entry["dns"]["addresses"] == answers
    assert entry["dns"]["used"] == HOST  # the one the server listens on
    assert entry["dns"]["refused"] == []
    assert entry["dns"]["lookup"].startswith("the system resolver")
    assert entry["tls"] is None
    assert entry["host"] == "localhost"


def test_every_exchange_record_carries_the_address_its_origin_recorded(
        site: SiteServer, chained_site: ChainedSite, tmp_path: Path) -> None:
    """Redirects and requisites too: every request and response record has WARC-IP-Address,
    and it is the address the provenance of its origin says was used."""
    tls = chained_site.server
    urls = [site.url(STORY_PATH), site.url("/redirect/chain"), tls.url(STORY_PATH)]
    package = captured(tmp_path, urls, ca_file=tls.ca_file)
    used = {origin: entry["dns"]["used"] for origin, entry in origins(package).items()}
    assert set(used) == {origin_of(site.base_url), origin_of(tls.base_url)}
    kinds = set()
    for record in package.records():
        kind = record.headers["WARC-Type"]
        if kind in ("request", "response"):
            origin = origin_of(record.headers["WARC-Target-URI"])
            assert record.headers["WARC-IP-Address"] == used[origin], record.headers
            kinds.add(kind)
    assert kinds == {"request", "response"}
    roles = {resource["role"] for resource in package.manifest["resources"]}
    assert "requisite" in roles
    assert any(resource["redirect_to"] for resource in package.manifest["resources"])


# -- the records and manifest.json --------------------------------------------------------------


def test_manifest_provenance_restates_its_records(chained_site: ChainedSite,
                                                  tmp_path: Path) -> None:
    site = chained_site.server
    package = captured(tmp_path, [site.url(STORY_PATH)], ca_file=site.ca_file,
                       operator=Operator("Ana Lima", "The Daily Ledger"),
                       warc_max_bytes=20_000)  # several WARC files, a warcinfo record each
    provenance = package.manifest["provenance"]
    for entry in provenance["origins"]:
        assert record_json(package, entry) == origin_document(entry)
        record = read_record(package.path / entry["record"]["warc_file"],
                             entry["record"]["offset"])
        assert record.headers["WARC-IP-Address"] == entry["dns"]["used"]
        assert record.headers["WARC-Target-URI"].startswith("urn:archiver:provenance:")
        responses = {r["record"]["record_id"] for r in package.manifest["resources"]
                     if r["record"] and origin_of(r["url"]) == entry["origin"]}
        assert record.headers["WARC-Concurrent-To"] in responses
    warcs = sorted((package.path / "data" / "warc").glob("*.warc.gz"))
    assert len(warcs) > 1
    assert [ref["warc_file"] for ref in provenance["warcinfo"]["records"]] == [
        f"data/warc/{warc.name}" for warc in warcs]
    for ref in provenance["warcinfo"]["records"]:
        record = read_record(package.path / ref["warc_file"], ref["offset"])
        assert record.headers["WARC-Type"] == "warcinfo"
        lines = record.block.decode("utf-8").splitlines()
        assert [line.split(": ", 1) for line in lines] == provenance["warcinfo"]["fields"]
    fields = dict(provenance["warcinfo"]["fields"])
    assert fields["operator"] == "Ana Lima, The Daily Ledger"
    carried = json.loads(fields["archiver-provenance"])
    assert carried == {"environment": provenance["environment"],
                       "operator": {"name": "Ana Lima", "organisation": "The Daily Ledger"}}
    environment = provenance["environment"]
    assert environment["openssl"] == ssl.OPENSSL_VERSION
    assert environment["dependencies"]["h11"]  # archiver's own requirements, with versions
    assert environment["user_agent"] == package.manifest["settings"]["user_agent"]


def test_two_names_of_one_server_are_two_origins_each_recorded_once(
        site: SiteServer, tmp_path: Path) -> None:
    """Two names for the same server are two origins; the same origin met twice with the
    same facts is recorded once (connections are reused, and new ones open in parallel)."""
    port = site.base_url.rsplit(":", 1)[1]
    urls = [site.url(STORY_PATH), site.url(REPORT_PATH), f"http://localhost:{port}/"]
    package = captured(tmp_path, urls, per_host=2)
    assert set(origins(package)) == {origin_of(site.base_url), f"http://localhost:{port}"}


def test_a_certificate_changed_between_connections_gets_a_record_of_its_own(
        tmp_path: Path) -> None:
    """A server that presents another certificate on a later connection (a renewal, or an
    interception) is recorded again: both chains are in the package."""
    trustme = pytest.importorskip("trustme")
    root = trustme.CA()
    first, second = (ssl.create_default_context(ssl.Purpose.CLIENT_AUTH) for _ in range(2))
    root.issue_cert(HOST).configure_cert(first)
    root.issue_cert(HOST).configure_cert(second)
    ca_file = tmp_path / "root.pem"
    root.cert_pem.write_to_path(str(ca_file))
    output = tmp_path / "package"
    settings = fast_settings(ca_file=ca_file, requisites=False)  # one connection at a time
    with SiteServer(tls=first) as site, building(output, settings) as build:
        job = build.capture_job()
        try:
            job.capture([site.url("/encoding/until-close")])  # its connection ends with it
            site._server.tls = second  # the next connection is served another certificate
            result = job.capture([site.url(REPORT_PATH)])
        finally:
            job.close()
        files = build.close_warcs()
        build.seal(build_manifest(package_id=build.package_id, settings=build.settings,
                                  result=result, files=files,
                                  provenance=build.provenance(result)), files)
    assert_standard_tools_accept(output)
    assert check(output).is_valid
    found = json.loads((output / "manifest.json").read_text("utf-8"))["provenance"]["origins"]
    assert [entry["origin"] for entry in found] == [origin_of(site.base_url)] * 2
    leaves = [entry["tls"]["chain"][0]["sha256"] for entry in found]
    assert len(set(leaves)) == 2


@pytest.fixture
def provenance_package(chained_site: ChainedSite, tmp_path: Path) -> Path:
    site = chained_site.server
    package = captured(tmp_path, [site.url(REPORT_PATH)], ca_file=site.ca_file,
                       operator=Operator("Ana Lima"))
    copy = tmp_path / "copy"
    shutil.copytree(package.path, copy)
    return copy


def problems(package: Path) -> list[tuple[str, str]]:
    return [(problem.code, problem.message) for problem in check(package).problems]


def test_verify_catches_an_edited_tls_claim_whatever_checksums_were_rebuilt(
        provenance_package: Path) -> None:
    def downgrade(manifest: dict[str, Any]) -> None:
        manifest["provenance"]["origins"][0]["tls"]["version"] = "TLSv1.3"

    edit_manifest(provenance_package, downgrade)  # tag manifest rebuilt: the bag is consistent
    found = problems(provenance_package)
    assert [code for code, _ in found] == ["manifest-claim-mismatch"]
    assert "provenance.origins[0]" in found[0][1] and "metadata record" in found[0][1]


def test_verify_catches_an_edited_claim_with_its_digest_rebuilt_too(
        provenance_package: Path) -> None:
    def forge(manifest: dict[str, Any]) -> None:
        entry = manifest["provenance"]["origins"][0]
        entry["tls"]["chain"] = entry["tls"]["chain"][:1]  # hide the intermediate
        entry["sha256"] = hashlib.sha256(document_bytes(origin_document(entry))).hexdigest()

    edit_manifest(provenance_package, forge)
    found = problems(provenance_package)
    assert [code for code, _ in found] == ["manifest-payload-mismatch"]
    assert found[0][1].startswith("provenance.origins[0]: sha256 is not")


def test_verify_catches_an_edited_address(provenance_package: Path) -> None:
    def move(manifest: dict[str, Any]) -> None:
        manifest["provenance"]["origins"][0]["dns"]["used"] = "192.0.2.7"

    edit_manifest(provenance_package, move)
    found = problems(provenance_package)
    codes = sorted(code for code, _ in found)
    assert codes == ["manifest-claim-mismatch", "manifest-claim-mismatch"]
    assert any("WARC-IP-Address" in message for _, message in found)


@pytest.mark.parametrize("change", ["operator", "environment", "settings"])
def test_verify_catches_an_edited_environment_or_operator(provenance_package: Path,
                                                          change: str) -> None:
    def edit(manifest: dict[str, Any]) -> None:
        if change == "operator":
            manifest["provenance"]["operator"] = {"name": "Someone Else"}
        elif change == "environment":
            manifest["provenance"]["environment"]["openssl"] = "OpenSSL 9.9.9"
        else:
            manifest["settings"]["verify_tls"] = False

    edit_manifest(provenance_package, edit)
    found = problems(provenance_package)
    assert [code for code, _ in found] == ["manifest-claim-mismatch"]
    assert "warcinfo records" in found[0][1]


def test_verify_catches_edited_warcinfo_fields(provenance_package: Path) -> None:
    def edit(manifest: dict[str, Any]) -> None:
        fields = manifest["provenance"]["warcinfo"]["fields"]
        fields.append(["operator", "Someone Else"])

    edit_manifest(provenance_package, edit)
    found = problems(provenance_package)
    assert [code for code, _ in found] == ["manifest-claim-mismatch"]
    assert found[0][1].startswith("provenance.warcinfo: its fields")


def test_a_wacz_export_carries_provenance_that_verify_checks(provenance_package: Path,
                                                              tmp_path: Path) -> None:
    wacz = tmp_path / "evidence.wacz"
    export_wacz(provenance_package, wacz)
    assert check_wacz(wacz).is_valid
    def another_operator(manifest: dict[str, Any]) -> None:
        manifest["provenance"]["operator"] = {"name": "Someone Else"}

    forged = with_edited_manifest(wacz, tmp_path / "forged.wacz", another_operator)
    report = check_wacz(forged)
    assert [(p.code, p.path) for p in report.problems] == [
        ("manifest-claim-mismatch", "archiver/manifest.json")], report.problems


# -- the operator -------------------------------------------------------------------------------


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.stderr


def test_operator_from_the_command_line(site: SiteServer, tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    code, stderr = run("capture", site.url(REPORT_PATH), "-o", str(out), "--allow-private",
                       "--operator", "Ana Lima", "--organisation", "The Daily Ledger",
                       env={"ARCHIVER_CONFIG": str(tmp_path / "none.toml")})
    assert code == 0, stderr
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["provenance"]["operator"] == {"name": "Ana Lima",
                                                  "organisation": "The Daily Ledger"}


def test_operator_from_the_configuration_and_the_flag_wins(site: SiteServer,
                                                           tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('operator = "Bea Cruz"\norganisation = "Field Desk"\n'
                      'trust = ["roots/newsroom.pem"]\n', "utf-8")
    env = {"ARCHIVER_CONFIG": str(config)}
    out = tmp_path / "from-config"
    code, stderr = run("capture", site.url(REPORT_PATH), "-o", str(out), "--allow-private",
                       env=env)
    assert code == 0, stderr
    manifest_text = (out / "manifest.json").read_text("utf-8")
    manifest = json.loads(manifest_text)
    assert manifest["provenance"]["operator"] == {"name": "Bea Cruz",
                                                  "organisation": "Field Desk"}
    # Only who captured comes from the configuration: not what else the user keeps there.
    # (A key or TSA set in it would sign or stamp, which is not this test's business.)
    records = b"".join(gzip.decompress(warc.read_bytes())
                       for warc in (out / "data" / "warc").glob("*.warc.gz"))
    assert "newsroom.pem" not in manifest_text and b"newsroom.pem" not in records
    out = tmp_path / "flag-wins"
    code, stderr = run("capture", site.url(REPORT_PATH), "-o", str(out), "--allow-private",
                       "--operator", "Ana Lima", env=env)
    assert code == 0, stderr
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["provenance"]["operator"] == {"name": "Ana Lima",
                                                  "organisation": "Field Desk"}


def test_nobody_named_is_recorded_as_null(site: SiteServer, tmp_path: Path) -> None:
    package = captured(tmp_path, [site.url(REPORT_PATH)])
    provenance = package.manifest["provenance"]
    assert provenance["operator"] is None
    assert "operator" not in dict(provenance["warcinfo"]["fields"])


def test_an_operator_name_with_a_line_break_is_a_usage_error(site: SiteServer,
                                                             tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    code, stderr = run("capture", site.url(REPORT_PATH), "-o", str(out), "--allow-private",
                       "--operator", "Ana\nLima", env={"ARCHIVER_CONFIG": str(tmp_path / "x")})
    assert code == 2
    assert "--operator" in stderr and "line breaks" in stderr
    assert not out.exists()


# -- the story report ---------------------------------------------------------------------------


def test_the_story_report_has_a_provenance_section(chained_site: ChainedSite,
                                                   tmp_path: Path) -> None:
    site = chained_site.server
    output = tmp_path / "story"
    create_story_package(site.url(STORY_PATH), output,
                         settings=fast_settings(ca_file=site.ca_file),
                         operator=Operator("Ana Lima", "The Daily Ledger"))
    assert_standard_tools_accept(output)
    assert check(output).is_valid
    manifest = json.loads((output / "manifest.json").read_text("utf-8"))
    leaf = manifest["provenance"]["origins"][0]["tls"]["chain"][0]
    html = (output / "data" / "report.html").read_text("utf-8")
    markdown = (output / "data" / "report.md").read_text("utf-8")
    for report in (html, markdown):
        assert "Provenance" in report
        assert "Ana Lima, The Daily Ledger" in report
        assert origin_of(site.base_url) in report
        assert "TLSv1.2" in report and leaf["sha256"][:12] in report
        assert "openssl x509 -noout -text" in report
    assert '<h2 id="provenance">Provenance</h2>' in html
    assert "\n## Provenance\n" in markdown


# -- a Python without the chain API ---------------------------------------------------------------


class _WithoutChainMethods:
    """A real TLS socket seen as Python before 3.10 shows it: no chain methods, public or
    private; only getpeercert."""

    _sslobj = None

    def __init__(self, sock: ssl.SSLSocket) -> None:
        self._sock = sock

    def getpeercert(self, binary_form: bool = False) -> Any:
        return self._sock.getpeercert(binary_form)


def test_without_the_chain_api_the_leaf_is_kept_and_said_to_be_alone(
        chained_site: ChainedSite) -> None:
    from archiver.capture.peer import _presented_chain

    context = ssl.create_default_context(cafile=str(chained_site.server.ca_file))
    host, port = chained_site.server.base_url.removeprefix("https://").split(":")
    with socket.create_connection((host, int(port))) as raw, \
            context.wrap_socket(raw, server_hostname=host) as sock:
        assert _presented_chain(sock)[1] == "presented"
        chain, source = _presented_chain(_WithoutChainMethods(sock))  # type: ignore[arg-type]
    assert source == "leaf-only"
    assert chain == (ssl.PEM_cert_to_DER_cert(chained_site.chain_pems[0]),)
