"""verify reads all of it: a package signed, then stamped by two TSAs on 127.0.0.1 (OpenSSL's
own `openssl ts -reply`), says who sealed it, who stamped it when, and that it is unchanged
since; the custody log records each step; a failing token is named beside the signature."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archiver.cli import app
from tests.test_signing import copy_of, make_key, verify_json
from tests.tsa_server import Pki, TsaServer, make_pki

runner = CliRunner()


@pytest.fixture(scope="module")
def two_tsas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[tuple[Pki, TsaServer]]]:
    first = make_pki(tmp_path_factory.mktemp("pki-a"), name="First Test TSA")
    second = make_pki(tmp_path_factory.mktemp("pki-b"), name="Second Test TSA")
    with TsaServer(first) as one, TsaServer(second) as two:
        yield [(first, one), (second, two)]


def test_signed_and_stamped_twice_says_who_when_and_unchanged_since(
        sample_package: Path, tmp_path: Path, two_tsas: list[tuple[Pki, TsaServer]]) -> None:
    package = copy_of(sample_package, tmp_path)
    key = make_key(tmp_path)
    assert runner.invoke(app, ["sign", str(package), "--key", str(key)]).exit_code == 0
    stamped = runner.invoke(app, ["timestamp", str(package),
                                  "--tsa", two_tsas[0][1].url, "--tsa", two_tsas[1][1].url])
    assert stamped.exit_code == 0, stamped.output
    roots = [arg for pki, _ in two_tsas for arg in ("--trust", str(pki.root_pem))]
    report = verify_json(package, *roots)
    proof = report["attestations"]["proof"]
    assert proof.startswith("sealed ") and proof.endswith("; unchanged since")
    assert "timestamped by First Test TSA at " in proof and " and Second Test TSA at " in proof
    assert [f["status"] for f in report["attestations"]["timestamps"]] == ["valid", "valid"]
    events = [json.loads(p.read_bytes())["event"]
              for p in sorted((package / "attestations" / "custody").glob("*.json"))]
    assert events == ["created", "signed", "timestamped"]
    assert report["attestations"]["custody"][0]["status"] == "valid"


def test_a_token_by_an_untrusted_authority_is_named_beside_a_good_signature(
        sample_package: Path, tmp_path: Path, two_tsas: list[tuple[Pki, TsaServer]]) -> None:
    package = copy_of(sample_package, tmp_path)
    key = make_key(tmp_path)
    assert runner.invoke(app, ["sign", str(package), "--key", str(key)]).exit_code == 0
    assert runner.invoke(app, ["timestamp", str(package), "--tsa",
                               two_tsas[0][1].url]).exit_code == 0
    report = verify_json(package)  # the test TSA's root is not trusted
    assert [p["code"] for p in report["problems"]] == ["timestamp-untrusted-authority"]
    assert report["verdict"] == "not-proven"
    assert "PROOF FAILS" in report["attestations"]["proof"]
