"""Evidence is sacred: a package appears whole or not at all, and nothing on disk is changed.

These run the real `archiver` command in a child process, so a signal or a full disk hits
it exactly as it would a user's run.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.server import SiteServer

ARCHIVER = [sys.executable, "-m", "archiver"]


def start_capture(site: SiteServer, out: Path, *paths: str,
                  limit_file_size: int | None = None) -> subprocess.Popen[str]:
    def limit() -> None:
        if limit_file_size is not None:
            # A file-size limit makes writes fail with EFBIG past it, as a full disk does with
            # ENOSPC (Python ignores SIGXFSZ, so the write raises instead of killing us).
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_file_size, limit_file_size))

    urls = [site.url(path) for path in paths]
    return subprocess.Popen([*ARCHIVER, "capture", *urls, "-o", str(out), "--retries", "0",
                             "--allow-private"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=limit)


def wait_for_partial(out: Path, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 20
    while not list(out.parent.glob(f".{out.name}.partial-*")):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.3)  # let it get into the slow fetch


def test_interrupt_leaves_nothing(site: SiteServer, tmp_path: Path) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        out = tmp_path / f"pkg-{sig.name}"
        process = start_capture(site, out, "/fault/slow?seconds=10", "/fault/drip")
        wait_for_partial(out, process)
        process.send_signal(sig)
        _, stderr = process.communicate(timeout=30)
        assert process.returncode == 3, stderr
        assert "interrupted" in stderr and "Traceback" not in stderr
        assert list(tmp_path.iterdir()) == [], "nothing may be left, not even the staging dir"


def test_kill_never_leaves_a_package(site: SiteServer, tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    process = start_capture(site, out, "/fault/slow?seconds=10")
    wait_for_partial(out, process)
    process.kill()
    process.communicate(timeout=30)
    assert not out.exists()
    [staging] = list(tmp_path.iterdir())
    assert staging.name.startswith(".pkg.partial-")
    assert not (staging / "tagmanifest-sha256.txt").exists()  # never a complete bag
    verify = subprocess.run([*ARCHIVER, "verify", str(staging)], capture_output=True, text=True)
    assert verify.returncode in (1, 2) and "Traceback" not in verify.stderr


def test_full_disk_exits_3_and_leaves_nothing(site: SiteServer, tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    process = start_capture(site, out, "/fault/big", limit_file_size=200_000)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 3, stderr
    assert stderr.startswith("archiver: ") and stderr.count("\n") == 1
    assert "too large" in stderr.lower() or "space" in stderr.lower()
    assert list(tmp_path.iterdir()) == []


def test_inputs_are_never_modified(site: SiteServer, tmp_path: Path) -> None:
    listing = tmp_path / "urls.txt"
    listing.write_text(site.url("/reports/harrow-point-meter-audit-2024.pdf") + "\n")
    before = (listing.read_bytes(), listing.stat().st_mtime_ns)
    subprocess.run([*ARCHIVER, "capture", "-i", str(listing), "-o", str(tmp_path / "pkg"),
                    "--allow-private"],
                   check=True, capture_output=True, env={**os.environ})
    assert (listing.read_bytes(), listing.stat().st_mtime_ns) == before
