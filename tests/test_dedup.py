"""`capture --dedup collection.db`: a payload a collection holds already is written as a WARC
revisit record (identical-payload-digest, as Heritrix and Browsertrix write it), listed in
manifest.json, verified by archiver and judged by warcio, FastWARC and bagit, and replayed by
pywb together with the package that holds the payload."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bagit
import jsonschema
import pytest
from typer.testing import CliRunner

from archiver.cli import app
from archiver.collection.build import index_packages
from archiver.replay import start_replay
from archiver.schema_files import manifest_schema
from tests.conftest import fastwarc_check, read_record, warcio_check
from tests.server import REPORT_PATH, STORY_PATH, SiteServer
from tests.test_browser_capture import needs_chromium
from tests.test_replay import get, needs_pywb

runner = CliRunner()
NEW_PAGE = "/sources/council-minutes-2019.html"
PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout + result.stderr


def manifest(package: Path) -> dict[str, Any]:
    return json.loads((package / "manifest.json").read_text("utf-8"))


def resource(package: Path, url: str) -> dict[str, Any]:
    return next(r for r in manifest(package)["resources"] if r["url"] == url)


@dataclass
class Deduped:
    first: Path
    second: Path
    automatic: Path
    """The same sources captured again in automatic mode (neither --browser nor
    --no-browser)."""
    collection: Path
    story_url: str
    new_url: str
    report_url: str


@pytest.fixture(scope="module")
def deduped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deduped]:
    """The story and a report captured, indexed, then captured again with a page not seen
    before, under --dedup, over plain HTTP and in automatic mode; the site is stopped
    before anything is read back."""
    root = tmp_path_factory.mktemp("dedup")
    with SiteServer() as site:
        story, new, report = site.url(STORY_PATH), site.url(NEW_PAGE), site.url(REPORT_PATH)
        code, out = run("capture", story, report, "-o", str(root / "first"),
                        "--allow-private")
        assert code == 0, out
        assert index_packages([root / "first"], root / "c.db").problems == []
        code, out = run("capture", story, new, "-o", str(root / "second"), "--allow-private",
                        "--no-browser", "--dedup", str(root / "c.db"))
        assert code == 0, out
        code, out = run("capture", story, report, "-o", str(root / "automatic"),
                        "--allow-private", "--dedup", str(root / "c.db"))
        assert code == 0, out
    yield Deduped(root / "first", root / "second", root / "automatic", root / "c.db", story,
                  new, report)


def test_automatic_mode_keeps_each_web_page_whole_and_dedups_the_rest(
        deduped: Deduped) -> None:
    """Automatic mode judges each web page from its stored body (built by script or not):
    with --dedup the page itself is stored whole, its requisites and a PDF asked for are
    revisits."""
    resources = manifest(deduped.automatic)["resources"]
    page = next(r for r in resources if r["url"] == deduped.story_url)
    assert "revisit" not in page and page["derived"]
    assert resource(deduped.automatic, deduped.report_url)["revisit"] is not None
    requisites = [r for r in resources if r["role"] == "requisite" and r["outcome"] == "captured"]
    assert requisites and all(r.get("revisit") for r in requisites)
    sources = manifest(deduped.automatic)["sources"]
    assert {s["captured_with"] for s in sources} == {"http"}
    code, out = run("verify", str(deduped.automatic))
    assert code == 0, out


def test_a_known_payload_is_a_revisit_of_the_first_capture(deduped: Deduped) -> None:
    first_id = manifest(deduped.first)["package_id"]
    original = resource(deduped.first, deduped.story_url)
    again = resource(deduped.second, deduped.story_url)
    assert again["revisit"] == {"package": first_id,
                                "record_id": original["record"]["record_id"],
                                "target_uri": deduped.story_url,
                                "date": original["captured_at"],
                                "warc_file": original["record"]["warc_file"]}
    assert again["payload_sha256"] == original["payload_sha256"]
    assert again["derived"] == []  # its text is the first package's

    record = read_record(deduped.second / again["record"]["warc_file"],
                         again["record"]["offset"])
    headers = record.headers
    assert headers["WARC-Type"] == "revisit"
    assert headers["WARC-Profile"] == PROFILE
    assert headers["WARC-Refers-To"] == original["record"]["record_id"]
    assert headers["WARC-Refers-To-Target-URI"] == deduped.story_url
    assert headers["WARC-Refers-To-Date"] == original["captured_at"]
    assert headers["WARC-Payload-Digest"] == f"sha256:{original['payload_sha256']}"
    # the block is the response's head alone: the payload is not stored again
    assert record.block.startswith(b"HTTP/1.1 200") and record.block.endswith(b"\r\n\r\n")
    assert record.payload == b""

    # a page the collection has not seen is stored whole, and extracted
    new = resource(deduped.second, deduped.new_url)
    assert "revisit" not in new and new["derived"]
    assert read_record(deduped.second / new["record"]["warc_file"],
                       new["record"]["offset"]).headers["WARC-Type"] == "response"


def test_the_deduped_package_verifies_with_archiver_and_peers(deduped: Deduped) -> None:
    document = manifest(deduped.second)
    revisits = sum("revisit" in item for item in document["resources"])
    assert revisits >= 2  # the story and its requisites
    [warc] = (deduped.second / "data" / "warc").glob("*.warc.gz")
    code, report = warcio_check(warc)
    records = report.count(" offset ")
    assert code == 0 and report.count("not checked (revisit)") == revisits, report
    assert report.count("digest pass") == records - revisits, report
    # FastWARC checks every block digest (each OK), and compares a revisit's payload digest
    # with the payload it does not hold (PAYLOAD_FAIL on exactly the revisits, exit 1):
    # it knows no revisit records, where warcio leaves their payload digests unchecked.
    code, report = fastwarc_check(warc)
    assert report.count(": OK") == records, report
    failed = {line.split(">")[0].strip() + ">" for line in report.splitlines()
              if "PAYLOAD_FAIL" in line}
    assert failed == {item["record"]["record_id"] for item in document["resources"]
                      if "revisit" in item}, report
    bagit.Bag(str(deduped.second)).validate()
    jsonschema.validate(document, manifest_schema())
    code, out = run("verify", str(deduped.second), "--json")
    assert code == 0, out
    [report] = json.loads(out)
    assert report["verdict"] == "intact"
    notes = [note for note in report["notes"] if note["code"] == "revisit-records"]
    assert len(notes) == 1 and manifest(deduped.first)["package_id"] in notes[0]["message"]
    assert f"{revisits} responses are written as revisit records" in notes[0]["message"]


def test_a_revisit_still_refers_to_the_original_once_indexed(deduped: Deduped,
                                                             tmp_path: Path) -> None:
    collection = tmp_path / "both.db"
    index_packages([deduped.first, deduped.second], collection)
    with SiteServer() as site:  # another port: the same payload at another URL
        code, out = run("capture", site.url(STORY_PATH), "-o", str(tmp_path / "third"),
                        "--allow-private", "--no-requisites", "--no-browser", "--dedup",
                        str(collection))
        assert code == 0, out
    [entry] = manifest(tmp_path / "third")["resources"]
    assert entry["revisit"]["package"] == manifest(deduped.first)["package_id"]


def test_dedup_needs_a_collection(deduped: Deduped, tmp_path: Path) -> None:
    url = "http://127.0.0.1:9/"
    code, out = run("capture", url, "-o", str(tmp_path / "p"), "--allow-private",
                    "--dedup", str(tmp_path / "missing.db"))
    assert code == 2 and "missing.db" in out
    not_one = tmp_path / "notes.db"
    not_one.write_text("hello")
    code, out = run("capture", url, "-o", str(tmp_path / "p"), "--allow-private",
                    "--dedup", str(not_one))
    assert code == 3 and "archiver index" in out
    assert not (tmp_path / "p").exists()


@needs_pywb
def test_replay_shows_the_revisited_page_from_the_original_package(deduped: Deduped) -> None:
    again = resource(deduped.second, deduped.story_url)
    when = "".join(c for c in again["captured_at"] if c.isdigit())[:14]
    original_body = read_record(
        deduped.first / resource(deduped.first, deduped.story_url)["record"]["warc_file"],
        resource(deduped.first, deduped.story_url)["record"]["offset"]).payload
    with start_replay([deduped.second, deduped.first]) as server:
        reply = get(server.replay_url(deduped.story_url, when, "id_"))
        assert reply.status == 200
        assert reply.body == original_body
        page = get(server.replay_url(deduped.story_url, when, "mp_"))
        assert page.status == 200 and b"3,812 homes" in page.body
        index = get(server.url).body.decode("utf-8")
        assert deduped.new_url in index


def test_story_mode_keeps_its_story_whole_and_dedups_the_rest(deduped: Deduped,
                                                               tmp_path: Path) -> None:
    """The story page is read for its links from the record just written: never a revisit,
    even when the collection holds it; its requisites are."""
    output = tmp_path / "story"
    with SiteServer() as site:
        story_url = site.url(STORY_PATH)
        index_packages([deduped.first], tmp_path / "c.db")
        # the collection's captures are of another port: capture the story there once more
        code, out = run("capture", story_url, "-o", str(tmp_path / "seen"), "--allow-private")
        assert code == 0, out
        index_packages([tmp_path / "seen"], tmp_path / "c.db")
        code, out = run("story", story_url, "-o", str(output), "--allow-private",
                        "--dedup", str(tmp_path / "c.db"), "--json")
    assert code == 0, out
    story = resource(output, story_url)
    assert "revisit" not in story and story["derived"]
    requisites = [r for r in manifest(output)["resources"] if r["found_on"] == story_url]
    assert requisites and all("revisit" in r for r in requisites if r["outcome"] == "captured"
                              and r["payload_length"])
    assert run("verify", str(output))[0] == 0


@needs_chromium
def test_a_browser_capture_writes_revisits_and_reads_its_text_from_the_rendered_page(
        deduped: Deduped, tmp_path: Path) -> None:
    """--browser --dedup: what Chromium fetched that the collection holds is a revisit, the
    page's own response included; the page's text still comes from its rendered DOM, kept
    in this package."""
    package = tmp_path / "browser"
    with SiteServer() as site:
        # The same site on another port: the same payloads at other URLs.
        code, out = run("capture", site.url(STORY_PATH), "-o", str(package),
                        "--allow-private", "--browser", "--dedup", str(deduped.collection))
        assert code == 0, out
    resources = manifest(package)["resources"]
    page = next(r for r in resources if r["role"] == "source")
    assert page["revisit"]["package"] == manifest(deduped.first)["package_id"]
    kinds = {entry["kind"] for entry in page["derived"]}
    assert {"rendered-dom", "extraction", "text"} <= kinds
    text = next(entry for entry in page["derived"] if entry["kind"] == "text")
    assert "meter" in (package / text["path"]).read_text("utf-8").lower()
    assert any(r.get("revisit") for r in resources if r["role"] == "requisite")
    record = read_record(package / page["record"]["warc_file"], page["record"]["offset"])
    assert record.headers["WARC-Type"] == "revisit"
    assert record.headers["WARC-Protocol"]
    code, out = run("verify", str(package))
    assert code == 0, out
    for warc in (package / "data" / "warc").glob("*.warc.gz"):
        code, report = warcio_check(warc)
        assert code == 0 and "not checked (revisit)" in report, report
