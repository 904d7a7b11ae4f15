"""Results of work spread over a Dask cluster, taken back in the order the work was given
(the one report, or the one package, reads as a local run's), whatever order the workers
finish in. A capture's list may be endless: at most `window` tasks are held at a time, sent
or done and waiting for an earlier one, so the driver's memory stays flat."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, TypeVar

from archiver.errors import ClusterUnavailable

if TYPE_CHECKING:
    from distributed import Client, Future

T = TypeVar("T")


def in_order(client: Client, submitted: Iterator[Future[T]], *, lost: str,
             cancelled: str | None = None, window: int | None = None,
             on_done: Callable[[int], None] | None = None) -> Iterator[T]:
    """Each task's result, in the order of `submitted` (a lazy iterator: advancing it sends
    the next task), with at most `window` held (None: all sent at once). `on_done` is told
    how many tasks are done, as each finishes. A task the cluster lost (its workers died
    each time) raises ClusterUnavailable with `lost`; one cancelled, with `cancelled`. What
    is still held when this stops early is cancelled."""
    from distributed import CancelledError, KilledWorker, as_completed

    running = as_completed(loop=client.loop)
    place: dict[object, int] = {}  # by task key
    held: list[Future[T]] = []
    waiting: dict[int, T] = {}
    sent = taken = 0

    def send_more() -> None:
        nonlocal sent
        while window is None or sent - taken < window:
            future = next(submitted, None)
            if future is None:
                return
            place[future.key] = sent
            held.append(future)
            running.add(future)
            sent += 1

    try:
        send_more()
        for future in running:
            held.remove(future)
            try:
                waiting[place.pop(future.key)] = future.result()
            except KilledWorker:
                raise ClusterUnavailable(scheduler_address(client), lost) from None
            except CancelledError:
                raise ClusterUnavailable(scheduler_address(client), cancelled or lost) from None
            if on_done is not None:
                on_done(taken + len(waiting))
            while taken in waiting:
                yield waiting.pop(taken)
                taken += 1
                send_more()
    finally:
        if held:
            client.cancel(held)


def scheduler_address(client: Client) -> str:
    """The scheduler's address, as errors name the cluster."""
    return str(getattr(client.scheduler, "address", None) or "cluster")
