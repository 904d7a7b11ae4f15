"""The per-host connection limit across a whole cluster.

On one machine the frontier keeps at most `per_host` exchanges with an origin at a time.
On a cluster each worker has a frontier of its own, so the limit is also held in the
scheduler: one `distributed.Semaphore` per origin and job, with `per_host` leases, taken
for each exchange. A site sees no more connections from a cluster of 100 machines than from
one. A worker that dies holding a lease gives it back when the lease times out (seconds).

Why a semaphore rather than routing each host's URLs to one task: a page's requisites often
live on other hosts (a CDN shared by many sites), which no routing of the URL list can keep
together; and one task per host leaves a cluster idle on a list dominated by one site. An
acquire and release cost about 2 ms of scheduler round trip (bench/cluster_bench.py), small
beside a fetch.
"""

from __future__ import annotations

import threading
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
    """A transport that holds its origin's cluster-wide lease for each exchange."""

    def __init__(self, inner: Transport, limit: ClusterHostLimit) -> None:
        self.inner = inner
        self.limit = limit

    def fetch(self, request: Request, sink_factory: SinkFactory | None = None) -> Exchange:
        try:
            semaphore = self.limit.semaphore_for(request.url)
        except ValueError:  # not a URL an origin can be read from: the transport says why
            return self.inner.fetch(request, sink_factory)
        semaphore.acquire()
        try:
            return self.inner.fetch(request, sink_factory)
        finally:
            semaphore.release()

    def check_idle(self) -> None:
        self.inner.check_idle()

    def close(self) -> None:
        self.inner.close()
