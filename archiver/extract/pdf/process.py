"""Every PDF is read in a process of its own, bounded in memory and time.

PDFium is C++: a damaged or hostile file can make it allocate gigabytes (a 3 KB file whose
page content inflates to 1 GiB) or abort outright, and no Python code around it can stop
that. So PDFs are read by a child process (this module's ``serve``, on the parent's module
path) that caps its own address space (RLIMIT_AS) and CPU time before each document, while
the parent waits for the answer with a deadline. A file that goes past either stops only the child:
the parent names the problem, starts a new child for the next document, and goes on.

    result = read_pdf_bounded(Path("report.pdf"), ExtractionSettings())

Both limits grow with the file's size (ExtractionSettings.pdf_memory_bytes, pdf_seconds).
One child serves one parent process, a document at a time, and is reused (it starts in
about 0.3 s); it ends when its parent closes the pipe, and retires after a document that
left it large, so that every document starts with the whole allowance. Its output goes
nowhere (nothing a library prints can reach the terminal or the channel), and its temporary
files go into a folder of the parent's, removed with the child however it ended.

Messages both ways: an 8-byte big-endian length, then UTF-8 JSON. Never pickle: the child
reads hostile bytes, and the parent takes nothing from it but plain values.
"""

from __future__ import annotations

import atexit
import json
import os
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from archiver.extract.pdf.model import PdfExtraction
from archiver.settings import MIB, ExtractionSettings

MEMORY_PER_FILE_BYTE = 2  # the repair step maps the file and writes a copy of it
SECONDS_PER_MIB = 1.0
RETIRE_ABOVE = 192 * MIB  # a child this large after a document makes way for a new one
START_SECONDS = 60.0  # generous: a busy machine may take long to start Python
_HEADER = 8
_BOOT = ("import json, sys; sys.path[:] = json.loads(sys.argv[1]); "
         "from archiver.extract.pdf.process import serve; serve(sys.argv[2])")
READER_FAILED = "the PDF could not be read: the PDF reader failed on it"
"""A bug, not the file's fault (the fuzz tests look for it)."""

_LOCK = threading.Lock()
_child: _Child | None = None


def read_pdf_bounded(path: Path, settings: ExtractionSettings) -> PdfExtraction:
    """The text and metadata of the PDF at ``path``, read in the child process within the
    limits of ``settings``. Never raises for a bad file: a file that breaks the limits (or
    the reader) gives an extraction whose ``problems`` say so."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        return _failed(f"the file could not be read ({exc.strerror or exc})")
    request = {"path": os.fspath(path.absolute()), "max_pages": settings.max_pdf_pages,
               "memory": settings.pdf_memory_bytes + MEMORY_PER_FILE_BYTE * size,
               "seconds": settings.pdf_seconds + SECONDS_PER_MIB * size / MIB}
    global _child
    with _LOCK:
        if _child is None or _child.owner != os.getpid():
            _child = _Child()
        return _child.read(request)


def _failed(reason: str) -> PdfExtraction:
    return PdfExtraction(problems=[reason])


class _ChildStopped(Exception):
    """The child ended (or was ended) before it answered."""


class _Child:
    """The parent's end: one child process at a time, restarted after a failure."""

    def __init__(self) -> None:
        self.owner = os.getpid()
        self.process: subprocess.Popen[bytes] | None = None
        self.scratch: str | None = None

    def read(self, request: dict[str, Any]) -> PdfExtraction:
        try:
            self._start_and_send(request)
        except (OSError, ValueError, _ChildStopped) as exc:
            self.stop(kill=True)
            return _failed(f"the PDF reader could not be started ({_reason(exc)})")
        assert self.process is not None and self.process.stdout is not None
        try:
            reply = _receive(self.process.stdout, time.monotonic() + request["seconds"])
            result = PdfExtraction.from_dict(reply["extraction"])
        except TimeoutError:
            self.stop(kill=True)
            return _failed(_too_long(request["seconds"]))
        except (_ChildStopped, OSError, ValueError, KeyError, TypeError, RecursionError):
            return _failed(self._why_stopped(request))
        except BaseException:  # interrupted: the child must not outlive the wait
            self.stop(kill=True)
            raise
        if reply.get("retiring"):
            self.stop()
        return result

    def _start_and_send(self, request: dict[str, Any]) -> None:
        """Send the request, to a new child if there is none (or the one there had ended
        between documents: then once more, to a new one)."""
        for attempt in (1, 2):
            if self.process is None or self.process.poll() is not None:
                self.stop()
                self._start()
            assert self.process is not None and self.process.stdin is not None
            try:
                _send(self.process.stdin, request)
                return
            except BrokenPipeError:
                if attempt == 2:
                    raise

    def _start(self) -> None:
        self.scratch = tempfile.mkdtemp(prefix="archiver-pdf-reader-")
        self.process = subprocess.Popen(
            [sys.executable, "-c", _BOOT, json.dumps(sys.path), self.scratch],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env={**os.environ, "TMPDIR": self.scratch}, close_fds=True)
        assert self.process.stdout is not None
        try:
            ready = _receive(self.process.stdout, time.monotonic() + START_SECONDS)
        except TimeoutError:
            raise _ChildStopped(f"it did not start within {START_SECONDS:.0f} s") from None
        if ready.get("ready") is not True:
            raise _ChildStopped("it did not say it was ready")

    def _why_stopped(self, request: dict[str, Any]) -> str:
        returncode = self.stop()
        if returncode == -signal.SIGXCPU:
            return _too_long(request["seconds"])
        if returncode == -signal.SIGKILL:
            return ("the PDF could not be read: the system stopped the PDF reader (out of "
                    "memory?)")
        memory = request["memory"] // MIB
        return (f"the PDF could not be read: the PDF reader stopped on it (it needs more than "
                f"the {memory} MiB of memory allowed for a file of this size, or is damaged "
                "in a way the reader does not survive)")

    def stop(self, *, kill: bool = False) -> int | None:
        """End the child (at once with ``kill``, else by closing its pipe) and return how
        it ended."""
        process, self.process = self.process, None
        scratch, self.scratch = self.scratch, None
        try:
            return _end(process, kill=kill)
        finally:
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)


