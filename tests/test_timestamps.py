"""RFC 3161 timestamps: asked of a real TSA (OpenSSL's `openssl ts -reply` on 127.0.0.1, with a
test PKI of root, intermediate and TSA certificate), stored whole, checked offline by
archiver and by `openssl ts -verify`, the outside judge of every token stored here.

No token is fabricated: every .tsr comes from openssl; tampering is done to real tokens and
real packages, as a forger would."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import bagit
import jsonschema
import pytest
from asn1crypto import tsp
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from typer.testing import CliRunner

from archiver.attestation.timestamp_check import check_timestamps
from archiver.attestation.timestamp_files import find_timestamp_files, parse_renewal
from archiver.attestation.timestamping import timestamp_package
from archiver.attestation.token_check import Imprint, check_token
from archiver.attestation.trust import TrustList, certificate_fingerprint, load_trust
from archiver.attestation.tsa_client import TsaFailed, request_timestamp
from archiver.attestation.tsa_token import read_reply
from archiver.cli import app
from archiver.schema_files import load_schema
from tests.server import REPORT_PATH, STORY_PATH, SiteServer
from tests.tsa_server import HUGE_BYTES, OPENSSL, Pki, TsaServer, make_pki, openssl_verify

pytestmark = pytest.mark.skipif(OPENSSL is None, reason="openssl is not installed: the test "
                                "TSA is `openssl ts -reply` (apt-get install openssl)")
TAG_MANIFEST = "tagmanifest-sha256.txt"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"), name="First Test TSA")


@pytest.fixture(scope="module")
def pki2(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki2"), name="Second Test TSA")


@pytest.fixture(scope="module")
def tsa(pki: Pki) -> Iterator[TsaServer]:
    with TsaServer(pki) as server:
        yield server


@pytest.fixture(scope="module")
def tsa2(pki2: Pki) -> Iterator[TsaServer]:
    with TsaServer(pki2) as server:
        yield server


@pytest.fixture
def package(sample_package: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "pkg"
    shutil.copytree(sample_package, copy)
    return copy


def trusting(*pkis: Pki) -> TrustList:
    return load_trust([p.root_pem for p in pkis], with_defaults=False)


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def judged_by_openssl(package: Path, token: str, ca: Pki) -> bool:
    stamped = json.loads((package / token.replace(".tsr", ".json")).read_text())["stamped_file"]
    done = openssl_verify(package / token, package / stamped, ca.root_pem)
    return done.returncode == 0 and "Verification: OK" in done.stdout


def timestamp_files_left(package: Path) -> list[str]:
    folder = package / "attestations" / "timestamps"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# -- stamping, and the outside judge -------------------------------------------------------------


def test_two_tsas_stamp_the_tag_manifest_and_openssl_agrees(
        package: Path, tsa: TsaServer, tsa2: TsaServer, pki: Pki, pki2: Pki) -> None:
    bag_before = {p: p.read_bytes() for p in package.rglob("*") if p.is_file()}
    outcomes = timestamp_package(package, [tsa.url, tsa2.url])
    assert [o.ok for o in outcomes] == [True, True], outcomes
    assert [o.stamped_file for o in outcomes] == [TAG_MANIFEST, TAG_MANIFEST]
    assert [o.authority for o in outcomes] == ["First Test TSA", "Second Test TSA"]
    tokens = [o.token for o in outcomes]
    assert all(t is not None for t in tokens)
    assert judged_by_openssl(package, tokens[0] or "", pki)
    assert judged_by_openssl(package, tokens[1] or "", pki2)
    # the request as RFC 3161 says: SHA-256 of the tag manifest, a nonce, certReq
    _, content_type, query = tsa.requests[-1]
    assert content_type == "application/timestamp-query"
    request = tsp.TimeStampReq.load(query)
    assert request["message_imprint"]["hash_algorithm"]["algorithm"].native == "sha256"
    assert request["message_imprint"]["hashed_message"].native == hashlib.sha256(
        (package / TAG_MANIFEST).read_bytes()).digest()
    assert request["cert_req"].native is True and request["nonce"].native
    findings = check_timestamps(package, trusting(pki, pki2))
    assert [f.status for f in findings] == ["valid", "valid"], findings
    assert findings[0].stamped_at == outcomes[0].stamped_at
    for token in tokens:
        sidecar = json.loads((package / (token or "")).with_suffix(".json").read_text())
        jsonschema.validate(sidecar, load_schema("timestamp"))
    # nothing of the bag changed, and bagit-python still validates it
    assert all(p.read_bytes() == data for p, data in bag_before.items())
    bagit.Bag(str(package)).validate()


def test_an_rsa_tsa_as_the_public_ones_are(package: Path, tmp_path: Path) -> None:
    # OpenSSL names an RSA signer's algorithm rsaEncryption, the digest apart, as public TSAs do
    rsa_pki = make_pki(tmp_path / "rsa", name="RSA TSA", key_type="rsa")
    with TsaServer(rsa_pki) as server:
        outcome, = timestamp_package(package, [server.url])
    assert judged_by_openssl(package, outcome.token or "", rsa_pki)
    finding, = check_timestamps(package, trusting(rsa_pki))
    assert finding.status == "valid", finding
    token = package / (outcome.token or "")
    damaged = bytearray(token.read_bytes())
    damaged[-5] ^= 0x01  # inside the RSA signature
    token.write_bytes(bytes(damaged))
    finding, = check_timestamps(package, trusting(rsa_pki))
    assert finding.status == "invalid" and "signature does not verify" in (finding.reason or "")


def test_the_reply_is_stored_exactly_as_the_tsa_sent_it(package: Path, pki: Pki) -> None:
    with TsaServer(pki) as server:
        outcome, = timestamp_package(package, [server.url])
        sent = server.replies[-1]
    assert outcome.token is not None
    assert (package / outcome.token).read_bytes() == sent


def test_a_signed_package_has_its_signature_stamped(package: Path, tsa: TsaServer,
                                                    pki: Pki) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    signature = key.sign((package / TAG_MANIFEST).read_bytes(), ec.ECDSA(hashes.SHA256()))
    (package / "attestations").mkdir(exist_ok=True)  # its custody log may be there already
    (package / "attestations" / "signature-3F2A9C0011223344.sig").write_bytes(signature)
    outcome, = timestamp_package(package, [tsa.url])
    assert outcome.stamped_file == "attestations/signature-3F2A9C0011223344.sig"
    assert judged_by_openssl(package, outcome.token or "", pki)
    assert [f.status for f in check_timestamps(package, trusting(pki))] == ["valid"]


def test_a_second_timestamp_renews_every_earlier_attestation(
        package: Path, tsa: TsaServer, tsa2: TsaServer, pki: Pki, pki2: Pki) -> None:
    first, = timestamp_package(package, [tsa.url])
    second, third = timestamp_package(package, [tsa2.url, tsa.url])
    renewal = "attestations/timestamps/renewal-01.txt"
    assert (second.stamped_file, third.stamped_file) == (renewal, renewal)
    assert second.renewal and not first.renewal
    listed = dict((path, digest) for digest, path in
                  parse_renewal((package / renewal).read_text()))
    assert first.token in listed
    assert listed[first.token or ""] == hashlib.sha256(
        (package / (first.token or "")).read_bytes()).hexdigest()
    assert judged_by_openssl(package, second.token or "", pki2)
    assert judged_by_openssl(package, third.token or "", pki)
    fourth, = timestamp_package(package, [tsa.url])
    assert fourth.stamped_file == "attestations/timestamps/renewal-02.txt"
    assert renewal in dict((p, d) for d, p in parse_renewal(
        (package / fourth.stamped_file).read_text()))
    findings = check_timestamps(package, trusting(pki, pki2))
    assert [f.status for f in findings] == ["valid"] * 4, findings


def test_a_renewal_names_an_earlier_token_changed_since(package: Path, tsa: TsaServer,
                                                         pki: Pki) -> None:
    first, = timestamp_package(package, [tsa.url])
    renewing, = timestamp_package(package, [tsa.url])
    # The earlier token swapped for another real token of the same TSA over other content
    other = request_timestamp(tsa.url, hashlib.sha256(b"another file").digest())
    (package / (first.token or "")).write_bytes(other.data)
    findings = {f.path: f for f in check_timestamps(package, trusting(pki))}
    assert findings[first.token or ""].status == "wrong-imprint"
    renewed = findings[renewing.token or ""]
    assert renewed.status == "invalid"
    assert f"{first.token} changed since attestations/timestamps/renewal-01.txt" in (
        renewed.reason or "")


# -- what verify finds ---------------------------------------------------------------------------


def test_a_token_over_another_digest_is_wrong_imprint(package: Path, tsa: TsaServer,
                                                      pki: Pki) -> None:
    outcome, = timestamp_package(package, [tsa.url])
    other = request_timestamp(tsa.url, hashlib.sha256(b"a different tag manifest").digest())
    (package / (outcome.token or "")).write_bytes(other.data)
    finding, = check_timestamps(package, trusting(pki))
    assert finding.status == "wrong-imprint"
    assert finding.stamped_file == TAG_MANIFEST
    assert not judged_by_openssl(package, outcome.token or "", pki)


def test_the_stamped_file_changed_since_is_wrong_imprint(package: Path, tsa: TsaServer,
                                                         pki: Pki) -> None:
    timestamp_package(package, [tsa.url])
    # the forgery of issue 13: a line added to bag-info.txt, the tag manifest rebuilt
    with (package / "bag-info.txt").open("a") as handle:
        handle.write("Source-Organization: someone else\n")
    bagit.Bag(str(package)).save()
    finding, = check_timestamps(package, trusting(pki))
    assert finding.status == "wrong-imprint"
    assert "tagmanifest-sha256.txt has" in (finding.reason or "")
    assert not judged_by_openssl(package, finding.path, pki)


def test_a_token_from_an_untrusted_root_names_the_root(package: Path, tsa2: TsaServer,
                                                       pki: Pki, pki2: Pki) -> None:
    timestamp_package(package, [tsa2.url])
    finding, = check_timestamps(package, trusting(pki))
    assert finding.status == "untrusted-authority"
    assert finding.root_fingerprint == certificate_fingerprint(pki2.root)
    assert certificate_fingerprint(pki2.root) in (finding.reason or "")
    assert finding.authority == "Second Test TSA"
    assert not judged_by_openssl(package, finding.path, pki)
    assert judged_by_openssl(package, finding.path, pki2)
    assert [f.status for f in check_timestamps(package, trusting(pki2))] == ["valid"]


@pytest.mark.parametrize("when", ["ended-before", "began-after"])
def test_a_tsa_certificate_not_valid_at_stamping_time_is_invalid(
        package: Path, tmp_path: Path, when: str) -> None:
    now = datetime.now(UTC)
    validity = ((now - timedelta(days=2), now - timedelta(days=1)) if when == "ended-before"
                else (now + timedelta(days=1), now + timedelta(days=2)))
    lapsed = make_pki(tmp_path / "lapsed", name="Lapsed TSA", tsa_valid=validity)
    with TsaServer(lapsed) as server:
        outcome, = timestamp_package(package, [server.url])
    finding, = check_timestamps(package, trusting(lapsed))
    assert finding.status == "invalid"
    assert "the TSA's certificate was not valid at the time of stamping" in (
        finding.reason or "")
    assert not judged_by_openssl(package, outcome.token or "", lapsed)


def test_an_altered_token_fails_its_signature(package: Path, tsa: TsaServer, pki: Pki) -> None:
    outcome, = timestamp_package(package, [tsa.url])
    token = package / (outcome.token or "")
    data = bytearray(token.read_bytes())
    data[-10] ^= 0x01  # inside the signature, the last field of the reply
    token.write_bytes(bytes(data))
    finding, = check_timestamps(package, trusting(pki))
    assert finding.status in ("invalid", "unreadable"), finding
    assert not judged_by_openssl(package, outcome.token or "", pki)


def test_damaged_tokens_give_findings_never_a_traceback(package: Path, tsa: TsaServer,
                                                        pki: Pki) -> None:
    outcome, = timestamp_package(package, [tsa.url])
    token = package / (outcome.token or "")
    original = token.read_bytes()
    signed = read_reply(original)
    statuses = set()
    for position in range(0, len(original), 7):  # every 7th byte, each flipped alone
        damaged = bytearray(original)
        damaged[position] ^= 0xFF
        token.write_bytes(bytes(damaged))
        finding, = check_timestamps(package, trusting(pki))
        statuses.add(finding.status)
        if finding.status == "valid":
            # Only a byte no signature covers (the CMS framing, read leniently) may change
            # and leave the token valid: what the TSA signed is still what it signed.
            read = read_reply(bytes(damaged))
            assert (read.tst_info_der, read.signed_attributes, read.signature) == (
                signed.tst_info_der, signed.signed_attributes, signed.signature), position
    for cut in (0, 1, 10, len(original) // 2, len(original) - 1):
        token.write_bytes(original[:cut])
        finding, = check_timestamps(package, trusting(pki))
        assert finding.status == "unreadable", cut
    assert statuses >= {"unreadable", "invalid"}, statuses


def test_attestations_through_a_link_are_refused(package: Path, tsa: TsaServer,
                                                 tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.rmtree(package / "attestations", ignore_errors=True)  # the custody log's folder
    (package / "attestations").symlink_to(elsewhere)
    code, _, stderr = run("timestamp", str(package), "--tsa", tsa.url)
    assert code == 2 and "attestations is not a folder" in stderr
    assert list(elsewhere.iterdir()) == []


def test_a_token_without_what_it_stamps_is_unreadable(package: Path, tsa: TsaServer,
                                                      pki: Pki) -> None:
    outcome, = timestamp_package(package, [tsa.url])
    (package / (outcome.token or "").replace(".tsr", ".json")).unlink()
    finding, = check_timestamps(package, trusting(pki))
    assert finding.status == "unreadable"
    assert "nothing says which file the token stamps" in (finding.reason or "")


def test_a_token_claiming_to_stamp_a_meaningless_file_is_refused(
        package: Path, tsa: TsaServer, pki: Pki) -> None:
    outcome, = timestamp_package(package, [tsa.url])
    sidecar = package / (outcome.token or "").replace(".tsr", ".json")
    document = json.loads(sidecar.read_text())
    sidecar.write_text(json.dumps(document | {"stamped_file": "../../etc/passwd"}))
    finding, = check_timestamps(package, trusting(pki))
    assert finding.status == "invalid"


def test_a_token_whose_json_names_another_digest_is_invalid(
        package: Path, tsa: TsaServer, pki: Pki) -> None:
    outcome, = timestamp_package(package, [tsa.url])
    sidecar = package / (outcome.token or "").replace(".tsr", ".json")
    document = json.loads(sidecar.read_text())
    sidecar.write_text(json.dumps(document | {"stamped_sha256": "0" * 64}))
    finding, = check_timestamps(package, trusting(pki))
    assert finding.status == "invalid"
    assert f"says the token stamps SHA-256 {'0' * 64}, but the token carries" in (
        finding.reason or "")
    assert finding.authority == "First Test TSA" and finding.stamped_at == outcome.stamped_at


def test_the_default_trust_holds_public_tsa_roots_only(package: Path, tsa: TsaServer) -> None:
    defaults = load_trust([])
    names = {root.subject.rfc4514_string() for root in defaults.roots}
    assert any("DigiCert Trusted Root G4" in name for name in names)
    assert any("USERTrust RSA" in name for name in names)
    timestamp_package(package, [tsa.url])
    finding, = check_timestamps(package, defaults)
    assert finding.status == "untrusted-authority"  # a test CA is no public TSA


def test_a_package_without_timestamps_has_no_findings(package: Path) -> None:
    assert check_timestamps(package, trusting()) == []


# -- TSAs that fail: the package stays sealed, nothing half-written ------------------------------


@pytest.mark.parametrize(("mode", "reason"), [
    ("garbage", "not an RFC 3161 timestamp reply"),
    ("error", "it answered HTTP 500"),
    ("huge", "it announced a reply of 100,000,000 bytes"),
    ("huge-chunked", "its reply runs past 1,048,576 bytes"),
    ("other-digest", "the token stamps another digest than the one sent"),
    ("redirect", "archiver does not follow a TSA's redirects"),
    ("silent", "no answer within 0.5 seconds"),
])
def test_a_tsa_that_answers_wrongly_is_named_and_nothing_is_stored(
        package: Path, tsa: TsaServer, mode: str, reason: str) -> None:
    code, stdout, stderr = run("timestamp", str(package), "--tsa", tsa.url_for(mode),
                               "--tsa-timeout", "0.5")
    assert code == 1, (stdout, stderr)
    assert tsa.url_for(mode) in stderr and reason in stderr, stderr
    assert f"add it later with `archiver timestamp {package}`" in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert timestamp_files_left(package) == []
    bagit.Bag(str(package)).validate()
    if mode == "huge":
        assert tsa.huge_sent < HUGE_BYTES // 10  # refused from its announced length


def test_one_tsa_failing_leaves_the_others_token(package: Path, tsa: TsaServer,
                                                 pki: Pki) -> None:
    good, bad = timestamp_package(package, [tsa.url, tsa.url_for("garbage")])
    assert good.ok and not bad.ok
    assert find_timestamp_files(package).tokens == (good.token,)
    assert judged_by_openssl(package, good.token or "", pki)


def test_an_unreachable_tsa_is_named(package: Path) -> None:
    with SiteServerless() as url:
        outcome, = timestamp_package(package, [url], timeout=2)
    assert not outcome.ok and "connection refused" in (outcome.reason or "")


class SiteServerless:
    """The address of a port nothing listens on."""

    def __enter__(self) -> str:
        import socket
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        return f"http://127.0.0.1:{port}/tsr"

    def __exit__(self, *exc: object) -> None:
        pass


def test_one_token_judged_on_its_own_bytes(tsa: TsaServer, pki: Pki, pki2: Pki) -> None:
    """token_check.check_token: the one verification behind a package's tokens and a WACZ's
    timeSignature, given a reply's bytes, the imprint expected and a trust list."""
    data = b"what the TSA stamps"
    reply = request_timestamp(tsa.url, hashlib.sha256(data).digest())
    verdict = check_token(reply.data, Imprint.of_bytes(data), trusting(pki))
    assert (verdict.status, verdict.authority, verdict.reason) == ("valid", "First Test TSA",
                                                                   None)
    assert verdict.stamped_at == reply.token.gen_time and verdict.root_fingerprint is None
    other = check_token(reply.data, Imprint.of_bytes(b"other", of="other.txt"), trusting(pki))
    assert other.status == "wrong-imprint" and "but other.txt has sha256" in (other.reason or "")
    longer = check_token(reply.data, Imprint.of_bytes(data, "sha384"), trusting(pki))
    assert longer.status == "wrong-imprint"
    untrusted = check_token(reply.data, Imprint.of_bytes(data), trusting(pki2))
    assert untrusted.status == "untrusted-authority"
    assert untrusted.root_fingerprint == certificate_fingerprint(pki.root)
    cut = check_token(reply.data[:-1], Imprint.of_bytes(data), trusting(pki), name="cut.tsr")
    assert cut.status == "unreadable" and (cut.reason or "").startswith("cut.tsr: ")


