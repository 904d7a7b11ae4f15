"""`archiver extract` on damaged and hostile WARC and ARC files: every defect is a named
problem with exit 1 (never a crash, never "complete"), the records around it are still
extracted, verify names the same damage, and memory stays flat on a decompression bomb."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archiver.cli import app
from archiver.extract.api import extract
from tests.conftest import load_script
from tests.server import BR_BOMB_BYTES, br_bomb_body

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "warc"
PAGE = "http://127.0.0.1:8000/report.html"
HOSTILE_RUN_SECONDS = 120
"""A hostile input run in a subprocess gets this long: a hang fails the test, never blocks."""





MAKER = load_script(FIXTURES / "make_fixtures.py")
exchange, gzipped, record, record_id, warcinfo = (
    MAKER.exchange, MAKER.gzipped, MAKER.record, MAKER.record_id, MAKER.warcinfo)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def extracted_urls(stdout: str) -> list[str | None]:
    return [document["source"]["url"] for document in json.loads(stdout)]


def problem_lines(output: str, name: str) -> list[str]:
    """What is said of each place in `name`, without the path before it."""
    return [line.split(f"{name} ", 1)[1] for line in output.splitlines() if f"{name} " in line]


@pytest.mark.parametrize(("name", "code", "offset", "pages"), [
    ("truncated-in-header.warc.gz", "truncated-gzip", 943, 1),
    ("truncated-record.warc", "truncated-record", 1750, 2),
    ("truncated-record.warc.gz", "truncated-gzip", 1241, 2),
    ("content-length-past-end.warc", "truncated-record", 344, 2),
    ("content-length-past-end.warc.gz", "truncated-record", 264, 2),
    ("bad-header.warc", "record-header-invalid", 344, 2),
    ("corrupt-member.warc.gz", "gzip-member-corrupt", 562, 2),
])
def test_framing_damage_is_named_and_the_rest_extracted(name: str, code: str, offset: int,
                                                         pages: int) -> None:
    exit_code, stdout, stderr = run("extract", str(FIXTURES / name), "--json")
    assert exit_code == 1, stderr
    assert f"at offset {offset}: " in stderr and f"[{code}]" in stderr
    assert "internal error" not in stderr and "Traceback" not in stderr
    assert extracted_urls(stdout) == [PAGE] * pages
    # verify reads the same file its own way, and names the same damage the same way.
    _, verified, _ = run("verify", str(FIXTURES / name))
    assert problem_lines(stderr, name) == problem_lines(verified, name)


def test_a_package_whose_warc_was_cut_names_the_cut_record(sample_package: Path,
                                                           tmp_path: Path) -> None:
    package = tmp_path / "cut"
    shutil.copytree(sample_package, package)
    manifest = json.loads((package / "manifest.json").read_bytes())
    pages = [r for r in manifest["resources"]
             if r["content_type"].startswith("text/html") and r["status"] == 200]
    cut = max(pages, key=lambda r: r["record"]["offset"])["record"]
    warc = package / cut["warc_file"]
    after = sorted(r["record"]["offset"] for r in manifest["resources"]
                   if r["record"] and r["record"]["offset"] > cut["offset"])
    data = warc.read_bytes()
    member = zlib.decompressobj(31)
    member.decompress(data[cut["offset"]:])
    ends = len(data) - len(member.unused_data)
    warc.write_bytes(data[:ends - 40])  # the page's own member, cut in its body
    exit_code, stdout, stderr = run("extract", str(package), "--json")
    assert exit_code == 1
    assert f"at offset {cut['offset']}: the file ends inside this gzip member " \
           "[truncated-gzip]" in stderr
    for offset in after:
        assert f"at offset {offset}: cannot be read (the file ends before this offset" in stderr
    assert len(json.loads(stdout)) >= 2  # the story and the report, before the cut


def test_a_manifest_nested_too_deep_is_a_problem_and_the_warcs_are_read(
        sample_package: Path, tmp_path: Path) -> None:
    package = tmp_path / "deep"
    shutil.copytree(sample_package, package)
    (package / "manifest.json").write_text("[" * 1100 + "]" * 1100, encoding="utf-8")
    exit_code, stdout, stderr = run("extract", str(package), "--json")
    assert exit_code == 1
    assert "manifest.json: cannot be read (nested deeper than 64 levels" in stderr
    assert "the WARC files are read instead" in stderr and "internal error" not in stderr
    assert len(json.loads(stdout)) >= 2


def test_a_device_named_like_a_warc_is_refused_not_read_forever(tmp_path: Path) -> None:
    endless = tmp_path / "endless.warc"
    endless.symlink_to("/dev/zero")
    result = subprocess.run([sys.executable, "-m", "archiver", "extract", str(endless)],
                            capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)
    assert result.returncode == 2
    assert result.stderr == f"archiver: {endless}: not a regular file (a device, pipe or " \
                            "socket); extract reads files and package directories\n"


def test_a_cut_record_is_not_reported_complete() -> None:
    exit_code, stdout, _ = run("extract", str(FIXTURES / "truncated-record.warc"), "--json")
    assert exit_code == 1
    last = json.loads(stdout)[-1]
    assert last["outcome"] == "partial"
    assert any("cut short" in problem for problem in last["problems"])


def test_records_after_an_over_long_record_are_found_again() -> None:
    run_ = extract(FIXTURES / "content-length-past-end.warc")
    found = [(page.source.url, page.source.record.record_id) for page in run_
             if page.source.record is not None]
    assert found == [(PAGE, record_id(3)), (PAGE, record_id(5))]
    (problem,) = run_.problems
    assert "98238 bytes before the end its Content-Length gives" in problem


@pytest.mark.parametrize(("name", "says"), [
    ("no-target-uri.warc", "it has no WARC-Target-URI"),
    ("garbage-target-uri.warc", "its WARC-Target-URI is not a URI"),
    ("no-warc-date.warc", "it has no WARC-Date"),
])
def test_a_record_missing_what_names_it_is_a_problem(name: str, says: str) -> None:
    exit_code, stdout, stderr = run("extract", str(FIXTURES / name), "--json")
    assert exit_code == 1, stderr
    assert f"{name} record {record_id(3)} at offset 762: {says}" in stderr
    assert "internal error" not in stderr
    documents = json.loads(stdout)
    assert len(documents) == 2 and documents[1]["source"]["url"] == PAGE
    assert documents[0]["text"]  # the document itself is still read


@pytest.mark.parametrize("name", ["intact.arc", "intact.arc.gz"])
def test_arc_files_are_read(name: str) -> None:
    exit_code, stdout, stderr = run("extract", str(FIXTURES / name), "--json")
    assert exit_code == 0, stderr
    documents = json.loads(stdout)
    assert [d["source"]["url"] for d in documents] == [
        "http://127.0.0.1:8000/arc-one.html", "http://127.0.0.1:8000/arc-two.html"]
    assert documents[0]["source"]["captured_at"] == "2005-06-14T07:01:44Z"
    assert documents[0]["title"] == "An ARC page"


@pytest.mark.parametrize(("name", "says", "pages"), [
    ("truncated.arc.gz", "the file ends inside this gzip member [truncated-gzip]", 2),
    ("bad-header.arc", "an ARC record header needs 5 fields, not 4", 1),
])
def test_a_damaged_arc_is_a_named_problem(name: str, says: str, pages: int) -> None:
    exit_code, stdout, stderr = run("extract", str(FIXTURES / name), "--json")
    assert exit_code == 1, stderr
    assert says in stderr
    assert len(json.loads(stdout)) == pages


def test_a_header_that_never_ends_is_named_in_linear_time(tmp_path: Path) -> None:
    # 64 MiB of one header line between two good exchanges: found at the 1 MiB bound.
    warc = tmp_path / "endless-header.warc"
    with warc.open("wb") as out:
        out.write(b"".join([warcinfo(1), *exchange(2)]))
        out.write(b"WARC/1.1\r\nX-Endless: ")
        block = b"x" * (1 << 20)
        for _ in range(64):
            out.write(block)
        out.write(b"\r\n\r\n" + b"".join(exchange(4)))
    result = subprocess.run([sys.executable, "-m", "archiver", "extract", str(warc), "--json"],
                            capture_output=True, text=True, timeout=HOSTILE_RUN_SECONDS,
                            cwd=ROOT, check=False)
    assert result.returncode == 1, result.stderr
    assert "the record header does not end within 1 MiB [record-header-invalid]" in result.stderr
    assert extracted_urls(result.stdout) == [PAGE, PAGE]


def test_an_http_header_that_never_ends_is_named(tmp_path: Path) -> None:
    block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Endless: " + b"y" * (2 << 20)
    fields = [("WARC-Type", "response"), ("WARC-Record-ID", record_id(9)),
              ("WARC-Date", "2024-05-01T12:00:00Z"), ("WARC-Target-URI", PAGE + "?endless"),
              ("Content-Type", "application/http;msgtype=response")]
    warc = tmp_path / "endless-http-header.warc.gz"
    warc.write_bytes(gzipped([warcinfo(1), record(fields, block), *exchange(2)]))
    exit_code, stdout, stderr = run("extract", str(warc), "--json")
    assert exit_code == 1
    assert (f"record {record_id(9)} at offset 264: its HTTP header does not end within 1024 KiB;"
            " it was skipped") in stderr
    assert extracted_urls(stdout) == [PAGE]


FRAMING_SCRIPT = """
import sys
from archiver.warc.members import Inflater
from archiver.warc.reader import RecordParser

