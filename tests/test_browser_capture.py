"""Capture through Chromium (`--browser`): pages built by script, lazy and endless pages, a
page that never falls quiet, a redirect chain, a 404 subresource, an iframe, each recorded
through the DevTools protocol into archiver's own WARCs, with its screenshot, PDF snapshot
and rendered DOM, and its text read from what the browser rendered.

The site is fixtures/browser_site/, served by the test server on 127.0.0.1; everything is
judged by tools written by others (warcio check, FastWARC, bagit-python, the manifest
schema) and by archiver's own verify. Skipped, with the reason, where there is no Chromium.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import pytest
from playwright.sync_api import sync_playwright
from typer.testing import CliRunner

from archiver.capture.browser.chromium import (
    ENVIRONMENT_VARIABLE,
    FLAGS,
    find_chromium,
    needs_no_sandbox,
    processes_using,
)
from archiver.cli import app
from archiver.package.build import create_package
from archiver.replay import ReplayEngineMissing, start_replay
from archiver.replay.engine import configured_pywb_python
from archiver.settings import BrowserSettings
from archiver.verification.api import check
from tests import png_pixels
from tests.conftest import Captured, assert_standard_tools_accept, fast_settings, read_record
from tests.server import REPORT_PATH, SiteServer

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "fixtures" / "browser_site"
FIXTURES_SITE = ROOT / "fixtures" / "site"
HAS_CHROMIUM = bool(os.environ.get(ENVIRONMENT_VARIABLE) or shutil.which("chromium")
                    or shutil.which("chromium-browser"))
needs_chromium = pytest.mark.skipif(not HAS_CHROMIUM, reason="no Chromium on this machine "
                                    "(install Debian's chromium package, or set "
                                    "ARCHIVER_CHROMIUM)")
LIMITS = BrowserSettings(network_idle_timeout=3.0, page_timeout=25.0, quiet_period=0.3,
                         max_scrolls=12, media_wait=0.2)
"""Short waits, so the page that never falls quiet costs seconds, not the default 20."""
PAGES = ("/article.html", "/lazy.html", "/endless.html", "/busy.html")


def chain_url(site: SiteServer) -> str:
    """Two redirects (302, 302) to redirected.html, through the server's /redirect/to."""
    inner = "/redirect/to?url=" + quote("/redirected.html", safe="")
    return site.url("/redirect/to?url=" + quote(inner, safe=""))


@pytest.fixture(scope="module")
def browser_site() -> Iterator[SiteServer]:
    with SiteServer(SITE) as server:
        yield server


@pytest.fixture(scope="module")
def captured(browser_site: SiteServer, tmp_path_factory: pytest.TempPathFactory) -> Captured:
    """Every page of the site captured through one browser, into one package."""
    if not HAS_CHROMIUM:
        pytest.skip("no Chromium on this machine")
    urls = [browser_site.url(page) for page in PAGES] + [chain_url(browser_site)]
    output = tmp_path_factory.mktemp("browser") / "pkg"
    result = create_package(urls, output, settings=fast_settings(browser=LIMITS))
    return Captured(result)


def _text(captured: Captured, url: str) -> str:
    [entry] = [d for d in captured.resource(url)["derived"] if d["kind"] == "text"]
    return (captured.path / entry["path"]).read_text("utf-8")


def _attachment(captured: Captured, url: str, kind: str) -> dict[str, object]:
    [entry] = [d for d in captured.resource(url)["derived"] if d["kind"] == kind]
    return dict(entry)


@needs_chromium
def test_the_package_passes_the_standard_tools_and_verify(captured: Captured) -> None:
    assert_standard_tools_accept(captured.path)
    report = check(captured.path)
    assert report.is_valid, [str(problem) for problem in report.problems]


@needs_chromium
def test_script_built_text_is_extracted_from_the_rendered_page(captured: Captured,
                                                               browser_site: SiteServer) -> None:
    article = browser_site.url("/article.html")
    assert captured.source(article)["outcome"] == "captured"
    text = _text(captured, article)
    assert "412 water meters reading backwards" in text
    assert "Valve serial numbers were never published." in text
    # The raw HTML stays in the response record, as served: no article text in it.
    raw = captured.response(article).payload
    assert b"412 water meters" not in raw and b"fetch('/data/article.json')" in raw
    assert "opened 1 <details> element(s)" in captured.resource(article)["notes"]


