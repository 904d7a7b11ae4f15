"""Replay never reaches the live web: every response of the replay server carries a policy that
keeps the browser on it, raw pages run nothing, and no archived header sends the browser away.

The end-to-end test captures pages that try every way a page has to reach their own site
(fixtures/replay/), stops that site, listens on its exact port (the canary), and opens the
replay of those pages in a real headless Chromium: framed, `mp_`, `id_`, the escape from a
rewritten page to a raw one, the raw page at other spellings of its address (an escaped letter,
a doubled or escaped slash), and a page that installs a service worker. The canary must hear
nothing.
"""

from __future__ import annotations

import http.client
import shutil
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from archiver.package.build import create_package
from archiver.replay import ReplayServer, start_replay
from archiver.replay.response_guard import (
    RAW_POLICY,
    REPLAY_POLICY,
    UNCERTAIN,
    Request,
    Route,
    guard_headers,
    memento_links,
    replay_location,
    request_of,
    route_of_request,
)
from tests.conftest import fast_settings
from tests.server import STORY_PATH, SiteServer
from tests.test_replay import DEEP_TEXT, STORY_TEXT, Chromium, Response, get, needs_pywb

LEAK_PAGES = ("/leak/leak-page.html", "/leak/leak-escape.html", "/leak/leak-raw.html",
              "/leak/header/refresh", "/leak/header/redirect", "/leak/header/link",
              "/leak/leak-worker.html", "/leak/leak-worker.js")
BROWSER_CASES = (
    ("", "/leak/leak-page.html"),      # framed: the page in pywb's frame
    ("mp_", "/leak/leak-page.html"),   # the rewritten page alone; it frames a raw page
    ("id_", "/leak/leak-page.html"),   # the page as archived, no rewriting at all
    ("", "/leak/leak-escape.html"),    # sends its window to a raw page
    ("mp_", "/leak/leak-escape.html"),
    ("id_", "/leak/leak-raw.html"),
    ("im_", "/leak/leak-raw.html"),    # any mode that is not a rewritten page serves it raw
    ("mp_", "/leak/header/refresh"),
    ("", "/leak/header/refresh"),
    ("id_", "/leak/header/redirect"),
    ("mp_", "/leak/header/link"),
    ("id_", "/leak/header/link"),
)
RAW_SPELLINGS = (
    "{root}%65vidence/id_/{url}",     # an escaped letter in the collection
    "{root}/evidence/id_/{url}",      # a doubled slash before it
    "{root}evidence%2Fid_/{url}",     # an escaped slash after it
    "{root}%2Fevidence/id_/{url}",
    "{root}evidence/id%5F/{url}",     # an escaped letter in the mode
    "{root}evidence/i%64_/{url}",
    "{root}evidence//id_/{url}",
    "{root}evidence/ID_/{url}",
    "{root}EVIDENCE/id_/{url}",
    "{root}evidence/id_;x/{url}",     # a path parameter
    "{root}evidence;x/id_/{url}",
    "{root}evidence/id_/{url}?",      # an empty query
)
"""Addresses of the raw replay of a page, spelled otherwise than pywb writes them."""
SERVED_RAW_SPELLINGS = RAW_SPELLINGS[:4]
"""The spellings on which pywb serves the raw page (the others find nothing, or redirect)."""
WORKER_MODES = ("", "mp_")
"""Replays of the page that installs a service worker (leak-worker.html)."""
SETTLE_SECONDS = 2.0
"""How long the pages are left to try after loading: the raw page waits 0.5 s before it
navigates and 1 s before its meta refresh."""
LOADED_IMAGES = """(() => { const frame = document.querySelector('iframe');
  const page = (frame && frame.contentDocument) || document;
  return Array.from(page.images).filter((i) => i.complete && i.naturalWidth > 0).length; })()"""
needs_chromium = pytest.mark.skipif(shutil.which("chromium") is None,
                                    reason="chromium is not installed (apt-get install chromium)")


