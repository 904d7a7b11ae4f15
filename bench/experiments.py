#!/usr/bin/env python3
"""A candidate change to archiver, applied from outside for measurement: it patches classes at
run time, so that what a change would buy is measured end to end before anyone writes it
properly. Nothing under archiver/ is edited.

    python bench/experiments.py --experiment split-slots ARGS...   (the archiver CLI, patched)

capture_bench.py and memory_bench.py run it with `--experiment NAME`; profile_capture.py with
`--split-slots FACTOR`.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable


def experiment_split_slots(factor: int = 2) -> None:
    """A per-host slot is held only while on the network: the frontier admits factor x
    per_host tasks per host, and a per-origin semaphore of per_host around
    HttpTransport.fetch keeps the connections in use per host at per_host. Compressing and
    writing the records no longer keeps the next request of that host waiting."""
    from archiver.capture import frontier
    from archiver.capture import http_transport as http
    from archiver.capture.urls import origin_of

    semaphores: dict[object, threading.BoundedSemaphore] = {}
    guard = threading.Lock()
    original_fetch = http.HttpTransport.fetch
    original_init = frontier.Frontier.__init__

    def init(self, *, per_host, concurrency):  # type: ignore[no-untyped-def]
        original_init(self, per_host=per_host * factor, concurrency=concurrency)

    def fetch(self, request, sink_factory=None):  # type: ignore[no-untyped-def]
        origin = origin_of(request.url)
        with guard:
            sem = semaphores.get(origin)
            if sem is None:
                sem = semaphores[origin] = threading.BoundedSemaphore(self.settings.per_host)
        with sem:
            return original_fetch(self, request, sink_factory)

    frontier.Frontier.__init__ = init  # type: ignore[method-assign]
    http.HttpTransport.fetch = fetch



EXPERIMENTS: dict[str, Callable[[], None]] = {
    "split-slots": experiment_split_slots,
}


def apply_experiments(names: Iterable[str]) -> None:
    for name in names:
        if name not in EXPERIMENTS:
            known = ", ".join(EXPERIMENTS)
            raise SystemExit(f"bench: unknown experiment {name!r} (known: {known})")
        EXPERIMENTS[name]()


def cli_with_experiments(argv: list[str]) -> int:
    """`--experiment A,B ARGS...`: the archiver CLI, run on ARGS with the experiments applied."""
    if argv[:1] == ["--experiment"] and len(argv) > 1:
        apply_experiments(n for n in argv[1].split(",") if n)
        argv = argv[2:]
    from archiver.cli import main as cli_main

    sys.argv = ["archiver", *argv]
    try:
        cli_main()
    except SystemExit as done:
        return int(done.code or 0) if not isinstance(done.code, str) else 1
    return 0


if __name__ == "__main__":
    raise SystemExit(cli_with_experiments(sys.argv[1:]))