class Count:
    records = damages = 0
    def record_start(self, header): self.records += 1
    def record_data(self, data): pass
    def record_end(self): pass
    def member_end(self): pass
    def damage(self, damage, *, in_record): self.damages += 1

count = Count()
parser = RecordParser(count)
inflater = Inflater(lambda event: parser.handle([event]), expect_gzip=True)
with open(sys.argv[1], "rb") as handle:
    while block := handle.read(1 << 20):
        inflater.feed(block)
inflater.finish()
print(count.records, count.damages)
"""


def test_a_flood_of_bad_headers_is_read_in_linear_time(tmp_path: Path) -> None:
    # 120,000 headers that end at once and say nothing, in one gzip member: each is named
    # damage, and the next is looked for without copying what is left of the member again.
    flood = b"WARC/1.1\r\n\r\n" * 120_000
    warc = tmp_path / "flood.warc.gz"
    warc.write_bytes(gzipped([warcinfo(1), flood, *exchange(2)]))
    framed = subprocess.run([sys.executable, "-c", FRAMING_SCRIPT, str(warc)],
                            capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)
    assert framed.stdout.split() == ["3", "120000"], framed.stderr  # as verify frames it
    result = subprocess.run([sys.executable, "-m", "archiver", "extract", str(warc), "--json"],
                            capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)
    assert result.returncode == 1 and extracted_urls(result.stdout) == [PAGE]
    lines = result.stderr.splitlines()
    assert len(lines) == 101 and "[record-header-invalid]" in lines[0]
    assert lines[-1] == f"archiver: {warc}: 119900 more problems, not listed one by one"


def bomb_warc(path: Path, content_type: bytes) -> Path:
    bomb = br_bomb_body()
    block = (b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Encoding: br\r\n"
             b"Content-Length: %d\r\n\r\n" % (content_type, len(bomb))) + bomb
    fields = [("WARC-Type", "response"), ("WARC-Record-ID", record_id(9)),
              ("WARC-Date", "2024-05-01T12:00:00Z"), ("WARC-Target-URI", PAGE + "?bomb"),
              ("Content-Type", "application/http;msgtype=response")]
    path.write_bytes(gzipped([warcinfo(1), record(fields, block), *exchange(2)]))
    return path


PEAK_RSS_SCRIPT = """
import runpy, sys
from tests.peak_rss import peak_rss_kib
sys.argv = ["archiver", *sys.argv[1:]]
try:
    runpy.run_module("archiver", run_name="__main__")
