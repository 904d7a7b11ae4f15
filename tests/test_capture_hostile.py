"""Capture against servers that misbehave on purpose (issue 10, items 1, 2 and 12): bytes after
the end of a response, header blocks over the limit, malformed bodies, cookie floods, a
stylesheet nested too deep. One hostile exchange never misattributes a record, never loses
the job, and never grows what we send without bound.

Every package made here goes through the judges in conftest (`warcio check`, `fastwarc
check`, bagit-python, the manifest schema) before a test looks at it.
"""

from __future__ import annotations

import hashlib
import json
import select
import uuid
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

import pytest
from typer.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from archiver.capture.cookies import (
    MAX_COOKIE_BYTES,
    MAX_COOKIE_HEADER,
    MAX_COOKIES,
    MAX_COOKIES_PER_DOMAIN,
    JobCookies,
)
from archiver.capture.http_transport import HttpTransport
from archiver.capture.job import CaptureJob
from archiver.capture.transport import Exchange, Request, SinkFactory, StrayBytes
from archiver.cli import app
from archiver.package.build import create_package
from archiver.settings import CaptureSettings
from archiver.verification import check
from archiver.warc.writer import WarcWriter, warcinfo_factory
from tests.conftest import Captured, fast_settings, read_record, warcio_check
from tests.server import (
    BAD_CHUNK_GOOD_PART,
    DEAD_LINK_PATH,
    GLUED_RESPONSE,
    HIDDEN_REDIRECT_TARGET,
    OVERLONG_BODY,
    OVERLONG_DECLARED,
    REPORT_PATH,
    UTF8_COOKIE,
    SiteServer,
)

Capture = Callable[..., Captured]


def fields_of(kind: type) -> set[str]:
    return {field.name for field in fields(kind)}


def response_heads(captured: Captured) -> dict[str, tuple[int, str | None]]:
    """Each response record's target URI, HTTP status and media type, as warcio reads them."""
    found = {}
    for warc in sorted((captured.path / "data" / "warc").glob("*.warc.gz")):
        with warc.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "response":
                    media = record.http_headers.get_header("Content-Type")
                    found[record.rec_headers.get_header("WARC-Target-URI")] = (
                        int(record.http_headers.get_statuscode()),
                        media.split(";")[0].strip().lower() if media else None)
    return found


def assert_claims_hold(captured: Captured) -> None:
    """Every source's and resource's status and content type are its record's."""
    heads = response_heads(captured)
    manifest = captured.manifest
    for entry in manifest["sources"] + manifest["resources"]:
        if entry["record"] is not None:
            url = entry.get("final_url") or entry["url"]
            assert (entry["status"], entry["content_type"]) == heads[url], entry
    assert check(captured.path).is_valid


def _writer(folder: Path) -> WarcWriter:
    return WarcWriter(folder, prefix="test", max_bytes=2**30,
                      make_warcinfo=warcinfo_factory({"software": "test"}, gzip_level=1))


# -- item 1: bytes after the end of a response ---------------------------------------------------


def test_a_glued_second_response_is_kept_apart_not_read_as_the_next_answer(
        site: SiteServer, capture: Capture) -> None:
    # One connection: the report's request goes out on the connection the glued response
    # came on, unless that connection is dropped.
    glued = site.url("/hostile/glued")
    urls = [glued, site.url(REPORT_PATH), site.url(DEAD_LINK_PATH)]
    captured = capture(urls, per_host=1, concurrency=1, requisites=False)

    assert [captured.source(url)["status"] for url in urls] == [200, 200, 404]
    assert captured.source(site.url(REPORT_PATH))["content_type"] == "application/pdf"
    assert_claims_hold(captured)
    sent = site.sent("/hostile/glued")
    assert captured.response(glued).block == sent[:-len(GLUED_RESPONSE)]
    resource = captured.resource(glued)
    [stray] = resource["stray_bytes"]
    assert (stray["length"], stray["kept"]) == (len(GLUED_RESPONSE), len(GLUED_RESPONSE))
    record = read_record(captured.path / stray["warc_file"], stray["offset"])
    assert record.block == GLUED_RESPONSE
    assert record.headers["WARC-Type"] == "resource"
    assert record.headers["WARC-Record-ID"] == stray["record_id"]
    assert record.headers["WARC-Refers-To"] == resource["record"]["record_id"]
    assert record.headers["WARC-Target-URI"].startswith("urn:archiver:stray:")
    assert any("belong to no response" in note for note in resource["notes"])
    assert resource["outcome"] == "captured"
    assert {site.hits(path) for path in ("/hostile/glued", REPORT_PATH, DEAD_LINK_PATH)} == {1}


