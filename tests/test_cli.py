"""The `archiver` command driven for real: exit codes, messages, --json, on the test site."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import bagit
import pytest
from typer.testing import CliRunner

from archiver.cli import app
from tests.conftest import assert_standard_tools_accept
from tests.server import DEAD_LINK_PATH, MOVED_PAGE_PATH, REPORT_PATH, STORY_PATH, SiteServer

FAST = ["--retries", "0", "--read-timeout", "5", "--timeout", "20"]
ROOT = Path(__file__).resolve().parent.parent
TEST_SITE = ["--allow-private"]
"""The test site is on 127.0.0.1, which a capture refuses unless told otherwise."""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_capture_writes_a_package_that_standard_tools_accept(site: SiteServer,
                                                             tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    code, stdout, stderr = run("capture", site.url(STORY_PATH), site.url(REPORT_PATH),
                               "-o", str(out), "--warc-size", "20KB", *FAST, *TEST_SITE)
    assert code == 0, stderr
    assert "2 of 2 sources captured" in stdout
    warcs = len(list((out / "data" / "warc").iterdir()))
    files = len((out / "manifest-sha256.txt").read_text().splitlines())
    assert 1 < warcs < files  # the summary counts WARCs apart from the other files
    assert f" {warcs} WARC file(s), {files} file(s) in all, " in stdout
    assert f"archiver verify {out}" in stdout
    assert_standard_tools_accept(out)
    assert bagit.Bag(str(out)).is_valid()


def test_capture_reads_a_url_list_with_comments(site: SiteServer, tmp_path: Path) -> None:
    listing = tmp_path / "sources.txt"
    listing.write_text(f"# the report\n{site.url(REPORT_PATH)}  # cited twice\n\n"
                       f"{site.url(MOVED_PAGE_PATH)}\n", encoding="utf-8")
    code, stdout, _ = run("capture", "-i", str(listing), "-o", str(tmp_path / "pkg"), "--json",
                          *FAST, *TEST_SITE)
    assert code == 0
    summary = json.loads(stdout)
    assert [s["requested_url"] for s in summary["sources"]] == [site.url(REPORT_PATH),
                                                                 site.url(MOVED_PAGE_PATH)]
    moved = summary["sources"][1]
    assert moved["final_url"].endswith("/sources/smartflow-press-release.html")
    assert summary["complete"] is True


def test_a_failed_source_is_recorded_and_exits_1(site: SiteServer, tmp_path: Path) -> None:
    # A bad line of a URL list is data, not a typo on the command line: a source that failed,
    # recorded with its reason, beside the others.
    listing = tmp_path / "sources.txt"
    listing.write_text("not a url\nexample.org\n", encoding="utf-8")
    out = tmp_path / "pkg"
    code, stdout, _ = run("capture", site.url(DEAD_LINK_PATH), "http://127.0.0.1:9/",
                          "-i", str(listing), "-o", str(out), *FAST, *TEST_SITE)
    assert code == 1
    assert "connection refused" in stdout
    assert stdout.count("not a valid URL") == 2
    failed = [s["requested_url"] for s in json.loads((out / "manifest.json").read_bytes())[
        "sources"] if s["outcome"] == "failed"]
    assert failed == ["http://127.0.0.1:9/", "not a url", "example.org"]
    assert "404" in stdout  # the 404 page itself is captured evidence
    assert (out / "manifest.json").is_file()
    verify_code, verify_out, _ = run("verify", str(out))
    assert verify_code == 0, verify_out


def test_existing_output_is_refused_untouched(site: SiteServer, sample_package: Path,
                                              tmp_path: Path) -> None:
    copy = tmp_path / "pkg"
    shutil.copytree(sample_package, copy)
    before = sorted((p.name, p.stat().st_mtime_ns) for p in copy.rglob("*"))
    code, _, stderr = run("capture", site.url(REPORT_PATH), "-o", str(copy))
    assert code == 2
    assert stderr.count("\n") == 1 and "already exists" in stderr and str(copy) in stderr
    assert sorted((p.name, p.stat().st_mtime_ns) for p in copy.rglob("*")) == before


def test_usage_errors_exit_2_with_one_clear_line(tmp_path: Path) -> None:
    code, _, stderr = run("capture", "-i", str(tmp_path / "missing.txt"), "-o",
                          str(tmp_path / "pkg"))
    assert code == 2 and stderr.strip() == f"archiver: {tmp_path / 'missing.txt'}: no such file"
    code, _, stderr = run("capture", "-o", str(tmp_path / "pkg"))
    assert (code, stderr) == (2, "archiver: missing the URLs to capture (URLs or -i FILE)\n")
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing yet\n", encoding="utf-8")
    code, _, stderr = run("capture", "-i", str(empty), "-o", str(tmp_path / "pkg"))
    assert (code, stderr) == (2, f"archiver: {empty}: no URLs in it (one a line; # starts a "
                                 "comment)\n")
    code, _, stderr = run("capture", "http://x.test/", "-o", str(tmp_path / "p"), "--max-size",
                          "lots")
    assert code == 2 and "--max-size" in stderr
    assert not (tmp_path / "pkg").exists() and not (tmp_path / "p").exists()


def test_unwritable_output_exits_3(site: SiteServer, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    code, _, stderr = run("capture", site.url(REPORT_PATH), "-o", str(blocker / "pkg"),
                          *TEST_SITE)
    assert code == 3
    assert stderr.startswith("archiver: ") and stderr.count("\n") == 1
    assert "Traceback" not in stderr


def test_verify_reports_every_path_and_the_worst_code(sample_package: Path,
                                                      tmp_path: Path) -> None:
    damaged = tmp_path / "damaged"
    shutil.copytree(sample_package, damaged)
    warc = next((damaged / "data" / "warc").glob("*.warc.gz"))
    data = bytearray(warc.read_bytes())
    data[len(data) // 2] ^= 0x01
    warc.write_bytes(bytes(data))
    not_evidence = tmp_path / "notes.txt"
    not_evidence.write_text("hello")
    code, stdout, stderr = run("verify", str(sample_package), str(damaged), str(not_evidence))
    assert code == 2  # the worst of: intact (0), damaged (1), not evidence (2)
    assert f"{sample_package}: intact" in stdout
    assert f"{damaged}: DAMAGED" in stdout and warc.name in stdout
    assert str(not_evidence) in stderr and "Traceback" not in stderr
    code, stdout, _ = run("verify", str(damaged), "--json")
    assert code == 1
    [report] = json.loads(stdout)
    assert report["valid"] is False and report["problems"]


def test_verify_a_bare_warc_from_the_package(sample_package: Path) -> None:
    warc = next((sample_package / "data" / "warc").glob("*.warc.gz"))
    code, stdout, _ = run("verify", str(warc))
    assert code == 0 and f"{warc}: intact: " in stdout and " records verified (warc;" in stdout
    assert "no digest" not in stdout and "not covered" not in stdout  # ours carry both


def test_demo_runs_offline_and_exits_0(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    code, stdout, stderr = run("demo", "-o", str(out))
    assert code == 0, stdout + stderr
    assert f"Report: {out / 'data' / 'report.html'}" in stdout
    assert f"{out}: intact" in stdout
    manifest = json.loads((out / "manifest.json").read_bytes())
    outcomes = [source["outcome"] for source in manifest["story"]["sources"]]
    # The sample cites a PDF twice, leaked memos, a think-tank brief, a page behind a
    # redirect and a page that is gone.
    assert len(manifest["story"]["citations"]) == 7
    assert sorted(outcomes) == ["captured"] * 4 + ["gone", "redirected"]
    assert_standard_tools_accept(out)


def test_version() -> None:
    code, stdout, _ = run("--version")
    assert code == 0 and stdout.startswith("archiver ")


def test_an_interrupted_demo_says_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    """SIGTERM mid-capture: exit 3, one line on stderr (no traceback from the sample server
    whose client went away), and no package."""
    import os
    import signal
    import subprocess
    import sys
    import time

    proc = subprocess.Popen([sys.executable, "-m", "archiver", "demo", "-o", "pkg"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": str(Path.cwd())})
    deadline = time.monotonic() + 20
    while not list(tmp_path.glob(".pkg.partial-*/data/warc/*")) and proc.poll() is None \
            and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=30)
    if proc.returncode == 0:  # the whole demo beat the signal: nothing to judge
        return
    assert proc.returncode == 3, stderr
    assert stderr.strip().splitlines() == ["archiver: interrupted; nothing was left "
                                           "half-written"]
    assert list(tmp_path.iterdir()) == []


# -- a reader that goes away (`archiver extract PKG --text | head`) -------------------------------


def run_into_a_closed_pipe(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`archiver ARGS` with its stdout a real pipe whose reader has already gone, as after
    `| head` has read its lines: the first line written meets EPIPE."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run([sys.executable, "-m", "archiver", *args], cwd=cwd,
                              stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=300,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    finally:
        os.close(write_end)


@pytest.mark.parametrize("args", [
    ["extract", "{package}", "--text"],
    ["extract", "{package}", "--json"],
    ["extract", "{package}"],
    ["verify", "{package}"],
    ["verify", "{package}", "--json"],
    ["export", "{package}", "--zip", "out.zip"],
    ["capture", "{report}", "-o", "out", "--allow-private"],
    ["story", "{story}", "-o", "out", "--allow-private", "--no-requisites"],
    ["story", "{story}", "--dry-run", "--allow-private"],
    ["--version"],
], ids=lambda args: " ".join(args[:1] + [a for a in args[1:] if a.startswith("--")]))
def test_a_reader_that_goes_away_ends_the_command_quietly(args: list[str], site: SiteServer,
                                                          sample_package: Path,
                                                          tmp_path: Path) -> None:
    # As any Unix tool: no message, no traceback; it ends by SIGPIPE, as `cat` or `grep`
    # would (the shell shows 141).
    places = {"package": str(sample_package), "report": site.url(REPORT_PATH),
              "story": site.url(STORY_PATH)}
    done = run_into_a_closed_pipe(*(arg.format(**places) for arg in args), cwd=tmp_path)

    assert (done.returncode, done.stderr) == (-signal.SIGPIPE, "")


def test_extract_text_into_head_stops_quietly(sample_package: Path, tmp_path: Path) -> None:
    # The report of issue 11 itself: `archiver extract PKG --text | head`. The package is
    # named 40 times, so that the text (4 KB a copy) overflows the pipe long before the end.
    proc = subprocess.Popen([sys.executable, "-m", "archiver", "extract",
                             *[str(sample_package)] * 40, "--text"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout is not None and proc.stderr is not None
    head = [proc.stdout.readline() for _ in range(10)]
    proc.stdout.close()  # what `head` does once it has its ten lines
    stderr = proc.stderr.read()
    proc.wait(timeout=120)

    assert head[0].startswith(b"==> ")
    assert (proc.returncode, stderr) == (-signal.SIGPIPE, b"")


# -- what a new user types -------------------------------------------------------------------------


def test_what_is_missing_is_named_all_at_once(tmp_path: Path) -> None:
    code, stdout, stderr = run("capture")
    assert (code, stdout) == (2, "")
    assert stderr == ("archiver: missing the URLs to capture (URLs or -i FILE) and the new "
                      "package's path (-o PKG)\n")
    code, _, stderr = run("capture", "https://example.org/")
    assert (code, stderr) == (2, "archiver: missing the new package's path (-o PKG)\n")
    code, _, stderr = run("story")
    assert (code, stderr) == (2, "archiver: missing the story (its URL or a draft file) and "
                                 "the new package's path (-o PKG, or --dry-run)\n")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("verb", "typed", "meant"), [
    ("capture", "example.org", "https://example.org"),
    ("capture", "news.example.org/2025/story?id=7", "https://news.example.org/2025/story?id=7"),
    ("story", "example.org", "https://example.org"),
    ("story", "news.example.org/2025/water-meters", "https://news.example.org/2025/water-meters"),
])
def test_an_address_without_its_scheme_is_a_usage_error(verb: str, typed: str, meant: str,
                                                        tmp_path: Path) -> None:
    # Not a sealed package of one failure: nothing is written, and the line says what was
    # probably meant. Nothing is fetched either (example.org is never contacted).
    out = tmp_path / "pkg"
    code, stdout, stderr = run(verb, typed, "-o", str(out))

    assert (code, stdout) == (2, "")
    assert stderr.count("\n") == 1
    assert stderr.startswith(f"archiver: {typed}: ")
    assert stderr.rstrip().endswith(f"did you mean {meant}?")
    assert list(tmp_path.iterdir()) == []


def test_every_mistyped_url_is_named_before_anything_is_written(site: SiteServer,
                                                                tmp_path: Path) -> None:
    code, _, stderr = run("capture", site.url(REPORT_PATH), "example.org/a", "ftp://x.test/f",
                          "-o", str(tmp_path / "pkg"), *TEST_SITE)
    assert code == 2
    assert stderr.splitlines() == [
        "archiver: example.org/a: not a URL (no http:// or https://); did you mean "
        "https://example.org/a?",
        "archiver: ftp://x.test/f: not an http(s) URL (scheme 'ftp:')"]
    assert site.all_hits == {} and list(tmp_path.iterdir()) == []


def test_a_url_list_given_as_a_url_is_named_as_such(tmp_path: Path) -> None:
    listing = tmp_path / "sources.txt"
    listing.write_text("https://example.org/\n", encoding="utf-8")
    code, _, stderr = run("capture", str(listing), "-o", str(tmp_path / "pkg"))
    assert (code, stderr) == (2, f"archiver: {listing}: a file, not a URL; to capture the URLs "
                                 f"it lists, give -i {listing}\n")
    assert not (tmp_path / "pkg").exists()


def test_a_missing_draft_named_like_a_file_is_not_taken_for_an_address(tmp_path: Path) -> None:
    code, _, stderr = run("story", "refunds.md", "-o", str(tmp_path / "pkg"))
    assert (code, stderr) == (2, "archiver: refunds.md: no such story draft (a URL, or an "
                                 "HTML, Markdown or text file)\n")


def test_story_takes_captures_size_time_retry_and_extraction_options(site: SiteServer,
                                                                     tmp_path: Path) -> None:
    # The same meaning as in `capture`: bodies cut at --max-size, --timeout per resource,
    # --retries after a reset, and --no-extract stores no text (the story is still read).
    cited = tmp_path / "cited.txt"
    # fail=2: a reset on a kept-alive connection is sent once more on a new one whatever
    # --retries says (the server may have closed it idle), so a second reset must follow.
    cited.write_text(f"{site.url('/fault/big')}\n{site.url('/fault/flaky?fail=2')}\n"
                     f"{site.url(REPORT_PATH)}\n", encoding="utf-8")
    out = tmp_path / "pkg"
    code, _, stderr = run("story", site.url(STORY_PATH), "-o", str(out), "--citations-from",
                          str(cited), "--max-size", "600KiB", "--timeout", "42", "--retries",
                          "0", "--no-extract", "--no-requisites", *TEST_SITE)

    assert code == 1, stderr  # the flaky source is not tried again
    assert_standard_tools_accept(out)
    manifest = json.loads((out / "manifest.json").read_bytes())
    settings = manifest["settings"]
    assert (settings["max_resource_bytes"], settings["resource_timeout"], settings["retries"],
            settings["extraction"]) == (600 * 1024, 42.0, 0, None)
    by_url = {resource["url"]: resource for resource in manifest["resources"]}
    big = by_url[site.url("/fault/big")]
    assert (big["truncated"], big["payload_length"]) == ("length", 600 * 1024)
    flaky = by_url[site.url("/fault/flaky?fail=2")]
    assert (flaky["outcome"], flaky["attempts"]) == ("failed", 1)
    assert site.hits("/fault/flaky?fail=2") in (1, 2)  # 2 only after a stale connection
    assert by_url[site.url(REPORT_PATH)]["outcome"] == "captured"
    assert not (out / "data" / "extract").exists()
    assert all(resource["derived"] == [] for resource in manifest["resources"])
    assert manifest["story"]["title"]  # read for its citations all the same


def test_the_capture_options_default_to_the_library_settings() -> None:
    """capture and story offer the library's own defaults (CaptureSettings), not copies."""
    import typer.main

    from archiver.settings import CaptureSettings

    defaults = CaptureSettings()
    library = {"requisites": defaults.requisites, "max_size": defaults.max_resource_bytes,
               "timeout": defaults.resource_timeout, "retries": defaults.retries,
               "insecure": not defaults.verify_tls, "ca_file": defaults.ca_file,
               "allow_private": defaults.allow_private, "extract": True,
               "read_timeout": defaults.read_timeout,
               "connect_timeout": defaults.connect_timeout, "per_host": defaults.per_host,
               "concurrency": defaults.concurrency, "warc_size": defaults.warc_max_bytes}
    group = typer.main.get_command(app)
    for verb, count in (("capture", 13), ("story", 8)):
        given = group.commands[verb].make_context(verb, []).params  # type: ignore[attr-defined]
        shared = {name: value for name, value in given.items() if name in library}
        assert len(shared) == count
        assert shared == {name: library[name] for name in shared}, verb


def test_every_verb_reports_errors_and_sigterm_the_same_way() -> None:
    from archiver.cli import reported

    for command in app.registered_commands:
        callback = command.callback
        assert callback is not None and callback.__code__ is reported(print).__code__, (
            callback.__name__)


def test_extract_of_a_missing_file_says_only_that(tmp_path: Path) -> None:
    missing = tmp_path / "old-collection.arc.gz"
    code, stdout, stderr = run("extract", str(missing))
    assert code == 2
    assert stdout == ""  # not also "no page, PDF or data file found"
    assert stderr == f"archiver: {missing}: no such file or directory\n"
