#!/usr/bin/env python3
"""Capture benchmark: archiver against wget on the same synthetic site, in the same run.

Starts ../shared/bench/site.py (200 pages, 20 PDF reports, 20 ms latency by default) on a free
127.0.0.1 port, writes its urls.txt, then for each round captures that URL list with

    archiver capture -i urls.txt -o PKG --no-extract    (default settings: <= 6 connections/host)
    wget -q --page-requisites --input-file urls.txt --warc-file=peer -e robots=off
    archiver capture -i urls.txt -o PKG                 ("archiver+extract": as a user runs it,
                                                         extracting every page and PDF too)

wget extracts nothing, so the like-for-like ratio is against `--no-extract`; the third run
shows what extraction (in worker processes, beside the capture) adds.

(alternating which goes first) and prints the wall time, CPU time and peak RSS of each, the
ratio wget time / archiver time, the medians, and whether both WARCs hold response records for
the same set of URLs (WARC-Target-URI, read with warcio), with the differences if any.

    python bench/capture_bench.py [--rounds 3] [--shared DIR] [--json results.json]

Work directories go under the system temp dir and are removed afterwards (--keep keeps them).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generated_site import shared_site
from measurement import (
    Run,
    SocketSampler,
    archiver_command,
    handle_signals,
    human_bytes,
    machine_info,
    make_temp_dir,
    measure,
    median,
    remove_tree,
    response_uris,
    table,
    tool_version,
    warc_files,
)

WGET = shutil.which("wget") or "/usr/bin/wget"


def run_archiver(cli: list[str], urls: Path, out: Path, sampler: SocketSampler, *,
                 extract: bool) -> Run:
    flags = [] if extract else ["--no-extract"]
    return measure([*cli, "capture", "-i", str(urls), "-o", str(out), "--allow-private", *flags],
                   sampler=sampler)


def run_wget(urls: Path, workdir: Path, sampler: SocketSampler) -> Run:
    workdir.mkdir(parents=True)
    return measure([WGET, "-q", "--page-requisites", "--input-file", str(urls),
                    "--warc-file=peer", "-e", "robots=off"], cwd=workdir, sampler=sampler)


def compare(ours: list[str], theirs: list[str]) -> dict[str, object]:
    a, w = set(ours), set(theirs)
    return {
        "archiver_responses": len(ours),
        "wget_responses": len(theirs),
        "archiver_duplicates": sum(n - 1 for n in Counter(ours).values() if n > 1),
        "wget_duplicates": sum(n - 1 for n in Counter(theirs).values() if n > 1),
        "only_wget": sorted(w - a),
        "only_archiver": sorted(a - w),
        "same": a == w,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, help="the shared/ folder (default: beside the repo)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--pdfs", type=int, default=20)
    ap.add_argument("--latency-ms", type=float, default=20)
    ap.add_argument("--tools", default="archiver,wget,archiver+extract",
                    help="comma-separated subset of archiver,wget,archiver+extract (default "
                    "all)")
    ap.add_argument("--experiment", default="",
                    help="comma-separated candidate changes applied to archiver at run time "
                    "(split-slots; see bench/experiments.py); default none")
    ap.add_argument("--json", type=Path, help="also write the results to this JSON file")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    handle_signals()
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]

    experiments = [e for e in args.experiment.split(",") if e]
    cli, how = archiver_command(experiments)
    info = machine_info()
    info["archiver"] = how
    info["wget"] = tool_version([WGET, "--version"])
    print("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))

    work = make_temp_dir("capture")
    rounds: list[dict[str, object]] = []
    try:
        with shared_site(args.shared, work, pages=args.pages, pdfs=args.pdfs,
                         latency_ms=args.latency_ms) as (port, urls):
            n_urls = sum(1 for line in urls.read_text().splitlines() if line.strip())
            print(f"site: 127.0.0.1:{port}, {n_urls} URLs in urls.txt, "
                  f"{args.latency_ms:g} ms latency; {args.rounds} round(s)\n")
            for i in range(1, args.rounds + 1):
                rdir = work / f"round-{i}"
                rdir.mkdir()
                runs: dict[str, Run] = {}
                order = tools if i % 2 else list(reversed(tools))
                conns: dict[str, SocketSampler] = {}
                for tool in order:
                    conns[tool] = SocketSampler()
                    if tool in ("archiver", "archiver+extract"):
                        runs[tool] = run_archiver(cli, urls, rdir / _out(tool), conns[tool],
                                                  extract=tool == "archiver+extract")
                    elif tool == "wget":
                        runs[tool] = run_wget(urls, rdir / "wget", conns[tool])
                    else:
                        raise SystemExit(f"unknown tool {tool!r}")
                    time.sleep(0.5)  # let the server's connections wind down
                row: dict[str, object] = {"round": i}
                uris: dict[str, list[str]] = {}
                for tool, run in runs.items():
                    out = rdir / _out(tool)
                    files = warc_files(out)
                    row[tool] = {"seconds": run.seconds, "peak_rss_mb": run.peak_mb,
                                 "cpu_s": run.user_s + run.sys_s, "exit": run.returncode,
                                 "warc_bytes": sum(f.stat().st_size for f in files),
                                 "peak_sockets": conns[tool].peak,
                                 "sockets_opened": len(conns[tool].seen)}
                    if run.returncode != 0:
                        print(f"round {i}: {tool} exited {run.returncode}:\n{run.tail()}\n")
                    uris[tool] = response_uris(files)
                    row[tool]["responses"] = len(uris[tool])  # type: ignore[index]
                if "archiver" in uris and "wget" in uris:
                    row["urls"] = compare(uris["archiver"], uris["wget"])
                    row["ratio"] = runs["wget"].seconds / runs["archiver"].seconds
                if "archiver+extract" in runs and "wget" in runs:
                    row["ratio_extract"] = runs["wget"].seconds / runs["archiver+extract"].seconds
                rounds.append(row)
                print_round(row)
                remove_tree(rdir, args.keep)
    finally:
        remove_tree(work, args.keep)

    summary = summarize(rounds, tools)
    print("\n" + render_summary(summary, tools))
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "settings": vars(args) | {
            "shared": str(args.shared), "json": str(args.json)}, "rounds": rounds,
            "summary": summary}, indent=2, default=str) + "\n")
    ok = all(r.get("urls", {}).get("same", True) for r in rounds)  # type: ignore[union-attr]
    return 0 if ok else 1


def _out(tool: str) -> str:
    return {"archiver": "pkg", "archiver+extract": "pkg-extract"}.get(tool, "wget")


def print_round(row: dict[str, object]) -> None:
    parts = [f"round {row['round']}:"]
    for tool in ("archiver", "wget", "archiver+extract"):
        if tool in row:
            r = row[tool]
            parts.append(f"{tool} {r['seconds']:.2f} s (cpu {r['cpu_s']:.1f} s, peak "  # type: ignore[index]
                         f"{r['peak_rss_mb']:.0f} MB, {r['responses']} responses, "  # type: ignore[index]
                         f"<= {r['peak_sockets']} sockets open at once)")  # type: ignore[index]
    if "ratio" in row:
        parts.append(f"ratio wget/archiver {row['ratio']:.2f}x")
    if "ratio_extract" in row:
        parts.append(f"wget/archiver+extract {row['ratio_extract']:.2f}x")
    print("  ".join(parts))
    urls = row.get("urls")
    if isinstance(urls, dict):
        if urls["same"]:
            print(f"  same URL set: yes ({urls['wget_responses']} wget responses, "
                  f"{urls['archiver_responses']} archiver responses)")
        else:
            print(f"  same URL set: NO; {len(urls['only_wget'])} only in wget, "
                  f"{len(urls['only_archiver'])} only in archiver")
            for u in urls["only_wget"][:20]:
                print(f"    only wget:     {u}")
            for u in urls["only_archiver"][:20]:
                print(f"    only archiver: {u}")
        if urls["archiver_duplicates"] or urls["wget_duplicates"]:
            print(f"  duplicate responses: archiver {urls['archiver_duplicates']}, "
                  f"wget {urls['wget_duplicates']}")


def summarize(rounds: list[dict[str, object]], tools: list[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for tool in tools:
        vals = [r[tool] for r in rounds]
        out[tool] = {k: median([v[k] for v in vals])  # type: ignore[index]
                     for k in ("seconds", "cpu_s", "peak_rss_mb", "warc_bytes", "responses")}
        out[tool]["peak_sockets"] = max(v["peak_sockets"] for v in vals)  # type: ignore[index]
    ratios = [r["ratio"] for r in rounds if "ratio" in r]
    if ratios:
        out["ratio_median"] = median(ratios)  # type: ignore[arg-type]
        out["ratio_min"] = min(ratios)  # type: ignore[type-var]
        out["ratio_max"] = max(ratios)  # type: ignore[type-var]
        out["same_urls_every_round"] = all(r["urls"]["same"] for r in rounds)  # type: ignore[index]
    with_extract = [r["ratio_extract"] for r in rounds if "ratio_extract" in r]
    if with_extract:
        out["ratio_extract_median"] = median(with_extract)  # type: ignore[arg-type]
    return out


def render_summary(summary: dict[str, object], tools: list[str]) -> str:
    rows = []
    for tool in tools:
        s = summary[tool]
        rows.append([tool, f"{s['seconds']:.2f}", f"{s['cpu_s']:.1f}",  # type: ignore[index]
                     f"{s['peak_rss_mb']:.0f}", f"{s['responses']:.0f}",  # type: ignore[index]
                     human_bytes(s["warc_bytes"]),  # type: ignore[index]
                     f"{s['responses'] / s['seconds']:.0f}",  # type: ignore[index]
                     str(s["peak_sockets"])])  # type: ignore[index]
    text = "medians:\n" + table(rows, ["tool", "wall s", "cpu s", "peak RSS MB", "responses",
                                        "WARC", "responses/s", "max sockets open"])
    if "ratio_median" in summary:
        text += (f"\nratio wget time / archiver time: median {summary['ratio_median']:.2f}x "
                 f"(min {summary['ratio_min']:.2f}, max {summary['ratio_max']:.2f}); "
                 f"same URL set every round: "
                 f"{'yes' if summary['same_urls_every_round'] else 'NO'}")
    if "ratio_extract_median" in summary:
        text += (f"\nratio wget time / archiver+extract time (extracting every page and PDF "
                 f"too): median {summary['ratio_extract_median']:.2f}x")
    return text


if __name__ == "__main__":
    sys.exit(main())
