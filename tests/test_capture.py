"""Capture, library level (issue 2, item 2), against the real test site on 127.0.0.1.

Every package made here goes through the judges in conftest (`warcio check`, bagit-python,
the manifest schema) before a test looks at it.
"""

from __future__ import annotations

import doctest
import gzip
import hashlib
import io
import json
import random
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

import archiver.capture.urls
from archiver import __version__
from archiver.capture.urls import normalize_url
from archiver.verification import check
from archiver.warc.records import new_record_id, prepare_record
from tests.conftest import Captured, read_record
from tests.server import (
    BASE_HREF_PAGE_PATH,
    DEAD_LINK_PATH,
    EARLY_CLOSE_SENT_BYTES,
    GATE_TITLE,
    MOVED_PAGE_PATH,
    MOVED_PAGE_TARGET,
    REPORT_PATH,
    RESET_SENT_BYTES,
    SAMPLE_PATHS,
    SITE_ROOT,
    STALL_SENT_BYTES,
    STORY_PATH,
    SiteServer,
    big_body,
    encoded_page,
    refused_base_url,
    unanswered_base_url,
)

Capture = Callable[..., Captured]

# Every kind of requisite the story page uses, and the one URL it must bring in.
STORY_REQUISITES = {
    "link rel=icon": "/static/images/favicon.png",
    "link rel=stylesheet": "/static/css/story.css",
    "link rel=preload, and @font-face in an imported sheet": "/static/fonts/ledger-icons.ttf",
    "script src": "/static/js/story.js",
    "url() in <style>": "/static/images/pullquote-bg.png",
    "img src": "/static/images/masthead-logo.svg",
    "img src, and srcset": "/static/images/meter-photo-640.jpg",
    "img srcset": "/static/images/meter-photo-1280.jpg",
    "picture/source srcset": "/static/images/bills-chart-960.png",
    "picture/img src": "/static/images/bills-chart-480.png",
    "video poster": "/static/images/meter-dial-poster.jpg",
    "video src, and video/source src": "/static/media/meter-dial.webm",
    "video/source src": "/static/media/meter-dial.mp4",
    "track src": "/static/media/meter-dial.en.vtt",
    "audio src": "/static/media/meter-tick.wav",
    "url() in a style attribute": "/static/images/paper-texture.png",
    "CSS @import": "/static/css/typography.css",
    "CSS url()": "/static/images/masthead-waves.png",
    "url() in an imported sheet": "/static/images/quote-rule.svg",
}

# Links that are not requisites: the story cites them, but a page does not need them to render.
STORY_LINKS = [REPORT_PATH, DEAD_LINK_PATH, MOVED_PAGE_PATH, BASE_HREF_PAGE_PATH, "/",
               "/investigations/", "/feeds/investigations.xml"]


# -- requisites ---------------------------------------------------------------------------------


def test_every_kind_of_requisite_is_captured_once(site: SiteServer, capture: Capture) -> None:
    captured = capture([site.url(STORY_PATH)])

    hits = {kind: site.hits(path) for kind, path in STORY_REQUISITES.items()}
    assert hits == dict.fromkeys(STORY_REQUISITES, 1)
    for path in STORY_REQUISITES.values():
        resource = captured.resource(site.url(path))
        assert (resource["role"], resource["outcome"], resource["status"]) == (
            "requisite", "captured", 200), path


def test_only_the_page_and_its_requisites_are_fetched(site: SiteServer, capture: Capture) -> None:
    captured = capture([site.url(STORY_PATH)])

    expected = {STORY_PATH, *STORY_REQUISITES.values()}
    assert site.all_hits == dict.fromkeys(expected, 1)
    assert captured.resource_urls == {site.url(path) for path in expected}
    assert not {site.url(path) for path in STORY_LINKS} & captured.resource_urls


def test_stylesheet_requisites_resolve_against_the_stylesheet(site: SiteServer,
                                                              capture: Capture) -> None:
    captured = capture([site.url(STORY_PATH)])

    found_on = {path: captured.resource(site.url(path))["found_on"]
                for path in ["/static/css/typography.css", "/static/images/masthead-waves.png",
                             "/static/images/quote-rule.svg", "/static/fonts/ledger-icons.ttf"]}
    assert found_on == {
        "/static/css/typography.css": site.url("/static/css/story.css"),
        "/static/images/masthead-waves.png": site.url("/static/css/story.css"),
        "/static/images/quote-rule.svg": site.url("/static/css/typography.css"),
        "/static/fonts/ledger-icons.ttf": site.url(STORY_PATH),  # the preload came first
    }


def test_base_href_is_used_to_resolve_requisites(site: SiteServer, capture: Capture) -> None:
    captured = capture([site.url(BASE_HREF_PAGE_PATH)])

    assert site.all_hits == {BASE_HREF_PAGE_PATH: 1, "/static/archive/council/minutes.css": 1,
                             "/static/archive/council/city-seal.png": 1}
    assert captured.source(site.url(BASE_HREF_PAGE_PATH))["outcome"] == "captured"


