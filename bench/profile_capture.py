#!/usr/bin/env python3
"""Profile archiver's capture of the benchmark site, in-process, every thread included.

cProfile alone sees only the main thread, while a capture's work runs in the fetch threads, so
this wraps CaptureJob._fetch in a per-thread profiler and merges the stats. It also times the
stages of every exchange (waiting for the network, preparing gzip records, appending to the
WARC) and how many exchanges were in flight on average.

    python bench/profile_capture.py [--timer wall|cpu] [--top 30] [--no-profile]
                                    [--split-slots 2]

--split-slots is an experiment, not a fix in place (see bench/experiments.py): it patches
archiver's classes at run time to measure what a change would buy. Nothing under archiver/ is
edited.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from experiments import experiment_split_slots
from generated_site import shared_site
from measurement import handle_signals, make_temp_dir, median, remove_tree


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path)
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--pdfs", type=int, default=20)
    ap.add_argument("--latency-ms", type=float, default=20)
    ap.add_argument("--timer", choices=["wall", "cpu"], default="cpu",
                    help="cpu: time.thread_time per thread (where CPU goes); wall: perf_counter")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--split-slots", type=int, default=0, metavar="FACTOR",
                    help="experiment: frontier admits FACTOR x per_host tasks, a semaphore "
                    "keeps per_host connections in use")
    ap.add_argument("--no-profile", action="store_true", help="only the stage timings")
    ap.add_argument("--per-host", type=int, default=None)
    ap.add_argument("--concurrency", type=int, default=None)
    ap.add_argument("--gzip-level", type=int, default=None)
    ap.add_argument("--save", type=Path, help="write the merged pstats here")
    args = ap.parse_args()
    handle_signals()

    from archiver.capture import http_transport as http
    from archiver.capture import job
    from archiver.package.build import create_package
    from archiver.settings import CaptureSettings
    from archiver.warc import exchange_records as er_mod
    from archiver.warc import writer as writer_mod

    if args.split_slots:
        experiment_split_slots(args.split_slots)
    timer = time.thread_time if args.timer == "cpu" else time.perf_counter
    profiles: list[cProfile.Profile] = []
    local = threading.local()
    stages: dict[str, list[float]] = defaultdict(list)
    stage_cpu: dict[str, float] = defaultdict(float)
    lock = threading.Lock()
    inflight = [0, 0.0, time.perf_counter()]  # count, integral, last change

    def track(delta: int) -> None:
        with lock:
            now = time.perf_counter()
            inflight[1] += inflight[0] * (now - inflight[2])
            inflight[0] += delta
            inflight[2] = now

    def timed(name: str, fn):  # type: ignore[no-untyped-def]
        def wrapper(*a, **kw):  # type: ignore[no-untyped-def]
            t, c = time.perf_counter(), time.thread_time()
            try:
                return fn(*a, **kw)
            finally:
                stages[name].append(time.perf_counter() - t)
                stage_cpu[name] += time.thread_time() - c
        return wrapper

    original_fetch = job.CaptureJob._fetch

    def fetch(self, task):  # type: ignore[no-untyped-def]
        track(+1)
        prof = None
        if not args.no_profile:
            prof = getattr(local, "prof", None)
            if prof is None:
                prof = local.prof = cProfile.Profile(timer)
                with lock:
                    profiles.append(prof)
            prof.enable()
        t, c = time.perf_counter(), time.thread_time()
        try:
            return original_fetch(self, task)
        finally:
            if prof is not None:
                prof.disable()
            stages["whole _fetch"].append(time.perf_counter() - t)
            stage_cpu["whole _fetch"] += time.thread_time() - c
            track(-1)

    job.CaptureJob._fetch = fetch  # type: ignore[method-assign]
    http.HttpTransport.fetch = timed("transport.fetch (network)", http.HttpTransport.fetch)
    job.exchange_records = timed("exchange_records (gzip)", er_mod.exchange_records)
    writer_mod.WarcWriter.write = timed("WarcWriter.write (lock+append)",
                                        writer_mod.WarcWriter.write)

    from archiver.package import build as build_mod

    phases: dict[str, list[float]] = defaultdict(list)

    def phase(name: str, fn):  # type: ignore[no-untyped-def]
        def wrapper(*a, **kw):  # type: ignore[no-untyped-def]
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                phases[name].append(time.perf_counter() - t)
        return wrapper

    build_mod.CaptureJob.run = phase("CaptureJob.run (fetching)", build_mod.CaptureJob.run)
    for name in ("build_manifest", "dump_manifest", "write_bag"):
        setattr(build_mod, name, phase(name, getattr(build_mod, name)))

    settings_kw: dict[str, Any] = {"allow_private": True}  # the bench site is on 127.0.0.1
    if args.per_host:
        settings_kw["per_host"] = args.per_host
    if args.concurrency:
        settings_kw["concurrency"] = args.concurrency
    if args.gzip_level is not None:
        settings_kw["gzip_level"] = args.gzip_level
    settings = CaptureSettings(**settings_kw)

    work = make_temp_dir("profile")
    try:
        with shared_site(args.shared, work, pages=args.pages, pdfs=args.pdfs,
                         latency_ms=args.latency_ms) as (_port, urls_file):
            urls = [u for u in urls_file.read_text().split() if u]
            main_prof = cProfile.Profile(timer)
            main_cpu0 = time.thread_time()
            t0 = time.perf_counter()
            c0 = time.process_time()
            if not args.no_profile:
                main_prof.enable()
            result = create_package(urls, work / "pkg", settings=settings)
            main_prof.disable()
            main_cpu = time.thread_time() - main_cpu0
            wall = time.perf_counter() - t0
            cpu = time.process_time() - c0
    finally:
        remove_tree(work, False)

    job_wall = wall
    print(f"capture: {wall:.2f} s wall, {cpu:.2f} s CPU (this process), "
          f"{len(result.capture.resources)} resources, complete={result.is_complete}, "
          f"experiment split_slots={args.split_slots}; settings per_host={settings.per_host} "
          f"concurrency={settings.concurrency} gzip={settings.gzip_level}")
    for name, vals in phases.items():
        print(f"  phase {name}: {sum(vals):.2f} s")
    job_wall = sum(phases["CaptureJob.run (fetching)"]) or wall
    print(f"average exchanges in flight during CaptureJob.run: {inflight[1] / job_wall:.2f}")
    print(f"main (scheduling) thread CPU: {main_cpu:.2f} s")
    print("\nstage timings (per exchange; wall and CPU seconds summed over threads):")
    for name, vals in stages.items():
        print(f"  {name:34s} n={len(vals):5d} wall={sum(vals):7.2f} cpu={stage_cpu[name]:6.2f} "
              f"median={median(vals) * 1000:7.1f} ms  max={max(vals) * 1000:7.1f} ms")
    if not args.no_profile:
        stats = pstats.Stats(main_prof)
        for prof in profiles:
            stats.add(prof)
        if args.save:
            stats.dump_stats(str(args.save))
        for key in ("tottime", "cumulative"):
            buf = io.StringIO()
            stats.stream = buf  # type: ignore[attr-defined]
            stats.sort_stats(key).print_stats(args.top)
            print(f"\n== all threads, {args.timer} time, sorted by {key} ==")
            print("\n".join(line for line in buf.getvalue().splitlines()
                            if line.strip())[:12000])
    return 0


if __name__ == "__main__":
    sys.exit(main())