@needs_chromium
def test_what_the_page_fetched_is_recorded_with_address_and_protocol(
        captured: Captured, browser_site: SiteServer) -> None:
    article = browser_site.url("/article.html")
    for path, status in (("/data/article.json", 200), ("/fonts/ledger-icons.ttf", 200),
                         ("/frame.html", 200), ("/img/not-there.png", 404)):
        resource = captured.resource(browser_site.url(path))
        assert (resource["outcome"], resource["status"]) == ("captured", status), path
        assert resource["role"] == "requisite" and resource["found_on"] == article
        response = captured.response(browser_site.url(path))
        assert response.headers["WARC-IP-Address"] == "127.0.0.1"
        assert response.headers["WARC-Protocol"] == "http/1.1"
        request = captured.request(browser_site.url(path))
        assert request.headers["WARC-Concurrent-To"] == response.headers["WARC-Record-ID"]
        assert request.block.startswith(f"GET {path} HTTP/1.1\r\n".encode())
    font = captured.response(browser_site.url("/fonts/ledger-icons.ttf"))
    assert font.payload == (SITE / "fonts" / "ledger-icons.ttf").read_bytes()
    assert "Framed note" in _text(captured, browser_site.url("/frame.html"))


@needs_chromium
def test_lazy_images_load_when_scrolled_to(captured: Captured, browser_site: SiteServer) -> None:
    for image in ("/img/lazy-1.png", "/img/lazy-2.png"):
        assert captured.resource(browser_site.url(image))["status"] == 200
    assert "The charts came from the utility's own logs." in _text(
        captured, browser_site.url("/lazy.html"))


@needs_chromium
def test_an_endless_page_is_scrolled_a_bounded_number_of_times(
        captured: Captured, browser_site: SiteServer) -> None:
    endless = captured.resource(browser_site.url("/endless.html"))
    assert any(note.startswith(f"stopped scrolling after {LIMITS.max_scrolls} screens: the "
                               "page kept growing") for note in endless["notes"])
    batches = [url for url in captured.resource_urls if "article.json?page=" in url]
    assert 2 <= len(batches) <= LIMITS.max_scrolls
    assert "Item 2: one more post." in _text(captured, browser_site.url("/endless.html"))


@needs_chromium
def test_a_page_that_never_falls_quiet_is_partial_with_its_reason(
        captured: Captured, browser_site: SiteServer) -> None:
    source = captured.source(browser_site.url("/busy.html"))
    assert source["outcome"] == "captured"
    assert source["reason"].startswith("partial capture: the network never fell quiet")
    assert "The ticker polls its server without end." in _text(
        captured, browser_site.url("/busy.html"))


@needs_chromium
def test_each_redirect_is_a_record_of_its_own(captured: Captured,
                                              browser_site: SiteServer) -> None:
    source = captured.source(chain_url(browser_site))
    assert source["outcome"] == "captured" and source["status"] == 200
    assert source["final_url"] == browser_site.url("/redirected.html")
    assert len(source["redirects"]) == 3
    for hop in source["redirects"][:2]:
        resource = captured.resource(hop)
        assert resource["status"] == 302 and resource["redirect_to"] in source["redirects"]
        assert captured.response(hop).http_head.startswith(b"HTTP/1.1 302 ")
    assert "reached through two redirects" in _text(captured, source["final_url"])


@needs_chromium
def test_each_page_has_its_attachments_as_files_and_records(
        captured: Captured, browser_site: SiteServer) -> None:
    urls = [browser_site.url(page) for page in PAGES] + [browser_site.url("/redirected.html")]
    for url in urls:
        page_record = captured.response(url).headers["WARC-Record-ID"]
        for kind, content_type, magic in (("screenshot", "image/png", b"\x89PNG"),
                                          ("pdf", "application/pdf", b"%PDF-"),
                                          ("rendered-dom", "text/html; charset=utf-8", b"<")):
            entry = _attachment(captured, url, kind)
            data = (captured.path / str(entry["path"])).read_bytes()
            assert data.startswith(magic), (url, kind)
            where = entry["record"]
            assert isinstance(where, dict)
            record = read_record(captured.path / where["warc_file"], where["offset"])
            assert record.block == data
            assert record.headers["WARC-Type"] == "resource"
            assert record.headers["Content-Type"] == content_type
            assert record.headers["WARC-Refers-To"] == page_record
            assert record.headers["WARC-Target-URI"].startswith(f"urn:archiver:{kind}:")
    dom = captured.path / str(_attachment(captured, urls[0], "rendered-dom")["path"])
    assert "412 water meters" in dom.read_text("utf-8")