def test_requisites_shared_by_sources_are_fetched_once(site: SiteServer,
                                                       capture: Capture) -> None:
    captured = capture([site.url(STORY_PATH), site.url(MOVED_PAGE_TARGET), site.url("/"),
                        site.url(STORY_PATH)])

    assert set(site.all_hits.values()) == {1}
    assert site.hits("/static/css/story.css") == 1
    assert len(captured.manifest["sources"]) == 4
    assert captured.resource(site.url(STORY_PATH))["role"] == "source"


def test_no_requisites_fetches_only_the_sources(site: SiteServer, capture: Capture) -> None:
    captured = capture([site.url(STORY_PATH)], requisites=False)

    assert site.all_hits == {STORY_PATH: 1}
    assert captured.resource_urls == {site.url(STORY_PATH)}


def test_error_page_is_captured_with_its_stylesheet(site: SiteServer, capture: Capture) -> None:
    captured = capture([site.url(DEAD_LINK_PATH)])

    source = captured.source(site.url(DEAD_LINK_PATH))
    assert (source["outcome"], source["status"], source["reason"]) == ("captured", 404, None)
    assert captured.response(site.url(DEAD_LINK_PATH)).block.startswith(b"HTTP/1.1 404 Not Found")
    assert site.all_hits == {DEAD_LINK_PATH: 1, "/static/css/error.css": 1,
                             "/static/images/broken-pipe.svg": 1}


# -- redirects ----------------------------------------------------------------------------------


def test_each_redirect_hop_is_an_exchange(site: SiteServer, capture: Capture) -> None:
    captured = capture([site.url("/redirect/chain")], requisites=False)

    hops = ["/redirect/chain", "/redirect/chain/2", "/redirect/chain/3", "/redirect/chain/4"]
    chain = [site.url(path) for path in [*hops, MOVED_PAGE_TARGET]]
    source = captured.source(site.url("/redirect/chain"))
    assert source["outcome"] == "captured"
    assert source["final_url"] == site.url(MOVED_PAGE_TARGET)
    assert source["redirects"] == chain
    assert source["status"] == 200
    statuses = [captured.resource(url)["status"] for url in chain]
    assert statuses == [301, 302, 307, 308, 200]
    for url in chain:
        response, request = captured.response(url), captured.request(url)
        assert response.headers["WARC-Target-URI"] == url
        assert response.headers["WARC-Concurrent-To"] == request.headers["WARC-Record-ID"]
        assert site.hits(url.removeprefix(site.base_url)) == 1
    assert source["record"] == captured.resource(site.url(MOVED_PAGE_TARGET))["record"]


@pytest.mark.parametrize(("start", "loop"), [
    ("/redirect/loop/a", ["/redirect/loop/a", "/redirect/loop/b", "/redirect/loop/a"]),
    ("/redirect/self", ["/redirect/self", "/redirect/self"]),
])
def test_redirect_loop_fails_the_source(site: SiteServer, capture: Capture, start: str,
                                        loop: list[str]) -> None:
    captured = capture([site.url(start)])

    source = captured.source(site.url(start))
    assert source["outcome"] == "failed"
    assert source["reason"] == ("redirect loop (same cookies each time): "
                                + " → ".join(site.url(p) for p in loop))
    assert set(site.all_hits.values()) == {1}  # each hop once, kept as evidence
    for path in set(loop):
        assert captured.resource(site.url(path))["record"] is not None


def test_too_many_redirects_fails_the_source(site: SiteServer, capture: Capture) -> None:
    captured = capture([site.url("/redirect/many/5")], max_redirects=3)

    source = captured.source(site.url("/redirect/many/5"))
    assert (source["outcome"], source["reason"]) == ("failed", "more than 3 redirects")
    assert site.all_hits == {f"/redirect/many/{n}": 1 for n in (5, 4, 3, 2)}


def test_as_many_redirects_as_allowed_is_fine(site: SiteServer, capture: Capture) -> None:
    captured = capture([site.url("/redirect/many/3")], max_redirects=3)

    source = captured.source(site.url("/redirect/many/3"))
    assert (source["outcome"], source["status"]) == ("captured", 200)
    assert source["final_url"] == site.url("/redirect/many/0")
    assert len(source["redirects"]) == 4


def _responses_for(captured: Captured, url: str) -> list[tuple[int, bytes, bytes]]:
    """Every exchange the WARC holds for `url`, in order: (status, request, response)."""
    records = list(captured.records())
    requests = {r.headers["WARC-Record-ID"]: r for r in records
                if r.headers["WARC-Type"] == "request"}
    return [(int(r.block.split(b" ", 2)[1]), requests[r.headers["WARC-Concurrent-To"]].block,
             r.block)
            for r in records
            if r.headers["WARC-Type"] == "response" and r.headers["WARC-Target-URI"] == url]