def test_the_request_is_checked_against_the_reply(tsa: TsaServer) -> None:
    digest = hashlib.sha256(b"x").digest()
    reply = request_timestamp(tsa.url, digest)
    assert reply.token.imprint == digest and reply.token.nonce is not None
    with pytest.raises(TsaFailed, match="another digest"):
        request_timestamp(tsa.url_for("other-digest"), digest)


# -- the CLI -------------------------------------------------------------------------------------


def test_timestamp_verb_json(package: Path, tsa: TsaServer, tsa2: TsaServer) -> None:
    code, stdout, stderr = run("timestamp", str(package), "--tsa", tsa.url, "--tsa", tsa2.url,
                               "--json")
    assert code == 0, stderr
    report = json.loads(stdout)
    assert [entry["ok"] for entry in report] == [True, True]
    assert report[0]["stamped_file"] == TAG_MANIFEST
    assert report[0]["authority"] == "First Test TSA"
    assert report[1]["token"].startswith("attestations/timestamps/02-127.0.0.1-")


def test_timestamp_without_a_tsa_says_how_to_configure_one(package: Path,
                                                           tmp_path: Path) -> None:
    code, _, stderr = run("timestamp", str(package),
                          env={"ARCHIVER_CONFIG": str(tmp_path / "none.toml")})
    assert code == 2
    assert "--tsa URL" in stderr and "none.toml): tsa = [" in stderr
    assert len(stderr.strip().splitlines()) == 1 and "\\n" not in stderr
    assert timestamp_files_left(package) == []


