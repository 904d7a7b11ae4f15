"""Run parts of a verification in worker processes, on the other cores.

Workers are started by multiprocessing's fork server: a clean, single-threaded process,
started once per program, forks each worker; the caller's own process is never forked. A
library must not copy its host's threads, locks and open files behind its back (a fork of a
threaded process may deadlock, and Python 3.12+ warns about it). So, as with every
multiprocessing program, a script that calls `archiver.check` (which may start workers)
keeps its own work under `if __name__ == "__main__":`. Where there is no fork server
(Windows), or in a daemonic multiprocessing worker (which may not start processes), a
verification stays in its own process (`can_start_workers`).

Each worker runs one function, given by name with picklable arguments, and sends its
messages (pickled, each prefixed with its length) through a pipe; the last one is the
function's result or the exception it raised. Progress goes through a shared memory counter
instead, which the parent reads whenever it likes.

A worker never outlives its verification: the parent kills (SIGKILL) every worker it has
not heard the end of, and waits for it, whatever way it leaves (an error, Ctrl-C, SIGTERM
made into KeyboardInterrupt). If the parent dies first (say, of a SIGTERM nobody handles),
the fork server leaves with it, and on Linux the kernel kills a worker whose fork server
has gone (elsewhere it stops at its next progress report). A worker ignores SIGINT, which a
terminal sends to the whole process group: the parent decides. A worker never prints and
leaves with os._exit.
"""

from __future__ import annotations

import fcntl
import gc
import mmap
import multiprocessing
import os
import pickle
import select
import signal
import struct
import tempfile
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from multiprocessing.reduction import DupFd
from typing import Any, Final

START_METHOD: Final = "forkserver"
"""How workers start: never "fork", which would copy the caller's process."""

_LENGTH = struct.Struct("<Q")
_COUNTER = struct.Struct("<q")
_READ = 1024 * 1024
_PIPE_BYTES = 1024 * 1024
_PR_SET_PDEATHSIG = 1
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def can_start_workers() -> bool:
    """Whether this process can check in worker processes (see the module's docstring)."""
    return (START_METHOD in multiprocessing.get_all_start_methods()
            and not multiprocessing.current_process().daemon)


WORKER_MODULE = "archiver.verification.split_check"
"""What a worker runs is found in this module: the fork server loads it once, before forking."""


def warm_up() -> None:
    """Start the fork server now, if it is not running, so that it loads while this process
    does other work (finding where to cut a file) rather than when the first worker starts.

    A server this starts loads WORKER_MODULE as well as the program's `__main__` (what it
    loads by default), so that each worker does not import archiver's verification again
    (40 ms of CPU, for each of a large file's ~15 parts). Not when the program chose what its
    fork server loads, or started it already: then each worker imports what it needs."""
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    if (getattr(server, "_preload_modules", None) == ["__main__"]
            and getattr(server, "_forkserver_pid", 0) is None):
        forkserver.set_forkserver_preload(["__main__", WORKER_MODULE])
    forkserver.ensure_running()


class Channel:
    """A worker's side: `send` messages, `advance` the progress counter. Made by the parent,
    handed to the worker as it starts (its pipe and counters go with it)."""

    def __init__(self, fd: int, counters_fd: int, counters_size: int, slot: int) -> None:
        self._fd = fd
        self._counters_fd = counters_fd
        self._counters_size = counters_size
        self._counters: mmap.mmap | None = None
        self._offset = slot * _COUNTER.size
        self._slot = slot
        self._server = os.getppid()
        self.position = 0

    def __reduce__(self) -> tuple[Any, ...]:
        # Only while a worker starts: DupFd hands the open files to the fork server.
        return (_rebuilt_channel, (DupFd(self._fd), DupFd(self._counters_fd),
                                   self._counters_size, self._slot))

    def send(self, message: object) -> None:
        data = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
        view = memoryview(_LENGTH.pack(len(data)) + data)
        while view:
            view = view[os.write(self._fd, view):]

    def advance(self, count: int) -> None:
        self.position += count
        if self._counters is None:
            self._counters = mmap.mmap(self._counters_fd, self._counters_size)
        _COUNTER.pack_into(self._counters, self._offset, self.position)
        if os.getppid() != self._server:
            os._exit(1)  # the fork server, so the verification, has gone: nobody will read


def _rebuilt_channel(fd: Any, counters_fd: Any, counters_size: int, slot: int) -> Channel:
    """In a new worker: its Channel, on the files the parent handed over. The worker's
    parent is now the fork server, which `advance` watches."""
    _let_the_fork_server_go()
    _die_with_parent()
    # What the fork server loaded stays as it is: the worker's garbage collections then
    # leave it alone, rather than walk (and so copy) all of it again and again.
    gc.freeze()
    return Channel(fd.detach(), counters_fd.detach(), counters_size, slot)


