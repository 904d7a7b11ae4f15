"""Replay of WARCs with records it cannot replay: each such record is skipped and named (one
line each), the rest is served, and a WARC with nothing replayable is a usage error.

The named broken WARCs are in fixtures/replay/warc/ (made by fixtures/replay/make_warcs.py):
one intact page beside one record that pywb's indexer cannot read. Large hostile records are
made here, at run time.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archiver.cli import app
from archiver.errors import NotEvidenceError
from archiver.replay import NothingToReplay, start_replay
from archiver.replay.catalogue import package_entries
from archiver.replay.collection import open_collection
from archiver.replay.index_page import render_index
from archiver.replay.warc_scan import MAX_NAMED, scan_warc
from archiver.story.build import create_story_package
from tests.conftest import fast_settings
from tests.server import STORY_PATH, SiteServer
from tests.test_replay import get, needs_pywb

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
BROKEN = FIXTURES / "replay" / "warc"
GOOD_URL = "http://127.0.0.1:8000/report.html"
BROKEN_URL = "http://127.0.0.1:8000/broken.html"
GOOD_TEXT = b"The report says what it says."
MALFORMED = {
    "response-without-target-uri.warc": "it has no WARC-Target-URI",
    "response-without-date.warc": "it has no WARC-Date",
    "response-with-bad-date.warc": "its WARC-Date 'last Tuesday' is not a date",
    "response-with-garbled-http.warc": "its HTTP response has no status line that can be read",
}

sys.path.insert(0, str(FIXTURES / "replay"))
from make_warcs import broken_response, exchange, record, record_id, warcinfo  # noqa: E402


def huge_http_header() -> bytes:
    """A response whose HTTP header section is one 8 MiB line."""
    block = b"HTTP/1.1 200 OK\r\nX-Filler: " + b"a" * (8 * 1024 * 1024) + b"\r\n\r\nbody"
    return broken_response(block=block)


def huge_warc_header() -> bytes:
    """A record whose WARC header is one 2 MiB line."""
    return record([("WARC-Type", "response"), ("WARC-Record-ID", record_id(9)),
                   ("X-Filler", "a" * (2 * 1024 * 1024))], b"")


def beside_a_good_page(tmp_path: Path, name: str, broken: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(b"".join([warcinfo(1), *exchange(2), broken]))
    return path


@pytest.mark.parametrize(("name", "reason"), MALFORMED.items())
def test_a_malformed_record_is_named_and_the_rest_kept(name: str, reason: str) -> None:
    scan = scan_warc(BROKEN / name)
    assert [s.reason for s in scan.skipped.named] == [reason]
    (skipped,) = scan.skipped.named
    assert str(skipped).startswith(f"{name}, record at offset {skipped.offset}")
    assert str(skipped).endswith(f": {reason}; skipped")
    assert [found.entry.url for found in scan.found] == [GOOD_URL]
    assert scan.captures == 1
    assert all(not start <= skipped.offset < end for start, end in scan.ranges)


@pytest.mark.parametrize(("make", "reason"), [
    (huge_http_header, "its HTTP header does not end within 1 MiB"),
    (huge_warc_header, "the record header does not end within 1 MiB"),
])
def test_a_huge_header_is_named_and_the_rest_kept(tmp_path: Path, make: object,
                                                  reason: str) -> None:
    path = beside_a_good_page(tmp_path, "huge.warc", make())  # type: ignore[operator]
    scan = scan_warc(path)
    assert [s.reason for s in scan.skipped.named] == [reason]
    assert [found.entry.url for found in scan.found] == [GOOD_URL]


def test_skipped_records_are_named_up_to_a_limit(tmp_path: Path) -> None:
    path = tmp_path / "many.warc"
    path.write_bytes(b"".join([warcinfo(1), *exchange(2),
                               *(broken_response(uri=None) for _ in range(MAX_NAMED + 20))]))
    scan = scan_warc(path)
    assert scan.skipped.total == MAX_NAMED + 20
    lines = scan.skipped.lines()
    assert len(lines) == MAX_NAMED + 1 and lines[-1] == "and 20 more skipped"


@pytest.mark.parametrize(("head_end", "content_type"), [
    (b"\r\n \r\n", b"text/html; charset=windows-1252"),  # a blank line holding a space
    (b"\r\n\r\n", b"text/html; charset=iso-8859-1"),    # read as windows-1252, as browsers do
])
def test_a_page_is_read_where_pywb_reads_it(tmp_path: Path, head_end: bytes,
                                            content_type: bytes) -> None:
    """The HTTP head ends at the first line of nothing but white space, as in warcio (so in
    pywb), and a title is decoded in the charset browsers take its label for."""
    block = (b"HTTP/1.1 200 OK\r\nContent-Type: " + content_type + head_end
             + b"<html><head><title>Caf\xe9 \x93quoted\x94</title></head></html>")
    path = tmp_path / "page.warc"
    path.write_bytes(warcinfo(1) + broken_response(block=block))
    (found,) = scan_warc(path).found
    assert found.entry.title == "Caf\u00e9 \u201cquoted\u201d"


@pytest.mark.parametrize("label", [b"idna", b"hex", b"base64", b"undefined"])
def test_a_page_naming_a_codec_that_is_no_charset_is_listed(tmp_path: Path,
                                                            label: bytes) -> None:
    """`charset=idna` made the title's decoding raise, which ended the whole replay."""
    block = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=" + label + b"\r\n\r\n"
             + b"<html><head><title>Caf\xc3\xa9</title></head></html>")
    path = tmp_path / "page.warc"
    path.write_bytes(warcinfo(1) + broken_response(block=block))
    (found,) = scan_warc(path).found
    assert found.entry.title == "Caf\u00e9"