@needs_chromium
def test_screenshots_are_not_blank(captured: Captured, browser_site: SiteServer) -> None:
    for page in PAGES:
        entry = _attachment(captured, browser_site.url(page), "screenshot")
        png = (captured.path / str(entry["path"])).read_bytes()
        width, height = png_pixels.size(png)
        assert width >= LIMITS.viewport_width and height >= LIMITS.viewport_height
        assert png_pixels.distinct_colours(png) >= 3, page
    lazy = _attachment(captured, browser_site.url("/lazy.html"), "screenshot")
    assert png_pixels.size((captured.path / str(lazy["path"])).read_bytes())[1] > 6000


@needs_chromium
def test_a_private_address_is_refused_unless_allowed(browser_site: SiteServer,
                                                     tmp_path: Path) -> None:
    url = browser_site.url("/article.html")
    before = browser_site.hits("/article.html")
    result = create_package([url], tmp_path / "pkg", settings=fast_settings(
        browser=LIMITS, allow_private=False))
    [source] = result.manifest["sources"]
    assert source["outcome"] == "failed"
    assert source["reason"].startswith("refused: 127.0.0.1 is a loopback address")
    assert browser_site.hits("/article.html") == before  # refused before any request left


@needs_chromium
def test_large_bodies_are_streamed_and_coded_bodies_recorded_as_decoded(
        browser_site: SiteServer, tmp_path: Path) -> None:
    """A body announced over `body_in_memory` is streamed from the browser to disk and
    recorded whole (lazy-1.png, 1,546 bytes, over a limit of 1,500); a gzip body is
    recorded as the browser decoded it, under a head that says so; an HTTP/1.1 head whose
    body needed no change is kept byte for byte."""
    lazy, gzipped = browser_site.url("/lazy.html"), browser_site.url("/encoding/gzip")
    limits = BrowserSettings(network_idle_timeout=3.0, quiet_period=0.3, max_scrolls=12,
                             body_in_memory=1500, pdf=False, screenshot=False)
    result = create_package([lazy, gzipped], tmp_path / "pkg",
                            settings=fast_settings(browser=limits))
    package = Captured(result)
    assert_standard_tools_accept(package.path)
    image = browser_site.url("/img/lazy-1.png")
    assert package.response(image).payload == (SITE / "img" / "lazy-1.png").read_bytes()
    assert any("too large to hand back to the page" in note
               for note in package.resource(image)["notes"])
    head = package.response(gzipped).http_head
    assert b"\r\nX-Orig-Content-Encoding: gzip\r\n" in head
    payload = package.response(gzipped).payload
    assert payload.startswith(b"<!doctype html>") and f"Content-Length: {len(payload)}\r\n" \
        .encode() in head
    assert "The meter keeps turning" in _text(package, gzipped)
    sent = browser_site.sent("/lazy.html")
    assert package.response(lazy).http_head == sent[:sent.index(b"\r\n\r\n") + 4]


class _Canary(http.server.BaseHTTPRequestHandler):
    """Stands on the stopped origin's port and counts whatever reaches it: a leak."""

    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(418)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


def _frames_text(page: Any, expected: str, timeout: float) -> str:
    """The text of every frame of `page` (pywb may show the capture in a frame of its own),
    once it holds `expected` or `timeout` seconds passed."""
    deadline = time.monotonic() + timeout
    while True:
        texts = []
        for frame in page.frames:
            try:
                texts.append(frame.evaluate("() => document.body ? document.body.innerText : ''"))
            except Exception:  # a frame navigating meanwhile
                continue
        text = "\n".join(texts)
        if expected in text or time.monotonic() > deadline:
            return text
        time.sleep(0.25)


def _has_pywb() -> bool:
    try:
        return configured_pywb_python() is not None
    except ReplayEngineMissing:
        return False


