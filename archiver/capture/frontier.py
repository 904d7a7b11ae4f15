"""What to fetch next: each URL once (but for a redirect hop that comes back to a URL with
other cookies), at most `per_host` at a time per origin, retries later.

The frontier lives on the job's one scheduling thread; workers never touch it.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Literal

from archiver.capture.urls import Origin, origin_of

Role = Literal["source", "story", "citation", "requisite"]
"""Why a URL is fetched: asked for (a source; in story mode the story or a source it cites),
or needed by a page to render (a requisite)."""


@dataclass
class Task:
    url: str
    role: Role
    found_on: str | None = None
    depth: int = 0
    """Requisite nesting: 0 for a source, 1 for what it loads, 2 for what a stylesheet loads..."""
    slot: int = -1
    """Which fetch of the job this is (its place in the job's list of resources)."""
    trail: tuple[int, ...] = ()
    """The slots of the redirect hops that led here, the first one first."""
    attempt: int = 0
    not_before: float = 0.0
    origin: Origin = field(init=False)

    def __post_init__(self) -> None:
        self.origin = origin_of(self.url)


class Frontier:
    def __init__(self, *, per_host: int, concurrency: int) -> None:
        self.per_host = per_host
        self.concurrency = concurrency
        self._seen: set[str] = set()
        self._waiting: dict[Origin, deque[Task]] = defaultdict(deque)
        self._later: list[Task] = []
        self._active: dict[Origin, int] = defaultdict(int)
        self.running = 0

    def add(self, task: Task, *, again: bool = False) -> bool:
        """Queue a task unless its URL was already taken (or `again`: a redirect hop that
        comes back to a URL with other cookies); say whether it was queued."""
        if task.url in self._seen and not again:
            return False
        self._seen.add(task.url)
        self._waiting[task.origin].append(task)
        return True

    def retry(self, task: Task, delay: float) -> None:
        task.attempt += 1
        task.not_before = time.monotonic() + delay
        self._later.append(task)

    def take_ready(self) -> list[Task]:
        """Tasks that may start now, within the global and per-origin limits."""
        now = time.monotonic()
        due = [task for task in self._later if task.not_before <= now]
        for task in due:
            self._later.remove(task)
            self._waiting[task.origin].appendleft(task)
        ready: list[Task] = []
        for origin, queue in self._waiting.items():
            while (queue and self._active[origin] < self.per_host
                   and self.running < self.concurrency):
                ready.append(queue.popleft())
                self._active[origin] += 1
                self.running += 1
        return ready

    def finished(self, task: Task) -> None:
        self._active[task.origin] -= 1
        self.running -= 1

    @property
    def has_work(self) -> bool:
        return self.running > 0 or bool(self._later) or any(self._waiting.values())

    def seconds_to_next_retry(self) -> float | None:
        if not self._later:
            return None
        return max(0.0, min(task.not_before for task in self._later) - time.monotonic())
