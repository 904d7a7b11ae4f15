#!/usr/bin/env python3
"""Cluster benchmark (issue 16): archiver on one machine against archiver on a Dask cluster of
worker processes on the same machine, in the same run, with the model of 100 machines that
the measurements give.

A real cluster is started the way a user starts one: `dask scheduler` and `dask worker`
processes on 127.0.0.1 (one cluster of 2 workers, one of 1), running before the timed
commands, which reach them with `--cluster tcp://127.0.0.1:PORT`. It measures

  capture   ../shared/bench/site.py (200 pages, 20 PDFs, 20 ms latency): `archiver capture
            -i urls.txt` locally against `--cluster` on 2 workers; the ratio local/cluster
            time is what the cluster keeps of local speed (target >= 0.90).
  verify,   N copies of the captured package (24 by default: "many packages"; each command
  extract   also pays about half a second, one worker or two, to import Dask and reach the
            scheduler, which a few packages' work does not outweigh): `archiver verify
            P1..PN` and `archiver extract P1..PN -o OUT` on 1 worker against 2 workers
            (target >= 1.7x), local beside.
  browser   (only when asked: --parts browser) the first --browser-pages pages of the site,
            `archiver capture --browser` locally against `--cluster` on 2 workers, each
            worker's batch with a Chromium of its own (--batch: half the pages): what a
            browser capture keeps of local speed on one machine (Chromium is CPU work).
  memory    the driver's peak RSS (wait4; the driver has no children: the cluster runs apart)
            for a list of 10,000 and of 1,000,000 lines, each a URL no worker fetches
            (ftp://...: each a failed source, recorded), in batches of 1,000: what the
            driver holds as the list grows (target: flat).
  overhead  per task of the scheduler (empty tasks), and per exchange of the per-host lease
            (a distributed.Semaphore acquire + release, uncontended, and how many the
            scheduler serves a second with every worker asking at once).

and prints a model of what 100 machines would do, from these numbers.

    python bench/cluster_bench.py [--rounds 2] [--copies 24] [--lines 10000,1000000]
                                  [--shared DIR] [--parts capture,spread,overhead,memory]
                                  [--browser-pages 24] [--verbs verify,extract]
                                  [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generated_site import free_port, shared_site, wait_for_port
from measurement import (
    REPO_DIR,
    Run,
    archiver_command,
    handle_signals,
    machine_info,
    make_temp_dir,
    measure,
    median,
    remove_tree,
    table,
)

DASK = str(Path(sys.executable).with_name("dask"))


@contextmanager
def dask_cluster(workers: int, workdir: Path) -> Iterator[str]:
    """A scheduler and `workers` worker processes on 127.0.0.1, as `dask` starts them."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO_DIR)}
    log = (workdir / f"dask-{workers}.log").open("wb")
    scheduler = subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port",
                                  str(port), "--no-dashboard"], env=env, stdout=log, stderr=log)
    address = f"tcp://127.0.0.1:{port}"
    worker = subprocess.Popen([DASK, "worker", address, "--nworkers", str(workers),
                               "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1",
                               "--preload", "archiver.cluster.preload",
                               "--local-directory", str(workdir / f"dask-{workers}")],
                              env=env, stdout=log, stderr=log)
    try:
        wait_for_port(port, 60, scheduler)
        _wait_for_workers(address, workers)
        yield address
    finally:
        for proc in (worker, scheduler):
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


def _wait_for_workers(address: str, count: int) -> None:
    from distributed import Client

    with Client(address, timeout=30) as client:
        client.wait_for_workers(count, timeout=120)


def timed(cli: list[str], args: list[str]) -> Run:
    run = measure([*cli, *args], env={**os.environ, "PYTHONPATH": str(REPO_DIR)})
    if run.returncode not in (0, 1):
        raise SystemExit(f"bench: {' '.join(args[:2])} exited {run.returncode}:\n{run.tail()}")
    return run


# -- capture ---------------------------------------------------------------------------------

