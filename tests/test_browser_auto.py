"""Automatic mode: plain HTTP first, Chromium for the pages built by script.

The judge (archiver/capture/script_built.py) is run on real pages: the browser test site's
script-built pages, and the project's static fixture pages; then whole captures of a mixed
list, served by the real test server on 127.0.0.1, with the system's Chromium (skipped, with
the reason, where there is none) and with ARCHIVER_CHROMIUM naming nothing.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archiver.capture.browser.chromium import ENVIRONMENT_VARIABLE
from archiver.capture.script_built import FEW_WORDS, MAX_BYTES, judge_html
from archiver.cli import app
from archiver.package.build import create_package
from archiver.story.build import create_story_package
from archiver.verification.api import check
from tests.conftest import Captured, assert_standard_tools_accept, fast_settings
from tests.server import SiteServer
from tests.test_browser_capture import LIMITS, needs_chromium

ROOT = Path(__file__).resolve().parent.parent
BROWSER_SITE = ROOT / "fixtures" / "browser_site"
STATIC_PAGES = [ROOT / "fixtures" / "documents" / "html" / "news_story.html",
                ROOT / "fixtures" / "documents" / "html" / "split_article.html",
                ROOT / "fixtures" / "site" / "story" / "water-meters.html",
                ROOT / "fixtures" / "site" / "sources" / "smartflow-field-memos.html"]
AUTO = dataclasses.replace(LIMITS, when="script-built")


def _judge(data: bytes, **options: object) -> tuple[bool, str]:
    verdict = judge_html([data[i:i + 4096] for i in range(0, len(data), 4096)],
                         **options)  # type: ignore[arg-type]
    return verdict.built_by_script, verdict.reason


# -- the judge ---------------------------------------------------------------------------

@pytest.mark.parametrize("page", ["article.html", "story.html", "redirected.html"])
def test_pages_whose_text_a_script_writes_are_built_by_script(page: str) -> None:
    built, reason = _judge((BROWSER_SITE / page).read_bytes())
    assert built, reason
    assert reason.startswith("built by script: ") and "1 script" in reason


@pytest.mark.parametrize("path", STATIC_PAGES, ids=lambda path: path.name)
def test_static_pages_are_not_built_by_script(path: Path) -> None:
    built, reason = _judge(path.read_bytes())
    assert not built, reason
    assert reason.startswith("not built by script: ")


def _words(count: int) -> str:
    return " ".join(f"word{chr(97 + i % 26)}x" for i in range(count))


def test_an_empty_app_root_with_the_article_in_a_state_blob() -> None:
    """A framework's shell: a menu and footer server-rendered (over FEW_WORDS words), the
    root it renders into empty, the article in __NEXT_DATA__."""
    article = "The council voted on Tuesday to close the reservoir for a year of repairs. " * 40
    page = (f"<html><head><script src='/app.js'></script></head><body><nav>{_words(120)}</nav>"
            f"<div id='__next'></div><footer>{_words(30)}</footer>"
            f"<script id='__NEXT_DATA__' type='application/json'>"
            f"{json.dumps({'props': {'article': article}})}</script></body></html>")
    built, reason = _judge(page.encode())
    assert built, reason
    assert "an empty #__next" in reason and "words of text inside its scripts" in reason
    assert "150 words of text" in reason


def test_a_noscript_asking_for_javascript() -> None:
    page = (f"<html><body><noscript>You need to enable JavaScript to run this app."
            f"</noscript><header>{_words(90)}</header><main></main>"
            f"<script src='/bundle.js'></script></body></html>")
    built, reason = _judge(page.encode())
    assert built and "a <noscript> asking for JavaScript" in reason


def test_the_same_signs_beside_a_whole_article_are_not_enough() -> None:
    """An empty #root for a widget, and a noscript, on a page whose article is there."""
    page = (f"<html><body><noscript>Please enable JavaScript.</noscript><div id='root'></div>"
            f"<article>{_words(800)}</article><script src='/widget.js'></script>"
            f"</body></html>")
    built, reason = _judge(page.encode())
    assert not built, reason
    assert "800 words of text" in reason and "an empty #root" in reason


def test_hidden_text_and_script_text_are_not_visible_text() -> None:
    page = (f"<html><head><title>{_words(100)}</title><style>p{{}}</style></head><body>"
            f"<div hidden>{_words(200)}</div><template>{_words(200)}</template>"
            f"<p>Loading</p><script>var s = '{_words(200)}';</script></body></html>")
    built, reason = _judge(page.encode())
    assert built and "1 word of text" in reason, reason


