"""archiver replay: captures served back over real HTTP on 127.0.0.1 by pywb, with nothing
fetched from the origin. pywb lives in its own environment (archiver.replay.engine); without
it these tests skip, saying how to install it."""

from __future__ import annotations

import functools
import gzip
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from archiver.cli import app
from archiver.errors import ArchiveRefused, ArchiverError, EnvironmentFault, NotEvidenceError
from archiver.package.build import create_package
from archiver.replay import ReplayEngineMissing, ReplayServer, start_replay
from archiver.replay.catalogue import Entry
from archiver.replay.collection import open_collection
from archiver.replay.engine import PYTHON_VARIABLE, configured_pywb_python
from archiver.replay.index_page import render_index
from archiver.transfer import export_wacz
from tests.arc_files import ARC_DATE, ARC_PAGES, write_arc
from tests.conftest import Captured, fast_settings
from tests.server import (
    DEAD_LINK_PATH,
    MOVED_PAGE_PATH,
    MOVED_PAGE_TARGET,
    REPORT_PATH,
    STORY_PATH,
    SiteServer,
)

IMAGE_PATH = "/static/images/bills-chart-480.png"
MISSING_PATH = "/static/images/never-captured.png"
STORY_TEXT = "billed 3,812 homes for water they never used"


def _has_pywb() -> bool:
    """Whether the suite has pywb (tests/peers.py sets it up and names it); never a setup of
    archiver's own in the user's cache."""
    try:
        return configured_pywb_python() is not None
    except ReplayEngineMissing:
        return False


needs_pywb = pytest.mark.skipif(not _has_pywb(), reason="pywb could not be set up for the "
                                f"tests (see the report header), nor {PYTHON_VARIABLE} given")


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