def local_against_cluster(cli: list[str], args: list[str], cluster_args: list[str],
                          work: Path, rounds: int, label: str,
                          keep_last_local: bool = False) -> tuple[list[dict[str, float]],
                                                                  float, float]:
    """`archiver capture ARGS -o OUT` locally and with `cluster_args` added, alternating
    which goes first each round; the rows and the median seconds of each."""
    rows = []
    for number in range(1, rounds + 1):
        times: dict[str, float] = {}
        order = ["local", "cluster"] if number % 2 else ["cluster", "local"]
        for how in order:
            out = work / f"{label.split()[0]}-{how}-{number}"
            extra = cluster_args if how == "cluster" else []
            times[how] = timed(cli, ["capture", *args, "-o", str(out), *extra]).seconds
            if not (keep_last_local and number == rounds and how == "local"):
                remove_tree(out, False)
            time.sleep(0.5)
        rows.append(times)
        print(f"{label} round {number}: local {times['local']:.2f} s, cluster (2 workers) "
              f"{times['cluster']:.2f} s, ratio {times['local'] / times['cluster']:.2f}")
    return (rows, median([row["local"] for row in rows]),
            median([row["cluster"] for row in rows]))


def bench_capture(cli: list[str], urls: Path, address: str, work: Path,
                  rounds: int) -> dict[str, object]:
    rows, local, cluster = local_against_cluster(
        cli, ["-i", str(urls), "--allow-private"], ["--cluster", address], work, rounds,
        "capture", keep_last_local=True)
    kept = json.loads((work / f"capture-local-{rounds}" / "manifest.json").read_text("utf-8"))
    return {"rounds": rows, "local_s": local, "cluster_s": cluster, "ratio": local / cluster,
            "fetches": len(kept["resources"])}


# -- capture with the browser ---------------------------------------------------------------

