#!/usr/bin/env python3
"""What keeping a page's visible text costs HTML extraction, measured on the dev set.

Loads the dev set's HTML documents (decoded by its own scorer's decoder), then in one process
and alternating rounds, times: archiver's whole HTML extraction (extract_html, which now
includes the visible-text pass), the visible-text pass alone (html.visible.visible_text on a
freshly parsed tree; parsing not timed), and the peer, trafilatura in fast mode, on the same
strings. Prints ms per page for each, the visible-text share of archiver's time, and
archiver's speed ratio to trafilatura. The median of the rounds is reported.

    python bench/extract_visible_bench.py [--dev-set ../shared/extraction-dev] [--rounds 5]
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from measurement import REPO_DIR, machine_info  # noqa: E402

sys.path.insert(0, str(REPO_DIR))


def load_documents(dev_set: Path) -> list[tuple[str, str | None]]:
    spec = importlib.util.spec_from_file_location("extraction_evaluate", dev_set / "evaluate.py")
    assert spec is not None and spec.loader is not None
    scorer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scorer)
    items = [json.loads(line) for line in
             (dev_set / "data" / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    return [(scorer.decode_html(gzip.decompress((dev_set / item["file"]).read_bytes())),
             item.get("url")) for item in items if item["file"].endswith(".html.gz")]


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--dev-set", type=Path, default=REPO_DIR.parent / "shared" / "extraction-dev")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)

    import trafilatura

    from archiver.extract.html.extraction import extract_html
    from archiver.extract.html.parse import parse_html
    from archiver.extract.html.visible import visible_text

    docs = load_documents(args.dev_set)
    trees = []

    def parse_all() -> None:
        trees.clear()
        trees.extend(parse_html(html).tree for html, _ in docs)

    def visible_all() -> None:
        for tree in trees:
            if tree is not None:
                visible_text(tree)

    def archiver_all() -> None:
        for html, url in docs:
            extract_html(html, url)

    def peer_all() -> None:
        for html, url in docs:
            trafilatura.bare_extraction(html, url=url, with_metadata=True, fast=True)

    archiver_all()  # warm-up: imports, dateparser's locales
    peer_all()
    times: dict[str, list[float]] = {"archiver": [], "visible": [], "trafilatura": []}
    for _ in range(args.rounds):
        times["archiver"].append(timed(archiver_all))
        parse_all()
        times["visible"].append(timed(visible_all))
        times["trafilatura"].append(timed(peer_all))
    per_page = {name: 1000 * statistics.median(values) / len(docs)
                for name, values in times.items()}
    print(machine_info())
    print(f"{len(docs)} documents, {args.rounds} rounds, median ms per page:")
    print(f"  archiver extract_html (with visible text): {per_page['archiver']:.2f} ms "
          f"({1000 / per_page['archiver']:.1f} docs/s)")
    print(f"  of which the visible-text pass: {per_page['visible']:.2f} ms "
          f"({per_page['visible'] / per_page['archiver']:.1%})")
    print(f"  trafilatura (fast): {per_page['trafilatura']:.2f} ms "
          f"({1000 / per_page['trafilatura']:.1f} docs/s)")
    print(f"  archiver speed ratio to trafilatura: "
          f"{per_page['trafilatura'] / per_page['archiver']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
