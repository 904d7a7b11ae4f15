"""Parallel tabs in a browser capture (`--tabs N`): the same records as one tab at a time,
never more pages of one host at once than the per-host limit, one failing page losing none
of the others, and new tabs held back when memory reaches its ceiling.

The site is fixtures/browser_site/ on the test server, whose /delay/ pages count how many
of them are being answered at once. Skipped, with the reason, where there is no Chromium.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from archiver.capture.browser.pool import TabPool
from archiver.cli import app
from archiver.package.build import create_package
from archiver.verification.api import check
from tests.conftest import assert_standard_tools_accept, fast_settings
from tests.server import SiteServer
from tests.test_browser_capture import LIMITS, SITE, chain_url, needs_chromium

DELAYED = [f"/delay/page-{n}?ms=400" for n in range(4)]


@pytest.fixture(scope="module")
def browser_site() -> Iterator[SiteServer]:
    with SiteServer(SITE) as server:
        yield server


def _site_urls(site: SiteServer) -> list[str]:
    """Pages whose records do not depend on timing (not the endless or never-quiet ones)."""
    return ([site.url(path) for path in ("/article.html", "/lazy.html", "/frame.html")]
            + [chain_url(site)] + [site.url(path) for path in DELAYED])


def _responses(package: Path) -> set[tuple[str, str]]:
    """(URL, payload digest) of every response record in the package's WARCs (warcio)."""
    found = set()
    for warc in sorted((package / "data" / "warc").glob("*.warc.gz")):
        with warc.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "response":
                    found.add((record.rec_headers.get_header("WARC-Target-URI"),
                               record.rec_headers.get_header("WARC-Payload-Digest")))
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@needs_chromium
def test_four_tabs_record_what_one_tab_records(browser_site: SiteServer, tmp_path: Path) -> None:
    urls = _site_urls(browser_site)
    packages = {}
    for tabs in (1, 4):
        package = tmp_path / f"tabs-{tabs}"
        result = CliRunner().invoke(app, ["capture", *urls, "-o", str(package), "--browser",
                                          "--tabs", str(tabs), "--allow-private", "--json"])
        assert result.exit_code == 0, result.output
        assert_standard_tools_accept(package)
        report = check(package)
        assert report.is_valid, [str(problem) for problem in report.problems]
        manifest = json.loads((package / "manifest.json").read_text("utf-8"))
        assert [s["requested_url"] for s in manifest["sources"]] == urls  # the order asked
        assert manifest["settings"]["browser"]["tabs"] == tabs
        packages[tabs] = package
    one, four = _responses(packages[1]), _responses(packages[4])
    assert one == four
    assert {browser_site.url("/img/lazy-1.png"), browser_site.url("/data/article.json")} <= {
        url for url, _ in four}


@needs_chromium
@pytest.mark.parametrize("per_host", [1, 4])
def test_no_more_pages_of_one_host_at_once_than_the_per_host_limit(
        browser_site: SiteServer, tmp_path: Path, per_host: int) -> None:
    """Four tabs, four slow pages of one host: with a per-host limit of 1 they load one after
    the other; with 4 (the control, showing the count sees overlap) together."""
    browser_site.reset_counts()
    urls = [browser_site.url(path.replace("?", f"-{per_host}?")) for path in DELAYED]
    result = create_package(urls, tmp_path / "pkg", settings=fast_settings(
        browser=LIMITS, per_host=per_host))
    assert [s["outcome"] for s in result.manifest["sources"]] == ["captured"] * 4
    if per_host == 1:
        assert browser_site.log.max_delayed == 1
    else:
        assert browser_site.log.max_delayed > 1


@needs_chromium
def test_a_page_that_fails_loses_none_of_the_others(browser_site: SiteServer,
                                                     tmp_path: Path) -> None:
    refused = f"http://127.0.0.1:{_free_port()}/gone.html"
    urls = [browser_site.url("/article.html"), refused,
            browser_site.url("/delay/after-refused?ms=300"), browser_site.url("/lazy.html")]
    result = create_package(urls, tmp_path / "pkg", settings=fast_settings(browser=LIMITS))
    sources = result.manifest["sources"]
    assert [s["requested_url"] for s in sources] == urls
    assert [s["outcome"] for s in sources] == ["captured", "failed", "captured", "captured"]
    assert "ConnectionRefused" in sources[1]["reason"]
    assert_standard_tools_accept(result.path)
    assert check(result.path).is_valid


def test_tabs_wait_for_memory_below_the_ceiling_but_one_always_runs() -> None:
    """The pool, measured by a gauge the test sets: at the ceiling only one tab is open at a
    time; below it, all four."""

    async def run(used: int) -> TabPool:
        pool = TabPool(4, 6, 1000, measure=lambda: used)

        async def page() -> None:
            async with pool.tab("http://127.0.0.1:1/"):
                await asyncio.sleep(0.05)

        await asyncio.gather(*(page() for _ in range(4)))
        return pool

    full = asyncio.run(run(1000))
    assert (full.most_open, full.held_back) == (1, 3)
    roomy = asyncio.run(run(999))
    assert (roomy.most_open, roomy.held_back) == (4, 0)


def test_a_page_holds_its_host_lease_while_its_tab_is_open_and_waits_for_it_tabless() -> None:
    """A cluster's lease (here a gauge of one per host): two pages of one host never hold it
    at once, and a page waiting for it holds no tab, which another host's page takes."""
    events: list[str] = []
    held: dict[str, int] = {}

    @contextlib.asynccontextmanager
    async def lease(url: str) -> AsyncIterator[None]:
        host = url.split("/")[2]
        while held.get(host):
            await asyncio.sleep(0.01)
        held[host] = 1
        events.append(f"lease {url}")
        try:
            yield
        finally:
            held[host] = 0

    async def run() -> TabPool:
        pool = TabPool(1, 6, 10**12, measure=lambda: 0, host_lease=lease)

        async def page(url: str, delay: float) -> None:
            await asyncio.sleep(delay)
            async with pool.tab(url):
                events.append(f"open {url}")
                await asyncio.sleep(0.1)

        held["a.test"] = 1  # another worker holds a.test's lease for 0.2 s
        asyncio.get_running_loop().call_later(0.2, held.update, {"a.test": 0})
        await asyncio.gather(page("http://a.test/1", 0), page("http://a.test/2", 0),
                             page("http://b.test/1", 0.05))
        return pool

    pool = asyncio.run(run())
    assert events[:2] == ["lease http://b.test/1", "open http://b.test/1"]
    assert sorted(events[2:]) == sorted(["lease http://a.test/1", "open http://a.test/1",
                                         "lease http://a.test/2", "open http://a.test/2"])
    assert pool.most_open == 1


def test_the_memory_of_this_process_tree_is_measured() -> None:
    from archiver.capture.browser.memory import tree_memory

    used = tree_memory()
    assert used is not None and used > 10 * 1024 * 1024  # a Python with pytest loaded