def test_a_cookie_gate_that_redirects_to_itself_is_passed(site: SiteServer,
                                                          capture: Capture) -> None:
    # A consent or session gate: the first visit sets a cookie and redirects to the very same
    # URL, the second (with the cookie) gets the page. Browsers load it; so does a capture.
    url = site.url("/gate/consent")
    captured = capture([url])

    source = captured.source(url)
    assert (source["outcome"], source["status"], source["reason"]) == ("captured", 200, None)
    assert (source["final_url"], source["redirects"]) == (url, [url, url])
    assert site.hits("/gate/consent") == 2
    hops = [r for r in captured.manifest["resources"] if r["url"] == url]
    assert [hop["status"] for hop in hops] == [302, 200]
    assert hops[0]["redirect_to"] == url
    assert source["record"] == hops[1]["record"]
    # Both exchanges are evidence: the gate's answer and the page, each with its request.
    exchanges = _responses_for(captured, url)
    assert [status for status, _, _ in exchanges] == [302, 200]
    assert b"Cookie:" not in exchanges[0][1]
    assert b"\r\nSet-Cookie: consent=yes; Path=/gate\r\n" in exchanges[0][2]
    assert b"\r\nCookie: consent=yes\r\n" in exchanges[1][1]
    assert GATE_TITLE.encode() in exchanges[1][2]
    # The page behind the gate is the one extracted; and the package checks out, each of
    # its two claims about the URL against the record it names.
    extracted = [hop for hop in hops if hop["derived"]]
    assert [hop["status"] for hop in extracted] == [200]
    report = check(captured.path)
    assert report.is_valid, [str(problem) for problem in report.problems]


def test_a_gate_whose_cookies_come_back_unchanged_is_a_loop(site: SiteServer,
                                                            capture: Capture) -> None:
    # The same URL with the same cookies a second time: nothing can change, a true loop.
    url = site.url("/gate/stubborn")
    captured = capture([url])

    source = captured.source(url)
    assert source["outcome"] == "failed"
    assert source["reason"] == f"redirect loop (same cookies each time): {url} → {url}"
    assert site.hits("/gate/stubborn") == 2  # without the cookie, then with it: no more
    assert [status for status, _, _ in _responses_for(captured, url)] == [302, 302]


def test_a_gate_that_never_lets_through_stops_after_20_redirects(site: SiteServer,
                                                                 capture: Capture) -> None:
    # New cookies on every visit: never a loop by URL and cookies, so the cap ends it, as
    # in a browser: 20 redirects followed, the 21st refused.
    url = site.url("/gate/counter")
    captured = capture([url])

    source = captured.source(url)
    assert (source["outcome"], source["reason"]) == ("failed", "more than 20 redirects")
    assert site.hits("/gate/counter") == 21
    assert len(source["redirects"]) == 21
    exchanges = _responses_for(captured, url)
    assert [status for status, _, _ in exchanges] == [302] * 21  # every hop kept
    assert b"\r\nCookie: consent=20\r\n" in exchanges[-1][1]


def test_twenty_redirects_are_followed_and_the_21st_is_not(site: SiteServer,
                                                           capture: Capture) -> None:
    twenty = capture([site.url("/redirect/many/20")], requisites=False)
    assert twenty.source(site.url("/redirect/many/20"))["status"] == 200

    captured = capture([site.url("/redirect/many/21")], requisites=False)
    source = captured.source(site.url("/redirect/many/21"))
    assert (source["outcome"], source["reason"]) == ("failed", "more than 20 redirects")
    assert site.hits("/redirect/many/0") == 1  # only by the first capture


# -- faults are evidence --------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "status"), [(DEAD_LINK_PATH, 404), ("/status/500", 500),
                                              ("/status/503", 503), ("/status/410", 410)])
def test_http_errors_are_captured_responses(site: SiteServer, capture: Capture, path: str,
                                            status: int) -> None:
    captured = capture([site.url(path)], requisites=False)

    source = captured.source(site.url(path))
    assert (source["outcome"], source["status"], source["reason"]) == ("captured", status, None)
    assert captured.response(site.url(path)).block == site.sent(path)
    assert site.hits(path) == 1  # an answer, not a transient error: never retried


def test_refused_connection_fails_and_the_job_goes_on(site: SiteServer, capture: Capture) -> None:
    refused = refused_base_url() + "/story.html"
    captured = capture([refused, site.url(STORY_PATH)], retries=1)

    source = captured.source(refused)
    assert (source["outcome"], source["reason"], source["record"]) == (
        "failed", "connection refused", None)
    assert captured.resource(refused)["attempts"] == 2
    assert captured.source(site.url(STORY_PATH))["outcome"] == "captured"
    assert site.hits("/static/css/typography.css") == 1
    assert not captured.result.is_complete


