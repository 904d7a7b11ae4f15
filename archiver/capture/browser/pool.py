"""The tabs of a browser capture: at most `tabs` pages open at once, at most `per_host` of
them loading from one host, and no new one while the memory of archiver and its browser is at
the ceiling.

A page waits for its host's turn (and, on a cluster, for its origin's cluster-wide lease:
`host_lease`) before it takes a tab, so pages of a busy host queued behind
each other never hold tabs that pages of other hosts could use. The memory check is made when
a tab is about to open: while the ceiling is reached and another tab is still open, the new
one waits for a tab to close (or for memory to fall); one tab always runs, so a page larger
than the ceiling is still captured, alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from urllib.parse import urlsplit

from archiver.capture.browser.memory import tree_memory

_log = logging.getLogger(__name__)
_log.addHandler(logging.NullHandler())
RECHECK_SECONDS = 0.5
"""How often a tab held back by memory looks again, when no tab closes meanwhile."""
HostLease = Callable[[str], AbstractAsyncContextManager[object]]
"""Held for a page's URL while its tab is open, beside the pool's own turn for its host: on a
cluster, the per-host limit across every worker (archiver.cluster.host_limit.tab_lease)."""


class TabPool:
    """Admits pages to tabs; `async with pool.tab(url):` around everything a page does."""

    def __init__(self, tabs: int, per_host: int, memory_ceiling: int, *,
                 measure: Callable[[], int | None] = tree_memory,
                 host_lease: HostLease | None = None) -> None:
        self.tabs = tabs
        self.host_lease = host_lease
        self.per_host = per_host
        self.memory_ceiling = memory_ceiling
        self._measure = measure
        self._free = asyncio.Semaphore(tabs)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._changed = asyncio.Condition()
        self.open = 0
        self.most_open = 0
        """The most tabs that were open at once."""
        self.held_back = 0
        """Tabs that waited for memory before opening."""
        self.peak_memory = 0
        """The most memory measured when a tab was about to open, in bytes."""

    @contextlib.asynccontextmanager
    async def tab(self, url: str) -> AsyncIterator[None]:
        """Wait for `url`'s host's turn, a free tab and room in memory; hold them while the
        block runs."""
        host = self._hosts.setdefault(host_of(url), asyncio.Semaphore(self.per_host))
        leased = self.host_lease(url) if self.host_lease is not None else contextlib.nullcontext()
        async with host, leased, self._free:
            await self._room()
            self.open += 1
            self.most_open = max(self.most_open, self.open)
            try:
                yield
            finally:
                self.open -= 1
                async with self._changed:
                    self._changed.notify_all()

    async def _room(self) -> None:
        waited = False
        while self.open > 0:
            used = await asyncio.to_thread(self._measure)
            if used is None:
                return
            self.peak_memory = max(self.peak_memory, used)
            if used < self.memory_ceiling:
                return
            if not waited:
                waited = True
                self.held_back += 1
                _log.info("memory at %d MiB (ceiling %d MiB): a new tab waits", used >> 20,
                          self.memory_ceiling >> 20)
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), RECHECK_SECONDS)


def host_of(url: str) -> str:
    """The origin the per-host limit counts (scheme, host and port, as the HTTP capture's).

    >>> host_of("https://Example.org/a"), host_of("http://example.org:8080/b")
    ('https://example.org', 'http://example.org:8080')
    """
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1].lower()}"