def bench_browser(cli: list[str], urls: Path, address: str, work: Path, rounds: int,
                  pages: int) -> dict[str, object]:
    chosen = [url for url in urls.read_text().split() if url.endswith(".html")][:pages]
    listed = work / "browser-pages.txt"
    listed.write_text("\n".join(chosen) + "\n")
    rows, local, cluster = local_against_cluster(
        cli, ["-i", str(listed), "--allow-private", "--browser"],
        ["--cluster", address, "--batch", str(max(1, len(chosen) // 2))], work, rounds,
        f"browser capture ({len(chosen)} pages)")
    return {"pages": len(chosen), "rounds": rows, "local_s": local, "cluster_s": cluster,
            "ratio": local / cluster}


# -- verify and extract ----------------------------------------------------------------------

def bench_spread(cli: list[str], package: Path, copies: int, one: str, two: str, work: Path,
                 rounds: int, verbs: tuple[str, ...] = ("verify", "extract")
                 ) -> dict[str, object]:
    packages = []
    for index in range(copies):
        copy = work / f"copy-{index:02d}"
        shutil.copytree(package, copy)
        packages.append(str(copy))
    size = sum(f.stat().st_size for f in package.rglob("*") if f.is_file())
    print(f"{copies} copies of a package of {size / 1e6:.1f} MB")
    results: dict[str, object] = {"copies": copies, "package_mb": size / 1e6}
    for verb in verbs:
        rows = []
        for number in range(1, rounds + 1):
            times = {}
            for how, address in (("local", None), ("1 worker", one), ("2 workers", two)):
                out = work / f"{verb}-out-{number}-{how.replace(' ', '')}"
                args = [verb, *packages] + (["-o", str(out)] if verb == "extract" else [])
                args += ["--cluster", address] if address else []
                times[how] = timed(cli, args).seconds
                remove_tree(out, False)
            rows.append(times)
            print(f"{verb} round {number}: local {times['local']:.2f} s, 1 worker "
                  f"{times['1 worker']:.2f} s, 2 workers {times['2 workers']:.2f} s, speed-up "
                  f"{times['1 worker'] / times['2 workers']:.2f}x")
        medians = {how: median([row[how] for row in rows]) for how in rows[0]}
        results[verb] = {"rounds": rows, **{f"{how}_s": s for how, s in medians.items()},
                         "speedup": medians["1 worker"] / medians["2 workers"]}
    return results


# -- driver memory ---------------------------------------------------------------------------

def bench_memory(cli: list[str], address: str, work: Path, lines: list[int]
                 ) -> list[dict[str, object]]:
    rows = []
    for count in lines:
        listed = work / f"urls-{count}.txt"
        with listed.open("w", encoding="utf-8") as out:
            for number in range(count):
                out.write(f"ftp://127.0.0.1/never/{number}\n")
        package = work / f"memory-{count}"
        run = timed(cli, ["capture", "-i", str(listed), "-o", str(package), "--cluster",
                          address, "--batch", "1000", "--json"])
        summary = json.loads(run.stdout)
        manifest_mb = (package / "manifest.json").stat().st_size / 1e6
        rows.append({"lines": count, "peak_rss_mb": run.peak_mb, "seconds": run.seconds,
                     "sources": summary["sources"], "manifest_mb": manifest_mb})
        print(f"memory: {count:,} lines: driver peak RSS {run.peak_text()} MB, "
              f"{run.seconds:.1f} s, {summary['sources']:,} sources in a manifest.json of "
              f"{manifest_mb:.0f} MB")
        remove_tree(package, False)
        listed.unlink()
    return rows


# -- scheduler and lease overhead ------------------------------------------------------------

def _noop(value: int) -> int:
    return value


def _leases(name: str, count: int) -> float:
    """Seconds per acquire + release of a lease nobody else holds, on a worker."""
    from distributed import Semaphore, get_client

    client = get_client()
    semaphore = Semaphore(max_leases=6, name=name, scheduler_rpc=client.scheduler,
                          loop=client.loop)
    start = time.perf_counter()
    for _ in range(count):
        semaphore.acquire()
        semaphore.release()
    return (time.perf_counter() - start) / count


def bench_overhead(address: str) -> dict[str, float]:
    from distributed import Client

    with Client(address, timeout=30) as client:
        client.gather(client.map(_noop, range(50), pure=False))  # warm up
        tasks = 2000
        start = time.perf_counter()
        client.gather(client.map(_noop, range(tasks), pure=False))
        per_task = (time.perf_counter() - start) / tasks
        one = client.submit(_leases, "bench-lease-alone", 500, pure=False).result()
        start = time.perf_counter()
        each = client.gather([client.submit(_leases, f"bench-lease-{n}", 500, pure=False)
                              for n in range(2)])
        elapsed = time.perf_counter() - start
    result = {"task_ms": per_task * 1000, "lease_ms": one * 1000,
              "lease_ms_two_workers": median(each) * 1000,
              "leases_per_s": 2 * 500 / elapsed}
    print(f"overhead: {result['task_ms']:.2f} ms of scheduler time per task; "
          f"{result['lease_ms']:.2f} ms per lease (acquire + release) alone, "
          f"{result['lease_ms_two_workers']:.2f} ms with two workers asking, "
          f"{result['leases_per_s']:.0f} leases a second served")
    return result


# -- the model of 100 machines ---------------------------------------------------------------

def model(capture: dict[str, object], spread: dict[str, object],
          overhead: dict[str, float], pages: int, latency_ms: float) -> str:
    local_s = float(capture["local_s"])  # type: ignore[arg-type]
    fetches = int(capture["fetches"])  # type: ignore[call-overload]
    per_fetch_s = local_s * 6 / fetches  # 6 connections to the one site, all busy
    leases_per_s = overhead["leases_per_s"]
    verify = spread["verify"]
    extract = spread["extract"]
    copies = int(spread["copies"])  # type: ignore[call-overload]
    package_mb = float(spread["package_mb"])  # type: ignore[arg-type]
    verify_mb_s = copies * package_mb / verify["1 worker_s"]  # type: ignore[index]
    extract_docs_s = copies * pages / extract["1 worker_s"]  # type: ignore[index]
    fetches_per_machine = 2 * 16 / per_fetch_s  # 2 workers of 16 fetches each
    lines = [
        "A model of 100 machines of this kind (2 workers each), from the numbers above:",
        f"- One site: {6 / per_fetch_s:.0f} fetches/s at most, whatever the cluster's size "
        f"(6 connections, {per_fetch_s * 1000:.0f} ms a fetch here with {latency_ms:g} ms "
        "latency): politeness, not machines, bounds it.",
        f"- Many sites: each machine keeps 2 x 16 fetches in flight, {fetches_per_machine:.0f} "
        f"fetches/s at this fetch time. A worker keeps a host's lease between exchanges with "
        f"that host, so a batch asks the scheduler about once per host it meets; at worst (a "
        f"new host every exchange) 100 machines would ask {100 * fetches_per_machine:,.0f} "
        f"leases/s, and the scheduler served {leases_per_s:,.0f}/s here: such a list caps "
        f"the cluster near {leases_per_s / fetches_per_machine:.0f} machines; sorted by "
        "host, it is far from the cap.",
        f"- Scheduling: {overhead['task_ms']:.2f} ms per task, one task per 25 URLs: "
        f"{25_000 / max(overhead['task_ms'], 1e-3) / 1000:,.1f}k URLs/s of scheduling, "
        "above any fetch rate above. 2.2 million links (the NYT study) are 88,000 tasks.",
        f"- verify reads {verify_mb_s:.0f} MB/s per worker here: 200 workers would read "
        f"{200 * verify_mb_s / 1000:.1f} GB/s, more than a 10 Gb/s link to shared storage "
        "(1.25 GB/s) carries: storage bandwidth, not CPU, bounds verify beyond ~"
        f"{1250 / verify_mb_s:.0f} workers.",
        f"- extract reads {extract_docs_s:.0f} documents/s per worker: 200 workers, "
        f"{200 * extract_docs_s:,.0f}/s, CPU-bound, scaling with workers while inputs "
        "outnumber them (one task per input: a single huge WARC stays on one worker).",
    ]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, help="the shared/ folder (default: beside the repo)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--pdfs", type=int, default=20)
    ap.add_argument("--latency-ms", type=float, default=20)
    ap.add_argument("--copies", type=int, default=24)
    ap.add_argument("--lines", default="10000,1000000")
    ap.add_argument("--parts", default="capture,spread,overhead,memory",
                    help="comma-separated subset of capture,spread,overhead,memory,browser")
    ap.add_argument("--verbs", default="verify,extract",
                    help="what spread measures: verify, extract or both (the default)")
    ap.add_argument("--browser-pages", type=int, default=24,
                    help="pages captured with --browser (the browser part)")
    ap.add_argument("--json", type=Path, help="also write the results to this JSON file")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    handle_signals()
    cli, how = archiver_command()
    info = machine_info()
    info["archiver"] = how
    print("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    work = make_temp_dir("cluster")
    results: dict[str, object] = {"machine": info}
    parts = {part.strip() for part in args.parts.split(",")}
    try:
        with dask_cluster(2, work) as two, dask_cluster(1, work) as one, shared_site(
                args.shared, work, pages=args.pages, pdfs=args.pdfs,
                latency_ms=args.latency_ms) as (port, urls):
            print(f"site: 127.0.0.1:{port}; clusters: 2 workers at {two}, 1 at {one}\n")
            capture = spread = overhead = memory = browser = None
            if "capture" in parts:
                capture = bench_capture(cli, urls, two, work, args.rounds)
                results["capture"] = capture
            package = work / f"capture-local-{args.rounds}"
            if "spread" in parts:
                if not package.exists():
                    timed(cli, ["capture", "-i", str(urls), "-o", str(package),
                                "--allow-private"])
                spread = bench_spread(cli, package, args.copies, one, two, work, args.rounds,
                                      tuple(verb.strip() for verb in args.verbs.split(",")))
                results["spread"] = spread
            if "overhead" in parts:
                overhead = bench_overhead(two)
                results["overhead"] = overhead
            if "browser" in parts:
                browser = bench_browser(cli, urls, two, work, args.rounds, args.browser_pages)
                results["browser"] = browser
            if "memory" in parts:
                memory = bench_memory(cli, two, work, [int(n) for n in args.lines.split(",")])
                results["memory"] = memory
    finally:
        remove_tree(work, args.keep)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
    rows = []
    if capture is not None:
        rows.append(["capture (bench site)", f"{capture['local_s']:.2f}", "-",
                     f"{capture['cluster_s']:.2f}", f"{capture['ratio']:.2f} of local (>= 0.90)"])
    if browser is not None:
        rows.append([f"capture --browser ({browser['pages']} pages)", f"{browser['local_s']:.2f}",
                     "-", f"{browser['cluster_s']:.2f}", f"{browser['ratio']:.2f} of local"])
    if spread is not None:
        rows += [[f"{verb} ({args.copies} packages)", f"{d['local_s']:.2f}",  # type: ignore[index]
                  f"{d['1 worker_s']:.2f}", f"{d['2 workers_s']:.2f}",  # type: ignore[index]
                  f"{d['speedup']:.2f}x of 1 worker (>= 1.7)"]  # type: ignore[index]
                 for verb, d in spread.items() if verb in ("verify", "extract")]
    if rows:
        print("\n" + table(rows, ["work", "local s", "1 worker s", "2 workers s", "ratio"]))
    if memory is not None:
        print(table([[f"{row['lines']:,}", f"{row['peak_rss_mb']:.0f}", f"{row['seconds']:.1f}"]
                     for row in memory], ["URL lines", "driver peak RSS MB", "seconds"]))
    if (capture is not None and spread is not None and overhead is not None
            and {"verify", "extract"} <= set(spread)):
        print("\n" + model(capture, spread, overhead, args.pages + args.pdfs, args.latency_ms))
    return 0


if __name__ == "__main__":
    sys.exit(main())
