"""`archiver replay` right after the README's install line: archiver sets pywb up in an
environment of its own under the user's cache directory on the first replay, says so on
stderr, and reuses it after (archiver/replay/pywb_setup.py).

The first test is the whole of it, as a new user meets it: a clean virtual environment, the
project installed into it with pip, a cache directory of its own, `archiver replay`. It needs
the package index (pip's, as configured) and is skipped, saying so, when that cannot be
reached. The others need no index: one that cannot be reached is the case they test.
"""

from __future__ import annotations

import fcntl
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest

from archiver.replay.pywb_setup import (
    PYTHON_VARIABLE,
    PYWB_VERSION,
    environment_dir,
    is_ready,
)
from tests.server import STORY_PATH
from tests.test_replay import get, needs_pywb

ROOT = Path(__file__).resolve().parent.parent
SETUP_SECONDS = 1200.0
"""A bound for a whole first run (pip installing archiver, then pywb) on a slow machine."""
NOT_SOURCE = shutil.ignore_patterns(".git", ".cache", ".venv", "build", "dist", "*.egg-info",
                                    "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache",
                                    ".hypothesis", "bench")
# Variables that would name a pywb, an environment or archiver's source to the run under test.
NOT_INHERITED = (PYTHON_VARIABLE, "PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")


def user_environment(cache: Path, **extra: str) -> dict[str, str]:
    """The environment of a user who has set nothing for archiver, with `cache` as their
    cache directory. pip keeps its own download cache where it was, so the run does not
    download anew what this machine already has."""
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    pip_cache = os.environ.get("PIP_CACHE_DIR") or str(_default_cache() / "pip")
    env.update(XDG_CACHE_HOME=str(cache), PIP_CACHE_DIR=pip_cache, **extra)
    return env


def _default_cache() -> Path:
    configured = os.environ.get("XDG_CACHE_HOME")
    return Path(configured) if configured else Path.home() / ".cache"


def unreachable_index(cache: Path, port: int) -> dict[str, str]:
    """A user whose package index is a closed port on 127.0.0.1, and nothing else: no pip
    configuration file, no other index or folder of packages."""
    env = user_environment(cache, PIP_CONFIG_FILE=os.devnull,
                           PIP_INDEX_URL=f"http://127.0.0.1:{port}/simple",
                           PIP_RETRIES="1")  # pip's default of 5 backs off for 8 s
    for name in ("PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL", "PIP_NO_INDEX"):
        env.pop(name, None)
    return env


@contextmanager
def closed_port() -> Iterator[int]:
    """A port on 127.0.0.1 that is bound but never listens: every connection is refused."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]


def index_problem() -> str | None:
    """Why pip (as configured here) cannot find pywb on its package index, or None."""
    try:
        done = subprocess.run([sys.executable, "-m", "pip", "index", "versions", "pywb",
                               "--disable-pip-version-check", "--no-input"],
                              capture_output=True, text=True, timeout=300, check=False)
    except subprocess.TimeoutExpired:
        return "pip took over 300 s to ask the package index"
    if done.returncode == 0 and PYWB_VERSION in done.stdout:
        return None
    lines = (done.stderr or done.stdout).strip().splitlines()
    return lines[-1] if lines else f"pip exited {done.returncode}"


class Lines:
    """The lines a process writes on a pipe, read by a thread of their own, so that waiting for
    one has a deadline (a select on the pipe would miss lines Python has buffered already)."""

    def __init__(self, pipe: IO[str]) -> None:
        self._lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, args=(pipe,), daemon=True).start()

    def _read(self, pipe: IO[str]) -> None:
        for line in pipe:
            self._lines.put(line)
        self._lines.put("")  # the end

    def next(self, deadline: float) -> str:
        try:
            line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(f"nothing more said in time, after {self.seen}") from None
        self.seen.append(line)
        return line

    def rest(self) -> list[str]:
        """Every line left, once the process has ended."""
        while self.next(time.monotonic() + 60) != "":
            pass
        return [line.rstrip("\n") for line in self.seen if line]


def start(command: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], Lines, Lines]:
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None and process.stderr is not None
    return process, Lines(process.stdout), Lines(process.stderr)


@contextmanager
def replaying(command: list[str], env: dict[str, str]) -> Iterator[tuple[str, list[str]]]:
    """Run `archiver replay`; yield the address it prints, and a list that holds its stderr
    lines once the block ends. The block's end stops it with Ctrl-C: it must exit 0."""
    said: list[str] = []
    process, out, err = start(command, env)
    try:
        deadline = time.monotonic() + SETUP_SECONDS
        assert out.next(deadline).startswith("Replaying "), err.seen
        yield out.next(deadline).split()[1], said
        process.send_signal(signal.SIGINT)
        assert process.wait(60) == 0, err.rest()
        said.extend(err.rest())
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def setup_lines(stderr: list[str]) -> list[str]:
    return [line for line in stderr if "pywb" in line]


# -- a new user's first replay -------------------------------------------------------------------


