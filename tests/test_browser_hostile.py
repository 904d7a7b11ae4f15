"""Pages that misbehave in the browser (issue 14, "bad input"): a renderer that crashes, a
thousand popups, endless dialogs, downloads, pages that leave by themselves or rewrite their
address without end, a script that never yields. All of them are captured in one run beside
a quiet page: each is recorded with its reason, the job goes on to the others, every step is
bounded, and no Chromium process survives the run.

The pages are tests/hostile_pages.py's, served by a real threaded server on 127.0.0.1.
Skipped, with the reason, where there is no Chromium.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver.capture.browser.chromium import processes_using
from archiver.capture.browser.job import MAX_ADDRESS_CHANGES
from archiver.package.build import create_package
from archiver.settings import BrowserSettings
from tests.conftest import Captured, assert_standard_tools_accept, fast_settings
from tests.hostile_pages import DOWNLOAD_BODY, MEDIA, WORKER_TEXT, HostilePages
from tests.test_browser_capture import needs_chromium

pytestmark = needs_chromium
LIMITS = BrowserSettings(page_load_timeout=8.0, network_idle_timeout=3.0, page_timeout=20.0,
                         quiet_period=0.3, max_scrolls=4, media_wait=0.2, page_heap_mib=96)
"""Short waits, and a small heap per page, so the page that eats memory crashes soon."""
HOSTILE = ("/crash.html", "/popups.html", "/dialogs.html", "/download", "/download-page.html",
           "/leaves.html", "/refresh.html", "/pushstate.html", "/spin.html")


@pytest.fixture(scope="module")
def pages() -> Iterator[HostilePages]:
    with HostilePages() as server:
        yield server


@pytest.fixture(scope="module")
def run(pages: HostilePages, tmp_path_factory: pytest.TempPathFactory) -> Iterator[
        tuple[Captured, bool, list[int]]]:
    """Every hostile page and a quiet one, in one job; its browser's temporary folder under a
    short folder of the test's own, so the processes left after it can be looked for."""
    output = tmp_path_factory.mktemp("hostile") / "pkg"
    scratch = Path(tempfile.mkdtemp(prefix="archiver-test-"))
    saved = tempfile.tempdir
    tempfile.tempdir = str(scratch)
    try:
        urls = [pages.url(path) for path in ("/quiet.html", *HOSTILE)]
        result = create_package(urls, output, settings=fast_settings(browser=LIMITS))
    finally:
        tempfile.tempdir = saved
    left = list(processes_using(scratch))
    yield Captured(result), result.is_complete, left
    shutil.rmtree(scratch, ignore_errors=True)


def _source(captured: Captured, pages: HostilePages, path: str) -> dict[str, object]:
    return dict(captured.source(pages.url(path)))


def _notes(captured: Captured, pages: HostilePages, path: str) -> list[str]:
    return list(captured.resource(pages.url(path))["notes"])


def test_the_job_goes_on_and_leaves_no_browser(run: tuple[Captured, bool, list[int]],
                                               pages: HostilePages) -> None:
    captured, complete, left = run
    assert left == []
    assert_standard_tools_accept(captured.path)
    quiet = _source(captured, pages, "/quiet.html")
    assert (quiet["outcome"], quiet["reason"]) == ("captured", None)
    for path in HOSTILE:  # each answered, so each is evidence: captured, with its reason
        source = _source(captured, pages, path)
        assert source["outcome"] == "captured", (path, source)
        if path != "/popups.html":  # the popup blocker may have left nothing to say
            assert isinstance(source["reason"], str) and "\n" not in source["reason"], path
    assert complete  # exit 0: every source captured


def test_a_crashed_renderer_is_a_partial_capture(run: tuple[Captured, bool, list[int]],
                                                 pages: HostilePages) -> None:
    captured, _, _ = run
    source = _source(captured, pages, "/crash.html")
    assert source["reason"] == ("partial capture: the page's renderer crashed (it ran out "
                                "of memory, or was killed)")
    assert b"A page that eats memory." in captured.response(pages.url("/crash.html")).payload
    kinds = {d["kind"] for d in captured.resource(pages.url("/crash.html"))["derived"]}
    assert "screenshot" not in kinds  # nothing left to show once it died


def test_a_thousand_popups_do_not_open(run: tuple[Captured, bool, list[int]],
                                       pages: HostilePages) -> None:
    captured, _, _ = run
    # Chromium's popup blocker stops the loop's thousand; one opened later (while archiver
    # scrolled, which counts as a reader's gesture) is closed at once, and counted.
    assert not any("popup=" in url for url in captured.resource_urls)
    assert pages.hits("/away.html") < 100
    source = _source(captured, pages, "/popups.html")
    assert source["reason"] is None or "window(s) by itself, closed" in str(source["reason"])


def test_endless_dialogs_stop_the_pages_scripts(run: tuple[Captured, bool, list[int]],
                                                pages: HostilePages) -> None:
    captured, _, _ = run
    reason = str(_source(captured, pages, "/dialogs.html")["reason"])
    notes = _notes(captured, pages, "/dialogs.html")
    assert "the page's scripts were stopped: it opened more than 20 dialogs" in notes
    assert any(note.startswith("the page opened ") and "dialog(s): dismissed" in note
               for note in notes)
    assert reason.startswith("partial capture:") or "scripts were stopped" in reason


