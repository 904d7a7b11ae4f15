#!/usr/bin/env python3
"""Recheck benchmark: `archiver recheck` against `archiver capture` of the same site, in the
same run (issue 15's target: a recheck runs at capture speed).

Two sites, each served on 127.0.0.1:
- unchanged: ../shared/bench/site.py (200 pages with their images, stylesheet and script, 20
  PDF reports, 20 ms latency by default), the same site capture_bench.py uses; nothing
  changes between the capture and the recheck, the common case of a weekly recheck;
- changed: generated_site.py's corpus (--generated pages of 20-120 KB of prose), whose every
  page is replaced by other prose before the recheck: every text is compared paragraph by
  paragraph and word by word, the comparison's worst case.

For each round and site:

    archiver capture -i urls.txt -o PKG --allow-private        (extracting, as a user runs it)
    archiver recheck PKG -o NEW                                 (verify PKG, fetch again,
                                                                 extract, compare, seal)

and prints the wall time, CPU time and peak memory of each (peak RSS of the archiver process,
and the peak PSS summed over its process tree: the extraction workers too), the ratio capture
time / recheck time (1.0: a recheck at capture speed), the recheck's verdict counts, and its
exit code (0 for the unchanged site, 1 for the changed one).

    python bench/recheck_bench.py [--rounds 3] [--shared DIR] [--pages 200] [--generated 300]
    python bench/recheck_bench.py --memory-only 100,300,900

--memory-only N,M... measures, in this process and with no network, the comparison stage alone
(the verdicts, the diff and the spooled report of N sources whose every page changed, texts
of 20-120 KB from the same corpus) and prints the peak of Python's allocations (tracemalloc)
for each N: flat when a recheck holds one source's comparison at a time.

Work directories go under the system temp dir and are removed afterwards (--keep keeps them).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generated_site import Corpus, GeneratedSite, shared_site
from measurement import (
    Run,
    TreeMemorySampler,
    archiver_command,
    handle_signals,
    machine_info,
    make_temp_dir,
    measure,
    median,
    remove_tree,
    table,
)


def run_capture(cli: list[str], urls: Path, out: Path) -> Run:
    return measure([*cli, "capture", "-i", str(urls), "-o", str(out), "--allow-private"],
                   memory=TreeMemorySampler())


def run_recheck(cli: list[str], package: Path, out: Path) -> Run:
    return measure([*cli, "recheck", str(package), "-o", str(out), "--json"],
                   memory=TreeMemorySampler())


def changing_corpus(pages: int) -> tuple[GeneratedSite, Any]:
    """A site of `pages` prose pages, and a function that replaces every page's prose."""
    site = GeneratedSite()
    before, after = Corpus(seed=7), Corpus(seed=8)

    def fill(corpus: Corpus) -> None:
        for index in range(pages):
            site.resources[f"/page/{index}.html"] = corpus.html_body(
                index, 20_000 + (index * 7919) % 100_000)

    fill(before)
    return site, lambda: fill(after)


def one_round(cli: list[str], urls: Path, rdir: Path, flip: Any | None) -> dict[str, Any]:
    capture = run_capture(cli, urls, rdir / "pkg")
    if capture.returncode != 0:
        raise SystemExit(f"bench: capture exited {capture.returncode}:\n{capture.tail()}")
    if flip is not None:
        flip()
    time.sleep(0.5)  # let the server's connections wind down
    recheck = run_recheck(cli, rdir / "pkg", rdir / "new")
    if recheck.returncode not in (0, 1):
        raise SystemExit(f"bench: recheck exited {recheck.returncode}:\n{recheck.tail()}")
    summary = json.loads(recheck.stdout)["summary"]
    return {
        "capture": _numbers(capture), "recheck": _numbers(recheck),
        "ratio": capture.seconds / recheck.seconds, "summary": summary,
        "exit": recheck.returncode}


def _numbers(run: Run) -> dict[str, float]:
    return {"seconds": run.seconds, "cpu_s": run.user_s + run.sys_s,
            "peak_rss_mb": run.peak_mb, "peak_tree_pss_mb": run.peak_tree_mb}


def print_round(name: str, index: int, row: dict[str, Any]) -> None:
    c, r = row["capture"], row["recheck"]
    print(f"round {index} {name}: capture {c['seconds']:.2f} s (cpu {c['cpu_s']:.1f} s, peak "
          f"{c['peak_rss_mb']:.0f} MB, tree {c['peak_tree_pss_mb']:.0f} MB)  recheck "
          f"{r['seconds']:.2f} s (cpu {r['cpu_s']:.1f} s, peak {r['peak_rss_mb']:.0f} MB, "
          f"tree {r['peak_tree_pss_mb']:.0f} MB)  ratio capture/recheck {row['ratio']:.2f}x  "
          f"exit {row['exit']}  {row['summary']}")


