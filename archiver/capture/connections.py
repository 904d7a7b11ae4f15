"""Keep-alive connections to origins: plain TCP or TLS, each with the h11 state machine that
frames its messages."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import weakref
from collections import defaultdict

import h11

from archiver.capture.address_policy import AddressInfo, AddressPolicy
from archiver.capture.network_errors import NetworkError, network_errors
from archiver.capture.urls import Origin
from archiver.settings import CaptureSettings

MAX_HEADER_BYTES = 256 * 1024
_QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)


class Connection:
    """One socket to one origin, with the h11 state machine that frames its messages."""

    def __init__(self, origin: Origin, sock: socket.socket) -> None:
        self.origin = origin
        self.sock = sock
        self.protocol = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEADER_BYTES)
        peer = sock.getpeername()
        self.ip_address: str = str(peer[0])
        self.exchanges = 0

    @property
    def is_reusable(self) -> bool:
        return self.protocol.our_state is h11.DONE and self.protocol.their_state is h11.DONE

    def ack_quickly(self) -> None:
        """Acknowledge received data at once (Linux TCP_QUICKACK, reset by the kernel after
        use, so set before each read). Many servers write headers and body separately; with
        Nagle on their side and delayed ACKs on ours, each response would stall ~40 ms."""
        if _QUICKACK is not None:
            with contextlib.suppress(OSError):
                self.sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    def abort(self) -> None:
        """Break off whatever is in flight: a blocked recv returns at once."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.close()


class ConnectionPool:
    """Idle keep-alive connections per origin. The frontier caps how many are in use."""

    def __init__(self, settings: CaptureSettings) -> None:
        self.settings = settings
        self._idle: dict[Origin, list[Connection]] = defaultdict(list)
        self._open: weakref.WeakSet[Connection] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._closed = False
        self._tls = tls_context(settings)
        self._policy = AddressPolicy.from_settings(settings)

    def take(self, origin: Origin, url: str) -> Connection:
        with self._lock:
            idle = self._idle[origin]
            if idle:
                return idle.pop()
        return self.open(origin, url)

    def give_back(self, connection: Connection) -> None:
        if not connection.is_reusable:
            connection.close()
            return
        connection.protocol.start_next_cycle()
        with self._lock:
            self._idle[connection.origin].append(connection)

    def close(self) -> None:
        """Close every connection, idle or in use: an interrupted job must not wait for a
        slow server before it can clean up."""
        with self._lock:
            self._closed = True
            for connection in list(self._open):
                connection.abort()
            self._idle.clear()

    def open(self, origin: Origin, url: str) -> Connection:
        """A new connection, never a pooled one, to an address the policy allows."""
        if self._closed:
            raise NetworkError(url, "the capture was stopped", transient=False)
        # Connect to the very addresses judged, never to the name again: a DNS server
        # that answers differently the second time (rebinding) gains nothing.
        candidates = self._policy.resolve(url, origin.host, origin.port)
        with network_errors(url, "connecting"):
            sock = connect_first(candidates, timeout=self.settings.connect_timeout)
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if origin.is_tls:
                    sock = self._tls.wrap_socket(sock, server_hostname=origin.host)
                sock.settimeout(self.settings.read_timeout)
                connection = Connection(origin, sock)
            except BaseException:
                sock.close()
                raise
        with self._lock:
            self._open.add(connection)
        return connection


def connect_first(candidates: list[AddressInfo], *, timeout: float) -> socket.socket:
    """A socket connected to the first candidate that answers (as socket.create_connection
    does, but to addresses already resolved and judged); the first error if none does."""
    errors: list[OSError] = []
    for family, kind, protocol, _, address in candidates:
        sock = socket.socket(family, kind, protocol)
        try:
            sock.settimeout(timeout)
            sock.connect(address)
            return sock
        except OSError as error:
            sock.close()
            errors.append(error)
        except BaseException:
            sock.close()
            raise
    if errors:
        raise errors[0]
    raise OSError("the host name resolved to no address")


def tls_context(settings: CaptureSettings) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if settings.ca_file is not None:
        context.load_verify_locations(cafile=str(settings.ca_file))
    if not settings.verify_tls:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["http/1.1"])
    return context
