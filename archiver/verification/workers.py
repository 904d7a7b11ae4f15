"""Run parts of a verification in forked child processes, on the other cores.

Each child runs one function and sends its messages (pickled, each prefixed with its length)
through a pipe; the last one is the function's result or the exception it raised. Progress
goes through a shared memory counter instead, which the parent reads whenever it likes.

A child never outlives its verification: the parent kills (SIGKILL) and reaps every child it
has not heard the end of, whatever way it leaves (an error, Ctrl-C, SIGTERM made into
KeyboardInterrupt); on Linux the kernel kills a child whose parent died anyway (say, of a
SIGTERM nobody handles), and elsewhere it stops at its next progress report.
A child ignores SIGINT, which a terminal sends to the whole process group: the parent
decides. A child never prints and leaves with os._exit, so no handler, buffer or atexit hook
it inherited runs twice.
"""

from __future__ import annotations

import fcntl
import gc
import mmap
import os
import pickle
import select
import signal
import struct
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from functools import cache
from typing import Any

_LENGTH = struct.Struct("<Q")
_COUNTER = struct.Struct("<q")
_READ = 1024 * 1024
_PIPE_BYTES = 1024 * 1024
_PR_SET_PDEATHSIG = 1


def can_fork() -> bool:
    return hasattr(os, "fork")


class Channel:
    """A child's side: `send` messages, `advance` the progress counter."""

    def __init__(self, fd: int, counters: mmap.mmap, slot: int, parent: int) -> None:
        self._fd = fd
        self._counters = counters
        self._offset = slot * _COUNTER.size
        self._parent = parent
        self.position = 0

    def send(self, message: object) -> None:
        data = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
        view = memoryview(_LENGTH.pack(len(data)) + data)
        while view:
            view = view[os.write(self._fd, view):]

    def advance(self, count: int) -> None:
        self.position += count
        _COUNTER.pack_into(self._counters, self._offset, self.position)
        if os.getppid() != self._parent:
            os._exit(1)  # orphaned: nobody will read the result


@dataclass
class Worker:
    """The parent's side of one child."""

    pid: int
    fd: int
    slot: int
    messages: list[Any] = field(default_factory=list)
    finished: bool = False
    _buffer: bytearray = field(default_factory=bytearray)

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
    """The last message of a child whose function raised."""

    error: BaseException


class WorkerGroup:
    """Children started with `start`, heard with `poll`, all gone after `close`."""

    def __init__(self, slots: int) -> None:
        self.workers: list[Worker] = []
        self._exiting: list[int] = []
        self._counters = mmap.mmap(-1, max(1, slots) * _COUNTER.size)
        self._die_with_parent = _death_signal()
        self._unfreeze = gc.get_freeze_count() == 0

    def start(self, task: Callable[[Channel], object]) -> Worker:
        """Fork a child that runs `task` and sends what it returns (or raises) as its last
        message. Everything `task` needs must already be in memory: the child gets a copy."""
        slot = len(self.workers)
        read_end, write_end = os.pipe()
        os.set_blocking(read_end, False)
        _widen(write_end)
        parent = os.getpid()
        # A child's garbage collections then pass over all the parent holds (a parsed
        # manifest.json, say): they would write to every page of it, and so copy it.
        gc.freeze()
        pid = os.fork()
        if pid == 0:  # the child
            os.close(read_end)
            self._die_with_parent()
            _run_child(task, Channel(write_end, self._counters, slot, parent))
        os.close(write_end)
        worker = Worker(pid, read_end, slot)
        self.workers.append(worker)
        return worker

    def position(self, worker: Worker) -> int:
        """How far the child has said it got (its `Channel.advance` total)."""
        value: int = _COUNTER.unpack_from(self._counters, worker.slot * _COUNTER.size)[0]
        return value

    def poll(self, timeout: float) -> None:
        """Wait up to `timeout` seconds for any child to say something; collect what it says
        into its `messages`."""
        waiting = [worker.fd for worker in self.workers if not worker.finished]
        if not waiting:
            return
        ready, _, _ = select.select(waiting, [], [], timeout)
        for worker in self.workers:
            if worker.fd in ready:
                worker._receive()

    def stop(self, worker: Worker) -> None:
        """Kill a child whose work is no longer wanted (or let one that has finished go), and
        reap it when it is gone. A child that has said its last word may still be exiting:
        tearing down the memory it shares with this process takes tens of milliseconds, so
        it is reaped later (`close`) rather than waited for while a core sits idle."""
        if not worker.finished:
            _kill(worker.pid)
            worker.finished = True
        if not _reaped(worker.pid):
            self._exiting.append(worker.pid)
        os.close(worker.fd)
        worker.fd = -1

    def close(self) -> None:
        """Kill and reap every child still there. Safe to call again."""
        live = [worker for worker in self.workers if worker.fd >= 0]
        for worker in live:  # all of them first: reaping one may be interrupted
            if not worker.finished:
                _kill(worker.pid)
                worker.finished = True
        for worker in live:
            self.stop(worker)
        while self._exiting:
            _reap(self._exiting.pop())
        self._counters.close()
        if self._unfreeze:  # only if the caller had not frozen anything itself
            self._unfreeze = False
            gc.unfreeze()


def _widen(fd: int) -> None:
    """Let a pipe hold a whole result (Linux; elsewhere, and past the system's limit, the
    pipe keeps its size and the result takes more reads)."""
    if hasattr(fcntl, "F_SETPIPE_SZ"):
        with suppress(OSError):
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)


def _run_child(task: Callable[[Channel], object], channel: Channel) -> None:
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        try:
            outcome: object = task(channel)
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


@cache
def _death_signal() -> Callable[[], None]:
    """A function for a new child to call first: it asks Linux to SIGKILL the child when its
    parent dies. Loaded in the parent, so a child only calls it. Elsewhere, a no-op."""
    if not os.path.exists("/proc/self"):
        return lambda: None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (ImportError, OSError, AttributeError):
        return lambda: None

    def die_with_parent() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    return die_with_parent


def _kill(pid: int) -> None:
    with suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _reaped(pid: int) -> bool:
    """Reap `pid` if it has exited; False if it is still running (or exiting)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    except InterruptedError:
        return False
    return done != 0


def _reap(pid: int) -> None:
    while True:
        try:
            os.waitpid(pid, 0)
            return
        except ChildProcessError:
            return
        except InterruptedError:
            continue