@needs_pywb
def test_control_characters_in_a_skipped_record_are_escaped(tmp_path: Path) -> None:
    path = tmp_path / "escape.warc"
    path.write_bytes(warcinfo(1) + broken_response(uri="http://a.example/\x1b[31mred",
                                                   date="\x07"))
    (line,) = scan_warc(path).skipped.lines()
    assert "\x1b[31mred" in line  # the library keeps what it found; the CLI escapes it
    result = CliRunner().invoke(app, ["replay", str(path)])
    assert result.exit_code == 2
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "\\x1b[31mred" in result.output


@needs_pywb
@pytest.mark.parametrize("name", MALFORMED)
def test_replay_serves_the_rest_of_a_warc_with_a_bad_record(name: str) -> None:
    with start_replay(BROKEN / name) as server:
        assert [str(s) for s in server.skipped.named] == [str(scan_warc(BROKEN / name)
                                                                .skipped.named[0])]
        assert [entry.url for entry in server.entries] == [GOOD_URL]
        reply = get(server.replay_url(GOOD_URL, "20240501120000", "id_"))
        assert reply.status == 200 and GOOD_TEXT in reply.body
        assert get(server.replay_url(BROKEN_URL, "", "id_")).status == 404
        assert GOOD_URL.encode() in get(server.url).body


