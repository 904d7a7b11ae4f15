"""`archiver extract` on what archivists have beyond archiver's own packages: a WACZ (ours, and
one `wacz create` makes), and loose text, CSV, JSON and XML files."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archiver.cli import app
from archiver.transfer import export_wacz
from tests.arc_files import ARC_PAGES, write_arc
from tests.test_extract_damaged import PEAK_RSS_SCRIPT, exchange, peak_rss_mib, record_id

ROOT = Path(__file__).resolve().parent.parent
WACZ_TOOL = Path(sys.executable).parent / "wacz"
WARC_FIXTURES = ROOT / "fixtures" / "warc"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def documents_of(path: Path) -> list[dict[str, object]]:
    code, stdout, stderr = run("extract", str(path), "--json")
    assert code == 0, stderr
    return json.loads(stdout)  # type: ignore[no-any-return]


def texts_by_url(documents: list[dict[str, object]]) -> dict[object, object]:
    return {document["source"]["url"]: document["text_sha256"]  # type: ignore[index]
            for document in documents}


# -- a WACZ --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def exported(sample_package: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wacz") / "sample.wacz"
    export_wacz(sample_package, out)
    return out


def test_a_wacz_of_ours_extracts_as_its_package_does(exported: Path,
                                                     sample_package: Path) -> None:
    from_wacz = documents_of(exported)
    assert texts_by_url(from_wacz) == texts_by_url(documents_of(sample_package))
    assert {d["kind"] for d in from_wacz} == {"html", "pdf"}
    for document in from_wacz:
        record = document["source"]["record"]  # type: ignore[index]
        assert record["warc_file"].startswith("archive/")  # where it is inside the WACZ


def test_a_wacz_that_py_wacz_makes_is_extracted(tmp_path: Path) -> None:
    if not WACZ_TOOL.exists():
        pytest.skip("py-wacz (the [test] extra) provides `wacz create`")
    warc = tmp_path / "crawl.warc.gz"
    shutil.copy(WARC_FIXTURES / "intact-sha256.warc.gz", warc)
    made = tmp_path / "theirs.wacz"
    subprocess.run([str(WACZ_TOOL), "create", "-o", str(made), str(warc)], check=True,
                   capture_output=True, timeout=120)
    theirs = documents_of(made)
    assert len(theirs) == 2 and texts_by_url(theirs) == texts_by_url(documents_of(warc))


def _copy_with(source: Path, target: Path, extra: dict[str, bytes]) -> None:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            new.writestr(info, old.read(info))
        for name, data in extra.items():
            new.writestr(name, data)


def test_unsafe_entries_of_a_wacz_are_named_and_never_read(exported: Path,
                                                           tmp_path: Path) -> None:
    hostile = tmp_path / "hostile.wacz"
    _copy_with(exported, hostile, {"archive/../escape.warc": b"WARC/1.1\r\n",
                                   "/abs/archive/x.warc": b"WARC/1.1\r\n"})
    code, stdout, stderr = run("extract", str(hostile), "--json")
    assert code == 1
    assert "archive/../escape.warc: its path climbs out of the target with '..'" in stderr
    assert "its path is absolute" in stderr
    assert texts_by_url(json.loads(stdout)) == texts_by_url(documents_of(exported))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hostile.wacz"]


def test_a_damaged_member_stops_its_warc_and_says_so(exported: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(exported) as archive:
        (warc,) = [i for i in archive.infolist() if i.filename.startswith("archive/")]
        start = warc.header_offset + 30 + len(warc.filename.encode()) + len(warc.extra)
    damaged = tmp_path / "damaged.wacz"
    data = bytearray(exported.read_bytes())
    middle = start + warc.compress_size // 2
    data[middle:middle + 64] = bytes(64)  # stored entry: its CRC no longer holds
    damaged.write_bytes(bytes(data))
    code, _, stderr = run("extract", str(damaged), "--json")
    assert code == 1
    assert f"{damaged}: {warc.filename}: reading stopped early: Bad CRC-32" in stderr
    assert "Traceback" not in stderr and "internal error" not in stderr


@pytest.mark.parametrize(("content", "says"), [
    (b"PK\x03\x04 not really a zip", "not a zip file, so not a WACZ"),
    (b"", "not a zip file, so not a WACZ"),
])
def test_a_wacz_that_is_no_zip_is_a_named_problem(tmp_path: Path, content: bytes,
                                                  says: str) -> None:
    fake = tmp_path / "fake.wacz"
    fake.write_bytes(content)
    code, _, stderr = run("extract", str(fake))
    assert code == 1 and says in stderr and "Traceback" not in stderr


def test_a_zip_without_warcs_is_a_named_problem(tmp_path: Path) -> None:
    empty = tmp_path / "empty.wacz"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("datapackage.json", b"{}")
    code, _, stderr = run("extract", str(empty))
    assert code == 1 and "a zip with no WARC file under archive/" in stderr


# -- plain text, CSV, JSON and XML ---------------------------------------------------------------

CSV_LATIN1 = ("Town;Meters;Note\nHarrow Point;3812;\"billed, never used\"\n"
              "São Brás;12;\"two\nlines\"\n")
JSON_NESTED = {"title": "Meter readings, 2024", "id": "3f2a9c1e-77b0-4c1d-9d8a-0e2b",
               "source": {"url": "https://data.example/meters", "publisher": "Water Board"},
               "rows": [{"town": "Harrow Point", "note": "Readings were estimated, not read."}]}
RSS = ("<?xml version=\"1.0\" encoding=\"windows-1252\"?>\n"
       "<!DOCTYPE rss [<!ENTITY secret SYSTEM \"file:///etc/passwd\">]>\n"
       "<rss version=\"2.0\"><channel><title>Council notices</title>\n"
       "<item><title>Meters recalled</title><description>The council recalled "
       "<b>all</b> SmartFlow meters &amp; refunds follow.&secret;</description></item>\n"
       "<!-- not text --></channel></rss>\n")
DATA_FILES: dict[str, tuple[bytes, str]] = {
    "meters.csv": (CSV_LATIN1.encode("latin-1"), "text/csv; charset=iso-8859-1"),
    "meters.json": (json.dumps(JSON_NESTED).encode(), "application/json"),
    "notices.rss": (RSS.encode("cp1252"), "application/rss+xml"),
    "notes.txt": ("Café notes\r\nsecond line\r\n".encode("utf-16"), "text/plain"),
}
EXPECTED: dict[str, tuple[str, str | None, str]] = {
    "meters.csv": ("csv", None, "Town\tMeters\tNote\nHarrow Point\t3812\tbilled, never used\n"
                   "São Brás\t12\ttwo lines"),
    "meters.json": ("json", "Meter readings, 2024", "Meter readings, 2024\nWater Board\n"
                    "Harrow Point\nReadings were estimated, not read."),
    "notices.rss": ("xml", "Council notices", "Council notices\nMeters recalled\nThe council "
                    "recalled all SmartFlow meters & refunds follow."),
    "notes.txt": ("text", None, "Café notes\nsecond line"),
}


def _check(document: dict[str, object], name: str) -> None:
    kind, title, text = EXPECTED[name]
    assert (document["kind"], document["title"], document["text"]) == (kind, title, text)
    assert document["outcome"] == "complete", document["problems"]


@pytest.mark.parametrize("name", sorted(DATA_FILES))
def test_a_loose_data_file_gives_its_text(tmp_path: Path, name: str) -> None:
    data, content_type = DATA_FILES[name]
    path = tmp_path / name
    path.write_bytes(data if "charset" not in content_type else
                     data.decode("latin-1").encode("utf-8"))  # a loose file has no header
    (document,) = documents_of(path)
    _check(document, name)
    assert document["data"] is not None and document["html"] is None


class _DataHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        data, content_type = DATA_FILES[self.path.lstrip("/")]
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


def test_captured_data_sources_are_extracted_into_the_package(capture: object) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _DataHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        captured = capture([base + name for name in sorted(DATA_FILES)],  # type: ignore[operator]
                           requisites=False)
    finally:
        server.shutdown()
        server.server_close()
    documents = {str(d["source"]["url"]).rsplit("/", 1)[1]: d  # type: ignore[index]
                 for d in documents_of(captured.path)}
    assert sorted(documents) == sorted(DATA_FILES)
    for name, document in documents.items():
        _check(document, name)
    assert documents["meters.csv"]["decoding"]["charset"] == "cp1252"  # type: ignore[index]
    stored = sorted((captured.path / "data" / "extract").glob("*.json"))
    assert len(stored) == len(DATA_FILES)  # the capture extracted them too


def test_deep_json_and_xml_are_read_without_recursion(tmp_path: Path) -> None:
    deep_json = tmp_path / "deep.json"
    deep_json.write_bytes(b'{"a":' * 200_000 + b'"deep down here"' + b"}" * 200_000)
    deep_xml = tmp_path / "deep.xml"
    deep_xml.write_bytes(b"<?xml version='1.0'?>" + b"<a>" * 200_000 + b"deep" +
                         b"</a>" * 200_000)
    (from_json,) = documents_of(deep_json)
    assert from_json["text"] == "deep down here"
    (from_xml,) = documents_of(deep_xml)  # an event parser builds no tree to recurse on
    assert (from_xml["kind"], from_xml["text"]) == ("xml", "deep")


def test_entities_are_not_expanded_past_libxml2s_guard(tmp_path: Path) -> None:
    laughs = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))
    bomb = tmp_path / "laughs.xml"
    bomb.write_text(f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY l0 "lol">{laughs}]>'
                    "<r>&l9;</r>", "utf-8")
    _, stdout, _ = run("extract", str(bomb), "--json")
    (document,) = json.loads(stdout)
    assert len(document["text"]) < 1_000_000  # 3 GB if every entity were expanded


# -- an ARC file written by hand ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["crawl.arc", "crawl.arc.gz", "no-arc-suffix.dat"])
def test_an_arc_file_written_by_hand_is_extracted(tmp_path: Path, name: str) -> None:
    source = tmp_path / name
    write_arc(source, gzipped=name.endswith(".gz"))
    documents = documents_of(source)
    assert {d["source"]["url"]: d["title"] for d in documents} == ARC_PAGES  # type: ignore[index]
    assert {d["source"]["captured_at"] for d in documents} == {"2001-09-12T08:53:00Z"}


def test_a_large_wacz_member_is_streamed_with_flat_memory(tmp_path: Path) -> None:
    # A 192 MiB WARC stored in the zip: one big image (not extracted), then a page. Read whole
    # (or copied out into memory) it would lift the peak past the bound below.
    size = 192 << 20
    http_head = b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: %d\r\n\r\n" % size
    fields = [("WARC-Type", "response"), ("WARC-Record-ID", record_id(7)),
              ("WARC-Date", "2024-05-01T12:00:00Z"),
              ("WARC-Target-URI", "http://127.0.0.1:8000/huge.png"),
              ("Content-Type", "application/http;msgtype=response"),
              ("Content-Length", str(len(http_head) + size))]
    header = ("WARC/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields) + "\r\n").encode()
    source = tmp_path / "big.wacz"
    block = os.urandom(1 << 20)
    with zipfile.ZipFile(source, "w", zipfile.ZIP_STORED) as archive, \
            archive.open("archive/big.warc", "w", force_zip64=True) as member:
        member.write(header + http_head)
        for _ in range(size // len(block)):
            member.write(block)
        member.write(b"\r\n\r\n" + b"".join(exchange(2)))
    result = subprocess.run([sys.executable, "-c", PEAK_RSS_SCRIPT, "extract", str(source),
                             "--json"], capture_output=True, text=True, cwd=ROOT,
                            timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    documents = json.loads(result.stdout.split("\npeak-rss-kib")[0])
    assert [d["source"]["url"] for d in documents] == ["http://127.0.0.1:8000/report.html"]
    assert peak_rss_mib(result.stderr) < 160  # about 46 MiB as measured


@pytest.mark.parametrize("flag", ["--text", "--visible-text"])
def test_a_partial_read_is_said_beside_the_text_too(tmp_path: Path, flag: str) -> None:
    """--text prints no table, so the reason a document was read only in part goes to stderr:
    the text printed is never taken for the whole document."""
    path = tmp_path / "meters.csv"
    path.write_text('Town,Meters\nHarrow Point,3812\n"' + "x" * (2 << 20) + '"\nLast,1\n')
    result = subprocess.run([sys.executable, "-m", "archiver", "extract", flag, str(path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr  # read in part is not a failure
    assert "Harrow Point\t3812" in result.stdout
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"archiver: {path}: the CSV could not be read past row 3 (")
