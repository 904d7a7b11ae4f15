#!/usr/bin/env python3
"""Memory benchmark: capture one 1 GiB response; archiver's peak RSS must stay under 150 MB.

A threaded server on 127.0.0.1 (in this process) serves one response of --size bytes
(default 1 GiB), generated while it is sent (a 16 MiB random pool repeated; never held
whole in memory; --kind html serves one huge text/html page instead, which archiver also
parses for requisites), and

    archiver capture URL -o PKG --max-size 2GiB

captures it. Prints wall time, CPU time and peak RSS of the archiver process (os.wait4), and
checks that the response was kept whole (not truncated, full payload length). It then runs
`archiver verify PKG` on that package and reports its peak RSS too (verify must stream).
The package goes to a temporary directory, removed afterwards (--keep keeps it).

    python bench/memory_bench.py [--size 1GiB] [--kind binary|html] [--count 1]
                                 [--limit-mb 150] [--json results.json]

--count N serves N such responses (of --size each) and captures them in one job, to see how
memory grows with several big responses in flight at once.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generated_site import Corpus, GeneratedSite, Resource
from measurement import (
    archiver_command,
    handle_signals,
    machine_info,
    make_temp_dir,
    measure,
    remove_tree,
    warc_files,
)

MIB = 1024 * 1024


def streamed_body(length: int) -> Resource:
    pool = random.Random(3).randbytes(16 * MIB)

    def body() -> Iterator[bytes]:
        view = memoryview(pool)
        left, start = length, 0
        while left > 0:
            n = min(left, MIB, len(pool) - start)
            yield view[start:start + n]  # type: ignore[misc]
            left -= n
            start = (start + n) % len(pool)

    return Resource("application/octet-stream", length, body)


def main() -> int:
    from archiver.settings import parse_size  # a size such as 1GiB, as the CLI reads it

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", default="1GiB", help="response size (default 1GiB)")
    ap.add_argument("--limit-mb", type=float, default=150.0)
    ap.add_argument("--count", type=int, default=1,
                    help="serve and capture this many such responses in one job (default 1)")
    ap.add_argument("--kind", choices=["binary", "html"], default="binary",
                    help="binary: random bytes (application/octet-stream); html: one huge "
                    "text/html page, which archiver also parses for requisites")
    ap.add_argument("--experiment", default="",
                    help="comma-separated candidate changes applied at run time "
                    "(see experiments.py)")
    ap.add_argument("--no-verify", action="store_true", help="skip archiver verify")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    handle_signals()
    size = parse_size(args.size)

    cli, how = archiver_command([e for e in args.experiment.split(",") if e])
    info = machine_info()
    info["archiver"] = how
    print("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))

    corpus = Corpus() if args.kind == "html" else None
    site = GeneratedSite({
        f"/big-{i}": (corpus.html_body(i, size) if corpus else streamed_body(size))
        for i in range(args.count)})
    work = make_temp_dir("memory")
    results: dict[str, object] = {"size": size, "count": args.count, "kind": args.kind,
                                  "limit_mb": args.limit_mb}
    try:
        pkg = work / "pkg"
        with site.running() as root:
            urls = [f"{root}/big-{i}" for i in range(args.count)]
            run = measure([*cli, "capture", *urls, "-o", str(pkg), "--max-size", "2GiB",
                           "--allow-private"])
        kept = check_package(pkg, size, args.count)
        results["capture"] = {"seconds": run.seconds, "cpu_s": run.user_s + run.sys_s,
                              "peak_rss_mb": run.peak_mb, "exit": run.returncode, **kept}
        print(f"capture of {args.count} x {size} bytes ({size / 2**30:.2f} GiB, {args.kind}): "
              f"{run.seconds:.1f} s, cpu "
              f"{run.user_s + run.sys_s:.1f} s, peak RSS {run.peak_text()} MB, "
              f"exit {run.returncode}; {kept}")
        if run.returncode != 0:
            print(run.tail())
        if not args.no_verify and pkg.is_dir():
            vrun = measure([*cli, "verify", str(pkg)])
            results["verify"] = {"seconds": vrun.seconds, "cpu_s": vrun.user_s + vrun.sys_s,
                                 "peak_rss_mb": vrun.peak_mb, "exit": vrun.returncode}
            print(f"verify of that package: {vrun.seconds:.1f} s, peak RSS "
                  f"{vrun.peak_text()} MB, exit {vrun.returncode}")
            if vrun.returncode != 0:
                print(vrun.tail())
    finally:
        remove_tree(work, args.keep)

    capture = results["capture"]
    ok = (capture["exit"] == 0 and capture["whole"]  # type: ignore[index]
          and capture["peak_rss_mb"] < args.limit_mb)  # type: ignore[index]
    print(f"\npeak RSS of archiver capture: {capture['peak_rss_mb']:.0f} MB "  # type: ignore[index]
          f"(limit {args.limit_mb:.0f} MB): {'PASS' if ok else 'FAIL'}")
    if args.json:
        args.json.write_text(json.dumps({"machine": info, **results}, indent=2) + "\n")
    return 0 if ok else 1


def check_package(pkg: Path, size: int, count: int) -> dict[str, object]:
    """Whether every response record holds its whole body: from manifest.json and the WARC."""
    if not pkg.is_dir():
        return {"whole": False, "why": "no package"}
    manifest = json.loads((pkg / "manifest.json").read_text())
    resources = manifest.get("resources", [])
    warc_bytes = sum(p.stat().st_size for p in warc_files(pkg / "data" / "warc"))
    whole = len(resources) == count and all(
        entry.get("payload_length") == size and not entry.get("truncated")
        and entry.get("outcome") == "captured" for entry in resources)
    return {"whole": whole, "payload_lengths": sorted({e.get("payload_length")
                                                        for e in resources}),
            "truncated": sorted({str(e.get("truncated")) for e in resources}),
            "warc_bytes": warc_bytes}


if __name__ == "__main__":
    sys.exit(main())