def _end(process: subprocess.Popen[bytes] | None, *, kill: bool) -> int | None:
    if process is None:
        return None
    if kill:
        process.kill()
    for pipe in (process.stdin, process.stdout):
        try:
            if pipe is not None:
                pipe.close()
        except OSError:
            pass
    try:
        return process.wait(timeout=1.0)  # it was already ending, or ends on EOF
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return None


def _too_long(seconds: float) -> str:
    return (f"the PDF could not be read in the {seconds:.3g} s allowed for a file of this "
            "size; reading was stopped (a damaged or hostile file?)")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return (exc.strerror or str(exc)).lower()
    return str(exc) or type(exc).__name__


@atexit.register
def _stop_child() -> None:
    if _child is not None and _child.owner == os.getpid():
        _child.stop()


# -- the wire -------------------------------------------------------------------------------


def _send(pipe: IO[bytes], message: dict[str, Any]) -> None:
    body = json.dumps(message).encode("utf-8")
    pipe.write(len(body).to_bytes(_HEADER, "big") + body)
    pipe.flush()


def _receive(pipe: IO[bytes], deadline: float | None) -> dict[str, Any]:
    """One message, read before ``deadline`` (TimeoutError; None: no deadline), or
    _ChildStopped when the other end closes first."""
    size = int.from_bytes(_read_exactly(pipe, _HEADER, deadline), "big")
    message = json.loads(_read_exactly(pipe, size, deadline))
    if not isinstance(message, dict):
        raise ValueError("not a message")
    return message


def _read_exactly(pipe: IO[bytes], size: int, deadline: float | None) -> bytes:
    fd = pipe.fileno()
    chunks = bytearray()
    while len(chunks) < size:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise TimeoutError
        chunk = os.read(fd, min(size - len(chunks), MIB))
        if not chunk:
            raise _ChildStopped("the PDF reader ended")
        chunks += chunk
    return bytes(chunks)


# -- the child ------------------------------------------------------------------------------


def serve(scratch: str) -> None:
    """The child's loop: one request at a time, until the parent closes the pipe; then the
    ``scratch`` folder goes (the parent may have ended without a word, as a pool's worker
    process does)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when work stops
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash on a hostile file: no core
    requests = os.fdopen(os.dup(0), "rb")
    replies = os.fdopen(os.dup(1), "wb")
    quiet = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1):  # whatever a library prints goes nowhere, not into the replies
        os.dup2(quiet, fd)
    from archiver.extract.pdf.extraction import extract_pdf  # loaded before the first document

    try:
        _send(replies, {"ready": True})
        while True:
            request = _receive(requests, None)
            _limit_self(int(request["memory"]), float(request["seconds"]))
            extraction = _read(extract_pdf, request)
            retiring = _address_space() > RETIRE_ABOVE
            _send(replies, {"extraction": extraction.to_dict(), "retiring": retiring})
            if retiring:
                return
    except (_ChildStopped, BrokenPipeError):
        return  # the parent has gone
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _read(extract_pdf: Callable[..., PdfExtraction], request: dict[str, Any]) -> PdfExtraction:
    try:
        return extract_pdf(Path(request["path"]), max_pages=request["max_pages"])
    except MemoryError:
        memory = int(request["memory"]) // MIB
        return _failed(f"the PDF could not be read: it needs more than the {memory} MiB of "
                       "memory allowed for a file of this size")
    except Exception as exc:  # extract_pdf never raises for a bad file: this is a bug
        return _failed(f"{READER_FAILED} ({type(exc).__name__}: {exc})")


def _limit_self(memory: int, seconds: float) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (_within(memory, hard), hard))
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = int(used.ru_utime + used.ru_stime + seconds) + 1
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (_within(cpu, hard), hard))


def _within(value: int, hard: int) -> int:
    return value if hard == resource.RLIM_INFINITY else min(value, hard)


def _address_space() -> int:
    """This process's virtual size (bytes), from /proc; 0 where there is none."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0

