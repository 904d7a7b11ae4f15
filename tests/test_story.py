"""Story mode: the chain story → citation → capture → record → digest is exactly right on
fixture stories of several shapes (fixtures/stories/), the package verifies and a flipped bit
is caught, and the report names every citation and every failure."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import markupsafe
import pytest
from typer.testing import CliRunner

from archiver.cli import app
from archiver.errors import ArchiverUsageError
from archiver.schema_files import manifest_schema
from archiver.story.build import StoryError, StoryOptions, create_story_package, plan_story
from archiver.verification import check
from tests.conftest import assert_standard_tools_accept, fast_settings, read_record
from tests.server import REPORT_PATH, STORY_PATH, SiteServer
from tests.story_samples import one_citation_story

STORIES = Path(__file__).resolve().parent.parent / "fixtures" / "stories"
MINUTES = "/sources/council-minutes-2019.html"
MEMOS = "/sources/smartflow-field-memos.html"
RELEASE = "/press/2019/smartflow-rollout"
runner = CliRunner()


def story_package(site: SiteServer, tmp_path: Path, story: str,
                  **options: Any) -> dict[str, Any]:
    output = tmp_path / "package"
    create_story_package(story, output, settings=fast_settings(),
                         options=StoryOptions(**options))
    assert_standard_tools_accept(output)
    assert check(output).is_valid
    manifest: dict[str, Any] = json.loads((output / "manifest.json").read_bytes())
    jsonschema.validate(manifest, manifest_schema())
    return manifest


def chain(manifest: dict[str, Any], site: SiteServer) -> list[tuple[int, str, str, str]]:
    """(order, anchor text, cited path, outcome) of every citation."""
    story = manifest["story"]
    base = site.url("")
    return [(c["order"], c["text"], c["url"].removeprefix(base),
             story["sources"][c["source"]]["outcome"]) for c in story["citations"]]


def local_draft(tmp_path: Path, site: SiteServer, name: str) -> Path:
    text = (STORIES / name).read_text("utf-8")
    draft = tmp_path / name
    draft.write_text(text.replace("127.0.0.1:PORT", site.url("").split("//")[1].rstrip("/")))
    return draft


def test_a_clean_article(site: SiteServer, tmp_path: Path) -> None:
    manifest = story_package(site, tmp_path, site.url("/stories/clean-article.html"))
    assert chain(manifest, site) == [
        (1, "according to figures the council first published in 2019", MINUTES, "captured"),
        (2, "city auditor’s report", REPORT_PATH, "captured"),
        (3, "2019 announcement", RELEASE, "redirected"),
    ]
    story = manifest["story"]
    assert story["kind"] == "url" and story["title"] == "Reservoir levels fall to a ten-year low"
    first = story["citations"][0]
    assert first["sentence"].startswith("The Harrow Point reservoir stood at 41 per cent")
    assert first["href"] == MINUTES
    report = story["sources"][1]
    resource = next(r for r in manifest["resources"] if r["url"] == site.url(REPORT_PATH))
    # The chain's record and digest are the capture's own, and the record holds that payload.
    assert report["record"]["record_id"] == resource["record"]["record_id"]
    assert report["payload_sha256"] == resource["payload_sha256"]
    assert report["title"] == "Audit of the SmartFlow Water Meter Programme"
    assert report["lead"] and report["extraction"].startswith("data/extract/")
    release = story["sources"][2]
    assert release["final_url"] == site.url("/sources/smartflow-press-release.html")
    roles = {r["url"]: r["role"] for r in manifest["resources"]}
    assert roles[site.url("/stories/clean-article.html")] == "story"
    assert roles[site.url(MINUTES)] == "citation"


def test_a_page_heavy_with_navigation_cites_only_its_text(site: SiteServer,
                                                          tmp_path: Path) -> None:
    manifest = story_package(site, tmp_path, site.url("/stories/busy-portal-article.html"))
    assert chain(manifest, site) == [
        (1, "city auditor’s February report", REPORT_PATH, "captured"),
        (2, "single-session approval in 2019", MINUTES, "captured"),
    ]
    dropped = {d["href"]: d["reason"] for d in manifest["story"]["dropped"]}
    areas = {href: reason.removeprefix("outside the main text ") for href, reason in
             dropped.items()}
    assert areas["/news/2025/03/meters-billed-air"] == "(a box of related stories)"
    assert areas["https://social.example/share?u=refunds"] == "inside the article, a share bar"
    assert areas["/tag/water"] == "inside the article, a tag or topic list"
    assert areas["https://forum.example/thread/991"] == "(comments)"
    assert areas["/privacy/accept"] == "(a cookie notice)"
    assert areas["/about/"] == "(the page footer)"
    assert "/sport/" in dropped and "/newsletters/council" in dropped
    assert manifest["story"]["authors"] == ["Ines Mbeki"]
    # Nothing outside the main text was fetched.
    fetched = {r["url"] for r in manifest["resources"]}
    assert site.url("/sport/") not in fetched and site.url("/about/") not in fetched


def test_the_same_report_cited_three_times_is_captured_once(site: SiteServer,
                                                            tmp_path: Path) -> None:
    manifest = story_package(site, tmp_path, site.url("/stories/report-three-times.html"))
    assert chain(manifest, site) == [
        (1, "the audit found", REPORT_PATH, "captured"),
        (2, "same report", REPORT_PATH, "captured"),
        (3, "the auditor’s table of complaints", REPORT_PATH, "captured"),
        (4, "its field memos", MEMOS, "captured"),
    ]
    story = manifest["story"]
    assert [c["source"] for c in story["citations"]] == [0, 0, 0, 1]
    assert story["sources"][0]["cited"] == [1, 2, 3]
    assert story["citations"][1]["href"] == "/reports/harrow-point-meter-audit-2024.pdf#page=1"
    fetched = [r["url"] for r in manifest["resources"]]
    assert fetched.count(site.url(REPORT_PATH)) == 1
    assert site.hits(REPORT_PATH) == 1


def test_dead_and_looping_citations_are_recorded_and_the_rest_go_on(
        site: SiteServer, tmp_path: Path) -> None:
    output = tmp_path / "package"
    result = runner.invoke(app, ["story", site.url("/stories/dead-and-looping.html"),
                                 "-o", str(output), "--allow-private"])
    assert result.exit_code == 1, result.output
    manifest = json.loads((output / "manifest.json").read_bytes())
    assert chain(manifest, site) == [
        (1, "has been taken down", "/sources/utility-rate-notice-2018.html", "gone"),
        (2, "now sends visitors round in circles", "/redirect/loop", "failed"),
        (3, "returns a server error", "/status/500", "error"),
        (4, "its former address", "http://127.0.0.1:9/billing/portal", "failed"),
        (5, "council minutes", MINUTES, "captured"),
    ]
    sources = manifest["story"]["sources"]
    assert "redirect loop" in sources[1]["reason"]
    assert sources[3]["reason"] and sources[3]["record"] is None
    assert check(output).is_valid
    report = (output / "data" / "report.html").read_text("utf-8")
    for source in sources:
        assert source["url"] in report
    for warning in (w for s in sources for w in s["warnings"]):
        assert str(markupsafe.escape(warning)) in report
    assert "redirect loop" in report and "server answered 500" in report
    assert "Traceback" not in result.output


def test_the_report_names_every_citation_and_reads_offline(site: SiteServer,
                                                           tmp_path: Path) -> None:
    manifest = story_package(site, tmp_path, site.url(STORY_PATH))
    package = tmp_path / "package"
    page = (package / "data" / "report.html").read_text("utf-8")
    markdown = (package / "data" / "report.md").read_text("utf-8")
    assert "<script" not in page.lower()
    # Self-contained: no stylesheet, image or font is loaded from anywhere.
    assert not re.search(r"<(link|img|iframe)\b|@import|url\(", page, re.I)
    story = manifest["story"]
    for citation in story["citations"]:
        assert f'id="citation-{citation["order"]}"' in page
        assert citation["text"] in page and citation["text"] in markdown
    for source in story["sources"]:
        assert source["url"] in page and source["url"] in markdown
        if source["payload_sha256"]:
            assert source["payload_sha256"] in page
            assert f"sha256:{source['payload_sha256'][:12]}" in markdown
    warcs = [f for f in manifest["files"] if f["path"].startswith("data/warc/")]
    for warc in warcs:
        assert warc["sha256"] in page
    assert manifest["package_id"] in page
    assert "archiver verify package" in page and "warcio check package" in page
    assert "gone" in page and "404" in page
    listed = {f["path"] for f in manifest["files"]}
    assert {"data/report.html", "data/report.md"} <= listed


def test_a_flipped_bit_in_the_story_package_is_caught(site: SiteServer, tmp_path: Path) -> None:
    story_package(site, tmp_path, site.url("/stories/clean-article.html"))
    package = tmp_path / "package"
    for target in ("data/report.html", "manifest.json"):
        path = package / target
        original = path.read_bytes()
        at = original.index(b"Reservoir") + 3
        path.write_bytes(original[:at] + bytes([original[at] ^ 0x01]) + original[at + 1:])
        report = check(package)
        assert not report.is_valid
        assert any(target in problem.path for problem in report.problems)
        path.write_bytes(original)
    assert check(package).is_valid


def test_a_markdown_draft_goes_into_the_package(site: SiteServer, tmp_path: Path) -> None:
    draft = local_draft(tmp_path, site, "draft-story.md")
    manifest = story_package(site, tmp_path, str(draft))
    story = manifest["story"]
    assert story["kind"] == "draft" and story["file"] == "draft-story.md"
    assert story["url"] is None
    assert story["title"] == "Refunds for overbilled water customers: a timeline"
    assert chain(manifest, site) == [
        (1, "the audit report", REPORT_PATH, "captured"),
        (2, "their internal memos", MEMOS, "captured"),
        (3, site.url(MINUTES), MINUTES, "captured"),
    ]
    assert story["citations"][2]["sentence"].startswith("The council approved the contract")
    record = read_record(tmp_path / "package" / story["record"]["warc_file"],
                         story["record"]["offset"])
    assert record.headers["WARC-Type"] == "resource"
    assert record.block == draft.read_bytes()
    digest = story["payload_sha256"]
    assert record.headers["WARC-Target-URI"] == f"urn:archiver:draft:sha256:{digest}"
    assert story["extraction"] in {f["path"] for f in manifest["files"]}


def test_a_plain_text_draft(site: SiteServer, tmp_path: Path) -> None:
    draft = local_draft(tmp_path, site, "draft-story.txt")
    manifest = story_package(site, tmp_path, str(draft))
    assert [c[2] for c in chain(manifest, site)] == [REPORT_PATH, RELEASE]


def test_citations_from_a_list_and_patterns(site: SiteServer, tmp_path: Path) -> None:
    wanted = [site.url(MINUTES), site.url(REPORT_PATH), site.url(MEMOS)]
    manifest = story_package(site, tmp_path, site.url("/stories/clean-article.html"),
                             citations_from=wanted, exclude=[r"\.pdf$"])
    story = manifest["story"]
    assert story["citations_from"] == "list"
    assert [c[2] for c in chain(manifest, site)] == [MINUTES, MEMOS]
    assert any(d["url"] == site.url(REPORT_PATH) and "--exclude" in d["reason"]
               for d in story["dropped"])


def test_dry_run_lists_what_would_be_captured_and_writes_nothing(
        site: SiteServer, tmp_path: Path) -> None:
    site.reset_counts()
    result = runner.invoke(app, ["story", site.url("/stories/busy-portal-article.html"),
                                 "--dry-run", "--json", "--allow-private"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["sources"] == [site.url(REPORT_PATH), site.url(MINUTES)]
    assert any(d["reason"] == "outside the main text (a box of related stories)"
               for d in plan["dropped"])
    assert site.hits(REPORT_PATH) == 0 and site.hits(MINUTES) == 0
    assert list(tmp_path.iterdir()) == []
    text = runner.invoke(app, ["story", site.url("/stories/busy-portal-article.html"),
                               "--dry-run", "--include", "minutes", "--allow-private"])
    assert "matches no --include pattern" in text.stdout


@pytest.mark.parametrize(("path", "reason"), [
    ("/status/404", "server answered 404"),
    ("/redirect/loop", "redirect loop"),
    (REPORT_PATH, "not an HTML page"),
])
def test_a_story_that_cannot_be_chained_ends_with_exit_1(site: SiteServer, tmp_path: Path,
                                                         path: str, reason: str) -> None:
    output = tmp_path / "package"
    with pytest.raises(StoryError, match=reason):
        create_story_package(site.url(path), output, settings=fast_settings())
    assert not output.exists() and list(tmp_path.iterdir()) == []
    result = runner.invoke(app, ["story", site.url(path), "-o", str(output),
                                 "--allow-private"])
    assert result.exit_code == 1
    assert reason in result.stderr and "Traceback" not in result.output


def test_bad_story_input_is_a_usage_error(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["story", str(tmp_path / "nope.md"), "-o", str(tmp_path / "p")])
    assert missing.exit_code == 2 and "no such story draft" in missing.stderr
    binary = tmp_path / "photo.md"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    with pytest.raises(ArchiverUsageError):
        plan_story(str(binary), scratch=tmp_path / "scratch")
    no_output = runner.invoke(app, ["story", "https://example.invalid/story"])
    assert no_output.exit_code == 2 and "-o PKG" in no_output.stderr
    bad_pattern = runner.invoke(app, ["story", str(binary), "--dry-run", "--exclude", "("])
    assert bad_pattern.exit_code == 2


def test_a_story_with_hundreds_of_links_keeps_the_limits(fresh_site: SiteServer,
                                                         tmp_path: Path) -> None:
    links = "".join(f'<p>Finding {n} is in <a href="/delay/{n}?ms=20">record {n}</a>.</p>'
                    for n in range(300))
    links = links.replace('href="/', f'href="{fresh_site.url("")}/')
    draft = tmp_path / "many.html"
    draft.write_text(f"<!doctype html><html><head><title>Many</title></head><body><article>"
                     f"<h1>Many sources</h1>{links}</article></body></html>")
    output = tmp_path / "package"
    create_story_package(str(draft), output, settings=fast_settings(per_host=3, concurrency=5))
    manifest = json.loads((output / "manifest.json").read_bytes())
    assert len(manifest["story"]["citations"]) == 300
    assert all(s["outcome"] == "captured" for s in manifest["story"]["sources"])
    assert fresh_site.max_connections <= 3


def test_the_report_escapes_what_pages_say(tmp_path: Path) -> None:
    from archiver.story.report import render_report

    hostile = "<script>alert('x')</script>"
    story = one_citation_story(hostile)
    page, _ = render_report(story, package_id="urn:uuid:x", warcs=[], output=tmp_path / "p")
    assert b"<script" not in page and b"&lt;script&gt;" in page


def test_walls_are_flagged_for_the_editor(site: SiteServer, tmp_path: Path) -> None:
    manifest = story_package(site, tmp_path, site.url("/stories/walls-story.html"))
    warnings = {source["url"].removeprefix(site.url("")): source["warnings"]
                for source in manifest["story"]["sources"]}
    assert warnings == {
        "/stories/walls/paywalled.html": ["looks like a paywall rather than the content"],
        "/stories/walls/consent.html": ["looks like a cookie consent wall rather than the "
                                        "content"],
        "/stories/walls/login.html": ["looks like a login wall rather than the content"],
        MINUTES: [],
    }
    report = (tmp_path / "package" / "data" / "report.html").read_text("utf-8")
    assert report.count("rather than the content") == 3


def test_a_redirect_to_another_site_is_a_warning() -> None:
    from archiver.capture.results import Resource, SourceOutcome
    from archiver.story.chain import describe_source

    final = Resource("https://other.example/landing", "citation", outcome="captured",
                     status=200)
    moved = SourceOutcome("https://www.news.example/a", "https://www.news.example/a",
                          "captured", final_url=final.url,
                          redirects=["https://www.news.example/a", final.url], resource=final)
    cited = describe_source(moved, None, None, None)
    assert cited.outcome == "redirected"
    assert cited.warnings == ["redirected to another site: other.example"]
    same = SourceOutcome("https://news.example/a", "https://news.example/a", "captured",
                         final_url="https://www.news.example/a/",
                         redirects=["https://news.example/a", "https://www.news.example/a/"],
                         resource=Resource("https://www.news.example/a/", "citation",
                                           outcome="captured", status=200))
    assert describe_source(same, None, None, None).warnings == []


def test_verify_checks_the_records_the_chain_names(site: SiteServer, tmp_path: Path) -> None:
    from tests.test_verify import edit_manifest

    story_package(site, tmp_path, site.url("/stories/clean-article.html"))
    package = tmp_path / "package"

    def swap(manifest: dict[str, Any]) -> None:
        sources = manifest["story"]["sources"]
        sources[0]["payload_sha256"] = sources[1]["payload_sha256"]

    edit_manifest(package, swap)
    report = check(package)
    assert [problem.code for problem in report.problems] == ["manifest-payload-mismatch"]
    assert "story.sources[0]" in str(report.problems[0])


def test_a_consent_gate_back_to_the_same_page_is_captured_not_redirected(
        site: SiteServer, tmp_path: Path) -> None:
    draft = tmp_path / "gate.md"
    draft.write_text("The council's [consent-gated notice](" + site.url("/gate/consent")
                     + ") says so.\n", "utf-8")
    manifest = story_package(site, tmp_path, str(draft))
    assert chain(manifest, site) == [(1, "consent-gated notice", "/gate/consent", "captured")]
    [source] = manifest["story"]["sources"]
    assert source["redirects"] and source["final_url"] == site.url("/gate/consent")


def test_story_json_prints_the_manifest_story_section_exactly(site: SiteServer,
                                                              tmp_path: Path) -> None:
    """`archiver story --json` prints the package, the report and the story section of
    manifest.json as it is written there (both from StorySection.to_dict()), in the schema."""
    output = tmp_path / "package"
    result = runner.invoke(app, ["story", site.url(STORY_PATH), "-o", str(output), "--json",
                                 "--allow-private", "--no-requisites", "--timeout", "20"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    manifest = json.loads((output / "manifest.json").read_bytes())
    jsonschema.validate(manifest, manifest_schema())
    assert list(printed) == ["package", "package_id", "complete", "report", "signature", "story"]
    assert printed["signature"] is None  # no key given, none configured
    assert printed["package"] == str(output) and printed["complete"] is True
    assert printed["package_id"] == manifest["package_id"]
    assert printed["report"] == str(output / "data" / "report.html")
    assert json.dumps(printed["story"]) == json.dumps(manifest["story"])  # order too
    assert manifest["story"]["report"] == {"html": "data/report.html",
                                           "markdown": "data/report.md"}


def test_a_cited_extraction_read_back_is_the_one_stored(tmp_path: Path) -> None:
    """The chain judges a cited source by its extraction as stored in the package: all of its
    metadata, so that its outcome (and the warning "its text could not be extracted") is
    the one the extraction file states. (Read back with only title, date and authors, this
    page, which says nothing but its language and description, was taken for a failure.)"""
    from archiver.capture.results import SourceOutcome
    from archiver.extract.extractor import extract_html_bytes
    from archiver.extract.payload import CapturedDocument
    from archiver.story.build import load_extraction
    from archiver.story.chain import CitedSource, warnings_for

    page = (b'<html lang="en"><head><meta charset="x-bogus-9"><meta name="description" '
            b'content="A list of meters."></head><body></body></html>')
    stored = extract_html_bytes(page, CapturedDocument(url="http://127.0.0.1/meters",
                                                       content_type="text/html"))
    (tmp_path / "x.json").write_bytes(stored.to_json(with_text=False))
    (tmp_path / "x.txt").write_bytes(stored.text_bytes)
    loaded = load_extraction(tmp_path, "x.json", "x.txt")
    assert loaded is not None
    assert loaded.metadata == stored.metadata and loaded.metadata.language == "en"
    assert loaded.outcome == stored.outcome == json.loads(stored.to_json())["outcome"]
    assert loaded.outcome == "partial"
    url = "http://127.0.0.1/meters"
    cited = CitedSource(url, "captured")
    warnings = warnings_for(cited, SourceOutcome(url, url, "captured"), loaded)
    assert not any("could not be extracted" in warning for warning in warnings)