def test_a_download_is_recorded_not_opened(run: tuple[Captured, bool, list[int]],
                                           pages: HostilePages) -> None:
    captured, _, _ = run
    assert captured.response(pages.url("/download")).payload == DOWNLOAD_BODY
    assert "the browser did not display it" in str(_source(captured, pages, "/download")[
        "reason"])
    # A page that starts one by itself: the download is not followed, the page is kept
    source = _source(captured, pages, "/download-page.html")
    assert source["final_url"] == pages.url("/download-page.html")
    assert "tried to go elsewhere by itself" in str(source["reason"])


@pytest.mark.parametrize(("path", "away"), [
    ("/leaves.html", "/away.html?by=script"), ("/refresh.html", "/away.html?by=refresh")])
def test_a_page_that_leaves_by_itself_is_kept_as_asked(
        run: tuple[Captured, bool, list[int]], pages: HostilePages, path: str,
        away: str) -> None:
    captured, _, _ = run
    source = _source(captured, pages, path)
    assert source["final_url"] == pages.url(path) and source["redirects"] == []
    assert source["reason"] == "it tried to go elsewhere by itself, not followed"
    assert any(away in note and "not followed" in note for note in _notes(captured, pages, path))
    assert not any("by=" in url for url in captured.resource_urls)  # never fetched
    rendered = [d for d in captured.resource(pages.url(path))["derived"]
                if d["kind"] == "rendered-dom"]
    assert rendered and "Somewhere else." not in (captured.path / rendered[0]["path"]).read_text(
        "utf-8")


def test_an_address_rewritten_without_end_is_bounded(run: tuple[Captured, bool, list[int]],
                                                     pages: HostilePages) -> None:
    captured, _, _ = run
    notes = _notes(captured, pages, "/pushstate.html")
    assert any(f"after {MAX_ADDRESS_CHANGES}, its calls did nothing" in note for note in notes)
    kinds = {d["kind"] for d in captured.resource(pages.url("/pushstate.html"))["derived"]}
    assert {"screenshot", "pdf", "rendered-dom"} <= kinds


def test_a_script_that_never_yields_is_stopped(run: tuple[Captured, bool, list[int]],
                                               pages: HostilePages) -> None:
    captured, _, _ = run
    source = _source(captured, pages, "/spin.html")
    assert str(source["reason"]).startswith("partial capture: the page stopped answering")
    kinds = {d["kind"] for d in captured.resource(pages.url("/spin.html"))["derived"]}
    assert "screenshot" in kinds  # made once its scripts were stopped


def test_media_got_in_ranges_is_also_recorded_whole(pages: HostilePages,
                                                    tmp_path: Path) -> None:
    """The video is served in 4 KiB ranges (206): each part is recorded as received, and
    the whole file is fetched once more without Range and recorded as a 200, which warcio
    reads back byte for byte (replay serves any range from it)."""
    media = pages.url("/media.webm")
    result = create_package([pages.url("/media.html")], tmp_path / "pkg",
                            settings=fast_settings(browser=LIMITS))
    package = Captured(result)
    assert_standard_tools_accept(package.path)
    assert None in pages.ranges("/media.webm") and any(pages.ranges("/media.webm"))
    statuses = []
    whole = None
    for warc in sorted((package.path / "data").rglob("*.warc.gz")):
        with warc.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if (record.rec_type == "response"
                        and record.rec_headers.get_header("WARC-Target-URI") == media):
                    status = int(record.http_headers.get_statuscode())
                    statuses.append(status)
                    if status == 200:
                        whole = record.content_stream().read()
    assert 206 in statuses and statuses.count(200) == 1, statuses
    assert whole == MEDIA.read_bytes()
    assert any("fetched whole, once, 1 resource(s)" in note
               for note in package.resource(pages.url("/media.html"))["notes"])


def test_a_workers_requests_are_recorded(pages: HostilePages, tmp_path: Path) -> None:
    """A dedicated worker fetch()es JSON and posts its text to the page: the worker's script
    and its request are recorded, the text is in what the reader saw, and the page fell
    quiet (the worker's script is not taken for a request still under way)."""
    page = pages.url("/worker.html")
    result = create_package([page], tmp_path / "pkg", settings=fast_settings(browser=LIMITS))
    package = Captured(result)
    assert_standard_tools_accept(package.path)
    source = package.source(page)
    assert (source["outcome"], source["reason"]) == ("captured", None)
    data = package.response(pages.url("/worker-data.json"))
    assert WORKER_TEXT.encode() in data.payload
    assert package.resource(pages.url("/worker-data.json"))["found_on"] == page
    assert package.response(pages.url("/worker.js")).payload.startswith(b"fetch(")
    [text] = [d for d in package.resource(page)["derived"] if d["kind"] == "text"]
    assert WORKER_TEXT in (package.path / text["path"]).read_text("utf-8")