class Canary:
    """Listens on a stopped site's exact address and notes every connection made to it."""

    def __init__(self, port: int) -> None:
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", port))
        self._listener.listen(64)
        self._listener.settimeout(0.1)
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._heard: list[str] = []
        self._thread = threading.Thread(target=self._listen, name="canary", daemon=True)
        self._thread.start()

    @property
    def heard(self) -> list[str]:
        """The first line of each connection ("(no bytes)" for a bare connection)."""
        with self._lock:
            return list(self._heard)

    def _listen(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(1.0)
                try:
                    data = connection.recv(4096)
                except OSError:
                    data = b""
            line = data.split(b"\r\n", 1)[0].decode("latin-1") or "(no bytes)"
            with self._lock:
                self._heard.append(line)

    def wait_for_any(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self.heard and time.monotonic() < deadline:
            time.sleep(0.05)
        return bool(self.heard)

    def close(self) -> None:
        self._stopping.set()
        self._thread.join(5)
        self._listener.close()


@dataclass
class Leaky:
    """Hostile pages captured from a site that is now stopped."""

    path: Path
    base_url: str

    def url(self, path: str) -> str:
        return self.base_url + path

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1])


@pytest.fixture(scope="module")
def leaky(tmp_path_factory: pytest.TempPathFactory) -> Leaky:
    output = tmp_path_factory.mktemp("leaky") / "package"
    with SiteServer() as origin:
        urls = [origin.url(path) for path in (*LEAK_PAGES, STORY_PATH)]
        result = create_package(urls, output, settings=fast_settings())
        assert not result.capture.failed
    return Leaky(output, origin.base_url)


@pytest.fixture
def canary(leaky: Leaky) -> Iterator[Canary]:
    listener = Canary(leaky.port)
    yield listener
    listener.close()


def opened(url: str, destination: str, **headers: str) -> Response:
    """A GET as a browser sends it for a page (`document`), a frame or an image."""
    request = urllib.request.Request(url, headers={"Sec-Fetch-Dest": destination, **headers})
    with urllib.request.urlopen(request, timeout=30) as reply:
        return Response(reply.status, dict(reply.headers), reply.read())


def sent_as(root: str, target: str, **headers: str) -> Response:
    """A GET of `target` exactly as written (no client tidies its path), opened as a page."""
    host, port = root.split("//", 1)[1].rstrip("/").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("GET", target, headers={"Sec-Fetch-Dest": "document", **headers})
        reply = connection.getresponse()
        return Response(reply.status, dict(reply.getheaders()), reply.read())
    finally:
        connection.close()


# -- in a real browser ----------------------------------------------------------------------------


@needs_pywb
@needs_chromium
def test_no_replay_mode_reaches_the_live_site(leaky: Leaky, canary: Canary,
                                              tmp_path: Path) -> None:
    with start_replay(leaky.path) as server:
        browser = Chromium(tmp_path / "profile")
        try:
            story = browser.open(server.replay_url(leaky.url(STORY_PATH)))
            # replay still shows a page under the policy: its text, and images from the archive
            assert _wait_for(browser, story, DEEP_TEXT, lambda text: STORY_TEXT in str(text))
            assert _wait_for(browser, story, LOADED_IMAGES, lambda count: count > 0)
            sessions = [browser.open(address) for address in _browser_addresses(server, leaky)]
            for session in sessions:
                _wait_until_loaded(browser, session)
            time.sleep(SETTLE_SECONDS)
            assert canary.heard == [], f"the live site was reached from the replay: {canary.heard}"
            # the control: the browser can reach the canary's address when it is asked to
            browser.open(leaky.url("/leak/beacon?page=control"))
            assert canary.wait_for_any(timeout=30)
            assert "page=control" in canary.heard[0]
        finally:
            browser.close()


def _browser_addresses(server: ReplayServer, leaky: Leaky) -> list[str]:
    raw_page = leaky.url("/leak/leak-raw.html")
    worker_page = leaky.url("/leak/leak-worker.html")
    captured_at = next(e.timestamp for e in server.entries if e.url == worker_page)
    return [*(server.replay_url(leaky.url(path), "", mode) for mode, path in BROWSER_CASES),
            *(spelling.format(root=server.url, url=raw_page) for spelling in RAW_SPELLINGS),
            *(server.replay_url(worker_page, captured_at or "", mode) for mode in WORKER_MODES)]


