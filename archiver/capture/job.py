"""A capture job: fetch every source and its requisites, and write each exchange to the WARC.

One scheduling thread owns the frontier; a pool of workers performs exchanges. A worker
fetches, compresses its request and response records and hands them to the writer, so the
heavy work (network wait, gzip, SHA-256) runs in parallel and the scheduler stays light.

Every fetch has a slot, its place in the job's list of resources. A URL is fetched once,
except that a redirect may lead back to a URL already fetched when the cookies it would carry
have changed since (a consent or session gate sets a cookie and redirects to itself): that
hop is fetched again, as a browser does. A redirect is a loop only when a URL comes back
with the cookies it had before; a chain is followed for at most `max_redirects` hops.

Whatever goes wrong in one exchange is that exchange's failed outcome, with its reason; the
job goes on. Only a fault of the machine (a full disk: EnvironmentFault, OSError) or an
interruption ends it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Container, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from archiver._types import Progress
from archiver.capture.cookies import JobCookies
from archiver.capture.frontier import Frontier, Role, Task
from archiver.capture.http_transport import HttpTransport
from archiver.capture.network_errors import NetworkError
from archiver.capture.provenance import PeerRecords
from archiver.capture.requisites import RequisiteFinder
from archiver.capture.results import (
    CaptureResult,
    PayloadLookup,
    RecordRef,
    Resource,
    RevisitOf,
    SourceOutcome,
    StrayRef,
    earlier_capture,
)
from archiver.capture.transport import Exchange, Request, StrayBytes, Transport
from archiver.capture.urls import normalize_url, try_normalize, url_from_header
from archiver.errors import CaptureError, EnvironmentFault
from archiver.settings import CaptureSettings
from archiver.timestamps import utc_iso
from archiver.warc.exchange_records import exchange_records, revisit_records, stray_record
from archiver.warc.records import PreparedRecord
from archiver.warc.writer import RecordLocation, WarcWriter

_log = logging.getLogger(__name__)
_log.addHandler(logging.NullHandler())  # a library's logger stays silent unless asked
MAX_REQUISITE_DEPTH = 4
_MACHINE_FAULTS = (EnvironmentFault, OSError)
"""Errors that are not one exchange's: they end the job (exit 3)."""


@dataclass
class _Fetched:
    task: Task
    resource: Resource
    requisites: list[str]
    error: NetworkError | None = None
    cookies: str | None = None
    """The Cookie header the request carried."""


@dataclass(frozen=True)
class _Admitted:
    outcome: SourceOutcome
    slot: int | None
    """Where its redirect chain starts (None: not a URL that could be fetched)."""