def test_a_short_page_without_scripts_is_just_short() -> None:
    built, reason = _judge(b"<html><body><p>Moved.</p></body></html>")
    assert not built and reason == "not built by script: 1 word of text, 0 scripts"


def test_json_data_and_json_ld_are_no_scripts_that_run() -> None:
    page = (b"<html><body><p>Short note.</p><script type='application/ld+json'>{}</script>"
            b"<script type='application/json'>{}</script></body></html>")
    assert _judge(page) == (False, "not built by script: 2 words of text, 0 scripts")


def test_only_the_first_max_bytes_are_read_of_an_endless_body() -> None:
    """A body without end: the judge stops pulling blocks past its limit."""
    pulled = 0

    def endless() -> Iterator[bytes]:
        nonlocal pulled
        yield b"<html><body><script src='/a.js'></script><div id='app'>"
        while True:
            pulled += 1
            yield b"<span></span>" * 5000

    verdict = judge_html(endless(), max_bytes=2 * 1024 * 1024)
    assert verdict.signs.cut and verdict.signs.bytes_read == 2 * 1024 * 1024
    assert pulled * 65_000 < 3 * 1024 * 1024
    assert verdict.built_by_script and "in its first 2 MiB" in verdict.reason
    assert MAX_BYTES >= 2 * 1024 * 1024


def test_hostile_markup_neither_recurses_nor_fails() -> None:
    deep = b"<div>" * 200_000 + b"text" + b"</div>" * 200_000
    for data in (deep, b"", b"\x00\xff\xfe" * 10_000, b"<<<<>>>>" * 10_000,
                 b"<script>" + b"a " * 100_000, "<p>Ünïcödé ✓</p>".encode("utf-16")):
        built, reason = _judge(data)
        assert isinstance(built, bool) and reason


@pytest.mark.parametrize("block", [1, 7, 4096])
def test_words_split_between_blocks_are_counted_once(block: int) -> None:
    """The parser hands text over in pieces wherever the blocks end: a word cut in two is
    still one word."""
    page = (STATIC_PAGES[0]).read_bytes()
    whole = judge_html([page]).signs.words
    pieces = judge_html(page[i:i + block] for i in range(0, len(page), block)).signs.words
    assert pieces == whole > 300


def test_words_are_counted_in_scripts_written_without_spaces() -> None:
    """A Japanese article has no spaces: each character counts, not each run of them."""
    page = ("<html><body><script src='/a.js'></script><p>"
            + "市議会は火曜日に貯水池を一年間閉鎖することを決めた。" * 5
            + "</p></body></html>").encode()
    built, reason = _judge(page, encoding="utf-8")
    assert not built and int(reason.split(": ")[1].split(" ")[0]) > FEW_WORDS


# -- whole captures ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def mixed_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteServer]:
    """The browser test site, and beside it static pages as served by a newspaper."""
    root = tmp_path_factory.mktemp("mixed") / "site"
    shutil.copytree(BROWSER_SITE, root)
    for path in STATIC_PAGES[:2]:
        shutil.copy(path, root / path.name)
    with SiteServer(root) as server:
        yield server


@needs_chromium
def test_auto_mode_loads_only_the_script_built_page_in_the_browser(
        mixed_site: SiteServer, tmp_path: Path) -> None:
    article, static = mixed_site.url("/article.html"), mixed_site.url("/news_story.html")
    result = create_package([article, static], tmp_path / "pkg",
                            settings=fast_settings(browser=AUTO))
    package = Captured(result)
    assert_standard_tools_accept(package.path)
    report = check(package.path)
    assert report.is_valid, [str(problem) for problem in report.problems]

    source = package.source(article)
    assert (source["outcome"], source["captured_with"]) == ("captured", "browser")
    assert source["captured_with_reason"].startswith("built by script: 8 words of text")
    entries = [r for r in package.manifest["resources"] if r["url"] == article]
    assert len(entries) == 2  # the HTTP exchange stays, as evidence
    shell, loaded = entries
    assert shell["derived"] == [] and "loaded again in the browser" in shell["notes"][0]
    assert source["record"] == loaded["record"] != shell["record"]
    kinds = {entry["kind"]: entry["path"] for entry in loaded["derived"]}
    assert {"screenshot", "pdf", "rendered-dom", "text"} <= set(kinds)
    text = (package.path / kinds["text"]).read_text("utf-8")
    assert "412 water meters reading backwards" in text

    plain = package.source(static)
    assert plain["captured_with"] == "http"
    assert plain["captured_with_reason"].startswith("not built by script: ")
    [static_entry] = [r for r in package.manifest["resources"] if r["url"] == static]
    assert {entry["kind"] for entry in static_entry["derived"]} == {"extraction", "text"}
    assert result.capture.superseded == [package.manifest["resources"].index(shell)]


