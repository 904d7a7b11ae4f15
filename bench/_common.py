"""Helpers shared by the benchmark scripts in bench/ (and only by them).

- locating the repository, the shared/ folder and the `archiver` command;
- running a command while measuring its wall time and peak RSS (os.wait4: the kernel's
  rusage of that one child and everything it waited for, so no extra tools are needed), and,
  for tools that start processes of their own, the peak memory of the whole process tree
  (`TreeMemorySampler`: the sum of PSS over the tree, sampled from /proc);
- a threaded HTTP server on 127.0.0.1 that serves generated content, streamed;
- reading the WARC-Target-URI of response records with warcio;
- small formatting helpers (median, table, sizes) and a description of the machine.

Nothing here ever contacts anything but 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import platform
import random
import shutil
import socket
import socketserver
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
WORK_DIR = BENCH_DIR / "cache"  # git-ignored
LOOPBACK = "127.0.0.1"


# -- places and commands ----------------------------------------------------------------------

def default_shared_dir() -> Path:
    """The shared/ folder beside the repository (the repository's parent holds it)."""
    return REPO_DIR.parent / "shared"


def site_script(shared: Path | None) -> Path:
    path = (shared or default_shared_dir()) / "bench" / "site.py"
    if not path.is_file():
        raise SystemExit(f"bench: no site.py at {path} (use --shared DIR)")
    return path


def make_temp_dir(prefix: str) -> Path:
    """A fresh directory under the system temp dir, never inside the repository."""
    return Path(tempfile.mkdtemp(prefix=f"archiver-bench-{prefix}-"))


def archiver_command(via: str = "auto", experiments: Sequence[str] = ()) -> tuple[list[str], str]:
    """How to run `archiver ...`: the installed CLI, or (until the CLI works) a small shim
    that calls the library (capture only). With experiments, the CLI runs in a Python process
    that first applies them. Returns (argv prefix, description)."""
    if experiments:
        names = ",".join(experiments)
        return ([sys.executable, str(Path(__file__).resolve()), "cli", "--experiment", names],
                f"archiver CLI with experiments {names}")
    compile_sources()
    if via in ("auto", "cli"):
        exe = Path(sys.executable).with_name("archiver")
        cli = [str(exe)] if exe.exists() else [sys.executable, "-m", "archiver"]
        probe = subprocess.run([*cli, "--version"], capture_output=True, text=True)
        if probe.returncode == 0:
            return cli, f"{' '.join(cli)} ({probe.stdout.strip()})"
        if via == "cli":
            raise SystemExit(f"bench: the archiver CLI does not run: {probe.stderr.strip()[-300:]}")
        print("bench: the archiver CLI does not run yet; capturing through the library",
              file=sys.stderr)
    return [sys.executable, str(Path(__file__).resolve())], "library shim (bench/_common.py)"


def compile_sources(repo: Path = REPO_DIR) -> None:
    """Byte-compile archiver's sources, as `pip install` does for every package (the peers'
    included). An editable install under PYTHONDONTWRITEBYTECODE=1, as on these machines,
    would otherwise compile them again at every start (~0.1 s of CPU per run)."""
    import compileall

    compileall.compile_dir(str(repo / "archiver"), quiet=1)


def tool_version(argv: Sequence[str]) -> str:
    try:
        out = subprocess.run(list(argv), capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "unavailable"
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0] if text else "unknown"


def code_version(repo: Path = REPO_DIR) -> str:
    """The commit archiver runs from, and whether archiver/ differs from it (read-only git)."""
    try:
        head = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--",
                                "archiver"], capture_output=True, text=True,
                               timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return f"{head or 'unknown'}{' + uncommitted changes in archiver/' if dirty else ''}"


def machine_info() -> dict[str, str]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "unknown"
    with contextlib.suppress(OSError, ValueError, IndexError):
        kb = int(Path("/proc/meminfo").read_text().split("\n")[0].split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "memory": mem,
        "os": platform.platform(),
        "python": platform.python_version(),
        "code": code_version(),
        "load": load_note(),
    }


def load_note() -> str:
    """The 1-minute load average, flagged when other work competes for the CPUs."""
    try:
        load = os.getloadavg()[0]
    except OSError:
        return "unknown"
    busy = load > 0.5
    if busy:
        print(f"bench: warning: load average {load:.2f} before starting: other processes "
              "compete for the CPU and the timings will be noisy", file=sys.stderr)
    return f"{load:.2f}{' (busy machine)' if busy else ''}"


# -- measuring a command --------------------------------------------------------------------