def _let_the_fork_server_go() -> None:
    """Close this worker's copy of the fork server's lifeline. multiprocessing hands it to
    every process the server starts, so that one could start processes of its own; a worker
    starts none, and holding it would keep the server (and, so, the worker) alive after the
    verification's process died."""
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    fd = getattr(server, "_forkserver_alive_fd", None)
    if isinstance(fd, int):
        with suppress(OSError):
            os.close(fd)
        server._forkserver_alive_fd = None  # type: ignore[union-attr]


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when its parent, the fork server, dies: even a
    worker that never reports progress (or whose start the verification did not live to
    see) then goes with it. Elsewhere, a no-op."""
    if not os.path.exists("/proc/self"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (ImportError, OSError, AttributeError):
        return


@dataclass
class Worker:
    """The parent's side of one worker."""

    process: BaseProcess
    fd: int
    slot: int
    messages: list[Any] = field(default_factory=list)
    finished: bool = False
    _buffer: bytearray = field(default_factory=bytearray)

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def _receive(self) -> None:
        """Read all the pipe holds (it is non-blocking); at its end the child has finished.
        All of it: a result of a few MiB passes a 64 KiB pipe in many reads, and a child
        cannot finish, nor its process start the next part, before the last one."""
        while True:
            try:
                data = os.read(self.fd, _READ)
            except BlockingIOError:
                break
            if not data:
                self.finished = True
                break
            self._buffer += data
        while len(self._buffer) >= _LENGTH.size:
            (size,) = _LENGTH.unpack_from(self._buffer)
            if len(self._buffer) < _LENGTH.size + size:
                break
            self.messages.append(pickle.loads(self._buffer[_LENGTH.size:_LENGTH.size + size]))
            del self._buffer[:_LENGTH.size + size]


@dataclass(frozen=True)
class Failed:
    """The last message of a worker whose function raised."""

    error: BaseException


class WorkerGroup:
    """Workers started with `start`, heard with `poll`, all gone after `close`."""

    def __init__(self, slots: int) -> None:
        self.workers: list[Worker] = []
        self._exiting: list[BaseProcess] = []
        self._context = multiprocessing.get_context(START_METHOD)
        self._counters_size = max(1, slots) * _COUNTER.size
        self._counters_fd = _shared_memory(self._counters_size)
        self._counters = mmap.mmap(self._counters_fd, self._counters_size)

    def start(self, function: Callable[..., object], *args: object) -> Worker:
        """Start a worker that runs `function(channel, *args)` and sends what it returns (or
        raises) as its last message. `function` must be importable by name (defined at the
        top of a module) and `args` picklable: the worker is a fresh process."""
        slot = len(self.workers)
        read_end, write_end = os.pipe()
        # Ctrl-C or SIGTERM wait until the worker is known here, so that `close` ends it.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
        try:
            os.set_blocking(read_end, False)
            _widen(write_end)
            channel = Channel(write_end, self._counters_fd, self._counters_size, slot)
            process = self._context.Process(target=_run_worker, args=(function, args, channel),
                                            name=f"archiver-verify-{slot}", daemon=True)
            process.start()
            worker = Worker(process, read_end, slot)
            self.workers.append(worker)
        except BaseException:
            os.close(read_end)
            raise
        finally:
            os.close(write_end)  # the worker's copy is the only one: its end is the pipe's
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        return worker

    def position(self, worker: Worker) -> int:
        """How far the worker has said it got (its `Channel.advance` total)."""
        value: int = _COUNTER.unpack_from(self._counters, worker.slot * _COUNTER.size)[0]
        return value

    def poll(self, timeout: float) -> None:
        """Wait up to `timeout` seconds for any worker to say something; collect what it says
        into its `messages`."""
        waiting = [worker.fd for worker in self.workers if not worker.finished]
        if not waiting:
            return
        ready, _, _ = select.select(waiting, [], [], timeout)
        for worker in self.workers:
            if worker.fd in ready:
                worker._receive()

    def stop(self, worker: Worker) -> None:
        """Kill a worker whose work is no longer wanted (or let one that has finished go). A
        worker that has said its last word may still be exiting: it is waited for later
        (`close`), rather than while a core sits idle."""
        if not worker.finished:
            worker.process.kill()
            worker.finished = True
        if worker.process.exitcode is None:
            self._exiting.append(worker.process)
        else:
            worker.process.close()
        os.close(worker.fd)
        worker.fd = -1

    def close(self) -> None:
        """Kill every worker still there, and wait until they are gone. Safe to call again."""
        live = [worker for worker in self.workers if worker.fd >= 0]
        for worker in live:  # all of them first: waiting for one may be interrupted
            if not worker.finished:
                worker.process.kill()
                worker.finished = True
        for worker in live:
            self.stop(worker)
        while self._exiting:
            process = self._exiting.pop()
            process.join()
            process.close()
        if self._counters_fd >= 0:
            self._counters.close()
            os.close(self._counters_fd)
            self._counters_fd = -1


def _shared_memory(size: int) -> int:
    """An open file of `size` zero bytes, in memory where the system allows it, to map in
    this process and in the workers."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("archiver-verify-progress", os.MFD_CLOEXEC)
    else:
        fd, name = tempfile.mkstemp(prefix="archiver-verify-")
        os.unlink(name)
    os.ftruncate(fd, size)
    return fd


def _widen(fd: int) -> None:
    """Let a pipe hold a whole result (Linux; elsewhere, and past the system's limit, the
    pipe keeps its size and the result takes more reads)."""
    if hasattr(fcntl, "F_SETPIPE_SZ"):
        with suppress(OSError):
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)


def _run_worker(function: Callable[..., object], args: tuple[object, ...],
                channel: Channel) -> None:
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        try:
            outcome: object = function(channel, *args)
        except BaseException as exc:  # handed to the parent, which raises it
            outcome = Failed(_picklable(exc))
        channel.send(outcome)
    except BaseException:  # the pipe broke: the parent has gone or stopped listening
        code = 1
    finally:
        os._exit(code)


def _picklable(exc: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc
