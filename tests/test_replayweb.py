"""ReplayWeb.page replays what archiver exports: the script-built pages of the browser fixture
site (fixtures/browser_site/), captured with `archiver capture --browser` and exported with
`archiver export --wacz`, render in ReplayWeb.page as they were captured, with nothing from
the live web; and, as the control, a plain HTTP capture of the static sample story.

Everything is real: Chromium (the system's, found as archiver finds it) driven through
Playwright, ReplayWeb.page's own ui.js and sw.js from the npm registry (tests/peers.py sets
them up; .ci/run does it before the suite), a threaded HTTP server on 127.0.0.1 serving them
beside the WACZ, and the origin stopped with a canary listening on its exact port, counting
every connection made to it. Skipped, with the reason, without Chromium or ReplayWeb.page.
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Frame, Page, sync_playwright
from typer.testing import CliRunner

from archiver.capture.browser.chromium import FLAGS, find_chromium, needs_no_sandbox
from archiver.cli import app
from archiver.errors import BrowserMissing
from tests import peers, png_pixels
from tests.server import STORY_PATH, SiteServer
from tests.test_browser_capture import SITE, chain_url
from tests.test_replay import STORY_TEXT
from tests.test_response_guard import Canary

TIMEOUT = 60.0
"""Seconds a replayed page may take to show its text (a loaded 2-core machine)."""
GRACE = 1.0
"""Seconds left, once the page shows, for a late request to leak, if any would."""
BROWSER_PAGES = ("/article.html", "/lazy.html", "/story.html")
EMBED = """<!doctype html><html><head><meta charset="utf-8"><title>replay</title>
<script src="ui.js"></script></head><body style="margin:0">
<replay-web-page style="display:block;height:100vh" source="{wacz}" replayBase="replay/"
{url}></replay-web-page></body></html>"""
REPLAY_INDEX = """<!doctype html><html><head><script src="./ui.js"></script></head>
<body><replay-app-main></replay-app-main></body></html>"""
"""The page ReplayWeb.page's frame opens under replayBase (replay/?source=...): its service
worker serves this very page once it is active (sw.js, getIndexHtml); the file is there for a
frame that starts before the worker has taken control, as on a busy machine, so it still gets
ReplayWeb.page rather than the file server's directory listing."""
ARTICLE_BACKGROUND, ARTICLE_BOX = (0xFD, 0xF6, 0xE3), (0x26, 0x8B, 0xD2)
"""fixtures/browser_site/article.html's page colour and the colour of its box: in the
screenshot only if the replayed page's own stylesheet was applied."""


def _chromium() -> str:
    try:
        return find_chromium()
    except BrowserMissing as missing:
        pytest.skip(f"no Chromium on this machine: {missing}")


@pytest.fixture(scope="module")
def replaywebpage() -> Path:
    """ReplayWeb.page's files (ui.js, sw.js), or the test is skipped, saying why."""
    found, how = peers.replaywebpage_dir()
    if found is None or not ((found / "ui.js").is_file() and (found / "sw.js").is_file()):
        pytest.skip(f"ReplayWeb.page could not be set up ({how}); set {peers.RWP_VARIABLE} to "
                    f"an unpacked `npm pack {peers.RWP_PACKAGE}`")
    return found


@dataclass(frozen=True)
class Exported:
    """A WACZ exported from a capture whose origin is gone; `port` was the origin's."""

    wacz: Path
    port: int
    urls: dict[str, str]


def _archiver(*args: str) -> None:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output


def _capture_and_export(origin: SiteServer, paths: dict[str, str], folder: Path,
                        *options: str) -> Exported:
    urls = {name: origin.url(path) for name, path in paths.items()}
    _archiver("capture", *urls.values(), "--allow-private", *options, "-o", str(folder / "pkg"))
    origin.stop()
    _archiver("export", str(folder / "pkg"), "--wacz", str(folder / "capture.wacz"))
    return Exported(folder / "capture.wacz", int(origin.base_url.rsplit(":", 1)[1]), urls)


@pytest.fixture(scope="module")
def browser_capture(tmp_path_factory: pytest.TempPathFactory) -> Exported:
    """The script-built pages and the redirect chain, captured through Chromium."""
    _chromium()
    folder = tmp_path_factory.mktemp("rwp-browser")
    paths = {path: path for path in BROWSER_PAGES}
    with SiteServer(SITE) as origin:
        chain = chain_url(origin).removeprefix(origin.base_url)
        return _capture_and_export(origin, {**paths, "chain": chain}, folder, "--browser")


@pytest.fixture(scope="module")
def http_capture(tmp_path_factory: pytest.TempPathFactory) -> Exported:
    """The control: the static sample story, captured over plain HTTP."""
    folder = tmp_path_factory.mktemp("rwp-http")
    with SiteServer() as origin:
        return _capture_and_export(origin, {"story": STORY_PATH}, folder)


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


class _FileServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """ReplayWeb.page reads the WACZ in ranges and drops a download it no longer needs: a
        broken pipe here is the browser's choice, not a failure; anything else is shown."""
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class ReplayWebPage:
    """ReplayWeb.page and one WACZ, served from a second server on 127.0.0.1, opened in a
    headless Chromium, with a canary on the stopped origin's port."""

    def __init__(self, exported: Exported, replaywebpage: Path, folder: Path,
                 browser: Browser) -> None:
        self.folder = folder
        (folder / "replay").mkdir(parents=True)
        shutil.copyfile(exported.wacz, folder / "capture.wacz")
        for name, into in (("ui.js", folder), ("ui.js", folder / "replay"),
                           ("sw.js", folder / "replay")):
            shutil.copyfile(replaywebpage / name, into / name)
        (folder / "replay" / "index.html").write_text(REPLAY_INDEX, "utf-8")
        self.canary = Canary(exported.port)
        handler = functools.partial(_QuietFiles, directory=str(folder))
        self._files = _FileServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self._files.serve_forever, daemon=True).start()
        self._browser = browser
        self._contexts: list[BrowserContext] = []
        self._serial = 0

    def open(self, url: str | None) -> Page:
        """ReplayWeb.page at `url` in the WACZ (alone, as an embed), or its list of pages."""
        self._serial += 1
        name = f"view-{self._serial}.html"
        shown = f'url="{url}" embed="replayonly"' if url else ""
        (self.folder / name).write_text(EMBED.format(wacz="capture.wacz", url=shown), "utf-8")
        context = self._browser.new_context(viewport={"width": 1280, "height": 800})
        self._contexts.append(context)
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{self._files.server_port}/{name}", wait_until="load")
        return page

    def close(self) -> None:
        try:
            for context in self._contexts:
                context.close()
        finally:
            self._files.shutdown()
            self._files.server_close()
            self.canary.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the module (Playwright's sync API runs one at a time)."""
    executable = _chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True,
                                              args=list(FLAGS),
                                              chromium_sandbox=not needs_no_sandbox())
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def browser_replay(replaywebpage: Path, browser_capture: Exported, browser: Browser,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReplayWebPage]:
    # In this order: a test that must skip does so before it captures, and the capture (an
    # asyncio loop of its own) is made before Playwright's sync API holds this thread's loop.
    replay = ReplayWebPage(browser_capture, replaywebpage, tmp_path_factory.mktemp("served"),
                           browser)
    yield replay
    replay.close()


def replayed_frame(page: Page, expected: str, timeout: float = TIMEOUT) -> Frame:
    """The frame (ReplayWeb.page's replay iframe, inside its elements' shadow roots) whose
    text shows `expected`; fails with the text of every frame when none does in time."""
    deadline = time.monotonic() + timeout
    while True:
        texts = []
        for frame in page.frames:
            try:
                text = frame.evaluate("() => document.body ? document.body.innerText : ''")
            except Exception:  # a frame navigating meanwhile
                continue
            if expected in text:
                return frame
            texts.append(f"{frame.url}: {text[:200]!r}")
        assert time.monotonic() < deadline, f"{expected!r} never appeared: {texts}"
        page.wait_for_timeout(250)


ALL_TEXT = """(() => { const out = []; const walk = (root) => {
  for (const node of root.childNodes) {
    if (node.nodeType === Node.TEXT_NODE) out.push(node.textContent);
    if (node.shadowRoot) walk(node.shadowRoot);
    walk(node);
  } }; walk(document); return out.join(' '); })()"""
"""Every text node of a document, its elements' shadow roots included: ReplayWeb.page draws
its list of pages in shadow DOM, where Playwright's text locator does not find its titles."""


def shown_in_some_frame(page: Page, text: str, timeout: float = TIMEOUT) -> None:
    """`text` is in some frame (ReplayWeb.page draws its list of pages in its own frame)."""
    deadline = time.monotonic() + timeout
    while True:
        for frame in page.frames:
            try:
                if text in frame.evaluate(ALL_TEXT):
                    return
            except Exception:  # a frame navigating meanwhile
                continue
        assert time.monotonic() < deadline, f"{text!r} is not shown"
        page.wait_for_timeout(250)


def settled_screenshot(page: Page, canary: Canary) -> bytes:
    """The page as shown, once a late request had time to leak (the canary is checked)."""
    page.wait_for_timeout(GRACE * 1000)
    png = page.screenshot()
    assert canary.heard == [], f"the live site was reached from the replay: {canary.heard}"
    return png


def assert_not_blank(png: bytes) -> set[tuple[int, int, int]]:
    colours = png_pixels.colours(png, rows=800)
    assert len(colours) >= 3, f"the screenshot is blank: {sorted(colours)[:5]}"
    return colours