def test_bytes_past_the_content_length_are_kept_apart(site: SiteServer,
                                                      capture: Capture) -> None:
    overlong = site.url("/hostile/overlong")
    captured = capture([overlong, site.url(REPORT_PATH)], per_host=1, concurrency=1,
                       requisites=False)

    response = captured.response(overlong)
    assert response.payload == OVERLONG_BODY[:OVERLONG_DECLARED]
    [stray] = captured.resource(overlong)["stray_bytes"]
    assert stray["length"] == len(OVERLONG_BODY) - OVERLONG_DECLARED
    assert read_record(captured.path / stray["warc_file"], stray["offset"]).block == (
        OVERLONG_BODY[OVERLONG_DECLARED:])
    assert captured.source(site.url(REPORT_PATH))["status"] == 200
    assert_claims_hold(captured)


def _wait_for_late_bytes(transport: HttpTransport) -> None:
    """Wait until the server's unasked bytes reach the one connection in the pool (its
    internals are read here only to wait: no clock decides the test)."""
    [connection] = [c for idle in transport.pool._idle.values() for c in idle]
    readable, _, _ = select.select([connection.sock], [], [], 30)
    assert readable, "the server never sent its late bytes"


def test_bytes_that_arrive_on_an_idle_connection_close_it(fresh_site: SiteServer) -> None:
    strays: list[StrayBytes] = []
    transport = HttpTransport(fast_settings(), on_stray=strays.append)
    try:
        first = transport.fetch(Request(fresh_site.url("/hostile/late")))
        first.close()
        _wait_for_late_bytes(transport)
        second = transport.fetch(Request(fresh_site.url(REPORT_PATH)))
        second.close()
    finally:
        transport.close()

    assert (first.status, first.stray) == (200, None)
    assert (second.status, second.recorded.content_type) == (200, "application/pdf")
    [stray] = strays
    assert (stray.url, stray.response_id) == (first.url, first.response_id)
    assert stray.data == GLUED_RESPONSE and stray.length == len(GLUED_RESPONSE)
    assert len({request.connection for request in fresh_site.log.requests}) == 2


def test_late_bytes_are_recorded_for_the_exchange_they_followed(site: SiteServer,
                                                                tmp_path: Path) -> None:
    # The same, through a job: the stray record refers to the late page's response.
    late = site.url("/hostile/late")
    settings = fast_settings(per_host=1, concurrency=1, requisites=False, extraction=None)
    writer = _writer(tmp_path)
    job = CaptureJob(settings, writer)
    try:
        job.capture([late])
        assert isinstance(job.transport, HttpTransport)
        _wait_for_late_bytes(job.transport)
        result = job.capture([site.url(REPORT_PATH)])
    finally:
        job.close()
        writer.close()

    resources = {resource.url: resource for resource in result.resources}
    [stray] = resources[late].stray_bytes
    assert stray.length == len(GLUED_RESPONSE)
    record = read_record(tmp_path / stray.warc_file, stray.offset)
    assert record.block == GLUED_RESPONSE
    assert resources[late].record is not None
    assert record.headers["WARC-Refers-To"] == resources[late].record.record_id
    assert resources[site.url(REPORT_PATH)].status == 200


