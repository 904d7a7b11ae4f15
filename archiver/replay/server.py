"""`start_replay`: serve a package, a WARC or ARC file, or a WACZ on 127.0.0.1 with pywb, in a
child process.

The parent (this module) reads each WARC once with archiver's own reader (warc_scan.py): what
pywb may index, the index page, the records that cannot be replayed (skipped, named). The child
(pywb_child.py, run by pywb's own Python) indexes those records and serves them in archival
mode only. They share a private work directory, removed when the server stops.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from archiver.errors import ArchiverUsageError, EnvironmentFault
from archiver.replay.catalogue import Entry, catalogue
from archiver.replay.collection import Collection, open_collection, open_packages
from archiver.replay.engine import find_pywb_python
from archiver.replay.index_page import NOT_FOUND_TEMPLATE, render_index
from archiver.replay.pywb_setup import Notify
from archiver.replay.warc_scan import SkipList, Skipped, WarcScan, scan_warc
from archiver.replay_address import COLLECTION, HOST

START_TIMEOUT = 120.0
STOP_TIMEOUT = 5.0
CHILD_SCRIPT = Path(__file__).with_name("pywb_child.py")
# pywb's own settings files and proxies must not change what the child does.
CLEARED_VARIABLES = ("PYWB_CONFIG_FILE", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
                     "http_proxy", "https_proxy", "all_proxy")


class NothingToReplay(ArchiverUsageError):
    """A WARC, package or WACZ in which no capture can be replayed (exit 2)."""

    def __init__(self, path: Path, skipped: SkipList) -> None:
        reason = "it holds no http or https capture"
        if skipped.total:
            reason = (f"none of its captures can be read ({skipped.total} record"
                      f"{'s' if skipped.total != 1 else ''} skipped, the first: "
                      f"{skipped.named[0]})")
        super().__init__(f"{path}: nothing in it can be replayed: {reason}")
        self.path = path
        self.skipped = skipped


@dataclass(frozen=True)
class ReplayInfo:
    collection: Collection
    entries: list[Entry]
    skipped: SkipList


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
        self.skipped = info.skipped
        """The records that cannot be replayed, each named with its reason."""

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


def start_replay(path: Path | Sequence[Path], *, port: int = 0, pywb_python: Path | None = None,
                 notify: Notify | None = None) -> ReplayServer:
    """Serve the package, WARC or ARC file, or WACZ at `path` on 127.0.0.1:`port` (0: any
    free port).

    Returns once the server answers; its `url` is an index of every captured page and report.
    The server fetches nothing from the live web (what was not captured is a 404 "Not
    archived"), and every response keeps the browser on it (response_guard.py).
    A record that cannot be replayed (no target URI, a bad date, a damaged member...) is left
    out and named in `skipped`; the rest is served. Raises InputNotFoundError,
    NotEvidenceError or NothingToReplay (usage), ReplayEngineMissing when pywb is not where
    `pywb_python` (else $ARCHIVER_PYWB_PYTHON) says or cannot be set up, EnvironmentFault
    when the engine cannot start (the port is taken...).

    pywb runs with `pywb_python`, else $ARCHIVER_PYWB_PYTHON, else in an environment archiver
    sets up for it on the first replay (a minute or two, once; `notify` gets a line to show
    for each step; see archiver.replay.pywb_setup).

    >>> with start_replay(Path("evidence/story1")) as server:   # doctest: +SKIP
    ...     print(server.url)
    """
    paths = [path] if isinstance(path, Path) else list(path)
    if not paths:
        raise ArchiverUsageError("nothing to replay: give a package, WARC or WACZ")
    path = paths[0]
    workdir = tempfile.TemporaryDirectory(prefix="archiver-replay-")
    try:
        root = Path(workdir.name)
        collection = (open_collection(paths[0], root / "wacz") if len(paths) == 1 else
                      open_packages(paths, root / "warcs"))
        python = find_pywb_python(pywb_python, notify)
        scans = [scan_warc(warc) for warc in collection.warcs]
        skipped = SkipList()
        for scan in scans:
            skipped.extend(scan.skipped)
        if not any(scan.captures for scan in scans):
            raise NothingToReplay(path, skipped)
        _write_job(root, collection, scans, port)
        process, answer = _launch(python, root)
        server = _started(process, answer, collection, scans, skipped, workdir)
    except BaseException:
        workdir.cleanup()
        raise
    return server


def _write_job(root: Path, collection: Collection, scans: list[WarcScan], port: int) -> None:
    templates = root / "templates"
    templates.mkdir()
    (templates / "not_found.html").write_text(NOT_FOUND_TEMPLATE, "utf-8")
    warcs = [{"path": str(scan.path), "ranges": scan.ranges} for scan in scans]
    job = {"collection": COLLECTION, "warcs": warcs, "archive_dir": str(collection.archive_dir),
           "host": HOST, "port": port, "parent_pid": os.getpid()}
    (root / "replay.json").write_text(json.dumps(job), "utf-8")


def _started(process: subprocess.Popen[bytes], answer: dict[str, Any], collection: Collection,
             scans: list[WarcScan], skipped: SkipList,
             workdir: tempfile.TemporaryDirectory[str]) -> ReplayServer:
    """The running server, once the engine has said what it indexed; the index page is
    written now, without what pywb could not index. NothingToReplay if that was all."""
    unread: set[tuple[str, int]] = set()
    for item in answer.get("unindexed") or []:
        name, offset = str(item.get("warc")), int(item.get("offset", -1))
        unread.add((name, offset))
        skipped.add(Skipped(name, offset, str(item.get("reason"))))
    skipped.total += max(0, int(answer.get("unindexed_total", 0)) - len(unread))
    if not answer.get("indexed"):
        _stop(process)
        raise NothingToReplay(collection.path, skipped)
    for scan in scans:
        scan.found = [f for f in scan.found if (scan.path.name, f.offset) not in unread]
    info = ReplayInfo(collection, catalogue(collection, scans), skipped)
    page = render_index(info.entries, collection=COLLECTION, source=collection.path)
    (Path(workdir.name) / "templates" / "index.html").write_text(page, "utf-8")
    return ReplayServer(process, int(answer["port"]), info, workdir)


def _launch(python: Path, root: Path) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
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
        return process, _read_answer(process, root / "engine.log")
    except BaseException:
        _stop(process)
        raise


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.kill()
    process.wait()
    if process.stdout is not None:
        process.stdout.close()


def _read_answer(process: subprocess.Popen[bytes], log: Path) -> dict[str, Any]:
    """The child's first line: {"port": N, "indexed": N, "unindexed": [...]} once it listens,
    {"error": ...} if it cannot."""
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
        return answer
    reason = answer.get("error") if isinstance(answer, dict) else None
    raise EnvironmentFault("replay", reason or f"pywb could not start: {_last_line(log)}")


def _last_line(log: Path) -> str:
    try:
        lines = log.read_text("utf-8", "replace").strip().splitlines()
    except OSError:
        lines = []
    return lines[-1] if lines else "it stopped without a word"