def test_connect_timeout_fails_and_the_job_goes_on(site: SiteServer, capture: Capture) -> None:
    with unanswered_base_url() as base:
        captured = capture([base + "/", site.url(REPORT_PATH)], connect_timeout=0.2, retries=1)

    source = captured.source(base + "/")
    assert (source["outcome"], source["reason"]) == ("failed", "timed out while connecting")
    assert captured.resource(base + "/")["attempts"] == 2
    assert captured.source(site.url(REPORT_PATH))["outcome"] == "captured"


def test_reset_mid_body_keeps_the_partial_response(any_site: SiteServer, capture: Capture) -> None:
    captured = capture([any_site.url("/fault/reset")], ca_file=any_site.ca_file)

    source = captured.source(any_site.url("/fault/reset"))
    assert source["outcome"] == "failed"
    reasons = {"connection reset by the server while reading the response body",
               "the server closed the connection"}  # a reset under TLS can read as a close
    if any_site.ca_file is None:
        reasons.remove("the server closed the connection")
    assert source["reason"] in {f"{reason} after {RESET_SENT_BYTES} bytes of the body"
                                for reason in reasons}
    resource = captured.resource(any_site.url("/fault/reset"))
    assert (resource["truncated"], resource["payload_length"]) == ("disconnect", RESET_SENT_BYTES)
    response = captured.response(any_site.url("/fault/reset"))
    assert response.headers["WARC-Truncated"] == "disconnect"
    assert response.block == any_site.sent("/fault/reset")
    assert response.payload == big_body()[:RESET_SENT_BYTES]
    assert any_site.hits("/fault/reset") == 1  # a response came: not retried


def test_clean_close_mid_body_keeps_the_partial_response(any_site: SiteServer,
                                                         capture: Capture) -> None:
    captured = capture([any_site.url("/fault/early-close")], ca_file=any_site.ca_file)

    source = captured.source(any_site.url("/fault/early-close"))
    assert source["outcome"] == "failed"
    assert source["reason"] == ("the server closed the connection after "
                                f"{EARLY_CLOSE_SENT_BYTES} bytes of the body")
    response = captured.response(any_site.url("/fault/early-close"))
    assert response.headers["WARC-Truncated"] == "disconnect"
    assert response.block == any_site.sent("/fault/early-close")
    assert any_site.hits("/fault/early-close") == 1


def test_keep_alive_connection_closed_by_the_server_is_replaced(any_site: SiteServer,
                                                                capture: Capture) -> None:
    # One connection at a time: the report's request goes out on the connection the server
    # has just closed, finds it closed, and is sent again on a new one, transparently.
    urls = [any_site.url("/fault/close-quietly"), any_site.url(REPORT_PATH)]
    captured = capture(urls, ca_file=any_site.ca_file, per_host=1, concurrency=1, retries=0)

    assert [captured.source(url)["outcome"] for url in urls] == ["captured", "captured"]
    assert captured.resource(any_site.url(REPORT_PATH))["attempts"] == 1
    assert any_site.all_hits == {"/fault/close-quietly": 1, REPORT_PATH: 1}


def test_reset_before_any_reply_is_retried_then_fails(site: SiteServer,
                                                      capture: Capture) -> None:
    captured = capture([site.url("/fault/reset-before-reply")], retries=2)

    source = captured.source(site.url("/fault/reset-before-reply"))
    assert (source["outcome"], source["record"]) == ("failed", None)
    assert source["reason"] == "connection reset by the server while waiting for a response"
    assert captured.resource(site.url("/fault/reset-before-reply"))["attempts"] == 3
    assert site.hits("/fault/reset-before-reply") == 3


def test_read_timeout_fails_after_retries(site: SiteServer, capture: Capture) -> None:
    path = "/fault/slow?seconds=3"
    captured = capture([site.url(path)], read_timeout=0.3, retries=1)

    source = captured.source(site.url(path))
    assert (source["outcome"], source["reason"]) == ("failed",
                                                     "timed out while waiting for a response")
    assert site.hits(path) == 2


def test_stall_mid_body_fails_and_keeps_the_partial_response(any_site: SiteServer,
                                                             capture: Capture) -> None:
    captured = capture([any_site.url("/fault/stall")], ca_file=any_site.ca_file, read_timeout=0.4)

    source = captured.source(any_site.url("/fault/stall"))
    assert source["outcome"] == "failed"
    assert source["reason"] == ("timed out while reading the response body after "
                                f"{STALL_SENT_BYTES} bytes of the body")
    response = captured.response(any_site.url("/fault/stall"))
    assert response.headers["WARC-Truncated"] == "time"
    assert response.payload == big_body()[:STALL_SENT_BYTES]
    assert any_site.hits("/fault/stall") == 1