def _wait_for(browser: Chromium, session: str, expression: str,
              predicate: Callable[[Any], bool], timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate(browser.evaluate(session, expression)):
            return True
        time.sleep(0.25)
    return False


def _wait_until_loaded(browser: Chromium, session: str, timeout: float = 30.0) -> None:
    """Until the tab's document has loaded. A sandboxed raw page runs no script, and then
    DevTools cannot ask it either: the settling time after covers it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if browser.evaluate(session, "document.readyState") == "complete":
                return
        except AssertionError:  # no context to evaluate in (yet, or at all in a sandbox)
            return
        time.sleep(0.1)


# -- over HTTP ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def replay(leaky: Leaky) -> Iterator[tuple[Leaky, str]]:
    with start_replay(leaky.path) as server:
        yield leaky, server.url


def _address(replay: tuple[Leaky, str], mode: str, path: str) -> str:
    leaky, root = replay
    selector = f"{mode}/" if mode else ""
    return f"{root}evidence/{selector}{leaky.url(path)}"


@needs_pywb
@pytest.mark.parametrize(("mode", "path"), [
    ("", "/leak/leak-page.html"), ("mp_", "/leak/leak-page.html"),
    ("id_", "/leak/leak-page.html"), ("if_", "/leak/leak-page.html"),
    ("js_", "/leak/leak-attempts.js"), ("im_", "/leak/leak-raw.html"),
    ("oe_", "/leak/leak-raw.html"), ("bn_", "/leak/leak-raw.html"),
    ("id_", "/never/captured.html"), ("mp_", "/never/captured.html"),
])
def test_every_replayed_response_keeps_the_browser_on_the_replay(
        replay: tuple[Leaky, str], mode: str, path: str) -> None:
    reply = get(_address(replay, mode, path))
    assert reply.status in (200, 404)
    assert reply.headers["Content-Security-Policy"] in (REPLAY_POLICY, RAW_POLICY)


@needs_pywb
@pytest.mark.parametrize("path", ["", "static/wombat.js", "evidence/", "no-such-place"])
def test_the_servers_own_pages_keep_the_browser_on_the_replay_too(
        replay: tuple[Leaky, str], path: str) -> None:
    reply = get(replay[1] + path)
    assert reply.headers["Content-Security-Policy"] in (REPLAY_POLICY, RAW_POLICY)


def test_the_policy_allows_only_the_replay_origin() -> None:
    directives = {d.split()[0]: d.split()[1:] for d in REPLAY_POLICY.split("; ")}
    assert directives["default-src"] == ["'self'", "'unsafe-inline'", "'unsafe-eval'", "data:",
                                         "blob:", "mediastream:"]
    assert directives["form-action"] == directives["base-uri"] == ["'self'"]
    words = REPLAY_POLICY.split()
    assert not {"ws:", "wss:", "http:", "https:", "*"} & set(words)
    assert RAW_POLICY == REPLAY_POLICY + "; sandbox"


@needs_pywb
def test_a_raw_page_runs_nothing_and_a_rewritten_page_runs(replay: tuple[Leaky, str]) -> None:
    raw = get(_address(replay, "id_", "/leak/leak-raw.html"))
    assert raw.headers["Content-Security-Policy"] == RAW_POLICY
    rewritten = get(_address(replay, "mp_", "/leak/leak-page.html"))
    assert rewritten.headers["Content-Security-Policy"] == REPLAY_POLICY
    assert b"wombat.js" in rewritten.body


@needs_pywb
def test_raw_markup_opened_as_a_page_shows_as_text(replay: tuple[Leaky, str]) -> None:
    address = _address(replay, "id_", "/leak/leak-raw.html")
    as_page = opened(address, "document")
    assert as_page.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert as_page.headers["X-Content-Type-Options"] == "nosniff"
    assert as_page.headers["X-Archive-Orig-Content-Type"].startswith("text/html")
    as_data = opened(address, "empty")  # fetch() and tools get the type as archived
    assert as_data.headers["Content-Type"].startswith("text/html")
    assert as_page.body == as_data.body and b"phones home" in as_data.body


def _is_raw_page(reply: Response) -> bool:
    """Whether this is leak-raw.html as archived, with none of pywb's rewriting."""
    return b"phones home" in reply.body and b"wombat" not in reply.body


def _shown_as_text(reply: Response) -> bool:
    return (reply.headers["Content-Security-Policy"] == RAW_POLICY
            and reply.headers["Content-Type"].startswith("text/plain")
            and reply.headers["X-Content-Type-Options"] == "nosniff")


@needs_pywb
@pytest.mark.parametrize("spelling", SERVED_RAW_SPELLINGS)
def test_a_raw_page_is_raw_however_its_address_is_spelled(replay: tuple[Leaky, str],
                                                          spelling: str) -> None:
    leaky, root = replay
    target = spelling.format(root="/", url=leaky.url("/leak/leak-raw.html"))
    reply = sent_as(root, target)
    assert reply.status == 200 and _is_raw_page(reply)
    assert _shown_as_text(reply)


@needs_pywb
@pytest.mark.parametrize("spelling", [*RAW_SPELLINGS[4:], "{root}./evidence/id_/{url}",
                                      "{root}x/../evidence/id_/{url}", "evidence/id_/{url}"])
def test_no_spelling_of_a_raw_address_serves_the_raw_page_unguarded(
        replay: tuple[Leaky, str], spelling: str) -> None:
    leaky, root = replay
    reply = sent_as(root, spelling.format(root="/", url=leaky.url("/leak/leak-raw.html")))
    assert reply.headers["Content-Security-Policy"] in (REPLAY_POLICY, RAW_POLICY)
    assert not _is_raw_page(reply) or _shown_as_text(reply)


@needs_pywb
@pytest.mark.parametrize("header", [("Range", "bytes=0-"),
                                    ("X-Requested-With", "XMLHttpRequest"),
                                    ("X-Pywb-Requested-With", "XMLHttpRequest")])
def test_a_rewritten_address_serving_the_page_raw_is_sandboxed(
        replay: tuple[Leaky, str], header: tuple[str, str]) -> None:
    """pywb serves a byte range as archived, and a page asked for by script without its
    rewriting: a service worker could open either as a page."""
    reply = opened(_address(replay, "mp_", "/leak/leak-raw.html"), "document",
                   **{header[0]: header[1]})
    assert _is_raw_page(reply)
    assert _shown_as_text(reply)


@needs_pywb
@pytest.mark.parametrize("headers", [{"Service-Worker": "script"},
                                     {"Sec-Fetch-Dest": "serviceworker"}])
def test_no_service_worker_is_served(replay: tuple[Leaky, str], headers: dict[str, str]) -> None:
    address = _address(replay, "id_", "/leak/leak-worker.js")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(address, headers=headers), timeout=30)
    assert refused.value.code == 403
    assert refused.value.headers["Content-Security-Policy"] == RAW_POLICY
    assert b"service workers" in refused.value.read()
    refused.value.close()
    assert b"respondWith" in get(address).body  # as a script, the worker is still served


