#!/usr/bin/env python3
"""Build a second page set, in the extraction-dev layout, from the article-extraction-benchmark
pages that the development set leaves out, so that citations can be labelled on real pages no
rule was tuned on (bench/citations/README.md, split `heldout6`).

The development set (../shared/extraction-dev) holds 87 of the benchmark's 181 pages. This
script reads a checkout of scrapinghub/article-extraction-benchmark (MIT; the development set
names commit 4a3bc979) and writes the other pages, byte for byte, with their URL and body text:

    git clone https://github.com/scrapinghub/article-extraction-benchmark AEB
    python bench/citations/parent_set.py AEB OUT [--dev-set ../shared/extraction-dev]
    python bench/citation_bench.py --extra-set OUT --split heldout6

OUT gets `data/manifest.jsonl` and `data/html/aeb/<id>.html.gz`, as the development set has.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

DEFAULT_DEV_SET = Path(__file__).resolve().parents[3] / "shared" / "extraction-dev"


def dev_set_ids(dev_set: Path) -> set[str]:
    manifest = dev_set / "data" / "manifest.jsonl"
    return {json.loads(line)["id"] for line in manifest.read_text("utf-8").splitlines()
            if line.strip()}


def build(benchmark: Path, out: Path, leave_out: set[str]) -> int:
    truth = json.loads((benchmark / "ground-truth.json").read_text("utf-8"))
    pages = out / "data" / "html" / "aeb"
    pages.mkdir(parents=True, exist_ok=True)
    written = 0
    with (out / "data" / "manifest.jsonl").open("w", encoding="utf-8") as manifest:
        for name, entry in sorted(truth.items()):
            page_id = f"aeb/{name}"
            if page_id in leave_out:
                continue
            shutil.copyfile(benchmark / "html" / f"{name}.html.gz", pages / f"{name}.html.gz")
            record = {"id": page_id, "set": "aeb", "file": f"data/html/{page_id}.html.gz",
                      "url": entry.get("url"), "text": entry.get("articleBody", "")}
            manifest.write(json.dumps(record, ensure_ascii=False) + "\n")
            written += 1
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("benchmark", type=Path, help="a checkout of article-extraction-benchmark")
    parser.add_argument("out", type=Path, help="the folder to write the page set into")
    parser.add_argument("--dev-set", type=Path, default=DEFAULT_DEV_SET)
    args = parser.parse_args(argv)
    if not (args.benchmark / "ground-truth.json").is_file():
        print(f"parent_set: no ground-truth.json in {args.benchmark}", file=sys.stderr)
        return 2
    if not (args.dev_set / "data" / "manifest.jsonl").is_file():
        print(f"parent_set: no extraction-dev set at {args.dev_set} (use --dev-set DIR)",
              file=sys.stderr)
        return 2
    written = build(args.benchmark, args.out, dev_set_ids(args.dev_set))
    print(f"{written} pages written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
