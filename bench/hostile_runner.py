"""Run one `archiver` command on a hostile input, bounded, and measure it.

The command runs in a session of its own, so everything it starts (the extraction and verify
worker processes, multiprocessing's fork server) can be found and ended by pid: the members of
that session. While it runs, a thread samples the memory of the whole session every 20 ms (the
session's members are looked up again every 100 ms):

- **peak tree RSS**: the largest sum of resident memory (VmRSS) over every process of the
  session at one sample. Pages shared between a process and its forked children count once
  per process, so this is an upper bound of what the tree holds; a peak shorter than 20 ms can
  be missed. The reported peak is never below the largest peak RSS of a single process that
  the kernel kept for it (VmHWM, read at each sample, so short peaks are caught too).

- **peak tree anonymous memory**: the same sum of RssAnon only, leaving out the pages of files
  a process maps (a PDF reader that maps a 512 MiB file has it in its RSS, but the kernel can
  drop those pages at will).

  Not `ru_maxrss` from wait4: a child started by vfork (as subprocess does) inherits, at exec,
  the peak RSS of the parent it shared memory with, so it would report the bench's own size.

A run is stopped, its whole session killed, when it passes the time limit ("hung") or when
the tree passes the memory limit ("memory"): a hostile case must not take the machine down with
it. Nothing is sent anywhere; output goes to temporary files, not pipes, so a chatty run cannot
stall on a full pipe.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

SAMPLE_SECONDS = 0.02
RESCAN_EVERY = 5
"""The session's members are looked up every 5th sample (100 ms): a scan of /proc costs ~1.9 ms
of CPU with 110 processes, reading the known members' memory ~0.05 ms."""
KEEP_HEAD, KEEP_TAIL = 64 * 1024, 256 * 1024
"""Of a long output only its start and end are kept (a verify can print millions of lines)."""
CONTROL_MARKS = {"\r": "\\r", "\n": "\\n", "\t": "\\t"}


@dataclass
class Measured:
    """What one bounded run of a command did."""

    argv: list[str]
    seconds: float
    exit_code: int | None
    """None when the bench killed it."""
    killed: str | None
    """"hung" (past the time limit) or "memory" (past the memory limit), else None."""
    peak_tree_rss_kib: int
    peak_process_rss_kib: int
    peak_tree_anon_kib: int
    most_processes: int
    stdout: bytes
    stderr: bytes
    output_bytes: int = 0
    """The full size of stdout and stderr together (only their ends are kept)."""
    left_behind: int = 0
    """Processes of its session still alive after it exited (ended by the bench)."""

    @property
    def peak_mb(self) -> float:
        return max(self.peak_tree_rss_kib, self.peak_process_rss_kib) * 1024 / 1e6

    @property
    def peak_anon_mb(self) -> float:
        return self.peak_tree_anon_kib * 1024 / 1e6

    @property
    def output_text(self) -> str:
        return (self.stdout + b"\n" + self.stderr).decode("utf-8", "replace")

    def last_line(self, width: int = 160) -> str:
        """The last non-empty line of stderr (of stdout when stderr is empty), escaped."""
        for label, stream in (("", self.stderr), ("stdout: ", self.stdout)):
            # split at line feeds only: a raw CR or other control inside a line is shown
            lines = [line for line in stream.decode("utf-8", "replace").split("\n")
                     if line.strip()]
            if lines:
                return shorten(label + escape(lines[-1].strip()), width)
        return "(no output)"


def escape(text: str) -> str:
    """Control and bidirectional-override characters shown as escapes, never raw.

    >>> escape("a\\x1b[2Jb\\u202ec\\r")
    'a\\\\x1b[2Jb\\\\u202ec\\\\r'
    """
    return "".join(_escaped(ch) for ch in text)


def _escaped(ch: str) -> str:
    if ch in CONTROL_MARKS:
        return CONTROL_MARKS[ch]
    code = ord(ch)
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return f"\\x{code:02x}"
    if is_format_control(ch):
        return f"\\u{code:04x}"
    return ch


def is_format_control(ch: str) -> bool:
    """Bidirectional controls and other invisible formatting that can disguise text."""
    code = ord(ch)
    return (0x200B <= code <= 0x200F or 0x202A <= code <= 0x202E
            or 0x2066 <= code <= 0x2069 or code == 0xFEFF)


def shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def run_bounded(argv: Sequence[str], *, time_limit: float, memory_limit_mb: float,
                cwd: Path | None = None, env: Mapping[str, str] | None = None) -> Measured:
    """Run argv to its end, the time limit or the memory limit, whichever comes first."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(argv), cwd=cwd, env=dict(env) if env else None,
                                stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        watch = SessionWatch(proc.pid, memory_limit_kib=int(memory_limit_mb * 1e6 / 1024))
        watch.start()
        try:
            status = _wait(proc, watch, start + time_limit)
        except BaseException:  # the bench is interrupted: nothing it started may outlive it
            kill_session(proc.pid)
            proc.wait()
            raise
        finally:
            watch.stop()
            left = end_session(proc.pid)
        seconds = time.perf_counter() - start
        killed = watch.killed or ("hung" if status is None else None)
        return Measured(list(argv), seconds, None if killed else status, killed,
                        watch.peak_kib, watch.peak_process_kib, watch.peak_anon_kib,
                        watch.most_processes, read_ends(out),
                        read_ends(err), out.tell() + err.tell(), left)


def read_ends(fh: BinaryIO) -> bytes:
    """The output, or its start and its end when it is long; leaves fh at its end."""
    size = fh.seek(0, os.SEEK_END)
    fh.seek(0)
    if size <= KEEP_HEAD + KEEP_TAIL:
        return fh.read()
    head = fh.read(KEEP_HEAD)
    fh.seek(size - KEEP_TAIL)
    skipped = f"\n[... {size - KEEP_HEAD - KEEP_TAIL} bytes left out ...]\n".encode()
    return head + skipped + fh.read()


def _wait(proc: subprocess.Popen[bytes], watch: SessionWatch, deadline: float) -> int | None:
    """The exit code, or None when it had to be killed."""
    while True:
        code = proc.poll()
        if code is not None:
            return code
        if watch.killed or time.perf_counter() > deadline:
            kill_session(proc.pid)
            proc.wait()
            return None
        time.sleep(0.01)


def session_members(session: int) -> list[int]:
    """Pids of the live processes whose session id is `session` (from /proc/PID/stat)."""
    members = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            if int(fields[3]) == session and fields[0] != b"Z":
                members.append(int(entry.name))
    return members


def kill_session(session: int) -> None:
    """SIGKILL every process of the session the bench started (its leader's pid)."""
    for pid in session_members(session):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def end_session(session: int, grace: float = 5.0) -> int:
    """Wait for what the run left running (a fork server winds down on its own), kill what is
    still there after `grace` seconds and wait for it to go; return how many were killed."""
    left = _wait_gone(session, grace)
    if left:
        kill_session(session)
        _wait_gone(session, 5.0)
    return len(left)


def _wait_gone(session: int, seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while True:
        left = [pid for pid in session_members(session) if pid != session]
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.05)


class SessionWatch:
    """Samples the summed RSS of a session's processes; kills the session past a limit."""

    def __init__(self, session: int, memory_limit_kib: int) -> None:
        self.session = session
        self.memory_limit_kib = memory_limit_kib
        self.peak_kib = 0
        self.peak_process_kib = 0
        self.peak_anon_kib = 0
        self.most_processes = 0
        self.killed: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        members: list[int] = []
        samples = 0
        while not self._stop.is_set():
            if samples % RESCAN_EVERY == 0:
                members = session_members(self.session)
            samples += 1
            total = anon = 0
            for pid in members:
                found = _memory_kib(pid)
                total += found.get(b"VmRSS", 0)
                anon += found.get(b"RssAnon", 0)
                self.peak_process_kib = max(self.peak_process_kib, found.get(b"VmHWM", 0))
            self.peak_kib = max(self.peak_kib, total)
            self.peak_anon_kib = max(self.peak_anon_kib, anon)
            self.most_processes = max(self.most_processes, len(members))
            if total > self.memory_limit_kib and self.killed is None:
                self.killed = "memory"
                kill_session(self.session)
            self._stop.wait(SAMPLE_SECONDS)


def _memory_kib(pid: int) -> dict[bytes, int]:
    """VmRSS, VmHWM and RssAnon of one process (KiB, /proc/PID/status); empty once gone."""
    found: dict[bytes, int] = {}
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                name, _, value = line.partition(b":")
                if name in (b"VmRSS", b"VmHWM", b"RssAnon"):
                    found[name] = int(value.split()[0])
    except (OSError, ValueError, IndexError):
        return {}
    return found
