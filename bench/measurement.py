"""Measuring for the benchmark scripts in bench/ (and only for them).

- locating the repository and the `archiver` command, and describing the machine and the code;
- running a command while measuring its wall time, CPU time and peak RSS (os.wait4: the
  kernel's rusage of that one child and everything it waited for, so no extra tools are
  needed), and, for tools that start processes of their own, the peak memory of the whole
  process tree (`TreeMemorySampler`: the sum of PSS over the tree, sampled from /proc);
- counting a process's sockets (`SocketSampler`);
- finding a package's WARCs and reading their responses' URIs (warcio);
- small formatting helpers (median, table, sizes).

The sites the benchmarks capture are in generated_site.py.
"""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
WORK_DIR = BENCH_DIR / "cache"  # git-ignored


# -- places and commands ----------------------------------------------------------------------

def make_temp_dir(prefix: str) -> Path:
    """A fresh directory under the system temp dir, never inside the repository."""
    return Path(tempfile.mkdtemp(prefix=f"archiver-bench-{prefix}-"))


def archiver_command(experiments: Sequence[str] = ()) -> tuple[list[str], str]:
    """How to run `archiver ...`: the CLI installed beside this Python (or `python -m
    archiver`); with experiments, the CLI in a Python process that first applies them (see
    experiments.py). Returns (argv prefix, description)."""
    if experiments:
        names = ",".join(experiments)
        return ([sys.executable, str(BENCH_DIR / "experiments.py"), "--experiment", names],
                f"archiver CLI with experiments {names}")
    compile_sources()
    exe = Path(sys.executable).with_name("archiver")
    cli = [str(exe)] if exe.exists() else [sys.executable, "-m", "archiver"]
    probe = subprocess.run([*cli, "--version"], capture_output=True, text=True)
    if probe.returncode != 0:
        raise SystemExit(f"bench: the archiver CLI does not run: {probe.stderr.strip()[-300:]}")
    return cli, f"{' '.join(cli)} ({probe.stdout.strip()})"


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
    bench_rss_kib: int = 0
    """The bench process's own peak RSS (VmHWM) when it started the command: a floor under
    `peak_rss_kib`, see `peak_text`."""

    @property
    def peak_mb(self) -> float:
        return self.peak_rss_kib * 1024 / 1e6

    @property
    def peak_is_the_tool_s(self) -> bool:
        """Whether `peak_rss_kib` is the tool's own peak. Linux carries the peak RSS of the
        memory a vfork'd child shared with the bench (subprocess starts commands so) across
        exec into the child's ru_maxrss: a value no higher than the bench's own peak at the
        start may be the bench's, and only says the tool's peak was no higher."""
        return self.peak_rss_kib > self.bench_rss_kib

    def peak_text(self) -> str:
        """The peak RSS in MB for a table: "<= N" when it may be the bench's own."""
        return f"{self.peak_mb:.0f}" if self.peak_is_the_tool_s else f"<= {self.peak_mb:.0f}"

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
            memory: TreeMemorySampler | None = None, orphans: bool = False) -> Run:
    """Run argv to completion; wall time, peak RSS (KiB, from wait4) and CPU of that child
    (its own and that of every child it waited for); with `memory`, also the peak PSS and
    RSS summed over its process tree.

    Output goes to temporary files, not pipes, so a chatty tool cannot stall on a full pipe
    and nothing but the process itself is measured.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        bench_rss = own_peak_rss_kib()
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
        if orphans:
            usage = _with_orphans(usage)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(list(argv), seconds, usage.ru_maxrss, proc.returncode, usage.ru_utime,
                   usage.ru_stime, out.read().decode("utf-8", "replace"),
                   err.read().decode("utf-8", "replace"),
                   memory.peak_pss_kib if memory is not None and memory.samples else None,
                   memory.peak_rss_kib if memory is not None and memory.samples else None,
                   bench_rss)


def adopt_orphans() -> bool:
    """Make this process the one the processes a measured command leaves behind are handed
    to when it exits (Linux's child subreaper), so that `measure(..., orphans=True)` can
    count their CPU: multiprocessing's fork server, say, outlives the command by a moment,
    and the workers it started are its children, never the command's. Whether it could."""
    if not hasattr(os, "waitid"):
        return False
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1) == 0
    except (OSError, AttributeError):
        return False


_PR_SET_CHILD_SUBREAPER = 36


def _with_orphans(usage: Any) -> Any:
    """`usage` plus that of every child left to this process (see adopt_orphans): waits until
    none is left, so call it only from a bench that has no other child running."""
    user, system, peak = usage.ru_utime, usage.ru_stime, usage.ru_maxrss
    while True:
        try:
            _, _, more = os.wait4(-1, 0)
        except ChildProcessError:
            break
        user, system = user + more.ru_utime, system + more.ru_stime
        peak = max(peak, more.ru_maxrss)
    return SimpleNamespace(ru_utime=user, ru_stime=system, ru_maxrss=peak)


def own_peak_rss_kib() -> int:
    """This process's peak RSS so far (VmHWM, KiB); 0 where /proc does not say."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def warm_cache(paths: Iterable[Path]) -> None:
    """Read files once so every timed tool starts with them in the page cache."""
    for path in paths:
        with path.open("rb") as fh:
            while fh.read(8 * 1024 * 1024):
                pass

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