def test_replay_sets_pywb_up_on_first_use_from_a_clean_install(sample_package: Path,
                                                               tmp_path: Path) -> None:
    problem = index_problem()
    if problem:
        pytest.skip(f"pip cannot reach its package index to install archiver and pywb: {problem}")
    source = tmp_path / "archiver-source"
    shutil.copytree(ROOT, source, symlinks=True, ignore=NOT_SOURCE)
    venv = tmp_path / "venv"
    cache = tmp_path / "cache"
    env = user_environment(cache)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env)
    installed = subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet",
                                "--disable-pip-version-check", str(source)], env=env,
                               capture_output=True, text=True, timeout=SETUP_SECONDS, check=False)
    assert installed.returncode == 0, installed.stderr[-2000:]
    archiver = str(venv / "bin" / "archiver")
    environment = environment_dir(cache / "archiver")

    with replaying([archiver, "replay", str(sample_package)], env) as (address, stderr):
        index = get(address)
        story = re.search(rb'href="/evidence/([0-9]{14})/([^"]*' + STORY_PATH.encode() + b')"',
                          index.body)
        assert index.status == 200 and story is not None, index.body[:2000]
        when, url = story.group(1).decode(), story.group(2).decode()
        page = get(f"{address}evidence/{when}mp_/{url}")  # the page itself, not its frame
        assert page.status == 200 and b"3,812 homes" in page.body
    first = setup_lines(stderr)
    assert first[0] == (f"archiver: setting up pywb {PYWB_VERSION} for replay in {environment} "
                        "(once; this takes a minute or two)..."), stderr
    assert re.fullmatch(rf"archiver: pywb {re.escape(PYWB_VERSION)} is ready \([0-9]+ s\); "
                        "later replays start at once", first[1]), stderr
    assert is_ready(environment)
    assert sorted(p.name for p in environment.parent.iterdir()) == [
        environment.name, f"{environment.name}.lock"]  # no build directory left behind

    with replaying([archiver, "replay", str(sample_package)], env) as (address, stderr):
        assert get(address).status == 200
    assert setup_lines(stderr) == []  # the second replay uses what the first set up


# -- when pywb cannot be had ---------------------------------------------------------------------


def run_archiver(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """This worktree's archiver, as a command, in `env`."""
    env = {**env, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "archiver", *args], env=env,
                          capture_output=True, text=True, timeout=SETUP_SECONDS, check=False)


def test_an_unreachable_index_says_exactly_how_to_provide_pywb(sample_package: Path,
                                                               tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    environment = environment_dir(cache / "archiver")
    half_made = environment / "bin" / "python"  # a setup killed before it was marked ready
    half_made.parent.mkdir(parents=True)
    half_made.symlink_to(sys.executable)
    with closed_port() as port:
        done = run_archiver(["replay", str(sample_package)], unreachable_index(cache, port))
    assert done.returncode == 3 and done.stdout == ""
    assert done.stderr.splitlines() == [
        f"archiver: setting up pywb {PYWB_VERSION} for replay in {environment} (once; this "
        "takes a minute or two)...",
        f"archiver: replay: could not install pywb {PYWB_VERSION}: the package index "
        f"http://127.0.0.1:{port}/simple could not be reached (Connection refused); provide it "
        f"yourself: `python3 -m venv DIR && DIR/bin/pip install pywb=={PYWB_VERSION}`, then set "
        f"{PYTHON_VARIABLE}=DIR/bin/python"]
    assert not is_ready(environment)
    assert not list(environment.parent.glob(".pywb-*"))  # the failed build was removed


@needs_pywb
def test_a_second_first_run_waits_for_the_setup_under_way(sample_package: Path,
                                                          tmp_path: Path) -> None:
    """Two replays start on a machine without pywb: the second waits for the first's setup,
    then uses it, installing nothing itself (here it could not: its index is closed)."""
    cache = tmp_path / "cache"
    environment = environment_dir(cache / "archiver")
    environment.parent.mkdir(parents=True)
    with closed_port() as port, (environment.parent / f"{environment.name}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the first run, setting up
        command = [sys.executable, "-m", "archiver", "replay", str(sample_package)]
        env = {**unreachable_index(cache, port), "PYTHONPATH": str(ROOT)}
        process, out, err = start(command, env)
        try:
            deadline = time.monotonic() + SETUP_SECONDS
            assert err.next(deadline) == (f"archiver: waiting for another archiver that is "
                                          f"setting up pywb in {environment.parent}...\n")
            _finish_setup_with_the_suites_pywb(environment)
            fcntl.flock(lock, fcntl.LOCK_UN)
            assert out.next(deadline).startswith("Replaying "), err.seen
            address = out.next(deadline).split()[1]
            assert get(address).status == 200
            process.send_signal(signal.SIGINT)
            assert process.wait(60) == 0
            assert setup_lines(err.rest()[1:]) == []  # it set nothing up itself
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def _finish_setup_with_the_suites_pywb(environment: Path) -> None:
    """What the first run leaves when it is done: a marked environment. Its python runs the
    suite's pywb (a script, as `bin/python` may be)."""
    suites = os.environ[PYTHON_VARIABLE]
    python = environment / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f'#!/bin/sh\nexec "{suites}" "$@"\n', "utf-8")
    python.chmod(0o755)
    (environment / "ready").write_text(f"{PYWB_VERSION}\n", "utf-8")