@needs_pywb
@pytest.mark.parametrize("mode", ["id_", "mp_"])
def test_archived_headers_cannot_send_the_browser_away(replay: tuple[Leaky, str],
                                                       mode: str) -> None:
    leaky = replay[0]
    refresh = get(_address(replay, mode, "/leak/header/refresh"))
    assert "Refresh" not in refresh.headers
    assert refresh.headers["X-Archive-Orig-Refresh"].endswith("via=refresh")
    redirect = get(_address(replay, mode, "/leak/header/redirect"))
    assert redirect.status == 302
    assert redirect.headers["Location"].startswith(("/evidence/", replay[1] + "evidence/"))
    link = get(_address(replay, mode, "/leak/header/link"))
    assert "preconnect" not in link.headers.get("Link", "")
    assert leaky.url("/leak/beacon") not in link.headers.get("Link", "")


# -- the guard alone ------------------------------------------------------------------------------

RAW = Request(Route(True, "20240501120000", "id_"), "evidence", "127.0.0.1:8080")


@pytest.mark.parametrize(("location", "expected"), [
    ("http://a.example/x", "/evidence/20240501120000id_/http://a.example/x"),
    ("https://a.example/x", "/evidence/20240501120000id_/https://a.example/x"),
    ("//a.example/x", "/evidence/20240501120000id_/http://a.example/x"),
    ("/\\a.example/x", "/evidence/20240501120000id_/http://a.example/x"),
    ("\\\\a.example/x", "/evidence/20240501120000id_/http://a.example/x"),
    ("/\t/a.example/x", "/evidence/20240501120000id_/http://a.example/x"),
    (" http://a.example/", "/evidence/20240501120000id_/http://a.example/"),
    ("HTTP://a.example/", "/evidence/20240501120000id_/HTTP://a.example/"),
    ("http://127.0.0.1:8080@a.example/", "/evidence/20240501120000id_/http://127.0.0.1:8080@a.example/"),
    ("http://127.0.0.1:8080/evidence/x", "http://127.0.0.1:8080/evidence/x"),
    ("/evidence/2024/http://a.example/", "/evidence/2024/http://a.example/"),
    ("next.html", "next.html"),
    ("javascript:alert(1)", None),
    ("ftp://a.example/", None),
    ("data:text/html,hi", None),
])
def test_a_redirect_stays_on_the_replay_server(location: str, expected: str | None) -> None:
    assert replay_location(location, RAW) == expected


