"""Helpers shared by the benchmark scripts in bench/ (and only by them).

- locating the repository, the shared/ folder and the `archiver` command;
- running a command while measuring its wall time and peak RSS (os.wait4: the kernel's
  rusage of that one child and everything it waited for, so no extra tools are needed);
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

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
WORK_DIR = BENCH_DIR / "work"  # git-ignored
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


def archiver_command(via: str = "auto") -> tuple[list[str], str]:
    """How to run `archiver ...`: the installed CLI, or (until the CLI works) a small shim
    that calls the library (capture only). Returns (argv prefix, description)."""
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


def tool_version(argv: Sequence[str]) -> str:
    try:
        out = subprocess.run(list(argv), capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "unavailable"
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0] if text else "unknown"


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
    }


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

    @property
    def peak_mb(self) -> float:
        return self.peak_rss_kib * 1024 / 1e6

    def tail(self, n: int = 800) -> str:
        return (self.stdout[-n:] + "\n" + self.stderr[-n:]).strip()


def measure(argv: Sequence[str], *, cwd: Path | None = None,
            env: dict[str, str] | None = None) -> Run:
    """Run argv to completion; wall time, peak RSS (KiB, from wait4) and CPU of that child.

    Output goes to temporary files, not pipes, so a chatty tool cannot stall on a full pipe
    and nothing but the process itself is measured.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(argv), cwd=cwd, env=env, stdout=out, stderr=err,
                                stdin=subprocess.DEVNULL)
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(list(argv), seconds, usage.ru_maxrss, proc.returncode, usage.ru_utime,
                   usage.ru_stime, out.read().decode("utf-8", "replace"),
                   err.read().decode("utf-8", "replace"))


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


# -- a stand-in for `archiver capture` while the CLI is not usable -----------------------------

def _library_capture(argv: Sequence[str]) -> int:
    """`capture URL... [-i FILE] -o PKG [--max-size SIZE]` through the library."""
    import argparse

    from archiver.package.build import create_package
    from archiver.settings import CaptureSettings, parse_size

    parser = argparse.ArgumentParser(prog="_common.py capture")
    parser.add_argument("urls", nargs="*")
    parser.add_argument("-i", "--input", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--max-size", default="2GiB")
    args = parser.parse_args(argv)
    urls = list(args.urls)
    if args.input:
        urls += [line.strip() for line in args.input.read_text().splitlines()
                 if line.strip() and not line.startswith("#")]
    settings = CaptureSettings(max_resource_bytes=parse_size(args.max_size))
    result = create_package(urls, args.output, settings=settings)
    return 0 if result.is_complete else 1


if __name__ == "__main__":
    if sys.argv[1:2] != ["capture"]:
        raise SystemExit("usage: _common.py capture URL... [-i FILE] -o PKG [--max-size SIZE]")
    raise SystemExit(_library_capture(sys.argv[2:]))
