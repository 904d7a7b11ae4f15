"""PDF extraction: archiver's extract_pdf against pypdf alone and pdfminer.six alone.

    python bench/extract_pdf_bench.py [--dev-set ../shared/extraction-dev] [--rounds 3]
                                      [--memory-pages 20000]

Scores each extractor on the dev set's PDFs with the dev set's own scorer functions
(evaluate.py: snippet recall, page-count accuracy, title and author exact match) and times
it in-process (no process start per file; one untimed warm-up call; each round runs the
extractors in turn, and pages/s is the median over rounds). Then measures archiver's peak RSS
on a generated many-page PDF against a small one, in fresh processes, to check that memory
does not grow with the file. pdfminer.six is a bench-only install.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import extract_pdf_adapter as adapters  # noqa: E402
from measurement import machine_info  # noqa: E402

Extractor = Callable[[str], dict[str, Any]]
EXTRACTORS: dict[str, Extractor] = {
    "archiver": adapters.archiver,
    "pypdf": adapters.pypdf_alone,
    "pdfminer.six": adapters.pdfminer_alone,
}


def load_scorer(dev_set: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("extraction_dev_evaluate",
                                                  dev_set / "evaluate.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"bench: no evaluate.py in {dev_set} (use --dev-set DIR)")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_once(extract: Extractor, items: list[dict[str, Any]], root: Path
             ) -> tuple[dict[str, dict[str, Any]], float]:
    predictions: dict[str, dict[str, Any]] = {}
    seconds = 0.0
    for item in items:
        started = time.perf_counter()
        try:
            predictions[item["file"]] = extract(str(root / item["file"]))
        except Exception as exc:  # a library that raises scores as empty, as in evaluate.py
            predictions[item["file"]] = {"error": f"{type(exc).__name__}: {exc}"[:200]}
        seconds += time.perf_counter() - started
    return predictions, seconds


def score(scorer: ModuleType, items: list[dict[str, Any]],
          predictions: dict[str, dict[str, Any]]) -> dict[str, Any]:
    hits = total = pages_ok = titles = title_n = authors = author_n = errors = 0
    misses = []
    for item in items:
        pred = predictions[item["file"]]
        errors += bool(pred.get("error"))
        found = [scorer.snippet_found(s, pred.get("text")) for s in item["snippets"]]
        hits, total = hits + sum(found), total + len(found)
        if not all(found):
            misses.append(f"{Path(item['file']).name} {sum(found)}/{len(found)}")
        pages_ok += pred.get("pages") is not None and int(pred["pages"]) == item["pages"]
        if item.get("title"):
            title_n += 1
            titles += scorer.title_match(item["title"], pred.get("title"))[0]
        if item.get("author"):
            author_n += 1
            authors += scorer.author_match(item["author"], pred.get("author"))[0]
    return {"recall": hits / total, "pages_ok": pages_ok / len(items), "title": titles,
            "title_n": title_n, "author": authors, "author_n": author_n, "errors": errors,
            "misses": misses}


def peak_rss_kib(pdf: Path) -> int:
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forked parent (which held
    # the generated file) across exec, while VmHWM belongs to the new process image.
    code = ("import re, sys; from pathlib import Path;"
            "from archiver.extract.pdf.extraction import extract_pdf;"
            "r = extract_pdf(Path(sys.argv[1])); assert r.pages;"
            "print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))")
    out = subprocess.run([sys.executable, "-c", code, str(pdf)], capture_output=True,
                         text=True, check=True, cwd=BENCH.parent)
    return int(out.stdout.strip())


def memory_check(pages: int) -> list[tuple[str, float, int]]:
    spec = importlib.util.spec_from_file_location(
        "make_pdfs", BENCH.parent / "fixtures" / "documents" / "make_pdfs.py")
    assert spec is not None and spec.loader is not None
    maker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(maker)
    # Little text on many big pages: peak memory must follow the page, not the file (the
    # extracted text itself is kept, so a text-heavy file grows the result, not the reader).
    rows = []
    with tempfile.TemporaryDirectory(prefix="archiver-bench-pdf-") as folder:
        for count in (10, pages):
            path = Path(folder) / f"pages-{count}.pdf"
            path.write_bytes(maker.build_pdf(
                [[f"Sheet {n}: meter HP-{n:05d} read 18342"] for n in range(count)],
                padding=64_000))
            size_mb = path.stat().st_size / 1e6
            started = time.perf_counter()
            rss = peak_rss_kib(path)
            rows.append((f"{count} pages, {size_mb:.1f} MB", time.perf_counter() - started, rss))
            path.unlink()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dev-set", type=Path, default=BENCH.parent.parent / "shared"
                        / "extraction-dev", help="folder holding evaluate.py and pdf/")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--memory-pages", type=int, default=3000,
                        help="pages of the generated PDF for the memory check (0: skip)")
    args = parser.parse_args()
    info = machine_info()
    scorer = load_scorer(args.dev_set)
    root = args.dev_set / "pdf"
    items = json.loads((root / "expected.json").read_text(encoding="utf-8"))["items"]
    total_pages = sum(item["pages"] for item in items)
    print(f"machine: {info['nproc']} CPUs, {info['cpu']}, Python {info['python']}; "
          f"code {info['code']}; load at start {info['load']}")
    print(f"dev set: {root} ({len(items)} files, {total_pages} pages); {args.rounds} rounds")
    seconds: dict[str, list[float]] = {name: [] for name in EXTRACTORS}
    scores: dict[str, dict[str, Any]] = {}
    for extract in EXTRACTORS.values():
        run_once(extract, items[:1], root)  # warm-up: imports, first-call caches
    for _ in range(args.rounds):
        for name, extract in EXTRACTORS.items():
            predictions, spent = run_once(extract, items, root)
            seconds[name].append(spent)
            scores[name] = score(scorer, items, predictions)
    rates = {name: total_pages / statistics.median(spent) for name, spent in seconds.items()}
    print()
    print("| extractor | snippet recall | page count | title | author | pages/s | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, result in scores.items():
        print(f"| {name} | {result['recall']:.3f} | {result['pages_ok']:.3f} | "
              f"{result['title']}/{result['title_n']} | {result['author']}/{result['author_n']} "
              f"| {rates[name]:.1f} | {result['errors']} |")
    print()
    print(f"pages/s archiver / pypdf: {rates['archiver'] / rates['pypdf']:.2f}x "
          f"(rounds: {', '.join(f'{total_pages / s:.0f}' for s in seconds['archiver'])} "
          f"pages/s archiver)")
    for name, result in scores.items():
        if result["misses"]:
            print(f"  {name} misses: {', '.join(result['misses'])}")
    if args.memory_pages:
        print()
        print("| archiver on a generated PDF | seconds (process) | peak RSS |")
        print("|---|---:|---:|")
        for label, spent, rss in memory_check(args.memory_pages):
            print(f"| {label} | {spent:.2f} | {rss / 1024:.0f} MiB |")
    print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
