#!/usr/bin/env python3
"""Verify benchmark: archiver verify against fastwarc check and warcio check on one WARC.

Builds once (cached under bench/cache/, or --work DIR) an evidence package holding a WARC of at
least 500 MB: a threaded server on 127.0.0.1 serves generated resources, streamed (HTML-like
text pages that compress about 3.5x, random-byte "images", a few large random and text
files), and `archiver capture -i urls.txt -o PKG --max-size 2GiB` captures them. Then, in
each round (rotating the order, with the WARC in the page cache), it times

    archiver verify PKG            (bag, manifest.json and every record digest)
    archiver verify WARC           (the same WARC, bare)
    fastwarc check -p WARC         (block and payload digests)
    warcio check WARC

and prints wall time, CPU time (the process's and its reaped children's, and those of the
processes it leaves behind: multiprocessing's fork server and its workers) and exit code of
each, the medians, and the ratios peer time / archiver time. Timed rounds run with nothing
else measuring; peak memory comes from one more run of each tool, sampled.

Peak memory is that of the whole process tree (archiver verify checks a large WARC in
several processes): the peak of the sum of PSS over the tool's process and all its
descendants, sampled every 50 ms from /proc/PID/smaps_rollup (`TreeMemorySampler`; PSS
counts a page shared by forked processes once in all). The kernel's peak RSS of the largest
single process (wait4) is printed beside it.

    python bench/verify_bench.py [--rounds 3] [--work DIR] [--json results.json]
        [--baseline DIR]   (also time the archiver in DIR, say main's, in the same rounds)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generated_site import Corpus
from measurement import (
    WORK_DIR,
    Run,
    TreeMemorySampler,
    adopt_orphans,
    archiver_command,
    code_version,
    compile_sources,
    handle_signals,
    human_bytes,
    load_note,
    machine_info,
    measure,
    median,
    table,
    tool_version,
    warc_files,
    warm_cache,
)

CORPUS_VERSION = 2
MIN_WARC_BYTES = 500 * 1000 * 1000


def build_package(cli: list[str], work: Path, scale: float, *, extract: bool = True) -> Path:
    """The cached package, built on first use. Returns its path."""
    key = f"verify-corpus-v{CORPUS_VERSION}-scale{scale:g}" + ("" if extract else "-no-extract")
    base = work / key
    pkg = base / "pkg"
    done = base / "built.json"
    if done.is_file() and pkg.is_dir():
        built = json.loads(done.read_text())
        print(f"using cached package {pkg} (built by archiver at "
              f"{built.get('code', 'an unrecorded commit')}; remove {base} to rebuild)")
        return pkg
    base.mkdir(parents=True, exist_ok=True)
    for leftover in (pkg, done):
        if leftover.exists():
            raise SystemExit(f"bench: {leftover} is left from an unfinished build; remove {base}")
    site = Corpus().site(scale)
    raw = sum(r.length for r in site.resources.values())
    print(f"building the corpus: {len(site.resources)} resources, {human_bytes(raw)} of bodies")
    with site.running() as root:
        urls = base / "urls.txt"
        urls.write_text("".join(f"{root}{path}\n" for path in site.resources))
        run = measure([*cli, "capture", "-i", str(urls), "-o", str(pkg), "--max-size", "2GiB",
                       "--allow-private",
                       *([] if extract else ["--no-extract"])])
    if run.returncode != 0:
        raise SystemExit(f"bench: archiver capture exited {run.returncode}:\n{run.tail()}")
    warcs = warc_files(pkg / "data" / "warc")
    size = sum(w.stat().st_size for w in warcs)
    print(f"captured in {run.seconds:.1f} s (peak RSS {run.peak_mb:.0f} MB): "
          f"{len(warcs)} WARC file(s), {human_bytes(size)}")
    done.write_text(json.dumps({"scale": scale, "code": code_version(),
                                "capture_seconds": run.seconds,
                                "capture_peak_rss_mb": run.peak_mb, "warc_bytes": size,
                                "resources": len(site.resources)}, indent=2) + "\n")
    return pkg


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--work", type=Path, default=WORK_DIR,
                    help="where the corpus package is built and cached (default bench/cache)")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="corpus size factor (1.0 gives a WARC of about 560 MB)")
    ap.add_argument("--no-extract", action="store_true",
                    help="build (and time) the corpus captured with --no-extract: the package "
                         "then holds the WARC and no extraction files")
    ap.add_argument("--only", default="", help="comma-separated subset of the tools to time "
                    "(archiver-pkg, archiver-warc, fastwarc, warcio)")
    ap.add_argument("--json", type=Path, help="also write the results to this JSON file")
    ap.add_argument("--baseline", type=Path, metavar="DIR",
                    help="also time archiver as found in DIR (a checkout of another commit, "
                         "put first on PYTHONPATH), as archiver-pkg@base and archiver-warc@base, "
                         "in the same rounds: before and after a change, in the same run")
    args = ap.parse_args()
    handle_signals()
    # Workers started by a fork server are not the archiver process's children: their CPU
    # is counted when the fork server, left to this process, is reaped.
    orphans = adopt_orphans()

    cli, how = archiver_command()
    info = machine_info()
    info["archiver"] = how
    bindir = Path(sys.executable).parent
    fastwarc = str(bindir / "fastwarc")
    warcio = str(bindir / "warcio")
    info["fastwarc"] = tool_version([sys.executable, "-c",
                                     "import importlib.metadata as m;print(m.version('fastwarc'))"])
    info["warcio"] = tool_version([sys.executable, "-c",
                                   "import importlib.metadata as m;print(m.version('warcio'))"])
    print("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))

    pkg = build_package(cli, args.work.resolve(), args.scale, extract=not args.no_extract)
    warcs = warc_files(pkg / "data" / "warc")
    if len(warcs) != 1:
        raise SystemExit(f"bench: expected one WARC in {pkg}, found {len(warcs)}")
    warc = warcs[0]
    size = warc.stat().st_size
    if size < MIN_WARC_BYTES:
        print(f"bench: warning: the WARC is only {human_bytes(size)} (< 500 MB); "
              "raise --scale", file=sys.stderr)
    print(f"WARC: {warc} ({human_bytes(size)})\n")

    commands = {
        "archiver-pkg": [*cli, "verify", str(pkg)],
        "archiver-warc": [*cli, "verify", str(warc)],
        "fastwarc": [fastwarc, "check", "-p", str(warc)],
        "warcio": [warcio, "check", str(warc)],
    }
    envs: dict[str, dict[str, str]] = {}
    if args.baseline is not None:
        base = args.baseline.resolve()
        if not (base / "archiver" / "__init__.py").is_file():
            raise SystemExit(f"bench: no archiver package in {base}")
        compile_sources(base)
        info["baseline"] = f"{base} ({code_version(base)})"
        for ours in ("archiver-pkg", "archiver-warc"):
            commands[f"{ours}@base"] = commands[ours]
            envs[f"{ours}@base"] = {**os.environ, "PYTHONPATH": str(base)}
    if args.only:
        wanted = args.only.split(",")
        commands = {k: v for k, v in commands.items() if k.split("@")[0] in wanted}
    names = list(commands)
    results: dict[str, list[Run]] = {name: [] for name in names}
    for i in range(args.rounds):
        warm_cache([warc])
        order = names[i % len(names):] + names[:i % len(names)]
        for name in order:
            # Timed with nothing else running: the memory sampler reads /proc every 50 ms,
            # which costs CPU and takes the kernel's locks of the processes it reads, so it
            # would slow a tool that keeps both cores busy more than one that uses one.
            run = measure(commands[name], env=envs.get(name), orphans=orphans)
            results[name].append(run)
            flag = "" if run.returncode == 0 else f"  EXIT {run.returncode}: {run.tail(400)!r}"
            print(f"round {i + 1}: {name:18s} {run.seconds:7.2f} s  cpu "
                  f"{run.user_s + run.sys_s:6.1f} s  (largest process {run.peak_text():>6s} MB)"
                  f"{flag}")
            time.sleep(0.2)
    memory: dict[str, Run] = {}
    for name in names:  # one more run each, untimed, for the memory of the whole tree
        memory[name] = measure(commands[name], env=envs.get(name), memory=TreeMemorySampler(),
                               orphans=orphans)
        print(f"memory run: {name:18s} peak {memory[name].peak_tree_mb:6.0f} MB (PSS, all "
              f"processes; {memory[name].seconds:.2f} s while sampled)")

    summary: dict[str, dict[str, Any]] = {name: {"seconds": median([r.seconds for r in runs]),
                      "best_seconds": min(r.seconds for r in runs),
                      "cpu_s": median([r.user_s + r.sys_s for r in runs]),
                      "peak_tree_pss_mb": memory[name].peak_tree_mb,
                      "peak_tree_rss_mb": (memory[name].peak_tree_rss_kib or 0) * 1024 / 1e6,
                      "peak_rss_mb": max(r.peak_mb for r in [*runs, memory[name]]),
                      "peak_rss_may_be_the_bench_s": not any(
                          r.peak_is_the_tool_s for r in [*runs, memory[name]]),
                      "exit_codes": sorted({r.returncode for r in [*runs, memory[name]]}),
                      "command": " ".join(commands[name])}
               for name, runs in results.items()}
    rows = []
    for name in names:
        s = summary[name]
        row = [name, f"{s['seconds']:.2f}", f"{s['best_seconds']:.2f}", f"{s['cpu_s']:.1f}",
               f"{s['peak_tree_pss_mb']:.0f}",
               ("<= " if s["peak_rss_may_be_the_bench_s"] else "") + f"{s['peak_rss_mb']:.0f}",
               f"{size / 1e6 / s['seconds']:.0f}",
               ",".join(map(str, s["exit_codes"]))]
        for ours in ("archiver-pkg", "archiver-warc"):
            if ours in summary:
                row.append(f"{s['seconds'] / summary[ours]['seconds']:.2f}x")
        rows.append(row)
    headers = ["tool", "wall s", "best s", "cpu s", "peak MB (PSS, all processes)",
               "peak RSS MB (largest process)", "MB/s", "exit"]
    headers += [f"time / {ours}" for ours in ("archiver-pkg", "archiver-warc") if ours in summary]
    print(f"\nmedians of {args.rounds} round(s), WARC {human_bytes(size)}, load average "
          f"{info['load']} at the start and {load_note()} at the end:")
    print(table(rows, headers))
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "warc_bytes": size,
                                         "rounds": args.rounds, "summary": summary},
                                        indent=2) + "\n")
    return 0 if all(0 in s["exit_codes"] and len(s["exit_codes"]) == 1
                    for s in summary.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