@needs_pywb
def test_a_warc_with_nothing_replayable_is_a_usage_error() -> None:
    path = BROKEN / "nothing-replayable.warc"
    with pytest.raises(NothingToReplay, match="it has no WARC-Target-URI"):
        start_replay(path)
    result = CliRunner().invoke(app, ["replay", str(path)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "nothing in it can be replayed" in lines[0]
    assert "internal error" not in result.output


@needs_pywb
def test_the_cli_names_each_skipped_record_and_exits_1(tmp_path: Path) -> None:
    path = BROKEN / "response-without-target-uri.warc"
    process = subprocess.Popen([sys.executable, "-m", "archiver", "replay", str(path)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None and process.stderr is not None
        assert "1 page(s) and report(s)" in process.stdout.readline()
        assert process.stdout.readline().startswith("Open http://127.0.0.1:")
        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 1
        errors = process.stderr.read()
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
    assert errors.splitlines() == [
        "archiver: response-without-target-uri.warc, record at offset 1332: "
        "it has no WARC-Target-URI; skipped"]


def test_a_manifest_with_fields_of_the_wrong_type_still_gives_an_index(
        sample_package: Path, tmp_path: Path) -> None:
    package = tmp_path / "package"
    shutil.copytree(sample_package, package)
    manifest = json.loads((package / "manifest.json").read_text("utf-8"))
    for source in manifest["sources"]:
        source.update(captured_at=5, reason={"why": "x"}, content_type=[], final_url=7,
                      requested_url=None, url="http://a.example/")
    (package / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    entries = package_entries(package)
    assert {entry.url for entry in entries} == {"http://a.example/"}
    assert all(e.captured_at is None and e.note is None and e.content_type is None
               for e in entries)
    assert "http://a.example/" in render_index(entries, collection="evidence", source=package)


def test_links_devices_and_pipes_in_a_package_are_not_read(sample_package: Path,
                                                           tmp_path: Path) -> None:
    package = tmp_path / "package"
    shutil.copytree(sample_package, package)
    outside = tmp_path / "outside.warc.gz"
    shutil.copyfile(next((package / "data" / "warc").glob("*.warc.gz")), outside)
    (package / "data" / "warc" / "linked.warc.gz").symlink_to(outside)
    (package / "data" / "extract" / "zero.json").symlink_to("/dev/zero")
    (package / "manifest.json").unlink()
    os.mkfifo(package / "manifest.json")
    collection = open_collection(package, tmp_path / "scratch")
    assert "linked.warc.gz" not in [warc.name for warc in collection.warcs]
    done: list[object] = []
    reader = threading.Thread(target=lambda: done.append(package_entries(package)),
                              daemon=True)
    reader.start()
    reader.join(timeout=60)  # a pipe or /dev/zero read would never end
    assert done == [[]]


def test_a_linked_warc_folder_is_refused(sample_package: Path, tmp_path: Path) -> None:
    package = tmp_path / "package"
    shutil.copytree(sample_package, package)
    shutil.move(package / "data" / "warc", tmp_path / "elsewhere")
    (package / "data" / "warc").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(NotEvidenceError, match="data/warc is a link"):
        open_collection(package, tmp_path / "scratch")


# -- a story package: the story is listed once, first, as what it is --------------------------


@pytest.fixture(scope="module")
def story_package(site: SiteServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("story") / "package"
    create_story_package(site.url(STORY_PATH), output, settings=fast_settings())
    return output


def test_a_story_is_listed_once_first_and_as_captured(story_package: Path,
                                                      site: SiteServer) -> None:
    manifest = json.loads((story_package / "manifest.json").read_text("utf-8"))
    story_url = site.url(STORY_PATH)
    entries = package_entries(story_package)
    assert [entry.url for entry in entries].count(story_url) == 1
    first = entries[0]
    assert (first.url, first.status, first.note) == (story_url, 200, "the story")
    assert first.title == manifest["story"]["title"]
    assert len(entries) == len(manifest["sources"])
    page = render_index(entries, collection="evidence", source=story_package)
    not_captured = [s for s in manifest["sources"] if s["outcome"] != "captured"]
    assert page.count("<td>not captured</td>") == len(not_captured)
    assert page.count(f'<td class="url">{story_url}</td>') == 1


@needs_pywb
def test_replay_of_a_story_package_links_the_story_once(story_package: Path,
                                                        site: SiteServer) -> None:
    with start_replay(story_package) as server:
        index = get(server.url).body.decode("utf-8")
        story_url = site.url(STORY_PATH)
        assert index.count(f'<td class="url">{story_url}</td>') == 1
        (link,) = (entry for entry in server.entries if entry.url == story_url)
        assert get(server.replay_url(story_url, link.timestamp or "", "id_")).status == 200


def test_a_draft_story_is_listed_as_a_local_draft(site: SiteServer, tmp_path: Path) -> None:
    draft = tmp_path / "draft.html"
    draft.write_text("<!doctype html><html><head><title>Meters, a draft</title></head><body>"
                     f'<article><h1>Meters, a draft</h1><p>The <a href="{site.url(STORY_PATH)}">'
                     "story</a> says so.</p></article></body></html>", "utf-8")
    output = tmp_path / "package"
    create_story_package(str(draft), output, settings=fast_settings())
    entries = package_entries(output)
    first = entries[0]
    assert (first.title, first.status, first.status_label) == ("Meters, a draft", None,
                                                               "local draft")
    assert first.note is not None and "draft.html" in first.note
    assert [entry.url for entry in entries[1:]] == [site.url(STORY_PATH)]
    page = render_index(entries, collection="evidence", source=output)
    assert "<td>local draft</td>" in page and "<td>not captured</td>" not in page
