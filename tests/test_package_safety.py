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

import pytest

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
    assert not (staging / "pkg" / "tagmanifest-sha256.txt").exists()  # never a complete bag
    verify = subprocess.run([*ARCHIVER, "verify", str(staging)], capture_output=True, text=True)
    assert verify.returncode == 1 and "INCOMPLETE" in verify.stdout, verify.stdout


def wait_for_warc(out: Path, process: subprocess.Popen[str], size: int) -> Path:
    """The WARC a run is writing, once it holds more than `size` bytes."""
    deadline = time.monotonic() + 20
    while True:
        found = [warc for warc in out.parent.glob(f".{out.name}.partial-*/**/data/warc/*.warc.gz")
                 if warc.stat().st_size > size]
        if found:
            return found[0]
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)


def verify_cli(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ARCHIVER, "verify", str(path)], capture_output=True, text=True,
                          timeout=120)


def test_a_killed_capture_is_incomplete_and_the_next_run_clears_it(site: SiteServer,
                                                                   tmp_path: Path) -> None:
    """kill -9 mid-capture: the leftover WARC and directories verify as incomplete (exit 1,
    never "intact"); the next capture into the same folder removes them, saying so in one
    line, and leaves alone the partial of a run that is still going."""
    dead_out = tmp_path / "dead"
    dead = start_capture(site, dead_out, "/fault/big", "/fault/slow?seconds=30")
    warc = wait_for_warc(dead_out, dead, 50_000)  # /fault/big is in it; /fault/slow hangs
    dead.kill()
    dead.communicate(timeout=30)
    [hidden] = tmp_path.glob(".dead.partial-*")
    for path in (warc, hidden, hidden / "dead"):
        verify = verify_cli(path)
        assert verify.returncode == 1, verify.stdout + verify.stderr
        assert "INCOMPLETE" in verify.stdout and "intact" not in verify.stdout
        assert f"left by a run that did not finish (pid {dead.pid} " in verify.stdout

    live_out = tmp_path / "live"  # the next run: it clears the dead run's partial, then waits
    live = start_capture(site, live_out, "/fault/slow?seconds=30")
    try:
        wait_for_partial(live_out, live)
        assert not hidden.exists()
        [live_hidden] = tmp_path.glob(".live.partial-*")
        done = start_capture(site, tmp_path / "next", "/fault/big")
        _, stderr = done.communicate(timeout=60)
        assert done.returncode == 0 and stderr == "", stderr  # a live run's partial: no word
        assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
            [live_hidden.name, "next"])
        assert (live_hidden / "archiver-run.lock").is_file() and (live_hidden / "live").is_dir()
    finally:
        live.kill()
        _, stderr = live.communicate(timeout=30)
    [line] = stderr.splitlines()
    assert line.startswith(f"archiver: removed {hidden}, left by a run that did not finish "
                           f"(pid {dead.pid} ") and line.endswith(" freed"), line


KILL_AT_PLACING = """
import os, signal, sys

target, when = sys.argv[1], sys.argv[2]
state = {"placed": False, "dying": False}


def die() -> None:
    state["dying"] = True
    os.kill(os.getpid(), signal.SIGKILL)


def hook(event, args):
    # Audit events come before the call they announce: "before" dies as the rename (or link)
    # into place is asked for; "after" at the next event once it is done.
    if state["dying"]:
        return
    if state["placed"] and os.path.lexists(target):
        die()
    if event in ("os.rename", "os.link") and os.fspath(args[1]) == target:
        if when == "before":
            die()
        state["placed"] = True


sys.addaudithook(hook)
from archiver.cli import main
sys.argv = ["archiver", *sys.argv[3:]]
main()
"""


def killed_while_placing(out: Path, when: str, *args: str) -> None:
    done = subprocess.run([sys.executable, "-c", KILL_AT_PLACING, str(out), when, *args],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_kill_while_moving_into_place_never_leaves_a_complete_looking_output(
        site: SiteServer, sample_package: Path, tmp_path: Path, when: str) -> None:
    """SIGKILL at the final rename of a package (and the final link of an export): at the
    output path there is a package or zip that verifies, or nothing; what is left beside it
    verifies as incomplete (a sealed bag that was never moved into place too), and the next
    run clears it away."""
    out = tmp_path / "pkg"
    killed_while_placing(out, when, "capture", site.url("/fault/big"), "-o", str(out),
                         "--allow-private")
    [hidden] = tmp_path.glob(".pkg.partial-*")
    assert_placed_whole_or_not_at_all(out, hidden, sealed="tagmanifest-sha256.txt")
    wacz = tmp_path / "pkg.wacz"  # a run into the same folder: it clears the capture's
    killed_while_placing(wacz, when, "export", str(sample_package), "--wacz", str(wacz))
    [hidden_wacz] = tmp_path.glob(".pkg.wacz.partial-*")
    assert not hidden.exists()
    assert_placed_whole_or_not_at_all(wacz, hidden_wacz, sealed="")
    final = start_capture(site, tmp_path / "final", "/fault/big")
    _, stderr = final.communicate(timeout=60)
    assert final.returncode == 0, stderr
    assert stderr.startswith(f"archiver: removed {hidden_wacz}, ") and not list(
        tmp_path.glob(".*"))


def assert_placed_whole_or_not_at_all(out: Path, hidden: Path, *, sealed: str) -> None:
    if out.exists():
        verify = verify_cli(out)
        assert verify.returncode == 0 and "intact" in verify.stdout, verify.stdout
        left = {path.name for path in hidden.iterdir()}  # an export's zip is linked into place
        assert "archiver-run.lock" in left and left <= {"archiver-run.lock", out.name}
    else:
        work = hidden / out.name if (hidden / out.name).exists() else hidden
        assert (work / sealed).is_file()  # finished, but never moved into place
        verify = verify_cli(work)
        assert verify.returncode == 1 and "INCOMPLETE" in verify.stdout, verify.stdout


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