def test_not_http_fails_without_retry(site: SiteServer, capture: Capture) -> None:
    captured = capture([site.url("/fault/garbage")])

    source = captured.source(site.url("/fault/garbage"))
    assert source["outcome"] == "failed"
    assert source["reason"].startswith("the server sent a malformed HTTP response")
    assert site.hits("/fault/garbage") == 1


@pytest.mark.parametrize(("url", "reason"), [
    ("not a url", "not a valid URL"),
    ("http://127.0.0.1:99999/", "not a valid URL"),
    ("http://[::1/", "not a valid URL"),
    ("ftp://127.0.0.1/report.pdf", "not an http(s) URL (scheme 'ftp:')"),
    ("mailto:tips@127.0.0.1", "not an http(s) URL (scheme 'mailto:')"),
])
def test_invalid_url_fails_and_the_job_goes_on(site: SiteServer, capture: Capture, url: str,
                                               reason: str) -> None:
    captured = capture([url, site.url(REPORT_PATH)])

    source = captured.source(url)
    assert (source["outcome"], source["reason"], source["url"]) == ("failed", reason, None)
    assert captured.source(site.url(REPORT_PATH))["outcome"] == "captured"
    assert site.all_hits == {REPORT_PATH: 1}


def test_one_job_with_every_fault_completes(site: SiteServer, capture: Capture) -> None:
    refused = refused_base_url() + "/"
    urls = [site.url(STORY_PATH), refused, site.url("/fault/reset"), "not a url",
            site.url("/fault/slow?seconds=2"), site.url("/redirect/loop/a"),
            site.url(DEAD_LINK_PATH), site.url(REPORT_PATH)]
    captured = capture(urls, retries=0, read_timeout=0.3)

    outcomes = [captured.source(url)["outcome"] for url in urls]
    assert outcomes == ["captured", "failed", "failed", "failed", "failed", "failed",
                        "captured", "captured"]
    assert all(captured.source(url)["reason"] for url, outcome in zip(urls, outcomes, strict=True)
               if outcome == "failed")
    assert len(captured.result.capture.failed) == 5
    assert site.hits("/static/images/quote-rule.svg") == 1


# -- bodies exactly as received -------------------------------------------------------------------


def warcio_payload(captured: Captured, url: str) -> bytes:
    """The response's body as warcio (and so pywb) decodes it: de-chunked, decompressed."""
    ref = captured.resource(url)["record"]
    with (captured.path / ref["warc_file"]).open("rb") as handle:
        for record in ArchiveIterator(handle):
            if (record.rec_type == "response"
                    and record.rec_headers.get_header("WARC-Target-URI") == url):
                return bytes(record.content_stream().read())
    raise AssertionError(f"no response record for {url}")


@pytest.mark.parametrize(("path", "title", "framing"), [
    ("/encoding/chunked", "Chunked", b"Transfer-Encoding: chunked"),
    ("/encoding/gzip", "Gzip", b"Content-Encoding: gzip"),
    ("/encoding/gzip-chunked", "Gzip and chunked", b"Transfer-Encoding: chunked"),
    ("/encoding/until-close", "Until close", b"Connection: close"),
])
def test_body_is_stored_exactly_as_received(any_site: SiteServer, capture: Capture, path: str,
                                            title: str, framing: bytes) -> None:
    captured = capture([any_site.url(path)], ca_file=any_site.ca_file)

    response = captured.response(any_site.url(path))
    assert response.block == any_site.sent(path)
    assert framing in response.http_head
    payload_digest = "sha256:" + hashlib.sha256(response.payload).hexdigest()
    assert response.headers["WARC-Payload-Digest"] == payload_digest
    assert warcio_payload(captured, any_site.url(path)) == encoded_page(title)
    # The page was read through its framing and encoding to find what it needs.
    assert any_site.hits("/static/images/favicon.png") == 1


def test_gzip_body_stays_encoded(site: SiteServer, capture: Capture) -> None:
    captured = capture([site.url("/encoding/gzip")])

    payload = captured.response(site.url("/encoding/gzip")).payload
    assert payload == gzip.compress(encoded_page("Gzip"), mtime=0)
    assert captured.resource(site.url("/encoding/gzip"))["payload_length"] == len(payload)


def test_report_is_captured_whole(site: SiteServer, capture: Capture) -> None:
    captured = capture([site.url(REPORT_PATH)])

    response = captured.response(site.url(REPORT_PATH))
    assert response.block == site.sent(REPORT_PATH)
    assert response.payload == (SITE_ROOT / REPORT_PATH.lstrip("/")).read_bytes()
    source = captured.source(site.url(REPORT_PATH))
    assert source["content_type"] == "application/pdf"
    assert source["payload_sha256"] == hashlib.sha256(response.payload).hexdigest()


# -- limits ---------------------------------------------------------------------------------------


