"""`start_replay`: serve a package, a WARC or a WACZ on 127.0.0.1 with pywb, in a child process.

The parent (this module) works out what to serve and the index page; the child
(pywb_child.py, run by pywb's own Python) indexes the WARCs and serves them in archival mode
only. They share a private work directory, removed when the server stops.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from archiver.errors import EnvironmentFault
from archiver.replay.catalogue import Entry, catalogue
from archiver.replay.collection import Collection, open_collection
from archiver.replay.engine import find_pywb_python
from archiver.replay.index_page import NOT_FOUND_TEMPLATE, render_index

HOST = "127.0.0.1"
COLLECTION = "evidence"
"""The path prefix of every replayed URL: http://127.0.0.1:PORT/evidence/<time>/<url>."""
START_TIMEOUT = 120.0
STOP_TIMEOUT = 5.0
CHILD_SCRIPT = Path(__file__).with_name("pywb_child.py")
# pywb's own settings files and proxies must not change what the child does.
CLEARED_VARIABLES = ("PYWB_CONFIG_FILE", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
                     "http_proxy", "https_proxy", "all_proxy")


@dataclass(frozen=True)
class ReplayInfo:
    collection: Collection
    entries: list[Entry]


class ReplayServer:
    """A running replay: `url` is its index page. Stop it with `stop()` or a `with` block."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, info: ReplayInfo,
                 workdir: tempfile.TemporaryDirectory[str]) -> None:
        self._process = process
        self._workdir = workdir
        self.port = port
        self.url = f"http://{HOST}:{port}/"
        self.collection = info.collection
        self.entries = info.entries

    def replay_url(self, url: str, timestamp: str = "", mode: str = "") -> str:
        """Where `url` replays: framed by default; mode "id_" gives the archived payload as
        it was stored, "mp_" the page alone, rewritten to load from the archive."""
        selector = f"{timestamp}{mode}/" if timestamp or mode else ""
        return f"{self.url}{COLLECTION}/{selector}{url}"

    @property
    def is_running(self) -> bool:
        return self._process.poll() is None

    def wait(self, timeout: float | None = None) -> int | None:
        """Block until the engine stops (or `timeout` passes: None); its exit code."""
        try:
            return self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._workdir.cleanup()

    def __enter__(self) -> ReplayServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()


def start_replay(path: Path, *, port: int = 0) -> ReplayServer:
    """Serve the package, WARC or WACZ at `path` on 127.0.0.1:`port` (0: any free port).

    Returns once the server answers; its `url` is an index of every captured page and report.
    Nothing is ever fetched from the live web: what was not captured is a 404 "Not archived".
    Raises InputNotFoundError or NotEvidenceError (usage), ReplayEngineMissing when pywb is
    not installed, EnvironmentFault when the engine cannot start (the port is taken...).

    >>> with start_replay(Path("evidence/story1")) as server:   # doctest: +SKIP
    ...     print(server.url)
    """
    workdir = tempfile.TemporaryDirectory(prefix="archiver-replay-")
    try:
        root = Path(workdir.name)
        collection = open_collection(path, root / "wacz")
        python = find_pywb_python()
        info = ReplayInfo(collection, catalogue(collection))
        _write_job(root, info, port)
        process, bound = _launch(python, root)
    except BaseException:
        workdir.cleanup()
        raise
    return ReplayServer(process, bound, info, workdir)


def _write_job(root: Path, info: ReplayInfo, port: int) -> None:
    templates = root / "templates"
    templates.mkdir()
    (templates / "index.html").write_text(
        render_index(info.entries, collection=COLLECTION, source=info.collection.path), "utf-8")
    (templates / "not_found.html").write_text(NOT_FOUND_TEMPLATE, "utf-8")
    job = {"collection": COLLECTION, "warcs": [str(w) for w in info.collection.warcs],
           "archive_dir": str(info.collection.archive_dir), "host": HOST, "port": port,
           "parent_pid": os.getpid()}
    (root / "replay.json").write_text(json.dumps(job), "utf-8")


def _launch(python: Path, root: Path) -> tuple[subprocess.Popen[bytes], int]:
    env = {k: v for k, v in os.environ.items() if k not in CLEARED_VARIABLES}
    log = (root / "engine.log").open("wb")
    try:
        process = subprocess.Popen([str(python), str(CHILD_SCRIPT), str(root)], cwd=root,
                                   env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=log)
    except OSError as error:
        raise EnvironmentFault.from_os_error(error, python) from error
    finally:
        log.close()
    try:
        return process, _read_port(process, root / "engine.log")
    except BaseException:
        process.kill()
        process.wait()
        raise


def _read_port(process: subprocess.Popen[bytes], log: Path) -> int:
    """The child's first line: {"port": N} once it listens, {"error": ...} if it cannot."""
    assert process.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while not selector.select(timeout=max(0.0, deadline - time.monotonic())):
            if time.monotonic() >= deadline:
                raise EnvironmentFault("replay", f"pywb did not start in {START_TIMEOUT:.0f} s")
    line = process.stdout.readline()
    try:
        answer = json.loads(line)
    except ValueError:
        answer = {}
    if isinstance(answer, dict) and isinstance(answer.get("port"), int):
        return int(answer["port"])
    reason = answer.get("error") if isinstance(answer, dict) else None
    raise EnvironmentFault("replay", reason or f"pywb could not start: {_last_line(log)}")


def _last_line(log: Path) -> str:
    try:
        lines = log.read_text("utf-8", "replace").strip().splitlines()
    except OSError:
        lines = []
    return lines[-1] if lines else "it stopped without a word"