class CaptureJob:
    def __init__(
        self,
        settings: CaptureSettings,
        writer: WarcWriter,
        *,
        transport: Transport | None = None,
        progress: Progress | None = None,
        on_captured: Callable[[Resource], object] | None = None,
        dedup: PayloadLookup | None = None,
        kept_whole: Callable[[Exchange, Resource], bool] | None = None,
    ) -> None:
        self.settings = settings
        self.on_captured = on_captured
        """Told of each resource as soon as its records are written (on the scheduling
        thread), so extraction can start while the capture goes on."""
        self.writer = writer
        self.dedup = dedup
        """Asked of each response's payload digest: when a collection holds that payload
        already, the response is written as a revisit record (docs/collections.md)."""
        self.kept_whole = kept_whole
        """Which exchanges are never revisits, whatever `dedup` says (automatic mode: the
        web pages asked for, each judged from its body)."""
        self.known_requisites: Container[str] = frozenset()
        """Requisites another part of the same package holds already (a cluster worker's
        earlier batches): not fetched again, as one job fetches each URL once."""
        self.transport = transport or HttpTransport(settings, on_stray=self._late_stray)
        self.progress = progress
        self.cookies = JobCookies()
        self.frontier = Frontier(per_host=settings.per_host, concurrency=settings.concurrency)
        self._slots: list[Resource] = []
        """Every fetch, in the order it was asked for: what the job found."""
        self._by_url: dict[str, list[int]] = {}
        self._sent_cookies: dict[int, str | None] = {}
        """The Cookie header each finished fetch carried."""
        self._next_hop: dict[int, int] = {}
        """Where each followed redirect led: the slot of the fetch that answered it."""
        self._done = 0
        self._late: list[tuple[str, StrayRef]] = []
        self._late_lock = threading.Lock()
        self._peers = PeerRecords(settings.gzip_level)

    def run(self, urls: Sequence[str], role: Role = "source") -> CaptureResult:
        """Capture `urls` (and what they need), then close the connections."""
        try:
            return self.capture(urls, role)
        finally:
            self.close()

    def capture(self, urls: Sequence[str], role: Role = "source") -> CaptureResult:
        """Capture `urls`; may be called again (a story, then its citations): what was
        fetched before is not fetched again, and every result lists all resources so far."""
        started = utc_iso()
        admitted = [self._admit_source(url, role) for url in urls]
        self._drive()
        self.transport.check_idle()  # bytes sent after a host's last exchange: kept too
        self._attach_late_strays()
        finished = utc_iso()
        resolved = [self._resolve(entry) for entry in admitted]
        return CaptureResult(resolved, list(self._slots), started, finished,
                             list(self._peers.found))

    def close(self) -> None:
        self.transport.close()

    # -- scheduling (one thread) ------------------------------------------------------------

    def _admit_source(self, requested: str, role: Role) -> _Admitted:
        try:
            url = normalize_url(requested)
        except CaptureError as error:
            return _Admitted(SourceOutcome(requested, None, "failed", reason=error.reason), None)
        slots = self._by_url.get(url)
        if slots is None:
            slot = self._enqueue(Task(url, role))
        else:  # fetched already: its first fetch starts the chain, as it did then
            slot = slots[0]
            for known in slots:
                if self._slots[known].role == "requisite":
                    self._slots[known].role = role  # asked for by name now
        return _Admitted(SourceOutcome(requested, url, "failed"), slot)

    def _enqueue(self, task: Task, *, again: bool = False) -> int:
        """Queue `task` in a new slot (unless its URL was taken, and not `again`); return
        the slot of its URL's latest fetch."""
        if self.frontier.add(task, again=again):
            task.slot = len(self._slots)
            self._slots.append(Resource(task.url, task.role, found_on=task.found_on))
            self._by_url.setdefault(task.url, []).append(task.slot)
        return self._by_url[task.url][-1]

    def _drive(self) -> None:
        pool = ThreadPoolExecutor(self.settings.concurrency, thread_name_prefix="archiver-fetch")
        running: dict[Future[_Fetched], Task] = {}
        try:
            while self.frontier.has_work:
                for task in self.frontier.take_ready():
                    running[pool.submit(self._fetch, task)] = task
                finished, _ = wait(running, timeout=self.frontier.seconds_to_next_retry(),
                                   return_when=FIRST_COMPLETED)
                for future in finished:
                    task = running.pop(future)
                    self.frontier.finished(task)
                    self._settle(task, future.result())
                    self._done += 1
                    if self.progress:
                        self.progress(self._done, len(self._slots), task.url)
        except BaseException:
            # Interrupted or failed: break off in-flight fetches so the workers end now.
            self.transport.close()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _settle(self, task: Task, fetched: _Fetched) -> None:
        error = fetched.error
        if error is not None and error.transient and task.attempt < self.settings.retries:
            self.frontier.retry(task, self.settings.retry_backoff * (2 ** task.attempt))
            return
        self._slots[task.slot] = fetched.resource
        self._sent_cookies[task.slot] = fetched.cookies
        resource = fetched.resource
        if self.on_captured is not None and resource.outcome == "captured":
            self.on_captured(resource)
        if resource.redirect_to and len(task.trail) < self.settings.max_redirects:
            self._follow(task, resource.redirect_to)
        if self.settings.requisites and task.depth < MAX_REQUISITE_DEPTH:
            for url in fetched.requisites:
                if url not in self.known_requisites:
                    self._enqueue(Task(url, "requisite", found_on=task.url,
                                       depth=task.depth + 1))

    def _follow(self, task: Task, target: str) -> None:
        """Link `task`'s redirect to the fetch that answers it: a hop of its own chain when
        the URL comes back with the same cookies (a loop, told by `_resolve`), a fetch of
        that URL made with the same cookies, or a new one."""
        trail = (*task.trail, task.slot)
        cookies = self.cookies.header_for(target)
        for slot in trail:
            if (self._slots[slot].url, self._sent_cookies.get(slot)) == (target, cookies):
                self._next_hop[task.slot] = slot
                return
        for slot in self._by_url.get(target, []):
            if slot not in self._sent_cookies or self._sent_cookies[slot] == cookies:
                self._next_hop[task.slot] = slot  # under way, or made with these cookies
                return
        self._next_hop[task.slot] = self._enqueue(
            Task(target, task.role, found_on=task.found_on, depth=task.depth, trail=trail),
            again=True)

    # -- one exchange (worker threads) -------------------------------------------------------

    def _fetch(self, task: Task) -> _Fetched:
        resource = Resource(task.url, task.role, found_on=task.found_on, attempts=task.attempt + 1)
        try:
            return self._fetch_into(task, resource)
        except _MACHINE_FAULTS:
            raise
        except Exception as error:
            # A bug met in one exchange costs that exchange, not the job; the trace is logged
            # (the tests fail on it).
            _log.error("capturing %s failed unexpectedly", task.url, exc_info=error)
            resource.outcome = "failed"
            resource.reason = (f"archiver could not capture this URL: an unexpected error "
                               f"({type(error).__name__}: {error}); please report it")
            return _Fetched(task, resource, [])

    def _fetch_into(self, task: Task, resource: Resource) -> _Fetched:
        finder = RequisiteFinder()
        headers = []
        cookie = self.cookies.header_for(task.url)
        if cookie:
            headers.append(("Cookie", cookie))
        if task.found_on:
            headers.append(("Referer", task.found_on))
        try:
            exchange = self.transport.fetch(Request(task.url, headers),
                                            finder.sink_for if self.settings.requisites else None)
        except NetworkError as error:
            resource.reason = error.reason
            return _Fetched(task, resource, [], error, cookie)
        except CaptureError as error:
            resource.reason = error.reason
            return _Fetched(task, resource, [], cookies=cookie)
        try:
            self.cookies.remember(task.url, exchange.headers)
            self._record(exchange, resource)
        finally:
            exchange.close()
        if finder.problem:
            resource.notes.append(finder.problem)
        return _Fetched(task, resource, finder.urls, cookies=cookie)

    def _record(self, exchange: Exchange, resource: Resource) -> None:
        original = self._revisit_of(exchange, resource)
        prepared = (revisit_records(exchange, original, gzip_level=self.settings.gzip_level)
                    if original is not None else
                    exchange_records(exchange, gzip_level=self.settings.gzip_level))
        stray = exchange.stray
        if stray is not None:
            prepared.append(stray_record(stray, gzip_level=self.settings.gzip_level))
        # The connection's provenance goes with the first exchange made over it (or with
        # the first to meet other facts than those recorded for its origin).
        peer = self._peers.prepare(exchange.peer, exchange.response_id)
        if peer is not None:
            prepared.append(peer.record)
        try:
            request_at, response_at, *others_at = self.writer.write(prepared)
        finally:
            for record in prepared:
                record.close()
        if stray is not None:
            _add_stray(resource, _stray_ref(stray, prepared[2], others_at[0]), late=False)
        if peer is not None:
            self._peers.written(peer, others_at[-1])
        resource.revisit = original
        resource.outcome = "failed" if exchange.failure else "captured"
        resource.reason = exchange.failure
        resource.written_as(exchange, RecordRef(response_at.warc_file, prepared[1].record_id,
                                                response_at.offset, prepared[0].record_id,
                                                request_at.offset))
        _follow_redirect(exchange, resource)

    def _revisit_of(self, exchange: Exchange, resource: Resource) -> RevisitOf | None:
        if self.kept_whole is not None and self.kept_whole(exchange, resource):
            return None
        return earlier_capture(self.dedup, exchange.url, exchange.payload_sha256,
                               exchange.payload_length,
                               whole=not (exchange.failure or exchange.truncated),
                               role=resource.role)

    def _late_stray(self, stray: StrayBytes) -> None:
        """Bytes that arrived on an idle connection after `stray.url`'s exchange: kept in a
        record now (on the thread that found them: a worker taking the connection, or the
        scheduler's last look at idle connections), told to its resource once the job ends."""
        record = stray_record(stray, gzip_level=self.settings.gzip_level)
        try:
            [where] = self.writer.write([record])
        finally:
            record.close()
        with self._late_lock:
            self._late.append((stray.url, _stray_ref(stray, record, where)))

    def _attach_late_strays(self) -> None:
        with self._late_lock:
            late, self._late = self._late, []
        for url, ref in late:
            slots = self._by_url.get(url)
            if slots:  # the URL's latest fetch: the one that last used a connection
                _add_stray(self._slots[slots[-1]], ref, late=True)

    # -- summing up --------------------------------------------------------------------------

    def _resolve(self, admitted: _Admitted) -> SourceOutcome:
        """Follow a source's redirects, hop by hop, to its final response."""
        source, slot = admitted.outcome, admitted.slot
        if slot is None:
            return source
        hops = [slot]
        resource = self._slots[slot]
        while resource.outcome == "captured" and resource.redirect_to:
            chain = [self._slots[hop].url for hop in hops]
            following = self._next_hop.get(slot)
            if following in hops:
                loop = " → ".join([*chain[hops.index(following):], resource.redirect_to])
                return _failed(source, chain, f"redirect loop (same cookies each time): {loop}",
                               resource)
            if following is None or len(hops) > self.settings.max_redirects:
                return _failed(source, chain, f"more than {self.settings.max_redirects} "
                               "redirects", resource)
            hops.append(following)
            slot, resource = following, self._slots[following]
        chain = [self._slots[hop].url for hop in hops]
        source.outcome = resource.outcome
        source.reason = resource.reason
        source.final_url = resource.url
        source.redirects = chain if len(chain) > 1 else []
        source.resource = resource
        return source


