"""pywb's own environment, which archiver sets up on the first replay and reuses after.

pywb cannot live in archiver's environment (pywb_child.py says why), and a person who has just
run the README's install line has it nowhere. So the first `archiver replay` makes a virtual
environment for it under the user's cache directory ($XDG_CACHE_HOME/archiver, else
~/.cache/archiver), installs there the one pywb version replay is tested with, and every later
replay uses it. The test suite sets up its own copy, under .cache/peers/, with this same code.

- One setup at a time: an exclusive flock on a file beside the environment. A second archiver
  says it is waiting, waits, and then finds the environment ready.
- Never half-made: the environment is built in a hidden directory beside its final place,
  checked (pywb imports, at the pinned version), marked ready, and only then renamed into place.
  A directory without the mark (an older, interrupted setup) is not ready, and is replaced.
- pip runs as the user would run it, so their pip configuration (index, mirror, proxy,
  certificates) applies. When it cannot install pywb, the error says exactly how to provide it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from archiver.errors import ReplayEngineMissing

PYWB_VERSION = "2.10.0"
"""The pywb replay is tested with (response_guard.py reads routes as this version does)."""
PYWB_REQUIREMENT = f"pywb=={PYWB_VERSION}"
PYTHON_VARIABLE = "ARCHIVER_PYWB_PYTHON"
"""The Python of an environment that has pywb, when a person provides their own."""
READY_MARK = "ready"
"""Written last, before the rename: an environment without it was never finished."""
SETUP_TIMEOUT = 900.0
"""Seconds for each step of the setup (making the environment, pip): bounded, never hung."""
PROVIDE_HINT = (f"provide it yourself: `python3 -m venv DIR && DIR/bin/pip install "
                f"{PYWB_REQUIREMENT}`, then set {PYTHON_VARIABLE}=DIR/bin/python")
# What pip says when it could not reach the index: a connection that failed (refused, no
# route, no name, a timeout, a proxy or TLS failure on the way).
_UNREACHABLE_SIGNS = ("NewConnectionError", "Max retries exceeded", "Failed to establish a new "
                      "connection", "Name or service not known", "Temporary failure in name "
                      "resolution", "ProxyError", "SSLError", "ConnectTimeoutError",
                      "ReadTimeoutError", "connection error")
_ERRNO_REASON = re.compile(r"\[Errno -?\d+\] ([^'\")\]]{1,120})")
_INDEXES = re.compile(r"^Looking in indexes: (\S+)", re.MULTILINE)
DEFAULT_INDEX = "https://pypi.org/simple"

Notify = Callable[[str], None]


def engine_missing(reason: str) -> ReplayEngineMissing:
    """The error that says pywb cannot be had, and how to provide it by hand."""
    return ReplayEngineMissing(reason, PROVIDE_HINT)


def cache_root() -> Path:
    """archiver's folder in the user's cache: $XDG_CACHE_HOME/archiver, else ~/.cache/archiver
    (a relative XDG_CACHE_HOME is ignored, as the XDG specification says)."""
    configured = os.environ.get("XDG_CACHE_HOME")
    if configured and Path(configured).is_absolute():
        return Path(configured) / "archiver"
    try:
        home = Path.home()
    except RuntimeError as error:  # no HOME and no password entry
        raise engine_missing(f"there is no home folder to keep pywb in ({error}); "
                             "set XDG_CACHE_HOME to a folder of yours") from None
    return home / ".cache" / "archiver"


def environment_dir(cache: Path) -> Path:
    return cache / f"pywb-{PYWB_VERSION}"


def environment_python(environment: Path) -> Path:
    return environment / "bin" / "python"


def is_ready(environment: Path) -> bool:
    """Finished (marked) for this pywb version, and its Python still runs: a Python upgrade
    can remove the interpreter a virtual environment links to."""
    try:
        mark = (environment / READY_MARK).read_text("utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return False
    python = environment_python(environment)
    return mark == PYWB_VERSION and python.is_file() and os.access(python, os.X_OK)


def provide_pywb(cache: Path | None = None, notify: Notify | None = None) -> Path:
    """The Python of the environment with pywb under `cache` (default: `cache_root()`), set
    up first if it is not there yet; `notify` gets a line to show for each step of the setup
    (it takes a minute or two, once). Raises ReplayEngineMissing when it cannot be set up."""
    cache = cache if cache is not None else cache_root()
    environment = environment_dir(cache)
    if is_ready(environment):
        return environment_python(environment)
    say = notify or (lambda line: None)
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise engine_missing(f"cannot make {cache} to set pywb up in "
                             f"({error.strerror or error})") from None
    with _setup_lock(cache / f"pywb-{PYWB_VERSION}.lock", say):
        if not is_ready(environment):  # another archiver may have set it up meanwhile
            _set_up(cache, environment, say)
    return environment_python(environment)


@contextlib.contextmanager
def _setup_lock(path: Path, say: Notify) -> Iterator[None]:
    try:
        handle = path.open("a")
    except OSError as error:
        raise engine_missing(f"cannot open {path} ({error.strerror or error})") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"waiting for another archiver that is setting up pywb in {path.parent}...")
            fcntl.flock(handle, fcntl.LOCK_EX)  # released by the kernel if that one dies
        yield


def _set_up(cache: Path, environment: Path, say: Notify) -> None:
    """Build the environment beside its place and rename it in; we hold the lock, so any
    other build directory is a leftover of a setup that was killed."""
    for leftover in cache.glob(f".pywb-{PYWB_VERSION}-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    say(f"setting up pywb {PYWB_VERSION} for replay in {environment} "
        "(once; this takes a minute or two)...")
    started = time.monotonic()
    try:
        build = Path(tempfile.mkdtemp(prefix=f".pywb-{PYWB_VERSION}-", dir=cache))
    except OSError as error:
        raise engine_missing(f"cannot write in {cache} ({error.strerror or error})") from None
    try:
        _build(build)
        (build / READY_MARK).write_text(f"{PYWB_VERSION}\n", "utf-8")
        if environment.exists() or environment.is_symlink():  # unfinished or broken: replace
            stale = Path(tempfile.mkdtemp(prefix=f".pywb-{PYWB_VERSION}-", dir=cache))
            environment.rename(stale / "old")
            shutil.rmtree(stale, ignore_errors=True)
        build.rename(environment)
    except OSError as error:
        raise engine_missing(f"cannot set pywb up in {cache} "
                             f"({error.strerror or error})") from None
    finally:
        shutil.rmtree(build, ignore_errors=True)  # gone already when it was renamed
    say(f"pywb {PYWB_VERSION} is ready ({time.monotonic() - started:.0f} s); "
        "later replays start at once")


def _build(build: Path) -> None:
    """A virtual environment in `build` with pywb installed and checked."""
    log = build / "setup.log"
    python = environment_python(build)
    # Made by the Python archiver runs on, which `python3 -m venv` (the README's install
    # line) has shown can make environments with pip.
    problem = _run([sys.executable, "-m", "venv", str(build)], log)
    if problem:
        raise engine_missing(f"could not make a virtual environment for pywb ({problem})")
    problem = _run([str(python), "-m", "pip", "install", "--disable-pip-version-check",
                    "--no-input", PYWB_REQUIREMENT], log)
    if problem:
        raise engine_missing(_install_failure(_tail(log), problem))
    check = ("import importlib.metadata as m, pywb.apps.frontendapp, gevent; "
             "print(m.version('pywb'))")
    problem = _run([str(python), "-c", check], log, expect=PYWB_VERSION)
    if problem:
        raise engine_missing(f"pywb {PYWB_VERSION} was installed but does not load "
                             f"({problem})")


def _install_failure(output: str, problem: str) -> str:
    """Why pip could not install pywb, in a phrase: the index it could not reach (and how the
    connection failed), or its last line.

    >>> reason = _install_failure("Looking in indexes: http://127.0.0.1:9/simple\\nRetrying "
    ...     "after NewConnectionError(': Failed to establish a new connection: [Errno 111] "
    ...     "Connection refused')", "ERROR: No matching distribution found for pywb==2.10.0")
    >>> reason.split(": ", 1)[1]
    'the package index http://127.0.0.1:9/simple could not be reached (Connection refused)'
    """
    indexes = _INDEXES.search(output)
    index = indexes.group(1) if indexes else DEFAULT_INDEX
    if any(sign in output for sign in _UNREACHABLE_SIGNS):
        errno = _ERRNO_REASON.search(output)
        how = f" ({errno.group(1).strip()})" if errno else ""
        return (f"could not install pywb {PYWB_VERSION}: the package index {index} could not "
                f"be reached{how}")
    if "(from versions: none)" in output:  # pip names no failed connection without retries
        return (f"could not install pywb {PYWB_VERSION}: the package index {index} could not "
                "be reached, or has no pywb")
    return f"could not install pywb {PYWB_VERSION} ({problem.removeprefix('ERROR: ')})"


def _run(command: list[str], log: Path, expect: str | None = None) -> str | None:
    """None when `command` worked (and printed `expect`, if given), else why not: the last
    line it wrote. Its output goes to `log`, not to the terminal."""
    with log.open("ab") as out:
        start = out.tell()
        try:
            done = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=out,
                                  stderr=subprocess.STDOUT, timeout=SETUP_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            return f"{Path(command[0]).name} took over {SETUP_TIMEOUT:.0f} s"
        except OSError as error:
            return f"{command[0]}: {error.strerror or error}"
    written = _tail(log, start)
    if done.returncode == 0 and (expect is None or written.strip().endswith(expect)):
        return None
    lines = [line.strip() for line in written.splitlines() if line.strip()]
    return lines[-1][:300] if lines else f"exit {done.returncode}"


def _tail(log: Path, start: int = 0, limit: int = 64 * 1024) -> str:
    """The last `limit` bytes of `log` after `start`: pip's output can be long."""
    try:
        with log.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(start, size - limit))
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