def test_size_limit_truncates_the_record(any_site: SiteServer, capture: Capture) -> None:
    limit = 64 * 1024
    captured = capture([any_site.url("/fault/big")], ca_file=any_site.ca_file,
                       max_resource_bytes=limit)

    source = captured.source(any_site.url("/fault/big"))
    assert (source["outcome"], source["status"]) == ("captured", 200)
    resource = captured.resource(any_site.url("/fault/big"))
    assert (resource["truncated"], resource["payload_length"]) == ("length", limit)
    response = captured.response(any_site.url("/fault/big"))
    assert response.headers["WARC-Truncated"] == "length"
    assert response.payload == big_body()[:limit]
    assert any_site.hits("/fault/big") == 1


def test_time_limit_truncates_the_record(any_site: SiteServer, capture: Capture) -> None:
    captured = capture([any_site.url("/fault/drip")], ca_file=any_site.ca_file,
                       resource_timeout=0.5, read_timeout=2.0)

    source = captured.source(any_site.url("/fault/drip"))
    assert (source["outcome"], source["status"], source["reason"]) == ("captured", 200, None)
    resource = captured.resource(any_site.url("/fault/drip"))
    assert resource["truncated"] == "time"
    response = captured.response(any_site.url("/fault/drip"))
    assert response.headers["WARC-Truncated"] == "time"
    assert 0 < len(response.payload) < 100_000
    assert response.payload == big_body()[:len(response.payload)]
    assert any_site.hits("/fault/drip") == 1


# -- cookies, URLs, TLS ----------------------------------------------------------------------------


def test_cookie_set_on_a_redirect_is_sent_after_it(site: SiteServer, capture: Capture) -> None:
    captured = capture([site.url("/cookie/login")])

    source = captured.source(site.url("/cookie/login"))
    assert (source["outcome"], source["status"]) == ("captured", 200)
    assert source["final_url"] == site.url("/cookie/members.html")
    assert captured.resource(site.url("/cookie/badge.svg"))["status"] == 200
    assert site.all_hits == {"/cookie/login": 1, "/cookie/members.html": 1,
                             "/cookie/badge.svg": 1}
    request = captured.request(site.url("/cookie/members.html")).block
    assert b"\r\nCookie: ledger_reader=granted\r\n" in request


def test_non_ascii_path_and_query_are_encoded_like_a_browser(site: SiteServer,
                                                             capture: Capture) -> None:
    typed = site.url("/intl/straße/über uns?q=café&x=ü")
    captured = capture([typed])

    encoded = site.url("/intl/stra%C3%9Fe/%C3%BCber%20uns?q=caf%C3%A9&x=%C3%BC")
    source = captured.source(typed)
    assert (source["url"], source["outcome"]) == (encoded, "captured")
    assert site.hits("/intl/straße/über uns?q=café&x=ü") == 1
    assert captured.response(encoded).headers["WARC-Target-URI"] == encoded
    request = captured.request(encoded).block
    assert request.startswith(
        b"GET /intl/stra%C3%9Fe/%C3%BCber%20uns?q=caf%C3%A9&x=%C3%BC HTTP/1.1\r\n")
    # A relative non-ASCII requisite, resolved against the encoded page URL.
    assert site.all_hits == {"/intl/stra%C3%9Fe/%C3%BCber%20uns?q=caf%C3%A9&x=%C3%BC": 1,
                             "/intl/stra%C3%9Fe/karte-f%C3%BCr-stra%C3%9Fe.svg": 1}


def test_raw_utf8_location_is_read_as_utf8(site: SiteServer, capture: Capture) -> None:
    captured = capture([site.url("/redirect/utf8")], requisites=False)

    target = site.url("/intl/stra%C3%9Fe/%C3%BCber%20uns")
    source = captured.source(site.url("/redirect/utf8"))
    assert (source["outcome"], source["final_url"]) == ("captured", target)
    assert site.all_hits == {"/redirect/utf8": 1, "/intl/stra%C3%9Fe/%C3%BCber%20uns": 1}


@pytest.mark.parametrize(("typed", "normal"), [
    ("https://Bücher.example/Über uns", "https://xn--bcher-kva.example/%C3%9Cber%20uns"),
    ("HTTP://EXAMPLE.com:80/a/./b/../c#part", "http://example.com/a/c"),
    ("https://例え.テスト/パス?ク=エ", "https://xn--r8jz45g.xn--zckzah/%E3%83%91%E3%82%B9"
                                  "?%E3%82%AF=%E3%82%A8"),
    ("http://127.0.0.1:8080/a b?c d", "http://127.0.0.1:8080/a%20b?c%20d"),
])
def test_normalize_url_like_a_browser(typed: str, normal: str) -> None:
    assert normalize_url(typed) == normal  # pure: nothing is contacted


def test_url_module_doctests() -> None:
    results = doctest.testmod(archiver.capture.urls)
    assert results.attempted and not results.failed