def test_only_memento_links_are_kept() -> None:
    pywb = ('<http://a.example/>; rel="original", <http://r/evidence/http://a.example/>; '
            'rel="timegate", <http://r/evidence/2024mp_/http://a.example/>; rel="memento"; '
            'datetime="Mon, 01 Jan 2024 00:00:00 GMT"; collection="evidence"')
    assert memento_links(pywb) == pywb
    assert memento_links("<http://a.example/>; rel=preconnect") == ""
    assert memento_links('<http://a.example/x.js>; rel="preload memento"; as=script') == ""
    assert memento_links("<http://a.example/>; rel=original, garbage") == ""
    assert memento_links("<http://a.example/>") == ""
    assert memento_links("<x>; rel=original, " * 10_000) == ""


@pytest.mark.parametrize(("target", "path_info", "expected"), [
    ("/evidence/2024mp_/http://a.example/%7Ex", "/evidence/2024mp_/http://a.example/~x",
     Route(True, "2024", "mp_")),
    ("/evidence/id_/http://a.example/?q=%2F", "/evidence/id_/http://a.example/",
     Route(True, "", "id_")),
    ("/static/wombat.js", "/static/wombat.js", Route(False)),
    ("/", "/", Route(False)),
    ("/%65vidence/id_/http://a.example/", "/evidence/id_/http://a.example/", UNCERTAIN),
    ("//evidence/id_/http://a.example/", "//evidence/id_/http://a.example/", UNCERTAIN),
    ("evidence/id_/http://a.example/", "evidence/id_/http://a.example/", UNCERTAIN),
    ("/evidence%2Fid_/http://a.example/", "/evidence/id_/http://a.example/", UNCERTAIN),
    ("/evidence/id%5F/http://a.example/", "/evidence/id_/http://a.example/", UNCERTAIN),
    ("/evidence//id_/http://a.example/", "/evidence//id_/http://a.example/", UNCERTAIN),
    ("http://r/evidence/id_/http://a.example/", "/evidence/id_/http://a.example/", UNCERTAIN),
])
def test_a_route_is_read_as_pywb_routes_it(target: str, path_info: str,
                                           expected: Route) -> None:
    assert route_of_request(target, path_info, "evidence") == expected


def test_a_page_on_an_uncertain_route_is_sandboxed_and_shown_as_text() -> None:
    request = request_of({"REQUEST_URI": "/%65vidence/id_/http://a.example/",
                          "PATH_INFO": "/evidence/id_/http://a.example/",
                          "HTTP_SEC_FETCH_DEST": "document"}, "evidence")
    guarded = dict(guard_headers([("Content-Type", "text/html")], request))
    assert guarded["Content-Security-Policy"] == RAW_POLICY
    assert guarded["Content-Type"] == "text/plain"


@pytest.mark.parametrize(("route", "status", "extra", "expected"), [
    (Route(False), 200, [], REPLAY_POLICY),                       # pywb's own page
    (Route(False), 200, [("Memento-Datetime", "x")], RAW_POLICY),  # an archived one
    (Route(True, "2024", "mp_"), 200, [("Memento-Datetime", "x")], REPLAY_POLICY),
    (Route(True, "2024", "mp_"), 206, [("Memento-Datetime", "x")], RAW_POLICY),
    (UNCERTAIN, 404, [], RAW_POLICY),
])
def test_only_a_whole_page_pywb_rewrote_or_made_runs(route: Route, status: int,
                                                     extra: list[tuple[str, str]],
                                                     expected: str) -> None:
    guarded = guard_headers([("Content-Type", "text/html"), *extra],
                            Request(route, "evidence", "h"), status)
    assert dict(guarded)["Content-Security-Policy"] == expected


def test_unknown_headers_are_renamed_and_known_ones_kept() -> None:
    headers = [("Content-Type", "text/html"), ("Refresh", "0;url=http://a.example/"),
               ("Reporting-Endpoints", 'default="http://a.example/r"'),
               ("Content-Security-Policy", "default-src *"), ("X-Archive-Orig-Date", "x"),
               ("Content-Length", "10")]
    guarded = guard_headers(headers, Request(Route(True, "", "mp_"), "evidence", "h"))
    assert guarded == [("Content-Type", "text/html"),
                       ("X-Archive-Orig-Refresh", "0;url=http://a.example/"),
                       ("X-Archive-Orig-Reporting-Endpoints", 'default="http://a.example/r"'),
                       ("X-Archive-Orig-Date", "x"), ("Content-Length", "10"),
                       ("Content-Security-Policy", REPLAY_POLICY),
                       ("X-DNS-Prefetch-Control", "off")]