@dataclass
class Run:
    argv: list[str]
    seconds: float
    peak_rss_kib: int
    returncode: int
    user_s: float
    sys_s: float
    stdout: str = ""
    stderr: str = ""
    peak_tree_pss_kib: int | None = None
    """Peak of the summed PSS of the process and all its descendants (TreeMemorySampler)."""
    peak_tree_rss_kib: int | None = None

    @property
    def peak_mb(self) -> float:
        return self.peak_rss_kib * 1024 / 1e6

    @property
    def peak_tree_mb(self) -> float:
        """The whole tree's peak PSS in MB, or the one process's peak RSS if not sampled."""
        if self.peak_tree_pss_kib is None:
            return self.peak_mb
        return self.peak_tree_pss_kib * 1024 / 1e6

    def tail(self, n: int = 800) -> str:
        return (self.stdout[-n:] + "\n" + self.stderr[-n:]).strip()


def measure(argv: Sequence[str], *, cwd: Path | None = None,
            env: dict[str, str] | None = None, sampler: SocketSampler | None = None,
            memory: TreeMemorySampler | None = None) -> Run:
    """Run argv to completion; wall time, peak RSS (KiB, from wait4) and CPU of that child
    (its own and that of every child it waited for); with `memory`, also the peak PSS and
    RSS summed over its process tree.

    Output goes to temporary files, not pipes, so a chatty tool cannot stall on a full pipe
    and nothing but the process itself is measured.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(argv), cwd=cwd, env=env, stdout=out, stderr=err,
                                stdin=subprocess.DEVNULL)
        if sampler is not None:
            sampler.start(proc.pid)
        if memory is not None:
            memory.start(proc.pid)
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            if sampler is not None:
                sampler.stop()
            if memory is not None:
                memory.stop()
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(list(argv), seconds, usage.ru_maxrss, proc.returncode, usage.ru_utime,
                   usage.ru_stime, out.read().decode("utf-8", "replace"),
                   err.read().decode("utf-8", "replace"),
                   memory.peak_pss_kib if memory is not None and memory.samples else None,
                   memory.peak_rss_kib if memory is not None and memory.samples else None)


def warm_cache(paths: Iterable[Path]) -> None:
    """Read files once so every timed tool starts with them in the page cache."""
    for path in paths:
        with path.open("rb") as fh:
            while fh.read(8 * 1024 * 1024):
                pass


# -- serving on loopback --------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"bench: the server exited early (code {proc.returncode})")
        with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), timeout=1):
            return
        time.sleep(0.1)
    raise SystemExit(f"bench: nothing listening on {LOOPBACK}:{port} after {timeout:.0f} s")


@contextlib.contextmanager
def shared_site(shared: Path | None, workdir: Path, *, pages: int, pdfs: int,
                latency_ms: float) -> Iterator[tuple[int, Path]]:
    """Run ../shared/bench/site.py on a free loopback port; yield (port, urls.txt)."""
    port = free_port()
    urls = workdir / "urls.txt"
    log = (workdir / "site.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, str(site_script(shared)), "--port", str(port), "--pages", str(pages),
         "--pdfs", str(pdfs), "--latency-ms", str(latency_ms), "--urls-out", str(urls)],
        stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    try:
        wait_for_port(port, 120, proc)
        yield port, urls
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


Body = Callable[[], Iterator[bytes]]


@dataclass
class Resource:
    content_type: str
    length: int
    body: Body
    """Yields the body in chunks; called once per request, so nothing is held in memory."""


@dataclass
class GeneratedSite:
    """A threaded HTTP/1.1 server on 127.0.0.1 serving generated bodies with Content-Length."""

    resources: dict[str, Resource] = field(default_factory=dict)
    port: int = 0

    @contextlib.contextmanager
    def running(self) -> Iterator[str]:
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                found = site.resources.get(self.path.split("?", 1)[0])
                if found is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", found.content_type)
                self.send_header("Content-Length", str(found.length))
                self.end_headers()
                sent = 0
                for chunk in found.body():
                    self.wfile.write(chunk)
                    sent += len(chunk)
                assert sent == found.length, (self.path, sent, found.length)

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
            allow_reuse_address = True
            request_queue_size = 256

        server = Server((LOOPBACK, self.port), Handler)
        self.port = int(server.server_address[1])
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://{LOOPBACK}:{self.port}"
        finally:
            server.shutdown()
            server.server_close()


# -- generated content -------------------------------------------------------------------------

MIB = 1024 * 1024


class Corpus:
    """Deterministic generated content: every body is a function of its path and the seed."""

    def __init__(self, seed: int = 7) -> None:
        rnd = random.Random(seed)
        self.random_pool = rnd.randbytes(8 * MIB)
        syllables = ["ka", "ri", "to", "ne", "sa", "mu", "lo", "pe", "di", "fa", "go", "hu",
                     "ji", "be", "ze", "qu", "vi", "wo", "xa", "yu", "ch", "st", "tr", "an",
                     "er", "in", "on", "el"]
        vocab = ["".join(rnd.choice(syllables) for _ in range(rnd.randint(1, 4)))
                 for _ in range(3000)]
        weights = [1 / (i + 1) for i in range(len(vocab))]  # Zipf-like, as in prose
        words = rnd.choices(vocab, weights, k=700_000)
        sentences = (" ".join(words[i:i + 15]).capitalize() for i in range(0, len(words), 15))
        self.text_pool = ("<p>" + ".</p>\n<p>".join(sentences) + ".</p>\n").encode()

    @staticmethod
    def _slices(pool: bytes, start: int, length: int) -> Iterator[bytes]:
        start %= len(pool)
        while length > 0:
            chunk = pool[start:start + min(length, MIB)]
            yield chunk
            length -= len(chunk)
            start = (start + len(chunk)) % len(pool)

    def random_body(self, index: int, length: int) -> Resource:
        start = index * 7919 * 64
        return Resource("image/jpeg", length,
                        lambda: self._slices(self.random_pool, start, length))

    def html_body(self, index: int, length: int) -> Resource:
        head = (f'<!doctype html><html><head><meta charset="utf-8"><title>Page {index}</title>'
                f'</head><body><article><h1>Page {index}</h1>\n').encode()
        tail = b"</article></body></html>\n"
        middle = length - len(head) - len(tail)
        start = index * 104729

        def body() -> Iterator[bytes]:
            yield head
            yield from self._slices(self.text_pool, start, middle)
            yield tail

        return Resource("text/html; charset=utf-8", length, body)

    def site(self, scale: float) -> GeneratedSite:
        rnd = random.Random(11)
        site = GeneratedSite()
        for i in range(int(4000 * scale)):
            site.resources[f"/page/{i}.html"] = self.html_body(i, rnd.randint(20_000, 120_000))
            site.resources[f"/img/{i}.jpg"] = self.random_body(i, rnd.randint(10_000, 150_000))
        for i in range(int(8 * scale)):
            site.resources[f"/media/{i}.bin"] = self.random_body(100_000 + i, 16 * MIB)
        for i in range(int(4 * scale)):
            site.resources[f"/text/{i}.html"] = self.html_body(200_000 + i, 32 * MIB)
        return site


# -- reading WARCs ----------------------------------------------------------------------------

def warc_files(root: Path) -> list[Path]:
    """The WARC files in a package (data/warc/) or a directory, or the file itself."""
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*") if p.is_file() and
                  (p.name.endswith(".warc.gz") or p.name.endswith(".warc")))


def response_uris(paths: Iterable[Path]) -> list[str]:
    """WARC-Target-URI of every response record, in file order (duplicates kept)."""
    from warcio.archiveiterator import ArchiveIterator

    uris: list[str] = []
    for path in paths:
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "response":
                    uris.append(record.rec_headers.get_header("WARC-Target-URI"))
    return uris


# -- reporting --------------------------------------------------------------------------------

def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


def table(rows: Sequence[Sequence[object]], headers: Sequence[str]) -> str:
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
             for row in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def remove_tree(path: Path, keep: bool) -> None:
    if keep:
        print(f"bench: kept {path}", file=sys.stderr)
    else:
        shutil.rmtree(path, ignore_errors=True)


# -- counting connections ---------------------------------------------------------------------

class SocketSampler:
    """Samples how many sockets one process holds open (from /proc/PID/fd, every `interval`
    seconds), and how many distinct sockets it opened. For a capture client that talks only to
    the benchmark site, the peak is an upper bound on its connections at once. Linux only;
    elsewhere it reports nothing. (Reading /proc/net/tcp instead costs ~10 ms of CPU per
    sample on some kernels, enough to slow the run it measures.)"""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.peak = 0
        self.seen: set[str] = set()
        self.samples = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, pid: int) -> None:
        fd_dir = Path(f"/proc/{pid}/fd")
        if not fd_dir.parent.exists():
            return
        self._thread = threading.Thread(target=self._loop, args=(fd_dir,), daemon=True)
        self._thread.start()

    def _loop(self, fd_dir: Path) -> None:
        while not self._stop.is_set():
            now = set()
            with contextlib.suppress(OSError):
                for entry in os.scandir(fd_dir):
                    with contextlib.suppress(OSError):
                        target = os.readlink(entry.path)
                        if target.startswith("socket:"):
                            now.add(target)
            self.samples += 1
            self.peak = max(self.peak, len(now))
            self.seen |= now
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


class TreeMemorySampler:
    """Samples the memory of a process and all its descendants, every `interval` seconds,
    and keeps the peak of their sum.

    PSS (proportional set size, from /proc/PID/smaps_rollup) counts a page shared by N
    processes as 1/N in each, so the sum over a tree that forked is the memory the tree
    really holds: a forked child's copy-on-write pages are not counted twice, as a sum of
    RSS would count them (kept too, as an upper bound). Descendants are found from the
    parent pid in /proc/*/stat. Sampling misses peaks shorter than the interval; verify's
    memory rises to a plateau and stays there, so the interval need not be short (each
    sample costs ~1 ms of CPU). Linux only; elsewhere it reports nothing.
    """

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.peak_pss_kib = 0
        self.peak_rss_kib = 0
        self.most_processes = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, pid: int) -> None:
        if not Path(f"/proc/{pid}/smaps_rollup").exists():
            return
        self._thread = threading.Thread(target=self._loop, args=(pid,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _loop(self, root: int) -> None:
        while not self._stop.is_set():
            tree = self._tree(root)
            pss = rss = 0
            for pid in tree:
                found = self._rollup(pid)
                pss += found.get("Pss", 0)
                rss += found.get("Rss", 0)
            if tree and rss:
                self.samples += 1
                self.peak_pss_kib = max(self.peak_pss_kib, pss)
                self.peak_rss_kib = max(self.peak_rss_kib, rss)
                self.most_processes = max(self.most_processes, len(tree))
            self._stop.wait(self.interval)

    @staticmethod
    def _tree(root: int) -> list[int]:
        children: dict[int, list[int]] = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError, ValueError, IndexError):
                with open(f"/proc/{entry.name}/stat", "rb") as fh:
                    parent = int(fh.read().rsplit(b")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
        tree, pending = [], [root]
        while pending:
            pid = pending.pop()
            tree.append(pid)
            pending.extend(children.get(pid, ()))
        return tree

    @staticmethod
    def _rollup(pid: int) -> dict[str, int]:
        found: dict[str, int] = {}
        with contextlib.suppress(OSError, ValueError), \
                open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh.read().split(b"\n"):
                name, _, value = line.partition(b":")
                if name in (b"Rss", b"Pss"):
                    found[name.decode()] = int(value.split()[0])
        return found


def handle_signals() -> None:
    """SIGTERM, and SIGINT even when started in the background (where it is ignored), raise
    KeyboardInterrupt, so the servers and work directories are cleaned up."""
    import signal

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, interrupt)


# -- experiments: candidate changes to archiver, applied from outside for measurement -------------
# Nothing under archiver/ is edited; these patch classes at run time so that the effect of a
# recommended change can be measured end to end before anyone writes it properly.

class _QuickAckSocket(socket.socket):
    __slots__ = ()

    def recv(self, size: int, flags: int = 0) -> bytes:  # type: ignore[override]
        data = super().recv(size, flags)
        with contextlib.suppress(OSError):
            self.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        return data


def transport_modules() -> tuple[Any, Any]:
    """(module with ConnectionPool, module with HttpTransport), across archiver's layouts."""
    import importlib

    try:
        return (importlib.import_module("archiver.capture.connections"),
                importlib.import_module("archiver.capture.http_transport"))
    except ImportError:
        http = importlib.import_module("archiver.capture.http")
        return http, http


def experiment_quickack() -> None:
    """Sockets re-arm TCP_QUICKACK after every recv (Linux), so a server that writes its
    headers and its body in two send() calls is not held up by our delayed ACK (Nagle on
    the server side waits for that ACK before sending a short body: a 40 ms stall).
    archiver does this itself since commit 5e0e345 (Connection.ack_quickly); then this is a
    no-op."""
    connections, _ = transport_modules()
    if hasattr(connections.Connection, "ack_quickly"):
        print("bench: experiment quickack: archiver already acknowledges at once; no-op",
              file=sys.stderr)
        return
    original = connections.ConnectionPool.open

    def open_(self, origin, url):  # type: ignore[no-untyped-def]
        conn = original(self, origin, url)
        if type(conn.sock) is socket.socket and hasattr(socket, "TCP_QUICKACK"):
            conn.sock.__class__ = _QuickAckSocket
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        return conn

    connections.ConnectionPool.open = open_


def experiment_split_slots(factor: int = 2) -> None:
    """A per-host slot is held only while on the network: the frontier admits factor x
    per_host tasks per host, and a per-origin semaphore of per_host around
    HttpTransport.fetch keeps the connections in use per host at per_host. Compressing and
    writing the records no longer keeps the next request of that host waiting."""
    from archiver.capture import frontier
    from archiver.capture.urls import origin_of

    _, http = transport_modules()
    semaphores: dict[object, threading.BoundedSemaphore] = {}
    guard = threading.Lock()
    original_fetch = http.HttpTransport.fetch
    original_init = frontier.Frontier.__init__

    def init(self, *, per_host, concurrency):  # type: ignore[no-untyped-def]
        original_init(self, per_host=per_host * factor, concurrency=concurrency)

    def fetch(self, request, sink_factory=None):  # type: ignore[no-untyped-def]
        origin = origin_of(request.url)
        with guard:
            sem = semaphores.get(origin)
            if sem is None:
                sem = semaphores[origin] = threading.BoundedSemaphore(self.settings.per_host)
        with sem:
            return original_fetch(self, request, sink_factory)

    frontier.Frontier.__init__ = init  # type: ignore[method-assign]
    http.HttpTransport.fetch = fetch


def experiment_isal_gzip(level: int = 2) -> None:
    """Record gzip members compressed with ISA-L (isal, already a dependency for inflating)
    at `level` instead of zlib at settings.gzip_level: standard gzip members, ~20x faster on
    text than zlib level 6, ~15% larger. Stored (level 0) members stay zlib's."""
    import types
    import zlib

    from isal import isal_zlib

    from archiver.warc import records

    def compressobj(lvl: int = -1, method: int = zlib.DEFLATED, wbits: int = zlib.MAX_WBITS,
                    *args: Any) -> Any:
        if lvl == 0:
            return zlib.compressobj(0, method, wbits)
        return isal_zlib.compressobj(level, method, wbits)

    proxy = types.SimpleNamespace(**{k: getattr(zlib, k) for k in dir(zlib)
                                     if not k.startswith("__")})
    proxy.compressobj = compressobj
    records.zlib = proxy  # type: ignore[assignment]


EXPERIMENTS: dict[str, Callable[[], None]] = {
    "quickack": experiment_quickack,
    "split-slots": experiment_split_slots,
    "isal-gzip": experiment_isal_gzip,
}


def apply_experiments(names: Iterable[str]) -> None:
    for name in names:
        if name not in EXPERIMENTS:
            known = ", ".join(EXPERIMENTS)
            raise SystemExit(f"bench: unknown experiment {name!r} (known: {known})")
        EXPERIMENTS[name]()


# -- command-line entry points used by the scripts --------------------------------------------
# `python bench/_common.py cli [--experiment A,B] ARGS...`: the archiver CLI with experiments.
# `python bench/_common.py capture URL... [-i FILE] -o PKG [--max-size SIZE]`: capture through
#     the library (a stand-in for when the CLI does not run).

def _library_capture(argv: Sequence[str]) -> int:
    import argparse

    from archiver.package.build import create_package
    from archiver.settings import CaptureSettings, parse_size

    parser = argparse.ArgumentParser(prog="_common.py capture")
    parser.add_argument("urls", nargs="*")
    parser.add_argument("-i", "--input", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--max-size", default="2GiB")
    parser.add_argument("--allow-private", action="store_true")
    args = parser.parse_args(argv)
    urls = list(args.urls)
    if args.input:
        urls += [line.strip() for line in args.input.read_text().splitlines()
                 if line.strip() and not line.startswith("#")]
    settings = CaptureSettings(max_resource_bytes=parse_size(args.max_size),
                               allow_private=args.allow_private)
    result = create_package(urls, args.output, settings=settings)
    return 0 if result.is_complete else 1


def _cli_with_experiments(argv: list[str]) -> int:
    if argv[:1] == ["--experiment"]:
        apply_experiments(n for n in argv[1].split(",") if n)
        argv = argv[2:]
    from archiver.cli import main as cli_main

    sys.argv = ["archiver", *argv]
    try:
        cli_main()
    except SystemExit as done:
        return int(done.code or 0) if not isinstance(done.code, str) else 1
    return 0


if __name__ == "__main__":
    mode, rest = (sys.argv[1] if len(sys.argv) > 1 else ""), sys.argv[2:]
    if mode == "capture":
        raise SystemExit(_library_capture(rest))
    if mode == "cli":
        raise SystemExit(_cli_with_experiments(rest))
    raise SystemExit("usage: _common.py capture URL... [-i FILE] -o PKG | "
                     "_common.py cli [--experiment A,B] ARGS...")
