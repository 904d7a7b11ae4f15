#!/usr/bin/env python3
"""Search benchmark: `archiver index` and `archiver search` on collections of 1,000 and
10,000 documents, beside a linear scan of the same texts with grep.

Builds (under a temporary folder, or --work DIR) package-shaped folders of 1,000 documents
each, with quote_bench.py's generator (words drawn from a Zipf law over 60,000 made-up
words, main texts of a log-normal size, median 5.5 KB; each page's visible text its main
text plus menus and footers): manifest.json, bagit.txt, a tag manifest, data/extract/. The
WARCs are left out: index never reads them. Then, at each size:

    archiver index DIR -o collection.db        wall time and peak RSS (flat as it grows?)
    search_collection(db, query)               in-process: opened, answered, closed
    archiver search db "query" --json          the CLI, process start included
    grep -rlF -- "phrase" DIR                  the peer: a linear scan of the texts, exact
                                               bytes (for the phrase queries)

Queries are drawn from the texts: two or three words of one document, and a "phrase" of
three words of one document (every query has an answer).

    python bench/search_bench.py [--sizes 1000,10000] [--queries 20] [--work DIR] [--json F]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measurement import (
    REPO_DIR,
    code_version,
    human_bytes,
    machine_info,
    make_temp_dir,
    measure,
    remove_tree,
    table,
)
from quote_bench import build_package

sys.path.insert(0, str(REPO_DIR))
from archiver.collection.search import search_collection

PER_PACKAGE = 1_000
SEED = 16


def build_packages(root: Path, count: int, rng: random.Random) -> list[tuple[str, str]]:
    """`count` documents in packages of PER_PACKAGE; returns (text path, text) samples."""
    samples = []
    for number in range(count // PER_PACKAGE):
        package = root / f"package-{number:03d}"
        samples += build_package(package, PER_PACKAGE, rng)
        manifest = json.loads((package / "manifest.json").read_text())
        manifest["package_id"] = f"urn:uuid:00000000-0000-4000-8000-{number:012d}"
        (package / "manifest.json").write_text(json.dumps(manifest))
        (package / "tagmanifest-sha256.txt").write_text(f"{number:064x}  manifest.json\n")
    return samples


def queries(samples: list[tuple[str, str]], rng: random.Random, count: int
            ) -> list[tuple[str, str | None]]:
    """(query, phrase as it stands in the text, for grep; None for plain words)."""
    drawn: list[tuple[str, str | None]] = []
    while len(drawn) < count:
        words = rng.choice(samples)[1].split()
        at = rng.randrange(0, len(words) - 3)
        run = [word.strip(".,") for word in words[at:at + 3]]
        if any(not word.isalpha() for word in run):
            continue
        if len(drawn) % 2:
            drawn.append((f'"{" ".join(run)}"', " ".join(words[at:at + 3])))
        else:
            scattered = rng.sample([w.strip(".,") for w in words], k=3)
            if all(word.isalpha() for word in scattered):
                drawn.append((" ".join(scattered), None))
    return drawn


def run_size(count: int, args: argparse.Namespace, work: Path, cli: list[str]
             ) -> dict[str, Any]:
    rng = random.Random(SEED + count)
    root = work / f"collection-{count}"
    started = time.perf_counter()
    samples = build_packages(root / "packages", count, rng)
    made = time.perf_counter() - started
    text_bytes = sum(p.stat().st_size for p in (root / "packages").rglob("*.txt"))
    db = root / "collection.db"
    indexed = measure([*cli, "index", str(root / "packages"), "-o", str(db), "--json"])
    if indexed.returncode != 0:
        raise SystemExit(f"index failed: {indexed.stderr[-500:]}")
    again = measure([*cli, "index", str(root / "packages"), "-o", str(db), "--json"])
    print(f"\n{count:,} documents: {human_bytes(text_bytes)} of main text, generated in "
          f"{made:.1f} s; indexed in {indexed.seconds:.1f} s (peak RSS "
          f"{indexed.peak_mb:.0f} MB), again (nothing new) in {again.seconds:.1f} s; "
          f"collection {human_bytes(db.stat().st_size)}", flush=True)

    library, cli_runs, greps, failures = [], [], [], []
    for query, phrase in queries(samples, rng, args.queries):
        started = time.perf_counter()
        result = search_collection(db, query, limit=20)
        library.append(time.perf_counter() - started)
        if not result.found:
            failures.append(query)
        run = measure([*cli, "search", str(db), query, "--json"])
        cli_runs.append(run.seconds)
        if run.returncode != 0:
            failures.append(f"CLI exit {run.returncode}: {query}")
        if phrase is not None:
            greps.append(measure(["grep", "-rlF", "--include=*.txt", "--", phrase,
                                  str(root / "packages")]).seconds)
    row = {
        "documents": count, "text_bytes": text_bytes, "collection_bytes": db.stat().st_size,
        "index_s": round(indexed.seconds, 1), "index_again_s": round(again.seconds, 2),
        "index_peak_rss_mb": round(indexed.peak_mb, 1),
        "search_library_ms": round(statistics.median(library) * 1000, 1),
        "search_library_max_ms": round(max(library) * 1000, 1),
        "search_cli_s": round(statistics.median(cli_runs), 3),
        "grep_s": round(statistics.median(greps), 3), "failures": failures,
    }
    remove_tree(root, keep=args.keep)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--work", type=Path)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    work = args.work or make_temp_dir("search")
    work.mkdir(parents=True, exist_ok=True)
    cli = [sys.executable, "-m", "archiver"]
    print(f"search bench: {code_version()}; {machine_info()}")
    rows = [run_size(int(size), args, work, cli) for size in args.sizes.split(",")]
    print()
    print(table([[f"{r['documents']:,}", f"{r['search_library_ms']:.0f} ms "
                  f"(max {r['search_library_max_ms']:.0f})", f"{r['search_cli_s']:.2f} s",
                  f"{r['grep_s']:.2f} s", f"{r['index_s']} s", f"{r['index_again_s']} s",
                  f"{r['index_peak_rss_mb']:.0f} MB", human_bytes(r["text_bytes"]),
                  human_bytes(r["collection_bytes"])] for r in rows],
                ["documents", "search (lib)", "search (CLI)", "grep -rlF", "index",
                 "index again", "index peak RSS", "main text", "collection"]))
    for r in rows:
        print(f"{r['documents']:,} documents: grep -rlF / search (in-process) = "
              f"{r['grep_s'] * 1000 / r['search_library_ms']:.0f}x; grep -rlF / search CLI = "
              f"{r['grep_s'] / r['search_cli_s']:.1f}x")
        for failure in r["failures"]:
            print(f"  FAILED: {failure}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    if not args.keep and args.work is None:
        remove_tree(work, keep=False)
    return 1 if any(r["failures"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