finally:
    sys.stderr.write(f"\\npeak-rss-kib {peak_rss_kib()}\\n")
"""


def peak_rss_mib(stderr: str) -> float:
    return int(stderr.rsplit("peak-rss-kib ", 1)[1].split()[0]) / 1024


def test_a_brotli_bomb_in_a_warc_keeps_memory_flat(tmp_path: Path) -> None:
    # 4 GiB of br in under a megabyte. The generic type is sniffed, so up to the 512 MiB cap
    # for documents may be decoded: one decoding step used to hand all of it out at once.
    assert BR_BOMB_BYTES == 4 << 30
    warc = bomb_warc(tmp_path / "bomb.warc.gz", b"application/octet-stream")
    result = subprocess.run([sys.executable, "-c", PEAK_RSS_SCRIPT, "extract", str(warc),
                             "--json"], capture_output=True, text=True, cwd=ROOT,
                            timeout=HOSTILE_RUN_SECONDS, check=False)
    assert "internal error" not in result.stderr
    assert result.returncode in (0, 1), result.stderr
    assert PAGE in extracted_urls(result.stdout.split("\npeak-rss-kib")[0])
    assert peak_rss_mib(result.stderr) < 300


def test_terminal_controls_from_a_warc_are_escaped(tmp_path: Path) -> None:
    # The file's name, a page title and a WARC header all try to clear the screen, ring the
    # bell, rewrite the line, set the window title and turn the text around.
    warc = tmp_path / "evil\x1b[2J\x07\u202e.warc"
    shutil.copyfile(FIXTURES / "terminal-controls.warc", warc)
    raw = ("\x1b", "\x07", "\r", "\u202e")
    for args in (["extract", str(warc)], ["extract", str(warc), "--json"],
                 ["extract", str(warc), "--text"], ["verify", str(warc)],
                 ["verify", str(warc), "--json"], ["extract", str(tmp_path / "gone\x1b[2J")]):
        result = CliRunner().invoke(app, args, color=True)  # as on a terminal: nothing stripped
        for char in raw:
            assert char not in result.stdout and char not in result.stderr, (args, char)
        if args[-1] == "--json" and args[0] == "extract":
            (document,) = json.loads(result.stdout)
            assert "\u202e" in document["title"]  # the data itself is kept
    shown = CliRunner().invoke(app, ["extract", str(warc)], color=True).stdout
    assert "\\u202eeulav" in shown and "\\x1b]0;pwned\\x07" in shown