def get(url: str) -> Response:
    """One GET that does not follow redirects and reads error bodies too."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=30) as reply:
            return Response(reply.status, dict(reply.headers), reply.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, dict(error.headers), error.read())


def payload(captured: Captured, url: str) -> bytes:
    record = captured.response(url)
    head = record.http_head.lower()
    assert b"transfer-encoding" not in head and b"content-encoding" not in head, url
    return record.payload


def timestamp(captured: Captured, url: str) -> str:
    when = captured.resource(url)["captured_at"]
    return "".join(c for c in when if c.isdigit())[:14]


@dataclass
class Replayed:
    captured: Captured
    origin: SiteServer
    server: ReplayServer

    def archived(self, path: str, mode: str = "id_") -> Response:
        url = self.origin.url(path)
        return get(self.server.replay_url(url, timestamp(self.captured, url), mode))


@dataclass
class Stopped:
    captured: Captured
    origin: SiteServer


@pytest.fixture(scope="module")
def stopped_capture(tmp_path_factory: pytest.TempPathFactory) -> Stopped:
    """The sample sources captured from a site of their own, which is then stopped: whatever
    a replay shows can only come from the archive."""
    output = tmp_path_factory.mktemp("replay") / "package"
    with SiteServer() as origin:
        urls = [origin.url(p) for p in (STORY_PATH, REPORT_PATH, DEAD_LINK_PATH, MOVED_PAGE_PATH)]
        result = create_package(urls, output, settings=fast_settings())
        origin.reset_counts()
    return Stopped(Captured(result), origin)


@pytest.fixture
def stopped_origin_package(stopped_capture: Stopped) -> Path:
    return stopped_capture.captured.path


@pytest.fixture(scope="module")
def stopped_origin(stopped_capture: Stopped) -> Iterator[Replayed]:
    if not _has_pywb():
        pytest.skip("pywb is not installed")
    with start_replay(stopped_capture.captured.path) as server:
        yield Replayed(stopped_capture.captured, stopped_capture.origin, server)
    assert sum(stopped_capture.origin.all_hits.values()) == 0


@needs_pywb
def test_index_lists_every_page_and_report(stopped_origin: Replayed) -> None:
    index = get(stopped_origin.server.url)
    assert index.status == 200
    text = index.body.decode("utf-8")
    origin = stopped_origin.origin
    for path in (STORY_PATH, REPORT_PATH, DEAD_LINK_PATH, MOVED_PAGE_PATH):
        assert f'<td class="url">{origin.url(path)}</td>' in text
    assert "Harrow Point’s new water meters billed 3,812 homes" in text
    assert "Audit of the SmartFlow Water Meter Programme" in text
    assert "<td>404</td>" in text
    assert f"redirects to {origin.url(MOVED_PAGE_TARGET)}" in text
    assert "urn:archiver" not in text
    assert IMAGE_PATH not in text, "requisites are not pages"
    story_time = timestamp(stopped_origin.captured, origin.url(STORY_PATH))
    assert f'href="/evidence/{story_time}/{origin.url(STORY_PATH)}"' in text


@needs_pywb
@pytest.mark.parametrize("path", [STORY_PATH, REPORT_PATH, IMAGE_PATH])
def test_archived_payloads_come_back_byte_identical(stopped_origin: Replayed, path: str) -> None:
    reply = stopped_origin.archived(path)
    assert reply.status == 200
    assert reply.body == payload(stopped_origin.captured, stopped_origin.origin.url(path))


@needs_pywb
def test_page_shows_as_captured_with_its_requisites(stopped_origin: Replayed) -> None:
    page = stopped_origin.archived(STORY_PATH, "mp_")
    assert page.status == 200
    assert STORY_TEXT in page.body.decode("utf-8")
    assert "'self'" in page.headers["Content-Security-Policy"], "the browser stays on replay"
    # the image is rewritten to load from the archive, and comes back as captured
    image_url = stopped_origin.origin.url(IMAGE_PATH)
    assert f"im_/{image_url}".encode() in page.body
    framed = get(stopped_origin.server.replay_url(stopped_origin.origin.url(STORY_PATH)))
    assert framed.status == 200 and b"wb_frame.js" in framed.body


@needs_pywb
@pytest.mark.parametrize("mode", ["id_", "mp_", "im_", ""])
def test_what_was_not_captured_is_not_archived(stopped_origin: Replayed, mode: str) -> None:
    url = stopped_origin.origin.url(MISSING_PATH)
    reply = get(stopped_origin.server.replay_url(url, "", mode))
    assert reply.status == 404
    assert b"Not archived" in reply.body and url.encode() in reply.body


@needs_pywb
def test_a_foreign_site_is_not_archived_and_never_looked_up(stopped_origin: Replayed) -> None:
    reply = get(stopped_origin.server.replay_url("https://example.org/story.html", "", "mp_"))
    assert reply.status == 404 and b"Not archived" in reply.body


@needs_pywb
def test_replay_never_contacts_a_running_origin(site: SiteServer, capture: object,
                                                 tmp_path: Path) -> None:
    captured = capture([site.url(STORY_PATH)])  # type: ignore[operator]
    site.reset_counts()
    with start_replay(captured.path) as server:
        story = site.url(STORY_PATH)
        when = timestamp(captured, story)
        assert get(server.replay_url(story, when, "mp_")).status == 200
        assert get(server.replay_url(site.url(IMAGE_PATH), when, "im_")).status == 200
        assert get(server.replay_url(site.url(MISSING_PATH), when, "mp_")).status == 404
        assert get(server.replay_url(site.url("/fresh/page.html"), "", "")).status == 404
    assert sum(site.all_hits.values()) == 0, site.all_hits


@needs_pywb
@pytest.mark.parametrize("kind", ["warc", "wacz"])
def test_a_bare_warc_and_a_wacz_replay_too(stopped_origin: Replayed, tmp_path: Path,
                                           kind: str) -> None:
    package = stopped_origin.captured.path
    (warc,) = sorted((package / "data" / "warc").glob("*.warc.gz"))
    if kind == "wacz":
        source = tmp_path / "story.wacz"
        export_wacz(package, source)
    else:
        source = warc
    report = stopped_origin.origin.url(REPORT_PATH)
    with start_replay(source) as server:
        assert server.collection.kind == kind
        titles = {entry.url: entry.title for entry in server.entries}
        assert titles[report] == "Audit of the SmartFlow Water Meter Programme"
        assert not any(url.startswith("urn:") for url in titles)
        reply = get(server.replay_url(report, timestamp(stopped_origin.captured, report), "id_"))
        assert reply.body == payload(stopped_origin.captured, report)


@needs_pywb
@pytest.mark.parametrize("name", ["crawl.arc", "crawl.arc.gz", "no-arc-suffix.dat"])
def test_an_arc_file_replays(tmp_path: Path, name: str) -> None:
    source = tmp_path / name
    write_arc(source, gzipped=name.endswith(".gz"))
    with start_replay(source) as server:
        assert server.collection.kind == "warc"
        assert {entry.url: entry.title for entry in server.entries} == ARC_PAGES
        for url, title in ARC_PAGES.items():
            reply = get(server.replay_url(url, ARC_DATE, "id_"))
            assert reply.status == 200 and f"<title>{title}</title>".encode() in reply.body


@needs_pywb
def test_chunked_and_gzip_bodies_replay_decoded_of_their_framing(capture: object,
                                                                 site: SiteServer) -> None:
    """The identity mode gives the body as a browser would use it: a chunked body without its
    chunk framing, a gzip body decoded (and no Content-Encoding). Byte-identical to the
    archive means identical to the stored payload for a plain body, and to its decoded form
    for these."""
    captured = capture([site.url("/encoding/chunked"), site.url("/encoding/gzip")],
                       requisites=False)  # type: ignore[operator]
    with start_replay(captured.path) as server:
        chunked = site.url("/encoding/chunked")
        reply = get(server.replay_url(chunked, timestamp(captured, chunked), "id_"))
        stored = captured.response(chunked).payload
        assert reply.body == _dechunk(stored) != stored
        gzipped = site.url("/encoding/gzip")
        reply = get(server.replay_url(gzipped, timestamp(captured, gzipped), "id_"))
        assert reply.body == gzip.decompress(captured.response(gzipped).payload)
        assert "Content-Encoding" not in reply.headers


def _dechunk(data: bytes) -> bytes:
    out, rest = bytearray(), data
    while True:
        size_line, rest = rest.split(b"\r\n", 1)
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return bytes(out)
        out += rest[:size]
        rest = rest[size + 2:]


# -- without a server ------------------------------------------------------------------------


def test_index_text_from_the_archive_is_escaped_and_inert() -> None:
    entry = Entry("http://a.example/<x>", "{{ config }} <script>x</script>",
                  "2024-05-01T12:00:00Z", 200, "text/html")
    page = render_index([entry], collection="evidence", source=Path("pkg"))
    assert "{{" not in page and "<script>x" not in page
    assert "&#123;&#123; config &#125;&#125; &lt;script&gt;" in page


def test_wacz_members_are_never_used_as_paths(tmp_path: Path) -> None:
    source = tmp_path / "hostile.wacz"
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("archive/good.warc.gz", b"good")
        archive.writestr("archive/../escape.warc.gz", b"bad")
        archive.writestr("../../outside.warc", b"bad")
        archive.writestr("/abs/archive/x.warc", b"bad")
        archive.writestr("archive/sub/deeper.warc", b"bad")
        archive.writestr("archive/.hidden.warc", b"bad")
    with pytest.raises(ArchiveRefused):
        open_collection(source, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hostile.wacz"]


def test_what_is_not_evidence_is_a_usage_error(tmp_path: Path) -> None:
    note = tmp_path / "notes.txt"
    note.write_text("hello", "utf-8")
    empty_bag = tmp_path / "bag"
    empty_bag.mkdir()
    (empty_bag / "bagit.txt").write_text("BagIt-Version: 1.0\n", "utf-8")
    for path in (note, empty_bag):
        with pytest.raises(NotEvidenceError):
            start_replay(path)


def test_a_named_pywb_that_is_not_there_is_reported_with_how_to_provide_it(
        monkeypatch: pytest.MonkeyPatch, sample_package: Path, tmp_path: Path) -> None:
    monkeypatch.setenv(PYTHON_VARIABLE, str(tmp_path / "no-such-python"))
    result = CliRunner().invoke(app, ["replay", str(sample_package)])
    assert result.exit_code == 3
    assert f"{PYTHON_VARIABLE}={tmp_path / 'no-such-python'} is not a Python program" in (
        result.output)
    assert "python3 -m venv DIR && DIR/bin/pip install pywb==" in result.output
    assert "Traceback" not in result.output


def test_replay_of_nothing_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["replay", str(tmp_path / "missing")])
    assert result.exit_code == 2 and "no such file or directory" in result.output


@needs_pywb
def test_a_taken_port_is_reported_plainly(stopped_origin: Replayed) -> None:
    with pytest.raises(EnvironmentFault, match="in use") as raised:
        start_replay(stopped_origin.captured.path, port=stopped_origin.server.port)
    assert isinstance(raised.value, ArchiverError)


@needs_pywb
def test_cli_prints_the_address_and_stops_on_ctrl_c(stopped_origin: Replayed) -> None:
    process = subprocess.Popen([sys.executable, "-m", "archiver", "replay",
                                str(stopped_origin.captured.path)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline(), process.stdout.readline()]
        assert "4 page(s) and report(s)" in lines[0]
        address = lines[1].split()[1]
        assert address.startswith("http://127.0.0.1:")
        assert STORY_PATH.encode() in get(address).body
        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


# -- ReplayWeb.page in headless Chromium ---------------------------------------------------------

RWP_VARIABLE = "ARCHIVER_RWP_DIR"
"""A folder with ReplayWeb.page's ui.js and sw.js (`npm pack replaywebpage`, unpacked)."""
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run")
RWP_PAGE = """<!doctype html><html><head><meta charset="utf-8"><script src="ui.js"></script></head>
<body><replay-web-page source="story.wacz" url="{url}" replayBase="replay/"
embed="replayonly"></replay-web-page></body></html>"""
# The text of every document on the page: ReplayWeb.page shows a capture in an iframe inside
# its elements' shadow roots, all from the same origin.
DEEP_TEXT = """(() => { const out = []; const walk = (root) => {
  root.querySelectorAll('*').forEach((el) => {
    if (el.shadowRoot) walk(el.shadowRoot);
    if (el.tagName === 'IFRAME') {
      try {
        const d = el.contentDocument;
        if (d && d.body) { out.push(d.body.innerText); walk(d); }
      } catch (e) {}
    } }); };
  walk(document); return out.join('\\n'); })()"""