def test_https_with_the_test_ca(tls_site: SiteServer, capture: Capture) -> None:
    captured = capture([tls_site.url(STORY_PATH)], ca_file=tls_site.ca_file)

    source = captured.source(tls_site.url(STORY_PATH))
    assert (source["outcome"], source["status"]) == ("captured", 200)
    assert tls_site.all_hits == dict.fromkeys({STORY_PATH, *STORY_REQUISITES.values()}, 1)


def test_https_without_the_ca_fails_plainly(tls_site: SiteServer, capture: Capture) -> None:
    captured = capture([tls_site.url(STORY_PATH)])

    source = captured.source(tls_site.url(STORY_PATH))
    assert source["outcome"] == "failed"
    assert "certificate" in source["reason"]
    assert captured.resource(tls_site.url(STORY_PATH))["attempts"] == 1  # not transient
    assert tls_site.all_hits == {}


def test_https_insecure_opt_out(tls_site: SiteServer, capture: Capture) -> None:
    captured = capture([tls_site.url(REPORT_PATH)], verify_tls=False)

    assert captured.source(tls_site.url(REPORT_PATH))["outcome"] == "captured"
    assert tls_site.hits(REPORT_PATH) == 1


# -- concurrency and retries ----------------------------------------------------------------------


@pytest.mark.parametrize(("per_host", "concurrency", "most"), [(1, 16, 1), (3, 16, 3), (6, 2, 2)])
def test_connections_never_exceed_the_limits(fresh_site: SiteServer, capture: Capture,
                                             per_host: int, concurrency: int, most: int) -> None:
    urls = [fresh_site.url(f"/delay/{n}?ms=100") for n in range(3 * most + 1)]
    captured = capture(urls, per_host=per_host, concurrency=concurrency)

    assert not captured.result.capture.failed
    assert fresh_site.max_in_flight == most  # the limit is reached...
    assert fresh_site.max_connections <= most  # ...and never passed


def test_connections_are_reused(fresh_site: SiteServer, capture: Capture) -> None:
    capture([fresh_site.url(f"/delay/{n}?ms=1") for n in range(6)], per_host=1)

    assert len({request.connection for request in fresh_site.log.requests}) == 1


def test_transient_error_is_retried_until_it_passes(site: SiteServer, capture: Capture) -> None:
    path = "/fault/flaky?fail=2"
    captured = capture([site.url(path)], retries=2)

    source = captured.source(site.url(path))
    assert (source["outcome"], source["status"]) == ("captured", 200)
    assert captured.resource(site.url(path))["attempts"] == 3
    assert site.hits(path) == 3


def test_no_retries_when_none_are_allowed(site: SiteServer, capture: Capture) -> None:
    path = "/fault/flaky?fail=1"
    captured = capture([site.url(path)], retries=0)

    assert captured.source(site.url(path))["outcome"] == "failed"
    assert site.hits(path) == 1


# -- the records ----------------------------------------------------------------------------------


def test_sample_package(site: SiteServer, sample_package: Path) -> None:
    manifest = json.loads((sample_package / "manifest.json").read_text("utf-8"))

    sources = {s["requested_url"]: (s["outcome"], s["status"]) for s in manifest["sources"]}
    assert sources == {site.url(STORY_PATH): ("captured", 200),
                       site.url(REPORT_PATH): ("captured", 200),
                       site.url(DEAD_LINK_PATH): ("captured", 404),
                       site.url(MOVED_PAGE_PATH): ("captured", 200)}
    urls = [resource["url"] for resource in manifest["resources"]]
    assert len(urls) == len(set(urls))
    assert {site.url(path) for path in STORY_REQUISITES.values()} <= set(urls)
    assert site.all_hits == {}  # made before this test, whose counts start at zero


def test_user_agent_names_archiver(site: SiteServer, capture: Capture) -> None:
    captured = capture([site.url(REPORT_PATH)])

    (request,) = site.requests(REPORT_PATH)
    assert request.headers["user-agent"].startswith(f"archiver/{__version__} ")
    assert b"\r\nUser-Agent: archiver/" in captured.request(site.url(REPORT_PATH)).block


def test_records_pair_and_digest_every_exchange(site: SiteServer, capture: Capture) -> None:
    captured = capture([site.url(path) for path in SAMPLE_PATHS])

    records = list(captured.records())
    assert records[0].headers["WARC-Type"] == "warcinfo"
    assert f"software: archiver/{__version__}" in records[0].block.decode()
    by_id = {record.headers["WARC-Record-ID"]: record for record in records}
    exchanges = [r for r in records if r.headers["WARC-Type"] == "response"]
    assert len(exchanges) == len(captured.manifest["resources"])
    for response in exchanges:
        request = by_id[response.headers["WARC-Concurrent-To"]]
        assert request.headers["WARC-Type"] == "request"
        assert request.headers["WARC-Concurrent-To"] == response.headers["WARC-Record-ID"]
        assert request.headers["WARC-Target-URI"] == response.headers["WARC-Target-URI"]
        for record in (request, response):
            assert record.headers["WARC-IP-Address"] == "127.0.0.1"
            assert record.headers["WARC-Block-Digest"] == (
                "sha256:" + hashlib.sha256(record.block).hexdigest())
        assert response.headers["WARC-Payload-Digest"] == (
            "sha256:" + hashlib.sha256(response.payload).hexdigest())