@needs_chromium
@pytest.mark.skipif(not _has_pywb(), reason="pywb could not be set up for the tests")
def test_a_browser_capture_replays_in_pywb_with_nothing_from_the_origin(
        tmp_path: Path) -> None:
    """The script-built article, captured through the browser, replays in pywb in a browser:
    its script runs again and fetches its JSON from the archive; the origin is gone, and a
    canary on its port counts any request that leaks out of the replay."""
    with SiteServer(SITE) as origin:
        article = origin.url("/article.html")
        port = int(article.split(":")[2].split("/")[0])
        result = create_package([article], tmp_path / "pkg",
                                settings=fast_settings(browser=LIMITS))
    captured = Captured(result)
    when = "".join(c for c in captured.resource(article)["captured_at"] if c.isdigit())[:14]
    _Canary.hits = []
    canary = http.server.ThreadingHTTPServer(("127.0.0.1", port), _Canary)
    threading.Thread(target=canary.serve_forever, daemon=True).start()
    try:
        with start_replay(captured.path) as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=find_chromium(), headless=True, args=list(FLAGS),
                chromium_sandbox=not needs_no_sandbox())
            try:
                page = browser.new_page()
                page.goto(server.replay_url(article, when, "mp_"), wait_until="load")
                text = _frames_text(page, "412 water meters", timeout=20.0)
                page.wait_for_timeout(1000)  # time for a late request to leak, if any would
            finally:
                browser.close()
    finally:
        canary.shutdown()
        canary.server_close()
    assert "Meters ran backwards for a year" in text
    assert _Canary.hits == [], _Canary.hits


@needs_chromium
def test_a_library_caller_inside_a_running_event_loop_can_capture(browser_site: SiteServer,
                                                                   tmp_path: Path) -> None:
    """As in a Jupyter notebook, whose cells run while an event loop runs in the thread:
    the browser job runs its own loop in a thread of its own."""
    import asyncio

    article = browser_site.url("/article.html")

    async def cell() -> Any:
        return create_package([article], tmp_path / "pkg",
                              settings=fast_settings(browser=LIMITS))

    result = asyncio.run(cell())
    assert result.is_complete
    assert "412 water meters reading backwards" in _text(Captured(result), article)


@needs_chromium
def test_a_pdf_source_is_streamed_and_read_from_its_record(site: SiteServer,
                                                           tmp_path: Path) -> None:
    """A PDF takes the streaming path whatever its size, and its text comes from the PDF
    itself (no screenshot of a viewer, no rendered DOM)."""
    report = site.url(REPORT_PATH)
    result = create_package([report], tmp_path / "pkg", settings=fast_settings(browser=LIMITS))
    package = Captured(result)
    assert_standard_tools_accept(package.path)
    source = package.source(report)
    assert (source["outcome"], source["reason"], source["content_type"]) == (
        "captured", None, "application/pdf")
    assert package.response(report).payload == (FIXTURES_SITE / REPORT_PATH.lstrip("/")) \
        .read_bytes()
    kinds = {entry["kind"] for entry in package.resource(report)["derived"]}
    assert kinds == {"extraction", "text"}
    assert "Harrow Point" in _text(package, report)


@needs_chromium
def test_story_mode_reads_citations_from_the_rendered_story(browser_site: SiteServer,
                                                           tmp_path: Path) -> None:
    """A story whose paragraphs are written by script: plain HTTP sees no citation; with
    --browser the story is read as rendered, and every cited page goes through the browser."""
    story = browser_site.url("/story.html")
    common = ["story", story, "--allow-private", "--json"]
    plain = CliRunner().invoke(app, [*common, "--dry-run", "--no-browser"])
    assert plain.exit_code == 0, plain.output
    assert json.loads(plain.output)["citations"] == []
    result = CliRunner().invoke(app, [*common, "--browser", "-o", str(tmp_path / "pkg")])
    assert result.exit_code == 0, result.output
    package = tmp_path / "pkg"
    assert_standard_tools_accept(package)
    manifest = json.loads((package / "manifest.json").read_text("utf-8"))
    cited = [c["url"] for c in manifest["story"]["citations"]]
    assert cited == [browser_site.url("/article.html"), browser_site.url("/redirected.html")]
    by_url = {r["url"]: r for r in manifest["resources"]}
    assert by_url[story]["role"] == "story"
    for url in (story, browser_site.url("/article.html"), browser_site.url("/redirected.html")):
        kinds = {entry["kind"] for entry in by_url[url]["derived"]}
        assert {"screenshot", "pdf", "rendered-dom"} <= kinds, url
    sources = {s["url"]: s for s in manifest["story"]["sources"]}
    assert "412 water meters" in sources[browser_site.url("/article.html")]["lead"]