def test_late_bytes_after_a_hosts_last_exchange_are_kept_before_the_seal(
        site: SiteServer, fresh_site: SiteServer, capture: Capture) -> None:
    # The late page is the job's only exchange with its host, so no later request takes its
    # connection from the pool: the bytes are found by the job's last look at idle
    # connections. The other host answers once they were sent, so the job ends after them.
    tag = uuid.uuid4().hex
    late = site.url(f"/hostile/late?tag={tag}")
    after = fresh_site.url(f"/hostile/after-late?tag={tag}")
    captured = capture([late, after], concurrency=2, requisites=False)

    resource = captured.resource(late)
    [stray] = resource["stray_bytes"]
    assert (stray["length"], stray["kept"]) == (len(GLUED_RESPONSE), len(GLUED_RESPONSE))
    record = read_record(captured.path / stray["warc_file"], stray["offset"])
    assert record.block == GLUED_RESPONSE
    assert record.headers["WARC-Record-ID"] == stray["record_id"]
    assert record.headers["WARC-Refers-To"] == resource["record"]["record_id"]
    digest = hashlib.sha256(GLUED_RESPONSE).hexdigest()
    assert (stray["sha256"], record.headers["WARC-Block-Digest"]) == (digest, f"sha256:{digest}")
    assert any("while it was idle" in note for note in resource["notes"])
    assert [captured.source(url)["status"] for url in (late, after)] == [200, 200]
    assert_claims_hold(captured)


def test_a_redirect_is_followed_only_where_its_record_says_so(site: SiteServer,
                                                               tmp_path: Path) -> None:
    # h11 reads a 302 with a Location past a line of white space; the record (and replay,
    # and verify) reads a 302 whose header block ends at that line, with no Location. The
    # package's redirect chain is the record's, so nothing is followed, and a note says why.
    # (FastWARC reads such a block as h11 does: it is not a judge here.)
    url = site.url("/hostile/blank-line-redirect")
    output = tmp_path / "package"
    create_package([url], output, settings=fast_settings(requisites=False))

    manifest = json.loads((output / "manifest.json").read_text("utf-8"))
    [source] = manifest["sources"]
    assert (source["outcome"], source["status"]) == ("captured", 302)
    assert (source["final_url"], source["redirects"]) == (url, [])
    assert site.hits(HIDDEN_REDIRECT_TARGET) == 0
    [resource] = manifest["resources"]
    assert any("redirect was not followed" in note for note in resource["notes"])
    assert check(output).is_valid
    [warc] = sorted((output / "data" / "warc").glob("*.warc.gz"))
    assert warcio_check(warc)[0] == 0


def test_a_header_line_of_white_space_splits_the_record_as_readers_do(site: SiteServer,
                                                                      tmp_path: Path) -> None:
    # h11 reads " \r\n" inside a header block as a folded line; warcio and pywb (and verify)
    # end the block there, so the payload digest must start there too, or the package fails
    # its own verify. (FastWARC reads such a block as h11 does: it is not a judge here.)
    output = tmp_path / "package"
    url = site.url("/hostile/blank-header-line")
    create_package([url], output, settings=fast_settings(requisites=False))

    assert check(output).is_valid
    [warc] = sorted((output / "data" / "warc").glob("*.warc.gz"))
    code, report = warcio_check(warc)
    assert code == 0, report
    manifest = json.loads((output / "manifest.json").read_text("utf-8"))
    assert manifest["sources"][0]["content_type"] == "text/html"


# -- item 2: one hostile exchange never loses the job ---------------------------------------------


def test_oversized_header_blocks_fail_only_their_exchange(site: SiteServer,
                                                          tmp_path: Path) -> None:
    lines = site.url("/hostile/header-lines?count=40000")
    cookies = site.url("/hostile/cookie-flood?count=5000&size=60")
    output = tmp_path / "package"
    # The test site is on 127.0.0.1, which capture refuses by default once the private-address
    # policy (issue 10, item 5) is in.
    allow = ["--allow-private"] if "allow_private" in fields_of(CaptureSettings) else []
    result = CliRunner().invoke(app, ["capture", lines, cookies, site.url(REPORT_PATH),
                                      site.url(DEAD_LINK_PATH), "--per-host", "1", *allow,
                                      "--no-extract", "-o", str(output), "--json"])

    assert result.exit_code == 1, result.output
    assert "internal error" not in result.output
    assert check(output).is_valid
    manifest = json.loads((output / "manifest.json").read_text("utf-8"))
    sources = {source["requested_url"]: source for source in manifest["sources"]}
    for url in (lines, cookies):
        assert (sources[url]["outcome"], sources[url]["record"]) == ("failed", None)
        assert sources[url]["reason"] == ("the server sent a header block or line longer "
                                          "than the limit (256 KiB)")
    assert sources[site.url(REPORT_PATH)]["outcome"] == "captured"
    assert sources[site.url(DEAD_LINK_PATH)]["status"] == 404


