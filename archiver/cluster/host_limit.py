"""The per-host connection limit across a whole cluster.

On one machine the frontier keeps at most `per_host` exchanges with an origin at a time.
On a cluster each worker has a frontier of its own, so the limit is also held in the
scheduler: one `distributed.Semaphore` per origin and job, with `per_host` leases, taken
for each exchange. A site sees no more connections from a cluster of 100 machines than from
one. A worker that dies holding a lease gives it back when the lease times out (seconds).

Why a semaphore rather than routing each host's URLs to one task: a page's requisites often
live on other hosts (a CDN shared by many sites), which no routing of the URL list can keep
together; and one task per host leaves a cluster idle on a list dominated by one site. An
acquire and a release are a scheduler round trip each (bench/cluster_bench.py), so a worker
keeps a lease it is done with for its next exchange with the same host (HostLimitedTransport),
up to its fair share of the host's leases: what it holds beyond that goes back after each
exchange, so that another worker waiting for the host gets it (a worker that kept every
lease it had left the others waiting on the network while it also extracted its pages on
the same core: bench/RESULTS.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

from archiver.capture.transport import Exchange, Request, SinkFactory, Transport
from archiver.capture.urls import origin_of

if TYPE_CHECKING:
    from distributed import Semaphore


class ClusterHostLimit:
    """Hands out the cluster-wide lease for an origin (made on first use, in this worker)."""

    def __init__(self, job_id: str, per_host: int) -> None:
        from distributed import get_client

        self.job_id = job_id
        self.per_host = per_host
        # Made on the task's thread, which knows its worker; the fetches run on others.
        self._client = get_client()
        workers = len(self._client.scheduler_info(n_workers=-1).get("workers", {}))
        self.share = max(1, per_host // max(1, workers))
        """The leases of a host this worker keeps between its exchanges: its fair share."""
        self._semaphores: dict[str, Semaphore] = {}
        self._lock = threading.Lock()

    def semaphore_for(self, url: str) -> Semaphore:
        from distributed import Semaphore

        origin = origin_of(url)
        name = f"archiver-host-{self.job_id}-{origin.scheme}://{origin.host}:{origin.port}"
        with self._lock:
            found = self._semaphores.get(name)
            if found is None:
                found = self._semaphores[name] = Semaphore(
                    max_leases=self.per_host, name=name,
                    scheduler_rpc=self._client.scheduler, loop=self._client.loop)
            return found


class HostLimitedTransport:
    """A transport that holds its origin's cluster-wide lease for each exchange.

    A lease handed back to the scheduler and asked for again costs two round trips between
    two exchanges with the same host, while the site waits on no one: so a lease an exchange
    is done with stays with this worker for the next exchange with that host, for at most
    `hold` seconds. It goes back to the scheduler sooner when this worker must wait for
    another host's lease (two workers never wait on each other's idle leases), and at the
    end of the batch. The limit counts every lease, held or in use: it holds all the same.
    """

    def __init__(self, inner: Transport, limit: ClusterHostLimit, *, hold: float = 0.5
                 ) -> None:
        self.inner = inner
        self.limit = limit
        self.hold = hold
        self._held: dict[str, int] = {}
        """Per origin's semaphore name: the leases this worker holds, in use or idle."""
        self._idle: dict[str, list[float]] = {}
        """Per origin's semaphore name: when each idle lease this worker holds fell idle."""
        self._semaphores: dict[str, Semaphore] = {}
        self._lock = threading.Lock()
        self._freed = threading.Condition(self._lock)
        """Notified when a lease of this worker falls idle."""
        self._stop = threading.Event()
        self._sweeper = threading.Thread(target=self._sweep, name="archiver-leases",
                                         daemon=True)
        self._sweeper.start()

    def fetch(self, request: Request, sink_factory: SinkFactory | None = None) -> Exchange:
        try:
            semaphore = self.limit.semaphore_for(request.url)
        except ValueError:  # not a URL an origin can be read from: the transport says why
            return self.inner.fetch(request, sink_factory)
        name = semaphore.name
        self._take(name, semaphore)
        try:
            return self.inner.fetch(request, sink_factory)
        finally:
            with self._freed:
                beyond_share = self._held[name] > self.limit.share
                if beyond_share:
                    self._held[name] -= 1
                else:
                    self._idle.setdefault(name, []).append(time.monotonic())
                    self._freed.notify_all()
            if beyond_share:
                semaphore.release()

    def _take(self, name: str, semaphore: Semaphore) -> None:
        with self._freed:
            self._semaphores[name] = semaphore
            while True:
                idle = self._idle.get(name)
                if idle:
                    idle.pop()
                    return
                if self._held.get(name, 0) < self.limit.share:
                    break
                # This worker has its share of the host: one more only if the scheduler
                # has one free, else the next of its own that falls idle.
                self._freed.release()
                try:
                    taken = semaphore.acquire(timeout=0)
                finally:
                    self._freed.acquire()
                if taken:
                    self._held[name] = self._held.get(name, 0) + 1
                    return
                self._freed.wait(self.hold)
        if not semaphore.acquire(timeout=0):
            self._give_back(math.inf)  # wait holding nothing idle
            semaphore.acquire()
        with self._freed:
            self._held[name] = self._held.get(name, 0) + 1

    def _give_back(self, idle_before: float) -> None:
        """Hand back to the scheduler every lease idle since before `idle_before`."""
        with self._lock:
            freed = []
            for name, idle in self._idle.items():
                keep = [since for since in idle if since >= idle_before]
                freed += [name] * (len(idle) - len(keep))
                self._held[name] -= len(idle) - len(keep)
                idle[:] = keep
        for name in freed:
            self._semaphores[name].release()

    def _sweep(self) -> None:
        while not self._stop.wait(self.hold / 2):
            self._give_back(time.monotonic() - self.hold)

    def check_idle(self) -> None:
        self.inner.check_idle()

    def close(self) -> None:
        self._stop.set()
        self._give_back(math.inf)
        self.inner.close()


def tab_lease(limit: ClusterHostLimit) -> Callable[[str], AbstractAsyncContextManager[None]]:
    """For a browser capture on a worker (archiver.capture.browser.pool.HostLease): each
    page holds its origin's cluster-wide lease while its tab is open, so the tabs of every
    worker on one site are never more than `per_host` at once, as one machine's are. A page
    takes seconds: a lease taken and given back for each (a scheduler round trip each way,
    made in a thread: Dask's calls block) costs nothing worth keeping it for."""

    @contextlib.asynccontextmanager
    async def held(url: str) -> AsyncIterator[None]:
        try:
            semaphore = limit.semaphore_for(url)
        except ValueError:  # not a URL an origin can be read from: the page says why
            yield
            return
        await asyncio.to_thread(semaphore.acquire)
        try:
            yield
        finally:
            await asyncio.to_thread(semaphore.release)

    return held