def test_warc_files_roll_over_at_the_size_limit(site: SiteServer, capture: Capture) -> None:
    captured = capture([site.url(STORY_PATH)], warc_max_bytes=20_000)

    warcs = sorted((captured.path / "data" / "warc").glob("*.warc.gz"))
    assert len(warcs) > 2
    listed = {entry["path"] for entry in captured.manifest["files"]
              if entry["path"].startswith("data/warc/")}
    assert listed == {f"data/warc/{warc.name}" for warc in warcs}
    for warc in warcs:
        first = read_record(warc, 0)
        assert (first.headers["WARC-Type"], first.headers["WARC-Filename"]) == ("warcinfo",
                                                                               warc.name)
    for resource in captured.manifest["resources"]:
        ref = resource["record"]
        assert captured.response(resource["url"]).headers["WARC-Target-URI"] == resource["url"]
        assert captured.request(resource["url"]).headers["WARC-Record-ID"] == (
            ref["request_record_id"])


def _first_deflate_block_type(member: bytes) -> int:
    """BTYPE of a gzip member's first deflate block: 0 stored, 1 fixed, 2 dynamic Huffman.
    (Our members have the plain ten-byte gzip header.)"""
    assert member[:3] == b"\x1f\x8b\x08" and member[3] == 0, "a plain gzip header"
    return (member[10] >> 1) & 3


@pytest.mark.parametrize("size", [3_000, 40_000, 150_000, 700_000])
def test_incompressible_blocks_are_stored_and_the_rest_deflated(size: int) -> None:
    """Random bytes (as JPEG or video data are) go into stored deflate blocks, which every
    reader inflates at memory speed; ISA-L would code them as Huffman literals, which
    inflate ~20 times slower. Text is deflated."""
    random_body = random.Random(size).randbytes(size)
    text_body = b" ".join(b"evidence %d holds" % n for n in range(size // 16))[:size]
    for body, stored in ((random_body, True), (text_body, False)):
        block = b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\n\r\n" + body
        fields: list[tuple[str, str | None]] = [("WARC-Type", "resource"),
                                                ("WARC-Record-ID", new_record_id())]
        for source in (block, io.BytesIO(block)):
            record = prepare_record(fields, source, len(block), gzip_level=2)
            member = record.member.read()
            record.close()
            assert (_first_deflate_block_type(member) == 0) is stored
            assert (len(member) < 0.8 * len(block)) is not stored
            inflated = zlib.decompress(member, 31)
            assert inflated.endswith(block + b"\r\n\r\n")


def test_progress_is_told_of_each_fetch_and_of_all_known(site: SiteServer,
                                                         tmp_path: Path) -> None:
    # What the progress bar shows on a terminal: (done, known so far, url) after each fetch.
    from archiver.package.build import create_package
    from tests.conftest import fast_settings

    told: list[tuple[int, int, str]] = []
    create_package([site.url("/gate/consent")], tmp_path / "pkg",
                   settings=fast_settings(requisites=False),
                   progress=lambda done, known, url: told.append((done, known, url)))

    # The gate's 302 is told once its second hop is known; then the page behind it.
    fetches = [entry for entry in told if not entry[2].startswith("extracting ")]
    assert fetches == [(1, 2, site.url("/gate/consent")), (2, 2, site.url("/gate/consent"))]



def test_jobs_of_a_process_share_one_tls_context(tmp_path: Path) -> None:
    """A cluster worker runs a job per batch: the system's authorities are loaded once per
    process, not per job; --insecure, another --ca-file or a changed CA file is another."""
    import os

    trustme = pytest.importorskip("trustme")
    from archiver.capture.connections import tls_context
    from tests.conftest import fast_settings

    first = tls_context(fast_settings())
    assert tls_context(fast_settings()) is first
    assert tls_context(fast_settings(verify_tls=False)) is not first
    ca_file = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(ca_file))
    with_ca = tls_context(fast_settings(ca_file=ca_file))
    assert with_ca is not first
    assert tls_context(fast_settings(ca_file=ca_file)) is with_ca
    trustme.CA().cert_pem.write_to_path(str(ca_file))  # another authority, same path
    os.utime(ca_file, ns=(1, 1))
    assert tls_context(fast_settings(ca_file=ca_file)) is not with_ca