def test_a_malformed_chunked_body_keeps_what_arrived(site: SiteServer,
                                                     capture: Capture) -> None:
    url = site.url("/hostile/bad-chunk")
    captured = capture([url, site.url(REPORT_PATH)], per_host=1, requisites=False)

    source = captured.source(url)
    assert source["outcome"] == "failed" and source["truncated"] == "unspecified"
    response = captured.response(url)
    assert response.headers["WARC-Truncated"] == "unspecified"
    assert response.block == site.sent("/hostile/bad-chunk")
    assert response.payload.startswith(BAD_CHUNK_GOOD_PART)
    assert source["reason"] == ("the server sent a malformed HTTP response (illegal chunk "
                                "header: bytearray(b'zz\\r\\n')); the "
                                f"{len(response.payload)} bytes of the body that came are kept")
    assert captured.source(site.url(REPORT_PATH))["outcome"] == "captured"


def test_a_stylesheet_nested_too_deep_costs_only_its_requisites(site: SiteServer,
                                                               capture: Capture) -> None:
    url = site.url("/hostile/nested-css?depth=20000")
    captured = capture([url, site.url(REPORT_PATH)], per_host=1)

    assert captured.source(url)["outcome"] == "captured"
    assert site.hits("/static/images/favicon.png") == 1  # found under 20,000 blocks
    assert captured.source(site.url(REPORT_PATH))["outcome"] == "captured"


class _BrokenFor(HttpTransport):
    """The real transport, with a bug planted for one URL: what the job's safety net is for."""

    def fetch(self, request: Request, sink_factory: SinkFactory | None = None) -> Exchange:
        if "buggy" in request.url:
            raise KeyError("a planted bug")
        return super().fetch(request, sink_factory)


