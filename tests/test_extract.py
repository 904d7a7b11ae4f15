"""Extraction end to end: during capture (files under data/extract/, conversion and metadata
records in the WARC), and on demand with `archiver extract` on a package, a WARC that wget
writes during the test, and loose files. Decoding is judged on real HTTP responses: charsets
declared every way (and not at all), gzip, deflate, br, chunked, and a decompression bomb."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jsonschema
import pytest
from typer.testing import CliRunner

from archiver.cli import app
from archiver.extract.api import extract
from archiver.schema_files import load_schema
from archiver.settings import MIB, ExtractionSettings
from tests.conftest import Captured
from tests.server import REPORT_PATH, STORY_PATH, SiteServer

ENCODINGS = "encodings"
runner = CliRunner()


def document_url(site: SiteServer, name: str, content_type: str) -> str:
    return site.url(f"/encoding/document?file={ENCODINGS}/{name}&type={quote(content_type)}")


def extraction_for(captured: Captured, url: str) -> dict[str, Any]:
    """The package's extraction JSON for `url`, with the text of the .txt beside it put in
    (the package keeps the text in the .txt only, as the WARC does in its own record)."""
    derived = captured.resource(url)["derived"]
    files = [item["path"] for item in derived if item["kind"] == "extraction"]
    assert len(files) == 1, derived
    document: dict[str, Any] = json.loads((captured.path / files[0]).read_bytes())
    jsonschema.validate(document, load_schema("extraction"))
    assert document["text"] is None
    texts = [item["path"] for item in derived if item["kind"] == "text"]
    text = (captured.path / texts[0]).read_bytes() if texts else b""
    assert hashlib.sha256(text).hexdigest() == document["text_sha256"]
    document["text"] = text.decode("utf-8")
    return document


def digest_tree(root: Path) -> dict[str, str]:
    return {str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(root.rglob("*")) if path.is_file()}


# -- during capture -------------------------------------------------------------------------------


def test_capture_extracts_every_page_and_pdf(site: SiteServer,
                                             capture: Callable[..., Captured]) -> None:
    story, report = site.url(STORY_PATH), site.url(REPORT_PATH)
    captured = capture([story, report])
    page = extraction_for(captured, story)
    assert page["kind"] == "html" and page["title"]
    assert page["text"] and "\n\n" in page["text"]
    pdf = extraction_for(captured, report)
    assert pdf["kind"] == "pdf" and pdf["pdf"]["page_count"] >= 1
    assert pdf["text"].count("\f") == pdf["pdf"]["page_count"] - 1
    listed = {entry["path"] for entry in captured.manifest["files"]}
    for url in (story, report):
        for item in captured.resource(url)["derived"]:
            assert item["path"] in listed
            data = (captured.path / item["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == item["sha256"]


def test_extraction_records_sit_beside_their_source(site: SiteServer,
                                                    capture: Callable[..., Captured]) -> None:
    story = site.url(STORY_PATH)
    captured = capture([story])
    resource = captured.resource(story)
    source_id = resource["record"]["record_id"]
    by_kind = {item["kind"]: item for item in resource["derived"]}
    text_ref, meta_ref = by_kind["text"]["record"], by_kind["extraction"]["record"]
    from tests.conftest import read_record

    text_record = read_record(captured.path / text_ref["warc_file"], text_ref["offset"])
    meta_record = read_record(captured.path / meta_ref["warc_file"], meta_ref["offset"])
    for record, kind in ((text_record, "conversion"), (meta_record, "metadata")):
        assert record.headers["WARC-Type"] == kind
        assert record.headers["WARC-Refers-To"] == source_id
        assert record.headers["WARC-Refers-To-Target-URI"] == story
        # Never a capture of the page's own URL: replay must not serve the text as the page.
        assert record.headers["WARC-Target-URI"].startswith("urn:archiver:")
    assert text_record.block == (captured.path / by_kind["text"]["path"]).read_bytes()
    assert meta_record.block == (captured.path / by_kind["extraction"]["path"]).read_bytes()
    metadata = json.loads(meta_record.block)
    jsonschema.validate(metadata, load_schema("extraction"))
    assert metadata["text"] is None and metadata["title"]


def test_no_extract_leaves_only_the_capture(site: SiteServer,
                                            capture: Callable[..., Captured]) -> None:
    story = site.url(STORY_PATH)
    captured = capture([story], extraction=None)
    assert captured.resource(story)["derived"] == []
    assert not (captured.path / "data" / "extract").exists()
    kinds = {record.headers["WARC-Type"] for record in captured.records()
             if not record.headers.get("WARC-Target-URI", "").startswith("urn:archiver:prov")}
    assert kinds == {"warcinfo", "request", "response"}  # and the site's provenance record


@pytest.mark.parametrize(("name", "content_type", "expected"), [
    ("western-cp1252.html", "text/html", ("cp1252", "detected", "Noël Ferrière")),
    ("western-cp1252.html", "text/html; charset=ISO-8859-1",
     ("cp1252", "header", "“inacceptable”")),
    ("russian-koi8r-meta.html", "text/html", ("koi8-r", "meta", "Управляющая компания")),
    ("japanese-shift-jis-meta.html", "text/html", ("cp932", "meta", "水道局")),
    ("english-utf16-bom.html", "text/html; charset=utf-8", ("utf-16-le", "bom", "“phantom flow”")),
])
def test_charsets_are_read_the_way_browsers_read_them(
        site: SiteServer, capture: Callable[..., Captured], name: str, content_type: str,
        expected: tuple[str, str, str]) -> None:
    url = document_url(site, name, content_type)
    document = extraction_for(capture([url]), url)
    charset, source, phrase = expected
    assert (document["decoding"]["charset"], document["decoding"]["charset_source"]) == (
        charset, source)
    assert phrase in document["text"]
    assert "\ufffd" not in document["text"]


@pytest.mark.parametrize(("path", "encoding", "chunked"), [
    ("/encoding/gzip", "gzip", False),
    ("/encoding/deflate", "deflate", False),
    ("/encoding/raw-deflate", "deflate", False),
    ("/encoding/br", "br", False),
    ("/encoding/chunked", None, True),
    ("/encoding/gzip-chunked", "gzip", True),
])
def test_encoded_bodies_are_decoded(site: SiteServer, capture: Callable[..., Captured],
                                    path: str, encoding: str | None, chunked: bool) -> None:
    url = site.url(path)
    document = extraction_for(capture([url]), url)
    assert document["decoding"]["content_encoding"] == encoding
    assert document["decoding"]["chunked"] is chunked
    assert "The meter keeps turning with the valve shut." in document["text"]
    assert document["problems"] == []


def test_a_decompression_bomb_is_stopped_and_recorded(
        site: SiteServer, capture: Callable[..., Captured]) -> None:
    url = site.url("/encoding/bomb")
    limits = ExtractionSettings(max_html_bytes=4 * MIB)
    captured = capture([url], extraction=limits)
    document = extraction_for(captured, url)
    assert document["decoding"]["cut"] is True
    assert document["decoding"]["bytes_read"] == 4 * MIB
    assert any("4 MiB" in problem for problem in document["problems"])
    # The evidence keeps the body exactly as received: still gzip, a few KB.
    assert captured.resource(url)["payload_length"] < 100_000


def test_a_cut_capture_says_its_text_is_partial(site: SiteServer,
                                                capture: Callable[..., Captured]) -> None:
    url = site.url(STORY_PATH)
    document = extraction_for(capture([url], max_resource_bytes=2000, requisites=False), url)
    assert document["source"]["truncated"] == "length"
    assert any("size limit" in problem for problem in document["problems"])


# -- on demand -------------------------------------------------------------------------------------


def test_extract_reads_a_package_and_never_changes_it(sample_package: Path,
                                                      tmp_path: Path) -> None:
    before = digest_tree(sample_package)
    out = tmp_path / "out"
    result = runner.invoke(app, ["extract", str(sample_package), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert digest_tree(sample_package) == before
    written = sorted(out.glob("*.json"))
    assert written and len(list(out.glob("*.txt"))) == len(written)
    for path in written:
        jsonschema.validate(json.loads(path.read_bytes()), load_schema("extraction"))
    kinds = {json.loads(path.read_bytes())["kind"] for path in written}
    assert kinds == {"html", "pdf"}


def test_extract_json_lists_every_document(sample_package: Path) -> None:
    result = runner.invoke(app, ["extract", str(sample_package), "--json"])
    assert result.exit_code == 0, result.output
    documents = json.loads(result.stdout)
    assert {document["kind"] for document in documents} == {"html", "pdf"}
    for document in documents:
        jsonschema.validate(document, load_schema("extraction"))
        assert document["source"]["record"]["warc_file"].startswith("data/warc/")


def test_extract_from_a_warc_that_wget_writes(site: SiteServer, tmp_path: Path) -> None:
    wget = shutil.which("wget")
    if wget is None:
        pytest.skip("wget is not installed")
    subprocess.run([wget, "-q", "--no-proxy", "--warc-file", str(tmp_path / "peer"),
                    "-O", str(tmp_path / "ignored"), site.url(STORY_PATH), site.url(REPORT_PATH),
                    site.url("/encoding/gzip")],
                   check=False, cwd=tmp_path, timeout=60)
    warc = tmp_path / "peer.warc.gz"
    assert warc.is_file()
    documents = list(extract(warc))
    by_url = {document.source.url: document for document in documents}
    assert by_url[site.url(STORY_PATH)].title
    assert by_url[site.url(REPORT_PATH)].kind == "pdf"
    assert "The meter keeps turning" in by_url[site.url("/encoding/gzip")].text
    for document in documents:
        jsonschema.validate(document.to_dict(), load_schema("extraction"))


def test_extract_loose_files(tmp_path: Path) -> None:
    fixtures = Path(__file__).resolve().parent.parent / "fixtures"
    page = fixtures / "documents" / ENCODINGS / "western-cp1252.html"
    report = fixtures / "site" / REPORT_PATH.lstrip("/")
    result = runner.invoke(app, ["extract", str(page), str(report), "--json"])
    assert result.exit_code == 0, result.output
    page_doc, report_doc = json.loads(result.stdout)
    assert page_doc["source"]["file"] == str(page) and "Noël Ferrière" in page_doc["text"]
    assert report_doc["kind"] == "pdf" and report_doc["source"]["url"] is None
    text = runner.invoke(app, ["extract", str(page), "--text"])
    assert text.exit_code == 0 and "Noël Ferrière" in text.stdout


@pytest.mark.parametrize("name", ["missing.html", "image.png", "folder"])
def test_extract_refuses_what_it_cannot_read(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name == "image.png":
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    elif name == "folder":
        path.mkdir()
    result = runner.invoke(app, ["extract", str(path)])
    assert result.exit_code == 2
    assert str(path) in result.stderr and "Traceback" not in result.output


def test_extract_output_must_be_new(sample_package: Path, tmp_path: Path) -> None:
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine")
    result = runner.invoke(app, ["extract", str(sample_package), "-o", str(taken)])
    assert result.exit_code == 2
    assert (taken / "notes.txt").read_text() == "mine" and len(list(taken.iterdir())) == 1


def test_a_broken_document_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 4)
    result = runner.invoke(app, ["extract", str(broken), "--json"])
    assert result.exit_code == 1, result.output
    (document,) = json.loads(result.stdout)
    assert document["outcome"] == "failed" and document["problems"]
    assert "Traceback" not in result.output


def test_extraction_in_worker_processes_matches_inline(site: SiteServer, tmp_path: Path,
                                                       capture: Callable[..., Captured],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # Enough pages to start the pool (POOL_AFTER), each a different document.
    from archiver.package.extraction_pool import POOL_AFTER

    urls = [site.url(f"/delay/{n}?ms=1") for n in range(POOL_AFTER + 4)]
    urls += [site.url(STORY_PATH), site.url(REPORT_PATH)]
    # A temp folder of this test's own: other runs on the machine make and remove theirs.
    waiting = tmp_path / "tmp"
    waiting.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(waiting))
    before = set(waiting.glob("archiver-pool-*"))
    pooled = capture(urls, extraction=ExtractionSettings(workers=2))
    assert set(waiting.glob("archiver-pool-*")) == before  # results wait on disk, then go
    inline = capture(urls, extraction=ExtractionSettings(workers=0))
    for url in urls:
        a, b = extraction_for(pooled, url), extraction_for(inline, url)
        for key in ("text", "title", "kind", "outcome", "problems", "html", "pdf"):
            assert a[key] == b[key], (url, key)


def test_a_thread_pool_extracts_each_document_while_the_capture_goes_on(
        site: SiteServer, tmp_path: Path) -> None:
    """Where processes may not be started (a Dask worker), the pool is a thread: it takes
    the first document as it is captured, not after the fetches, and gives what an inline
    extraction gives."""
    import threading

    from archiver.capture.job import CaptureJob
    from archiver.package.extraction_pool import ExtractionPool
    from archiver.package_layout import WARC_DIR
    from archiver.warc.writer import WarcWriter, warcinfo_factory
    from tests.conftest import fast_settings

    (tmp_path / WARC_DIR).mkdir(parents=True)
    capture_settings = fast_settings(requisites=False)
    writer = WarcWriter(tmp_path / WARC_DIR, prefix="pool",
                        max_bytes=capture_settings.warc_max_bytes,
                        make_warcinfo=warcinfo_factory({"software": "test"},
                                                       gzip_level=capture_settings.gzip_level))
    pool = ExtractionPool(tmp_path / WARC_DIR, writer, ExtractionSettings(), workers=1,
                          in_threads=True)
    extracted_during: list[int] = []
    job = CaptureJob(capture_settings, writer, on_captured=pool.offer)
    slow = site.url("/delay/last?ms=4000")  # long enough for two extractions under load
    finished = threading.Event()

    def watch() -> None:  # how many documents were done while the slow fetch still ran
        while not finished.wait(0.05):
            extracted_during.append(sum(future.done() for future, _ in pool._futures.values()))

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        result = job.run([site.url(STORY_PATH), site.url(REPORT_PATH), slow])
    finally:
        finished.set()
        watcher.join()
    try:
        assert max(extracted_during) == 2  # the story and the report, before the slow page
        for resource in result.resources[:2]:
            taken, extraction, failure = pool.result_for(resource)
            assert taken and failure is None and extraction is not None
            assert extraction.text
    finally:
        pool.close()
        writer.close(at_least_one=False)