@needs_chromium
def test_auto_story_reads_the_script_built_story_as_rendered(mixed_site: SiteServer,
                                                            tmp_path: Path) -> None:
    story = mixed_site.url("/story.html")
    result = create_story_package(story, tmp_path / "pkg", settings=fast_settings(browser=AUTO))
    manifest = result.manifest
    cited = [c["url"] for c in manifest["story"]["citations"]]
    assert cited == [mixed_site.url("/article.html"), mixed_site.url("/redirected.html")]
    [story_source] = [s for s in manifest["sources"] if s["requested_url"] == story]
    assert story_source["captured_with"] == "browser"
    sources = {s["url"]: s for s in manifest["story"]["sources"]}
    assert "412 water meters" in sources[mixed_site.url("/article.html")]["lead"]
    assert manifest["story"]["extraction"] is not None
    story_resources = [r for r in manifest["resources"] if r["url"] == story]
    assert len(story_resources) == 2
    rendered = story_resources[1]
    assert manifest["story"]["extraction"] in {d["path"] for d in rendered["derived"]}


def test_auto_mode_without_chromium_keeps_the_http_capture_and_says_so(
        mixed_site: SiteServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, str(tmp_path / "no-such-chromium"))
    article, static = mixed_site.url("/article.html"), mixed_site.url("/news_story.html")
    output = tmp_path / "pkg"
    result = CliRunner().invoke(app, ["capture", article, static, "-o", str(output),
                                      "--allow-private"])
    assert result.exit_code == 0, result.output
    [note] = [line for line in result.output.splitlines() if line.startswith("note:")]
    assert "1 page(s) are built by script" in note and article in note
    assert "no-such-chromium" in note and "apt install chromium" in note
    manifest = json.loads((output / "manifest.json").read_text("utf-8"))
    by_url = {s["requested_url"]: s for s in manifest["sources"]}
    assert by_url[article]["captured_with"] == "http"
    assert "no browser to load it" in by_url[article]["captured_with_reason"]
    assert by_url[static]["captured_with"] == "http"
    assert check(output).is_valid

    as_json = CliRunner().invoke(app, ["capture", article, "-o", str(tmp_path / "pkg2"),
                                       "--allow-private", "--json"])
    assert as_json.exit_code == 0, as_json.output
    wanted = json.loads(as_json.output)["browser_wanted"]
    assert wanted["pages"] == [article] and "no-such-chromium" in wanted["reason"]


def test_auto_story_without_chromium_keeps_the_http_story_and_says_so(
        mixed_site: SiteServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, str(tmp_path / "no-such-chromium"))
    story = mixed_site.url("/story.html")
    output = tmp_path / "pkg"
    result = CliRunner().invoke(app, ["story", story, "-o", str(output), "--allow-private"])
    assert result.exit_code == 0, result.output
    [note] = [line for line in result.output.splitlines() if line.startswith("note:")]
    assert "1 page(s) are built by script" in note and story in note
    manifest = json.loads((output / "manifest.json").read_text("utf-8"))
    assert manifest["story"]["citations"] == []  # what plain HTTP sees of this story
    [source] = manifest["sources"]
    assert source["captured_with"] == "http" and "no browser" in source["captured_with_reason"]
    assert_standard_tools_accept(output)


def test_no_browser_is_plain_http_as_before(mixed_site: SiteServer, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, str(tmp_path / "no-such-chromium"))
    output = tmp_path / "pkg"
    result = CliRunner().invoke(app, ["capture", mixed_site.url("/article.html"), "-o",
                                      str(output), "--allow-private", "--no-browser"])
    assert result.exit_code == 0, result.output
    assert "note:" not in result.output
    manifest = json.loads((output / "manifest.json").read_text("utf-8"))
    assert "captured_with" not in manifest["sources"][0]
    assert manifest["settings"]["browser"] is None


def test_browser_still_means_always_and_needs_chromium(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, str(tmp_path / "no-such-chromium"))
    result = CliRunner().invoke(app, ["story", "--browser", "http://example.org/",
                                      "-o", str(tmp_path / "pkg")])
    assert result.exit_code == 3 and "no-such-chromium" in result.output