def test_a_bug_in_one_exchange_fails_only_that_exchange(
        site: SiteServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = fast_settings(requisites=False, extraction=None)
    writer = _writer(tmp_path)
    job = CaptureJob(settings, writer, transport=_BrokenFor(settings))
    try:
        result = job.run([site.url("/delay/buggy?ms=1"), site.url(REPORT_PATH)])
    finally:
        writer.close()

    buggy, report = result.sources
    assert (buggy.outcome, report.outcome) == ("failed", "captured")
    assert buggy.reason == ("archiver could not capture this URL: an unexpected error "
                            "(KeyError: 'a planted bug'); please report it")
    [logged] = [record for record in caplog.records if record.name == "archiver.capture.job"]
    assert logged.exc_info is not None and logged.exc_info[0] is KeyError
    logged.expected_in_test = True


# -- item 12: the cookie jar is bounded -----------------------------------------------------------


def test_a_cookie_flood_does_not_flood_our_requests(site: SiteServer,
                                                    capture: Capture) -> None:
    # 400 cookies (the header block stays under 32 KiB, FastWARC's limit as a judge); the
    # flood of 5,000 is in test_oversized_header_blocks_fail_only_their_exchange.
    flood = site.url("/hostile/cookie-flood?count=400&size=20")
    after = site.url("/delay/after-the-flood?ms=1")
    captured = capture([flood, after], per_host=1, concurrency=1, requisites=False)

    assert captured.source(after)["status"] == 200
    [request] = site.requests("/delay/after-the-flood?ms=1")
    names = [part.split("=", 1)[0] for part in request.headers["cookie"].split("; ")]
    assert len(names) == MAX_COOKIES_PER_DOMAIN
    assert "flood399" in names and "flood0" not in names  # the oldest went first
    assert len(request.headers["cookie"]) <= MAX_COOKIE_HEADER


def test_a_cookie_in_utf8_goes_back_as_it_came(site: SiteServer, capture: Capture) -> None:
    after = site.url("/delay/after-utf8?ms=1")
    captured = capture([site.url("/cookie/utf8"), after], per_host=1, concurrency=1,
                       requisites=False)

    assert captured.source(after)["status"] == 200
    [request] = site.requests("/delay/after-utf8?ms=1")
    # http.server reads header bytes as latin-1: undo that to see the bytes sent.
    assert request.headers["cookie"].encode("latin-1") == UTF8_COOKIE.encode("utf-8")


def _set(cookies: JobCookies, url: str, *lines: str) -> None:
    cookies.remember(url, [("Set-Cookie", line) for line in lines])


def test_the_jar_holds_at_most_its_total_oldest_first() -> None:
    cookies = JobCookies()
    hosts = MAX_COOKIES // 100 + 5
    for host in range(hosts):
        _set(cookies, f"http://h{host}.example.org/", *(f"c{n}=v; Path=/" for n in range(100)))

    assert len(cookies.jar) == MAX_COOKIES
    assert cookies.header_for("http://h0.example.org/") is None  # the oldest host's are gone
    newest = cookies.header_for(f"http://h{hosts - 1}.example.org/")
    assert newest is not None and len(newest.split("; ")) == 100


def test_the_jar_refuses_what_browsers_refuse() -> None:
    cookies = JobCookies()
    url = "http://example.org/"
    _set(cookies, url, f"big={'v' * MAX_COOKIE_BYTES}", f"fits={'v' * (MAX_COOKIE_BYTES - 4)}",
         "bell=ring\x07ring", "ok=1")

    header = cookies.header_for(url)
    assert header is not None
    assert sorted(part.split("=", 1)[0] for part in header.split("; ")) == ["fits", "ok"]


def test_a_deleted_cookie_leaves_room_and_the_oldest_goes_next() -> None:
    cookies = JobCookies()
    url = "http://example.org/"
    _set(cookies, url, *(f"c{n}=v; Path=/" for n in range(MAX_COOKIES_PER_DOMAIN)))
    _set(cookies, url, "c0=; Path=/; Max-Age=0")  # a server deletes one: room for one
    _set(cookies, url, "late=1; Path=/", "later=1; Path=/")

    header = cookies.header_for(url)
    assert header is not None
    names = {part.split("=", 1)[0] for part in header.split("; ")}
    assert len(names) == MAX_COOKIES_PER_DOMAIN
    assert {"late", "later", "c2"} <= names and not {"c0", "c1"} & names


def test_the_cookie_header_is_cut_between_cookies() -> None:
    cookies = JobCookies()
    url = "http://example.org/"
    _set(cookies, url, *(f"c{n}={'v' * 1000}; Path=/" for n in range(40)))

    header = cookies.header_for(url)
    assert header is not None and len(header) <= MAX_COOKIE_HEADER
    assert all(part.endswith("v" * 1000) for part in header.split("; "))


CODECS_NOT_CHARSETS = ["hex", "base64", "rot13", "zlib", "uu", "idna", "punycode", "undefined",
                       "utf-7"]
"""Labels Python takes for codecs but no browser takes for a page's charset."""


def test_a_page_naming_a_codec_that_is_no_charset_is_read_as_undeclared(
        site: SiteServer, capture: Capture) -> None:
    """`<meta charset="hex">` named a bytes-to-bytes codec, which crashed the page's
    decoding, and with it (inline, in a small job) the whole capture: "internal error"."""
    urls = [site.url(f"/hostile/charset?label={label}") for label in CODECS_NOT_CHARSETS]
    captured = capture([*urls, site.url(REPORT_PATH)], requisites=False)
    for url in urls:
        assert captured.source(url)["outcome"] == "captured"
        derived = {item["kind"]: item for item in captured.resource(url)["derived"]}
        extraction = json.loads((captured.path / derived["extraction"]["path"]).read_bytes())
        assert extraction["title"] == "Council minutes", url
        assert extraction["decoding"]["charset_source"] == "detected"
    assert captured.source(site.url(REPORT_PATH))["outcome"] == "captured"
