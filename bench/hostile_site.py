"""A loopback HTTP/1.1 server for the hostile cases: each route writes raw bytes to the socket,
so a route can misbehave in ways a well-behaved server library would not let it (a second
response glued behind the first, 40,000 header lines, a body dripped out slowly).

It listens on 127.0.0.1 only (a `Canary` may also listen on another loopback address, to count
what reaches it), keeps connections alive as HTTP/1.1 does, and logs every request it reads:
its path, the connection it came on, and its Cookie header's size.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

LOOPBACK = "127.0.0.1"
MAX_REQUEST_HEAD = 64 * 1024 * 1024
"""Requests carrying a flood of cookies are read whole (the point is to measure them)."""
IDLE_SECONDS = 30.0


@dataclass(frozen=True)
class SeenRequest:
    path: str
    connection: int
    cookie_bytes: int
    cookie_count: int


Route = Callable[[socket.socket, SeenRequest], bool]
"""Writes a response to the socket; returns whether the connection stays open."""


def head_bytes(status: str, headers: Iterable[tuple[str, str]], length: int) -> bytes:
    """A response's status line and headers, with Content-Length (added here)."""
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers),
             f"Content-Length: {length}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def response_bytes(status: str, headers: Iterable[tuple[str, str]], body: bytes) -> bytes:
    """A whole response with Content-Length."""
    return head_bytes(status, headers, len(body)) + body


def fixed(status: str, content_type: str, body: bytes,
          extra: Iterable[tuple[str, str]] = ()) -> Route:
    """A route that always answers the same response and keeps the connection."""
    data = response_bytes(status, [("Content-Type", content_type), *extra], body)

    def route(sock: socket.socket, request: SeenRequest) -> bool:
        sock.sendall(data)
        return True

    return route


def raw(data: bytes, keep_alive: bool = True) -> Route:
    """A route that sends exactly `data`, whatever it is."""

    def route(sock: socket.socket, request: SeenRequest) -> bool:
        sock.sendall(data)
        return keep_alive

    return route


@dataclass
class LoopbackSite:
    """Threaded raw HTTP/1.1 server on 127.0.0.1; routes are added by the cases."""

    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[SeenRequest] = field(default_factory=list)
    port: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _connections: int = 0
    _listener: socket.socket | None = None
    _stopping: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str) -> str:
        return f"http://{LOOPBACK}:{self.port}{path}"

    def hits(self, prefix: str) -> list[SeenRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.startswith(prefix)]

    @contextlib.contextmanager
    def running(self) -> Iterator[LoopbackSite]:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((LOOPBACK, 0))
        listener.listen(128)
        self.port = int(listener.getsockname()[1])
        self._listener = listener
        thread = threading.Thread(target=self._accept_loop, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stopping.set()
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
            thread.join(5)

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._connections += 1
                serial = self._connections
            threading.Thread(target=self._serve, args=(sock, serial), daemon=True).start()

    def _serve(self, sock: socket.socket, serial: int) -> None:
        sock.settimeout(IDLE_SECONDS)
        pending = b""
        with contextlib.closing(sock), contextlib.suppress(OSError):
            while not self._stopping.is_set():
                head, pending = read_head(sock, pending)
                if head is None:
                    return
                request = parse_request(head, serial)
                with self._lock:
                    self.requests.append(request)
                route = self.routes.get(request.path.split("?", 1)[0], not_found)
                if not route(sock, request):
                    return


def not_found(sock: socket.socket, request: SeenRequest) -> bool:
    sock.sendall(response_bytes("404 Not Found", [("Content-Type", "text/plain")],
                                b"not found\n"))
    return True


def read_head(sock: socket.socket, pending: bytes) -> tuple[bytes | None, bytes]:
    """One request head (bodies are never sent to us: every request is a GET)."""
    buffer = bytearray(pending)
    while True:
        end = buffer.find(b"\r\n\r\n")
        if end >= 0:
            return bytes(buffer[:end]), bytes(buffer[end + 4:])
        if len(buffer) > MAX_REQUEST_HEAD:
            return None, b""
        data = sock.recv(256 * 1024)
        if not data:
            return None, b""
        buffer += data


def parse_request(head: bytes, serial: int) -> SeenRequest:
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ")
    path = parts[1].decode("latin-1") if len(parts) > 1 else "/"
    cookie = b""
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"cookie":
            cookie = value.strip()
    count = len([c for c in cookie.split(b";") if c.strip()]) if cookie else 0
    return SeenRequest(path, serial, len(cookie), count)


class Canary:
    """Listens on one address and port and counts the connections that reach it; answers
    each with a small page, so that a client that got through records a "capture"."""

    PAGE = response_bytes("200 OK", [("Content-Type", "text/html"), ("Connection", "close")],
                          b"<!doctype html><title>canary</title><p>you reached the canary\n")

    def __init__(self, host: str, port: int = 0) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.host = host
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.bind((host, port))  # OSError when the address cannot be had: the caller skips
        self.sock.listen(16)
        self.port = int(self.sock.getsockname()[1])
        self.connections = 0
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            with contextlib.closing(conn), contextlib.suppress(OSError):
                conn.settimeout(2)
                with contextlib.suppress(OSError):
                    conn.recv(65536)
                conn.sendall(self.PAGE)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self._thread.join(5)


def drip(status: str, content_type: str, length: int, piece: int, pause: float) -> Route:
    """A body of `length` bytes sent `piece` bytes every `pause` seconds."""

    def route(sock: socket.socket, request: SeenRequest) -> bool:
        sock.sendall(head_bytes(status, [("Content-Type", content_type)], length))
        sent = 0
        while sent < length:
            chunk = b"x" * min(piece, length - sent)
            sock.sendall(chunk)
            sent += len(chunk)
            time.sleep(pause)
        return True

    return route
