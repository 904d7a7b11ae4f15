"""Peer tools the tests use as judges and that cannot live in archiver's own environment, set
up on first use under .cache/peers/ (git-ignored) so the README's one test line is enough:

- pywb, in a virtual environment of its own (it would replace Google's brotli with brotlipy
  and pin shared packages; see docs/decisions.md), for `archiver replay`: set up by the very
  code archiver sets up its own with (archiver/replay/pywb_setup.py), here in the repository;
- ReplayWeb.page's files (ui.js, sw.js) from the npm registry (`npm pack`, pinned: RWP_PACKAGE),
  for the tests that replay exported WACZs in Chromium (tests/test_replayweb.py).

And one that needs no setting up: py-wacz's `wacz validate` (the [test] extra), the judge of
every WACZ archiver writes.

Each is set up once per machine (about 40 s for pywb, 3 s for ReplayWeb.page); a failure (no
network, no npm) leaves the tests that need it skipped, with the reason. `python -m tests.peers`
sets them up ahead of the suite and says how each was found (.ci/run does).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from archiver.errors import ArchiverError
from archiver.replay.pywb_setup import PYTHON_VARIABLE, environment_dir, provide_pywb

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "peers"
RWP_PACKAGE = "replaywebpage@2.4.6"
PYWB_VARIABLE = PYTHON_VARIABLE
RWP_VARIABLE = "ARCHIVER_RWP_DIR"
WACZ_TOOL = Path(sys.executable).parent / "wacz"


def wacz_validate(path: Path) -> str:
    """`wacz validate -f` (py-wacz) passes `path`; it exits 1 and prints "Validation failed"
    on failure. Skips the test when py-wacz is not installed."""
    if not WACZ_TOOL.exists():
        pytest.skip("py-wacz (the [test] extra) provides `wacz validate`")
    done = subprocess.run([str(WACZ_TOOL), "validate", "-f", str(path)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Validation succeeded" in done.stdout, done.stdout
    return done.stdout


@contextmanager
def _locked(name: str) -> Iterator[None]:
    """One test process sets a peer up at a time (pytest-xdist, or two runs at once)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _run(command: list[str], cwd: Path | None = None) -> str | None:
    """None when it worked, else the last line it printed."""
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600,
                          check=False)
    if done.returncode == 0:
        return None
    lines = (done.stderr or done.stdout).strip().splitlines()
    return lines[-1] if lines else f"exit {done.returncode}"


def pywb_python() -> tuple[Path | None, str]:
    """The Python of a virtual environment with pywb, and how it was found or why not."""
    given = os.environ.get(PYWB_VARIABLE)
    if given:
        return Path(given), f"{PYWB_VARIABLE}={given}"
    try:
        return provide_pywb(CACHE), f"set up in {environment_dir(CACHE)}"
    except ArchiverError as error:
        return None, str(error)


def replaywebpage_dir() -> tuple[Path | None, str]:
    """A folder with ReplayWeb.page's ui.js and sw.js, and how it was found or why not."""
    given = os.environ.get(RWP_VARIABLE)
    if given:
        return Path(given), f"{RWP_VARIABLE}={given}"
    folder = CACHE / "replaywebpage"
    with _locked("replaywebpage"):
        if (folder / "package" / "ui.js").is_file():
            return folder / "package", f"cached in {folder}"
        npm = shutil.which("npm")
        if npm is None:
            return None, "npm is not installed"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        problem = _run([npm, "pack", "--silent", RWP_PACKAGE], cwd=folder)
        packs = sorted(folder.glob("replaywebpage-*.tgz"))
        if problem or not packs:
            return None, f"npm pack {RWP_PACKAGE} failed: {problem}"
        with tarfile.open(packs[0]) as archive:
            archive.extractall(folder, filter="data")
    return folder / "package", f"unpacked in {folder}"


def provide() -> dict[str, str]:
    """Set the variables archiver and the tests read; what was done, for the report header."""
    notes = {}
    for variable, find in ((PYWB_VARIABLE, pywb_python), (RWP_VARIABLE, replaywebpage_dir)):
        found, how = find()
        if found is not None:
            os.environ[variable] = str(found)
        notes[variable] = how
    return notes


if __name__ == "__main__":
    for variable, how in provide().items():
        print(f"peer {variable}: {how}")
