"""`archiver recheck` of each kind of package: a story package, one captured without
extraction, one captured through Chromium, and a recheck signed as it is sealed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from archiver.attestation.timestamp_check import check_timestamps
from archiver.cli import app
from archiver.package.build import create_package
from archiver.schema_files import load_schema
from archiver.story.build import create_story_package
from tests.changing_site import ChangingSite
from tests.conftest import assert_standard_tools_accept, fast_settings
from tests.server import STORY_PATH, SiteServer
from tests.test_browser_capture import LIMITS, needs_chromium
from tests.test_signing import make_key, openssl_verifies, verify_json
from tests.test_timestamps import trusting
from tests.tsa_server import OPENSSL, TsaServer, make_pki


def recheck(*args: str) -> tuple[int, dict[str, Any], str]:
    result = CliRunner().invoke(app, ["recheck", *args, "--json"])
    return result.exit_code, json.loads(result.stdout or "null"), result.stderr


def verdicts(report: dict[str, Any], site: ChangingSite) -> dict[str, str]:
    return {source["url"].removeprefix(site.url("")): source["verdict"]
            for source in report["sources"]}


def test_a_story_package_is_rechecked_story_and_citations(site: SiteServer,
                                                          tmp_path: Path) -> None:
    original = tmp_path / "story"
    create_story_package(site.url(STORY_PATH), original,
                         settings=fast_settings(requisites=False))
    code, report, err = recheck(str(original), "-o", str(tmp_path / "new"))
    manifest = json.loads((original / "manifest.json").read_text("utf-8"))
    assert [s["url"] for s in report["sources"]] == [s["requested_url"]
                                                     for s in manifest["sources"]]
    assert report["sources"][0]["url"] == site.url(STORY_PATH)
    assert len(report["sources"]) == len(manifest["story"]["sources"]) + 1
    assert report["original"]["story"] is True
    assert {s["verdict"] for s in report["sources"]} == {"unchanged"}, [
        (s["url"], s["reason"]) for s in report["sources"] if s["verdict"] != "unchanged"]
    assert code == 0, err
    assert_standard_tools_accept(tmp_path / "new")


def test_a_package_captured_without_extraction_is_compared_from_its_records(
        tmp_path: Path) -> None:
    with ChangingSite() as site:
        original = tmp_path / "bare"
        create_package([site.url("/same.html"), site.url("/edited.html")], original,
                       settings=fast_settings(extraction=None))
        site.change()
        code, report, err = recheck(str(original), "-o", str(tmp_path / "new"))
    assert code == 1, err
    assert verdicts(report, site) == {"/same.html": "unchanged", "/edited.html": "changed"}
    edited = report["sources"][1]
    assert any("9,800" in passage for passage in edited["text"]["added"])
    assert not list((tmp_path / "new" / "data").glob("extract/*"))  # its settings: none


def test_a_recheck_is_signed_as_a_capture_is(tmp_path: Path) -> None:
    key = make_key(tmp_path)
    with ChangingSite() as site:
        original = tmp_path / "original"
        create_package([site.url("/same.html")], original, settings=fast_settings())
        result = CliRunner().invoke(app, ["recheck", str(original), "-o",
                                          str(tmp_path / "new"), "--key", str(key)])
    assert result.exit_code == 0, result.output
    assert "1 source: 1 unchanged" in result.stdout
    assert openssl_verifies(tmp_path / "new") == "Verified OK"
    assert verify_json(tmp_path / "new")["attestations"]["signed"] is True


@needs_chromium
def test_a_browser_capture_is_rechecked_through_the_browser(tmp_path: Path) -> None:
    with ChangingSite() as site:
        original = tmp_path / "browser"
        create_package([site.url("/same.html"), site.url("/edited.html"),
                        site.url("/deleted-404.html")], original,
                       settings=fast_settings(browser=LIMITS))
        site.change()
        code, report, err = recheck(str(original), "-o", str(tmp_path / "new"))
    assert code == 1, err
    assert verdicts(report, site) == {"/same.html": "unchanged", "/edited.html": "changed",
                                      "/deleted-404.html": "gone"}
    manifest = json.loads((tmp_path / "new" / "manifest.json").read_text("utf-8"))
    assert manifest["settings"]["browser"] is not None
    kinds = {entry["kind"] for resource in manifest["resources"]
             for entry in resource["derived"]}
    assert {"screenshot", "rendered-dom"} <= kinds
    assert_standard_tools_accept(tmp_path / "new")


@pytest.mark.skipif(OPENSSL is None, reason="openssl is not installed: the test TSA is "
                    "`openssl ts -reply`")
def test_a_recheck_is_timestamped_as_a_capture_is(tmp_path: Path) -> None:
    pki = make_pki(tmp_path / "pki", name="Recheck Test TSA")
    with ChangingSite() as site, TsaServer(pki) as tsa:
        original = tmp_path / "original"
        create_package([site.url("/same.html")], original, settings=fast_settings())
        code, report, err = recheck(str(original), "-o", str(tmp_path / "new"), "--tsa",
                                    tsa.url)
    assert code == 0, err
    assert [stamp["ok"] for stamp in report["timestamps"]] == [True]
    jsonschema.validate(report, load_schema("recheck"))
    findings = check_timestamps(tmp_path / "new", trusting(pki))
    assert [finding.status for finding in findings] == ["valid"]


def test_a_source_that_failed_at_capture_is_judged_by_what_it_answers_now(
        tmp_path: Path) -> None:
    with ChangingSite() as site:
        original = tmp_path / "original"
        create_package([site.url("/always-403.html"), site.url("/came-back.html")], original,
                       settings=fast_settings())
        site.change()
        code, report, err = recheck(str(original), "-o", str(tmp_path / "new"))
    assert verdicts(report, site) == {"/always-403.html": "unchanged",
                                      "/came-back.html": "changed"}
    assert report["sources"][0]["basis"] == "status"
    assert "at capture: HTTP 404" in report["sources"][1]["reason"]
    assert code == 1, err