def test_timestamp_uses_the_configured_tsas(package: Path, tsa: TsaServer,
                                            tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'tsa = ["{tsa.url}"]\n')
    code, stdout, stderr = run("timestamp", str(package), env={"ARCHIVER_CONFIG": str(config)})
    assert code == 0, stderr
    assert "timestamped by First Test TSA" in stdout


def test_timestamp_refuses_a_bad_tsa_url_and_a_non_package(package: Path, tmp_path: Path,
                                                           tsa: TsaServer) -> None:
    asked = len(tsa.requests)
    code, _, stderr = run("timestamp", str(package), "--tsa", tsa.url, "--tsa",
                          "freetsa.org/tsr")
    assert code == 2 and "no http:// or https://" in stderr
    code, _, stderr = run("timestamp", str(tmp_path), "--tsa", tsa.url)
    assert code == 2 and "not a sealed package" in stderr
    assert len(tsa.requests) == asked  # no TSA asked for a usage error
    assert timestamp_files_left(package) == []


def test_capture_with_tsa_stamps_the_sealed_package(site: SiteServer, tsa: TsaServer,
                                                    tsa2: TsaServer, pki: Pki, pki2: Pki,
                                                    tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    code, stdout, stderr = run("capture", site.url(REPORT_PATH), "-o", str(out),
                               "--allow-private", "--retries", "0", "--tsa", tsa.url,
                               "--tsa", tsa2.url)
    assert code == 0, stderr
    assert stdout.count("timestamped by") == 2
    findings = check_timestamps(out, trusting(pki, pki2))
    assert [f.status for f in findings] == ["valid", "valid"]
    assert all(judged_by_openssl(out, f.path, p) for f, p in zip(findings, (pki, pki2),
                                                                 strict=True))


def test_capture_with_a_failing_tsa_is_sealed_and_can_be_stamped_later(
        site: SiteServer, tsa: TsaServer, pki: Pki, tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    code, stdout, stderr = run("capture", site.url(REPORT_PATH), "-o", str(out),
                               "--allow-private", "--retries", "0",
                               "--tsa", tsa.url_for("error"))
    assert code == 1
    assert f"{tsa.url_for('error')}: no timestamp (it answered HTTP 500" in stderr
    assert "1 of 1 sources captured" in stdout
    bagit.Bag(str(out)).validate()
    assert timestamp_files_left(out) == []
    code, stdout, stderr = run("timestamp", str(out), "--tsa", tsa.url)
    assert code == 0, stderr
    assert [f.status for f in check_timestamps(out, trusting(pki))] == ["valid"]


def test_story_with_tsa_stamps_the_story_package(site: SiteServer, tsa: TsaServer, pki: Pki,
                                                 tmp_path: Path) -> None:
    cited = tmp_path / "cited.txt"
    cited.write_text(site.url(REPORT_PATH) + "\n", encoding="utf-8")
    out = tmp_path / "story"
    code, stdout, stderr = run("story", site.url(STORY_PATH), "-o", str(out),
                               "--citations-from", str(cited), "--no-requisites",
                               "--allow-private", "--retries", "0", "--tsa", tsa.url, "--json")
    assert code == 0, stderr
    stamps = json.loads(stdout)["timestamps"]
    assert [(s["ok"], s["stamped_file"]) for s in stamps] == [(True, TAG_MANIFEST)]
    assert judged_by_openssl(out, stamps[0]["token"], pki)
    assert [f.status for f in check_timestamps(out, trusting(pki))] == ["valid"]
    bagit.Bag(str(out)).validate()

