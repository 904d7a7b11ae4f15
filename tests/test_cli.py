"""The `archiver` command driven for real: exit codes, messages, --json, on the test site."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import bagit
from typer.testing import CliRunner

from archiver.cli import app
from tests.conftest import assert_standard_tools_accept
from tests.server import DEAD_LINK_PATH, MOVED_PAGE_PATH, REPORT_PATH, STORY_PATH, SiteServer

FAST = ["--retries", "0", "--read-timeout", "5", "--timeout", "20"]
TEST_SITE = ["--allow-private"]
"""The test site is on 127.0.0.1, which a capture refuses unless told otherwise."""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_capture_writes_a_package_that_standard_tools_accept(site: SiteServer,
                                                             tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    code, stdout, stderr = run("capture", site.url(STORY_PATH), site.url(REPORT_PATH),
                               "-o", str(out), *FAST, *TEST_SITE)
    assert code == 0, stderr
    assert "2 of 2 sources captured" in stdout
    warcs = len(list((out / "data" / "warc").iterdir()))
    files = len((out / "manifest-sha256.txt").read_text().splitlines())
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
    out = tmp_path / "pkg"
    code, stdout, _ = run("capture", site.url(DEAD_LINK_PATH), "http://127.0.0.1:9/",
                          "not a url", "-o", str(out), *FAST, *TEST_SITE)
    assert code == 1
    assert "connection refused" in stdout
    assert "not a valid URL" in stdout
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
    assert code == 2 and "no URLs" in stderr
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