def _failed(source: SourceOutcome, chain: list[str], reason: str,
            resource: Resource) -> SourceOutcome:
    source.outcome = "failed"
    source.reason = reason
    source.redirects = chain
    source.final_url = chain[-1]
    source.resource = resource
    return source


def _follow_redirect(exchange: Exchange, resource: Resource) -> None:
    """Where the response redirects, read from its record (the evidence replay and verify
    read), never from what the parser made of the bytes."""
    if exchange.is_redirect:
        location = url_from_header(exchange.recorded.location or "")
        resource.redirect_to = try_normalize(location, exchange.url)
        if resource.redirect_to is None:
            resource.notes.append(f"redirect to an unusable location: {location!r}")
    elif exchange.is_redirect_as_parsed:
        resource.notes.append("the redirect was not followed: its header block, read as "
                              "readers of the record read it (to the first line of only "
                              "white space), holds no Location")


def _stray_ref(stray: StrayBytes, record: PreparedRecord, where: RecordLocation) -> StrayRef:
    return StrayRef(where.warc_file, record.record_id, where.offset, stray.length,
                    len(stray.data), stray.sha256)


def _add_stray(resource: Resource, ref: StrayRef, *, late: bool) -> None:
    resource.stray_bytes.append(ref)
    when = ("on the connection, while it was idle, after the end of its response" if late
            else "after the end of its response")
    resource.notes.append(f"the server sent {ref.length} bytes {when}: they belong to no "
                          f"response, and are kept apart in record {ref.record_id}; the "
                          "connection was closed, not reused")
