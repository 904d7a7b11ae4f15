"""Keep-alive connections to origins: plain TCP or TLS, each with the h11 state machine that
frames its messages.

A connection goes back to the pool only when its last message ended cleanly with nothing
after it, and is taken out again only if it is still quiet: bytes that arrived while it was
idle (a late second response, say) would otherwise be read as the answer to the next
request. Such a connection is closed, and the bytes reported as an anomaly of the exchange
they came after. The same look is taken at every idle connection when a job's work is done
(`check_idle`): the last exchange with a host is never followed by a `take`."""

from __future__ import annotations

import contextlib
import functools
import os
import socket
import ssl
import threading
import weakref
from collections import defaultdict
from datetime import UTC, datetime

import h11

from archiver.capture.address_policy import AddressInfo, AddressPolicy
from archiver.capture.network_errors import MAX_HEADER_BYTES, NetworkError, network_errors
from archiver.capture.peer import PeerFacts, address_of, system_trust_store, tls_session
from archiver.capture.transport import StrayBytes, StrayReport
from archiver.capture.urls import Origin
from archiver.settings import CaptureSettings

STRAY_KEPT_BYTES = 64 * 1024
"""Of the bytes a server sends after the end of a response, this many are kept."""
_QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)


class Connection:
    """One socket to one origin, with the h11 state machine that frames its messages."""

    def __init__(self, origin: Origin, sock: socket.socket, peer: PeerFacts) -> None:
        self.origin = origin
        self.sock = sock
        self.protocol = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEADER_BYTES)
        self.ip_address: str = peer.used
        self.peer = peer
        """Who the server was (addresses, TLS session, certificates): for the provenance."""
        self.exchanges = 0
        self.last_exchange: tuple[str, str] | None = None
        """(URL, response record id) of the last exchange, while the connection is idle."""

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

    def unread(self) -> bytes | None:
        """What arrived since the last message ended, read without waiting (at most
        STRAY_KEPT_BYTES): None if nothing did, b"" if the server closed the connection."""
        received = bytearray()
        timeout = self.sock.gettimeout()
        try:
            self.sock.settimeout(0)
            while len(received) < STRAY_KEPT_BYTES:
                data = self.sock.recv(STRAY_KEPT_BYTES - len(received))
                if not data:
                    return bytes(received)
                received += data
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            pass  # nothing more to read now (TLS: only handshake records, such as tickets)
        except OSError:
            return bytes(received)  # reset, or TLS closed: not usable either way
        finally:
            with contextlib.suppress(OSError):
                self.sock.settimeout(timeout)
        return bytes(received) if received else None

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

    def __init__(self, settings: CaptureSettings, on_stray: StrayReport | None = None) -> None:
        self.settings = settings
        self.on_stray = on_stray
        self._idle: dict[Origin, list[Connection]] = defaultdict(list)
        self._open: weakref.WeakSet[Connection] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._closed = False
        self._tls = tls_context(settings)
        self._trust = (system_trust_store(str(settings.ca_file) if settings.ca_file else None)
                       if settings.verify_tls else None)
        self._policy = AddressPolicy.from_settings(settings)

    def take(self, origin: Origin, url: str) -> Connection:
        """An idle connection to `origin` that is still quiet, or a new one."""
        while True:
            with self._lock:
                idle = self._idle[origin]
                connection = idle.pop() if idle else None
            if connection is None:
                return self.open(origin, url)
            if self._is_quiet(connection):
                return connection

    def give_back(self, connection: Connection, url: str, response_id: str) -> None:
        """Keep `connection` for the next request, after the exchange of `url` (whose
        response record is `response_id`) ended cleanly on it."""
        if not connection.is_reusable:
            connection.close()
            return
        connection.protocol.start_next_cycle()
        connection.last_exchange = (url, response_id)
        with self._lock:
            self._idle[connection.origin].append(connection)

    def check_idle(self) -> None:
        """Read every idle connection once, without waiting, as `take` would: what arrived
        while it was idle is reported as stray bytes of its last exchange, and the connection
        closed; quiet ones stay. Called when a job's work is done, before it seals, so that
        bytes a server sent after the job's last exchange with it are not dropped unread."""
        with self._lock:
            idle = [(origin, list(connections)) for origin, connections in self._idle.items()]
            self._idle.clear()
        for origin, connections in idle:
            quiet = [connection for connection in connections if self._is_quiet(connection)]
            with self._lock:
                self._idle[origin].extend(quiet)

    def _is_quiet(self, connection: Connection) -> bool:
        """True if nothing arrived on the idle `connection`; else close it, and report what
        did arrive as stray bytes of its last exchange."""
        late = connection.unread()
        if late is None:
            return True
        connection.close()
        if late and self.on_stray is not None and connection.last_exchange is not None:
            url, response_id = connection.last_exchange
            self.on_stray(StrayBytes(url, response_id, late, len(late), datetime.now(UTC),
                                     connection.ip_address))
        return False

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
        lookup = self._policy.lookup(url, origin.host, origin.port)
        with network_errors(url, "connecting"):
            sock = connect_first(lookup.candidates, timeout=self.settings.connect_timeout)
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                connected_at = datetime.now(UTC)
                session = None
                if origin.is_tls:
                    sock = self._tls.wrap_socket(sock, server_hostname=origin.host)
                    session = tls_session(sock, origin.host, self._trust)
                sock.settimeout(self.settings.read_timeout)
                used = address_of(sock)
                allowed = {str(entry[4][0]) for entry in lookup.candidates}
                peer = PeerFacts(origin, lookup.answers,
                                 tuple(a for a in lookup.answers if a not in allowed),
                                 used, session, connected_at)
                connection = Connection(origin, sock, peer)
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
    """The TLS settings of a job's connections. Loading the system's certificate authorities
    takes 20-130 ms, once per job; a cluster worker runs a job per batch of URLs, so the
    context is shared by the jobs of a process that ask for the same (an SSLContext is safe
    to share between threads; a changed --ca-file is a new context)."""
    ca_file = str(settings.ca_file) if settings.ca_file is not None else None
    try:
        stamp = os.stat(ca_file).st_mtime_ns if ca_file is not None else None
    except OSError:
        stamp = None  # the load below names the file and the reason
    return _tls_context(ca_file, stamp, settings.verify_tls)


@functools.lru_cache(maxsize=8)
def _tls_context(ca_file: str | None, stamp: int | None, verify_tls: bool) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=ca_file)
    if not verify_tls:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["http/1.1"])
    return context