def comparison_peak(sources: int) -> tuple[float, float]:
    """Seconds and peak MB (tracemalloc) of comparing `sources` changed pages and writing
    their report, as archiver.recheck.run does it, from facts made here."""
    import tempfile
    import tracemalloc

    from archiver.recheck.facts import PackageFacts, SourceFacts
    from archiver.recheck.run import RecheckResult, ReportParts
    from archiver.recheck.verdicts import RecheckOptions, compare_source

    before, after = Corpus(seed=7), Corpus(seed=8)

    def facts(corpus: Corpus, index: int) -> SourceFacts:
        body = b"".join(corpus.html_body(index, 20_000 + (index * 7919) % 100_000).body())
        text = body.decode().replace("<p>", "").replace("</p>", "")
        return SourceFacts(f"http://127.0.0.1/page/{index}.html", "captured", status=200,
                           payload_sha256=f"{corpus is before:064}", kind="html", text=text)

    with tempfile.TemporaryDirectory() as scratch:
        staging = Path(scratch)
        (staging / "data").mkdir()
        package = PackageFacts(staging, {"sources": [], "resources": []})
        tracemalloc.start()
        started = time.perf_counter()
        comparisons = []
        with ReportParts() as parts:
            for index in range(sources):
                old, new = facts(before, index), facts(after, index)
                comparison = compare_source(old, new, package, package)
                comparison.count(RecheckOptions())
                old.release()
                new.release()
                parts.add(comparison, index + 1)
                comparison.slim()
                comparisons.append(comparison)
            result = RecheckResult(staging, "urn:uuid:bench", _Original(), comparisons,
                                   RecheckOptions(), "now")
            parts.write(staging, result.to_dict(with_text=False))
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return seconds, peak / 1e6


class _Original:
    """Stands for the original package in the comparison-only measurement."""

    def to_dict(self) -> dict[str, Any]:
        return {"package_id": "urn:uuid:original", "tag_manifest_sha256": "0" * 64,
                "created": None, "name": "original", "story": False}


def memory_only(counts: list[int]) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    rows = []
    for count in counts:
        seconds, peak = comparison_peak(count)
        rows.append([str(count), f"{seconds:.1f}", f"{peak:.1f}"])
    print(table(rows, ["changed sources", "seconds", "peak traced MB"]))
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, help="the shared/ folder (default: beside the repo)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--pages", type=int, default=200, help="pages of the shared site")
    ap.add_argument("--pdfs", type=int, default=20)
    ap.add_argument("--latency-ms", type=float, default=20)
    ap.add_argument("--generated", type=int, default=300,
                    help="pages of the changed site (0: skip it)")
    ap.add_argument("--json", type=Path, help="also write the results to this JSON file")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--memory-only", help="only measure the comparison's memory, for these "
                    "counts of changed sources (comma-separated)")
    args = ap.parse_args()
    if args.memory_only:
        return memory_only([int(n) for n in args.memory_only.split(",")])
    handle_signals()
    cli, how = archiver_command()
    info = machine_info() | {"archiver": how}
    print("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    work = make_temp_dir("recheck")
    rows: dict[str, list[dict[str, Any]]] = {"unchanged": [], "changed": []}
    try:
        with shared_site(args.shared, work, pages=args.pages, pdfs=args.pdfs,
                         latency_ms=args.latency_ms) as (port, urls):
            print(f"unchanged site: 127.0.0.1:{port}, {args.pages} pages, {args.pdfs} PDFs, "
                  f"{args.latency_ms:g} ms latency; {args.rounds} round(s)")
            for index in range(1, args.rounds + 1):
                rdir = work / f"unchanged-{index}"
                rdir.mkdir()
                rows["unchanged"].append(one_round(cli, urls, rdir, None))
                print_round("unchanged", index, rows["unchanged"][-1])
                remove_tree(rdir, args.keep)
        for index in range(1, args.rounds + 1 if args.generated else 1):
            site, flip = changing_corpus(args.generated)
            with site.running() as base:
                rdir = work / f"changed-{index}"
                rdir.mkdir()
                list_file = rdir / "urls.txt"
                list_file.write_text("".join(f"{base}{path}\n" for path in site.resources))
                rows["changed"].append(one_round(cli, list_file, rdir, flip))
                print_round("changed", index, rows["changed"][-1])
                remove_tree(rdir, args.keep)
    finally:
        remove_tree(work, args.keep)
    print("\n" + summary_table(rows))
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "settings": vars(args) | {
            "shared": str(args.shared), "json": str(args.json)}, "rounds": rows},
            indent=2, default=str) + "\n")
    return 0


def summary_table(rows: dict[str, list[dict[str, Any]]]) -> str:
    lines = []
    for name, found in rows.items():
        if not found:
            continue
        lines.append([name, f"{median([r['capture']['seconds'] for r in found]):.2f}",
                      f"{median([r['recheck']['seconds'] for r in found]):.2f}",
                      f"{median([r['ratio'] for r in found]):.2f}x",
                      f"{max(r['capture']['peak_tree_pss_mb'] for r in found):.0f}",
                      f"{max(r['recheck']['peak_tree_pss_mb'] for r in found):.0f}",
                      f"{max(r['recheck']['peak_rss_mb'] for r in found):.0f}"])
    return "medians:\n" + table(lines, ["site", "capture s", "recheck s",
                                        "capture/recheck", "capture tree MB",
                                        "recheck tree MB", "recheck RSS MB"])


if __name__ == "__main__":
    raise SystemExit(main())