@needs_chromium
def test_warc_protocol_names_tls_too(tls_site: SiteServer, tmp_path: Path) -> None:
    """Over HTTPS the record's WARC-Protocol names the TLS version beside HTTP/1.1 (--insecure:
    Chromium trusts the system's authorities, not the test CA)."""
    page = tls_site.url("/sources/smartflow-press-release.html")
    result = create_package([page], tmp_path / "pkg", settings=fast_settings(
        browser=LIMITS, verify_tls=False))
    package = Captured(result)
    assert package.source(page)["outcome"] == "captured"
    response = package.response(page)
    assert response.headers["WARC-Protocol"].startswith("http/1.1, tls/1.")
    assert response.headers["WARC-IP-Address"] == "127.0.0.1"


def test_a_missing_chromium_is_one_line_and_exit_3(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, str(tmp_path / "no-such-chromium"))
    result = CliRunner().invoke(app, ["capture", "--browser", "http://example.org/",
                                      "-o", str(tmp_path / "pkg")])
    assert result.exit_code == 3
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "no-such-chromium" in lines[0] and "chromium" in lines[0]
    assert not (tmp_path / "pkg").exists()


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@needs_chromium
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="processes are found through /proc")
@pytest.mark.parametrize(("signum", "moment"), [
    (signal.SIGTERM, "loading"), (signal.SIGINT, "loading"), (signal.SIGTERM, "launching")],
    ids=["SIGTERM", "SIGINT", "SIGTERM-while-launching"])
def test_no_chromium_survives_a_signal(browser_site: SiteServer, tmp_path: Path,
                                       signum: signal.Signals, moment: str,
                                       request: pytest.FixtureRequest) -> None:
    # TMPDIR short, as a user's is: Chromium keeps a socket there, and a socket's path
    # may not exceed 107 bytes (pytest's own folders are too deep for it).
    scratch = Path(tempfile.mkdtemp(prefix="archiver-test-"))
    request.addfinalizer(lambda: shutil.rmtree(scratch, ignore_errors=True))
    env = {**os.environ, "TMPDIR": str(scratch), "PYTHONPATH": str(ROOT)}
    output = tmp_path / "pkg"
    errors = tmp_path / "stderr.txt"
    loaded_before = browser_site.hits("/busy.html")
    with errors.open("wb") as stderr_file:  # a file, not a pipe nobody reads until the end
        process = subprocess.Popen(
            [sys.executable, "-m", "archiver", "capture", "--browser", "--allow-private",
             browser_site.url("/busy.html"), "-o", str(output)],
            env=env, stdout=subprocess.DEVNULL, stderr=stderr_file)
    try:
        deadline = time.monotonic() + 60
        while not list(processes_using(scratch)) and time.monotonic() < deadline:
            assert process.poll() is None, errors.read_text()
            time.sleep(0.1)
        assert list(processes_using(scratch)), "the browser never started"
        while (moment == "loading" and browser_site.hits("/busy.html") == loaded_before
               and time.monotonic() < deadline):
            time.sleep(0.1)
        driver = _children(process.pid)  # Playwright's driver, which started Chromium
        process.send_signal(signum)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    stderr = errors.read_text()
    assert process.returncode == 3, stderr
    assert "interrupted" in stderr
    assert not output.exists()
    assert not list(processes_using(scratch))
    assert not [pid for pid in driver if _alive(pid)]
    assert not any(scratch.iterdir()), list(scratch.iterdir())  # nothing left in TMPDIR


def test_the_fixture_site_says_what_each_page_is_for() -> None:
    readme = (SITE / "README.md").read_text("utf-8")
    for page in PAGES:
        assert f"`{page.lstrip('/')}`" in readme
    json.loads((SITE / "data" / "article.json").read_text("utf-8"))
