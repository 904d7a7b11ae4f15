#!/usr/bin/env python3
"""Extraction benchmark: archiver against trafilatura and readability-lxml, same run.

Runs the shared scorer (../shared/extraction-dev/evaluate.py, imported by path) on every HTML
document of the dev set with each tool as a Python callable (bench/extract_adapter.py), so
no process start is timed, and prints main-text F1 (precision, recall), date, title and author
accuracy (exact match), documents per second, and archiver's ratios to each peer.

Timing is single-process on this machine (the scorer calls each tool document by document,
after one warm-up call); --pool 2 also runs archiver alone over a 2-process pool and reports
that throughput separately.

    python bench/extract_bench.py [--dev-set ../shared/extraction-dev] [--tools archiver,...]
                                  [--sets aeb,htmldate,readability] [--pool 2] [--json out.json]
                                  [--split]

A set whose titles were labelled by hand with two wordings (bench/titles/README.md) also
gets each tool's title accuracy against either wording.

--split also scores two fixed halves of the dev set: "tune" and "held-out", chosen by the
SHA-256 of each document's id (even first byte: tune). Rules are developed looking at the tune
half only; the held-out half says whether they generalise.

The peers are bench-only extras (pip install trafilatura readability-lxml).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import importlib.util
import io
import json
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from measurement import REPO_DIR, machine_info, table  # noqa: E402

ADAPTER = BENCH_DIR / "extract_adapter.py"
TOOLS = {
    "archiver": "archiver",
    "trafilatura": "trafilatura_default",
    "trafilatura-fast": "trafilatura_fast",
    "readability-lxml": "readability_lxml",
}


def load_scorer(dev_set: Path) -> ModuleType:
    path = dev_set / "evaluate.py"
    if not path.is_file():
        raise SystemExit(f"extract_bench: no scorer at {path} (use --dev-set DIR)")
    spec = importlib.util.spec_from_file_location("extraction_evaluate", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def score(scorer: ModuleType, dev_set: Path, tool: str, sets: str,
          limit: int, save: Path | None) -> dict[str, Any]:
    argv = ["html", "--callable", f"{ADAPTER}:{TOOLS[tool]}", "--name", tool,
            "--data-root", str(dev_set), "--sets", sets, "--limit", str(limit)]
    if save is not None:
        argv += ["--save-predictions", str(save / f"{tool}.jsonl")]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result: dict[str, Any] = scorer.main(argv)
    result["report"] = out.getvalue()
    return result


SPLITS = ("tune", "held-out")


def split_of(doc_id: str) -> str:
    """The fixed half a document belongs to: by the hash of its id, not by site or order."""
    return SPLITS[hashlib.sha256(doc_id.encode("utf-8")).digest()[0] % 2]


def split_manifests(dev_set: Path, folder: Path) -> dict[str, Path]:
    """One manifest per half of the dev set, written into folder."""
    lines = (dev_set / "data" / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    parts: dict[str, list[str]] = {name: [] for name in SPLITS}
    for line in lines:
        if line.strip():
            parts[split_of(json.loads(line)["id"])].append(line)
    paths = {}
    for name, part in parts.items():
        paths[name] = folder / f"manifest-{name}.jsonl"
        paths[name].write_text("\n".join(part) + "\n", encoding="utf-8")
    return paths


def rescore(scorer: ModuleType, dev_set: Path, tool: str, sets: str, predictions: Path,
            manifest: Path) -> dict[str, Any]:
    """Score saved predictions on one half (no timing: the full run timed them)."""
    argv = ["html", "--predictions", str(predictions), "--name", tool, "--data-root",
            str(dev_set), "--sets", sets, "--manifest", str(manifest.resolve())]
    with contextlib.redirect_stdout(io.StringIO()):
        result: dict[str, Any] = scorer.main(argv)
    return result


def _pool_item(args: tuple[str, str | None]) -> int:
    sys.path.insert(0, str(BENCH_DIR))
    import extract_adapter

    return len(extract_adapter.archiver(*args)["text"] or "")


def pool_rate(scorer: ModuleType, dev_set: Path, workers: int) -> float:
    """Documents per second of archiver over a process pool (decoding not timed)."""
    items = [json.loads(line) for line in
             (dev_set / "data" / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    docs = [(scorer.decode_html(gzip.decompress((dev_set / it["file"]).read_bytes())),
             it.get("url")) for it in items]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_pool_item, docs[:workers]))  # warm-up: imports in every worker
        start = time.perf_counter()
        list(pool.map(_pool_item, docs, chunksize=4))
        return len(docs) / (time.perf_counter() - start)


def either_title_accuracy(scorer: ModuleType, dev_set: Path, predictions: Path
                          ) -> tuple[int, float] | None:
    """Title accuracy against either wording a labeller gave (`title`, the visible
    headline, or `title_alt`, the stated one: bench/titles/README.md), or None for a set
    without `title_alt`s."""
    items = [json.loads(line) for line in
             (dev_set / "data" / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
             if line.strip()]
    if not any(item.get("title_alt") for item in items):
        return None
    predicted = {}
    for line in predictions.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            predicted[row["id"]] = row.get("title")
    gold = [item for item in items if item.get("title")]
    right = sum(1 for item in gold if any(
        scorer.title_match(wording, predicted.get(item["id"]))[0]
        for wording in (item["title"], item.get("title_alt")) if wording))
    return len(gold), right / len(gold) if gold else 0.0


def _acc(block: dict[str, Any], field: str) -> str:
    metric = block.get(field)
    return f"{metric['accuracy']:.3f} (n={metric['n']})" if metric else "-"


def summary_rows(results: dict[str, dict[str, Any]]) -> list[list[object]]:
    base = results.get("archiver")
    rows: list[list[object]] = []
    for tool, res in results.items():
        text = res["all"]["text"]
        rate = res.get("docs_per_s") or 0.0
        f1_ratio = speed_ratio = "-"
        if base is not None and tool != "archiver":
            f1_ratio = f"{base['all']['text']['f1'] / text['f1']:.3f}" if text["f1"] else "-"
            speed_ratio = f"{base['docs_per_s'] / rate:.2f}x" if rate else "-"
        rows.append([tool, f"{text['f1']:.3f} ± {text['f1_std']:.3f}",
                     f"{text['precision']:.3f}", f"{text['recall']:.3f}",
                     _acc(res["all"], "date"), _acc(res["all"], "title"),
                     _acc(res["all"], "author"), f"{rate:.1f}", f1_ratio, speed_ratio])
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dev-set", type=Path, default=REPO_DIR.parent / "shared" / "extraction-dev",
                    help="folder holding evaluate.py and data/ (default ../shared/extraction-dev)")
    ap.add_argument("--tools", default=",".join(TOOLS), help=f"comma list of {', '.join(TOOLS)}")
    ap.add_argument("--sets", default="", help="comma list of sets (default: all)")
    ap.add_argument("--limit", type=int, default=0, help="first N documents only")
    ap.add_argument("--pool", type=int, default=0, help="also time archiver over N processes")
    ap.add_argument("--details", action="store_true", help="print the scorer's per-set tables")
    ap.add_argument("--save", type=Path, help="write each tool's predictions (JSONL) here")
    ap.add_argument("--json", type=Path, help="write all results here")
    ap.add_argument("--split", action="store_true",
                    help="also score the tune and held-out halves (by document id hash)")
    args = ap.parse_args(argv)
    tools = [t for t in args.tools.split(",") if t]
    unknown = [t for t in tools if t not in TOOLS]
    if unknown:
        raise SystemExit(f"extract_bench: unknown tools {unknown}; known: {list(TOOLS)}")
    sys.path.insert(0, str(REPO_DIR))
    info = machine_info()
    print("machine:", ", ".join(f"{k}={v}" for k, v in info.items()))
    scorer = load_scorer(args.dev_set.resolve())
    scratch = tempfile.TemporaryDirectory(prefix="extract-bench-")
    if not args.save:  # kept for the halves (--split) and the either-wording titles
        args.save = Path(scratch.name)
    args.save.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, Any]] = {}
    for tool in tools:
        results[tool] = score(scorer, args.dev_set.resolve(), tool, args.sets, args.limit,
                              args.save)
        if args.details:
            print(results[tool]["report"])
    n_docs = next(iter(results.values()))["n_docs"] if results else 0
    print(f"\n{n_docs} documents; docs/s = single process, one document at a time "
          f"(load average at start {info['load']})")
    print(table(summary_rows(results), ["tool", "main-text F1", "P", "R", "date", "title",
                                        "author", "docs/s", "archiver F1 ratio",
                                        "archiver speed ratio"]))
    for tool in tools:
        either = either_title_accuracy(scorer, args.dev_set.resolve(),
                                       args.save / f"{tool}.jsonl")
        if either is not None:
            results[tool]["title_either"] = {"n": either[0], "accuracy": either[1]}
            print(f"{tool}: title {either[1]:.3f} (n={either[0]}) against either wording "
                  "a labeller gave (bench/titles/README.md)")
    if args.split:
        manifests = split_manifests(args.dev_set.resolve(), Path(scratch.name))
        for part, manifest in manifests.items():
            halves = {tool: rescore(scorer, args.dev_set.resolve(), tool, args.sets,
                                    args.save / f"{tool}.jsonl", manifest) for tool in tools}
            for tool, half in halves.items():
                half["docs_per_s"] = results[tool].get("docs_per_s")
                results[tool][f"split_{part}"] = half
            count = next(iter(halves.values()))["n_docs"] if halves else 0
            print(f"\n{part} half: {count} documents (docs/s: the full run's)")
            print(table(summary_rows(halves), ["tool", "main-text F1", "P", "R", "date", "title",
                                               "author", "docs/s", "archiver F1 ratio",
                                               "archiver speed ratio"]))
    if args.pool:
        rate = pool_rate(scorer, args.dev_set.resolve(), args.pool)
        print(f"\narchiver over a {args.pool}-process pool: {rate:.1f} docs/s")
    print(f"load average at end: {machine_info()['load']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    scratch.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