# -- the script-built pages, captured through the browser ----------------------------------------


def test_the_script_built_article_replays_from_the_archive_alone(
        browser_replay: ReplayWebPage, browser_capture: Exported) -> None:
    """Its text comes from a fetch() of JSON, its font is added by script, its iframe is a
    page of its own: all served by ReplayWeb.page from the WACZ."""
    page = browser_replay.open(browser_capture.urls["/article.html"])
    frame = replayed_frame(page, "412 water meters reading backwards")
    assert frame.url.endswith("mp_/" + browser_capture.urls["/article.html"])
    text = frame.evaluate("() => document.body.innerText")
    assert "Meters ran backwards for a year" in text  # the headline, also from the JSON
    fonts = frame.evaluate("() => document.fonts.ready.then(() =>"
                           " Array.from(document.fonts).map(f => [f.family, f.status]))")
    assert ['"Ledger Icons"', "loaded"] in fonts or ["Ledger Icons", "loaded"] in fonts, fonts
    replayed_frame(page, "Framed note: the audit's inner frame.")
    colours = assert_not_blank(settled_screenshot(page, browser_replay.canary))
    assert {ARTICLE_BACKGROUND, ARTICLE_BOX} <= colours, "the page's own style is not shown"


def test_lazy_images_load_from_the_archive_as_the_replay_scrolls(
        browser_replay: ReplayWebPage, browser_capture: Exported) -> None:
    page = browser_replay.open(browser_capture.urls["/lazy.html"])
    frame = replayed_frame(page, "The charts came from the utility's own logs.")
    loaded: list[int] = []
    deadline = time.monotonic() + TIMEOUT
    while len(loaded) < 2 and time.monotonic() < deadline:
        # In view, one at a time: the page's IntersectionObserver sets each image's src.
        loaded = frame.evaluate("""() => Array.from(document.querySelectorAll('img.lazy'))
            .map((img) => { if (!img.complete || !img.naturalWidth) img.scrollIntoView();
                            return img.naturalWidth; }).filter((width) => width > 0)""")
        page.wait_for_timeout(250)
    assert len(loaded) == 2, "the lazy images did not load from the archive"
    assert_not_blank(settled_screenshot(page, browser_replay.canary))


def test_a_story_written_by_script_replays(browser_replay: ReplayWebPage,
                                           browser_capture: Exported) -> None:
    page = browser_replay.open(browser_capture.urls["/story.html"])
    replayed_frame(page, "412 meters had been reading backwards since the spring")
    assert_not_blank(settled_screenshot(page, browser_replay.canary))


def test_a_redirect_chain_replays_to_the_page_it_reached(browser_replay: ReplayWebPage,
                                                         browser_capture: Exported) -> None:
    page = browser_replay.open(browser_capture.urls["chain"])
    frame = replayed_frame(page, "This notice was reached through two redirects.")
    assert frame.url.endswith("/redirected.html")
    assert_not_blank(settled_screenshot(page, browser_replay.canary))


def test_the_pages_list_names_each_page_by_its_title(browser_replay: ReplayWebPage) -> None:
    """ReplayWeb.page lists a WACZ's pages (pages/pages.jsonl) by title: a browser-captured
    page's title is the rendered page's."""
    page = browser_replay.open(None)
    for title in ("Meters ran backwards for a year", "Lazy gallery",
                  "Backwards meters: how the audit found them", "Moved notice"):
        shown_in_some_frame(page, title)
    settled_screenshot(page, browser_replay.canary)


# -- the control: a plain HTTP capture of the static sample story --------------------------------


def test_the_sample_story_captured_over_http_replays_too(
        replaywebpage: Path, http_capture: Exported, browser: Browser, tmp_path: Path) -> None:
    replay = ReplayWebPage(http_capture, replaywebpage, tmp_path / "served", browser)
    try:
        page = replay.open(http_capture.urls["story"])
        frame = replayed_frame(page, STORY_TEXT)
        # Every image from the archive loaded (the story's tracking pixel is a data: URL of a
        # broken GIF, blank on the live page too).
        images = frame.evaluate("""() => Array.from(document.images)
            .filter((i) => !i.src.startsWith('data:')).map((i) => [i.src, i.naturalWidth])""")
        assert any(src.endswith("/bills-chart-480.png") for src, _ in images), images
        assert all(width > 0 for _, width in images), images
        assert_not_blank(settled_screenshot(page, replay.canary))
        listing = replay.open(None)
        with zipfile.ZipFile(http_capture.wacz) as wacz:
            lines = wacz.read("pages/pages.jsonl").decode("utf-8").splitlines()
        [story] = [json.loads(line) for line in lines[1:]]
        assert story["title"].startswith("Harrow Point’s new water meters")
        shown_in_some_frame(listing, story["title"])
        settled_screenshot(listing, replay.canary)
    finally:
        replay.close()