class Chromium:
    """Headless Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe:
    NUL-separated JSON on file descriptors 3 and 4), so no WebSocket library is needed."""

    def __init__(self, profile: Path) -> None:
        to_browser, self._to_browser = os.pipe()
        self._from_browser, from_browser = os.pipe()

        def wire() -> None:  # in the child: the protocol wants exactly fds 3 and 4
            reading, writing = os.dup(to_browser), os.dup(from_browser)
            os.dup2(reading, 3)
            os.dup2(writing, 4)

        self.process = subprocess.Popen(
            ["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
             "--remote-debugging-pipe", "about:blank"],
            preexec_fn=wire, close_fds=False, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser)
        os.close(from_browser)
        self._pending = b""
        self._serial = 0

    def call(self, method: str, session: str | None = None, **params: object) -> dict[str, Any]:
        self._serial += 1
        message: dict[str, object] = {"id": self._serial, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" not in self._pending:
                chunk = os.read(self._from_browser, 65536)
                assert chunk, "Chromium closed the DevTools pipe"
                self._pending += chunk
            raw, self._pending = self._pending.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self._serial:
                assert "error" not in reply, reply["error"]
                result: dict[str, Any] = reply["result"]
                return result

    def open(self, url: str) -> str:
        """Open `url` in a new tab; the DevTools session to talk to it."""
        target = self.call("Target.createTarget", url=url)["targetId"]
        session: str = self.call("Target.attachToTarget", targetId=target,
                                 flatten=True)["sessionId"]
        return session

    def evaluate(self, session: str, expression: str) -> Any:
        result = self.call("Runtime.evaluate", session, expression=expression,
                           returnByValue=True)
        return result["result"].get("value")

    def page_text(self, url: str, expected: str, timeout: float = 60.0) -> str:
        session = self.open(url)
        deadline = time.monotonic() + timeout
        text = ""
        while expected not in text and time.monotonic() < deadline:
            time.sleep(0.25)
            text = str(self.evaluate(session, DEEP_TEXT) or "")
        return text

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        os.close(self._to_browser)
        os.close(self._from_browser)


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


def test_replaywebpage_in_chromium_shows_an_exported_wacz(stopped_origin_package: Path,
                                                          tmp_path: Path) -> None:
    rwp = Path(os.environ.get(RWP_VARIABLE, "/nonexistent"))
    if shutil.which("chromium") is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    if not ((rwp / "ui.js").is_file() and (rwp / "sw.js").is_file()):
        pytest.skip(f"ReplayWeb.page files not found: set {RWP_VARIABLE} to an unpacked "
                    "`npm pack replaywebpage`")
    transfer = pytest.importorskip("archiver.transfer", reason="the WACZ export is not there")
    served = tmp_path / "served"
    (served / "replay").mkdir(parents=True)
    transfer.export_wacz(stopped_origin_package, served / "story.wacz")
    for name, folder in (("ui.js", served), ("ui.js", served / "replay"),
                         ("sw.js", served / "replay")):
        shutil.copyfile(rwp / name, folder / name)
    manifest = json.loads((stopped_origin_package / "manifest.json").read_text("utf-8"))
    story = next(s["url"] for s in manifest["sources"] if s["url"].endswith(STORY_PATH))
    (served / "index.html").write_text(RWP_PAGE.format(url=story), "utf-8")
    handler = functools.partial(_QuietFiles, directory=str(served))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as files:
        threading.Thread(target=files.serve_forever, daemon=True).start()
        browser = Chromium(tmp_path / "profile")
        try:
            text = browser.page_text(f"http://127.0.0.1:{files.server_port}/index.html",
                                     STORY_TEXT)
        finally:
            browser.close()
            files.shutdown()
    assert STORY_TEXT in text
