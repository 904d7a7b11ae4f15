#!/usr/bin/env python3
"""Build a second page set, in the extraction-dev layout, from the pages of the development
set's public parents that the set leaves out: real pages no rule was tuned on, for labelling
citations (bench/citations/README.md, splits `heldout6` to `heldout8`) and for scoring
extraction on held-out pages (issue 11 §7).

The development set (../shared/extraction-dev) holds 87 of the 181 pages of
scrapinghub/article-extraction-benchmark (MIT; the set names commit 4a3bc979) and 28 of the
130 test pages of mozilla/readability (Apache-2.0; ab4027a8). This script reads a checkout of
the first (and, with --readability, of the second) and writes the other pages, byte for byte,
with their URL and body text (and, from readability, the expected title, byline and date):

    git clone https://github.com/scrapinghub/article-extraction-benchmark AEB
    git clone https://github.com/mozilla/readability READABILITY
    git clone https://github.com/adbar/htmldate HTMLDATE
    python bench/citations/parent_set.py AEB OUT [--readability READABILITY]
                                         [--htmldate HTMLDATE]
                                         [--dev-set ../shared/extraction-dev]
                                         [--titles bench/titles/labels.json]
    python bench/citation_bench.py --extra-set OUT --split heldout6
    python bench/extract_bench.py --dev-set OUT      (with the set's evaluate.py copied in)

OUT gets `data/manifest.jsonl` and `data/html/<set>/<id>.html.gz`, as the development set has.
With --titles, each page's title is the hand label of bench/titles/labels.json (its
`title_alt` too; readability's own value kept as `title_upstream`).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

import lxml.html

DEFAULT_DEV_SET = Path(__file__).resolve().parents[3] / "shared" / "extraction-dev"


def dev_set_ids(dev_set: Path) -> set[str]:
    manifest = dev_set / "data" / "manifest.jsonl"
    return {json.loads(line)["id"] for line in manifest.read_text("utf-8").splitlines()
            if line.strip()}


def aeb_pages(benchmark: Path, leave_out: set[str], out: Path) -> Iterator[dict[str, Any]]:
    truth = json.loads((benchmark / "ground-truth.json").read_text("utf-8"))
    pages = out / "data" / "html" / "aeb"
    pages.mkdir(parents=True, exist_ok=True)
    for name, entry in sorted(truth.items()):
        page_id = f"aeb/{name}"
        if page_id in leave_out:
            continue
        shutil.copyfile(benchmark / "html" / f"{name}.html.gz", pages / f"{name}.html.gz")
        yield {"id": page_id, "set": "aeb", "file": f"data/html/{page_id}.html.gz",
               "url": entry.get("url"), "text": entry.get("articleBody", "")}


def htmldate_pages(checkout: Path, dev_set: Path, out: Path) -> Iterator[dict[str, Any]]:
    """The real pages of htmldate's evaluation (tests/eval_default.json: each page's URL and
    its publication date) that the development set leaves out, one page a site (the first by
    the hash of its URL), with that date."""
    left_out = {json.loads(line).get("source_file") for line in
                (dev_set / "data" / "manifest.jsonl").read_text("utf-8").splitlines()
                if line.strip()}
    pages = out / "data" / "html" / "htmldate"
    pages.mkdir(parents=True, exist_ok=True)
    truth = json.loads((checkout / "tests" / "eval_default.json").read_text("utf-8"))
    by_site: dict[str, tuple[str, str, dict[str, Any]]] = {}
    for url, entry in truth.items():
        source = f"tests/eval/{entry['file']}"
        if source in left_out or not (checkout / source).is_file():
            continue
        digest = hashlib.sha256(url.encode("utf-8")).hexdigest()
        site = ".".join((urlsplit(url).hostname or "").removeprefix("www.").split(".")[-2:])
        if site not in by_site or digest < by_site[site][0]:
            by_site[site] = (digest, url, {**entry, "source": source})
    for digest, url, entry in sorted(by_site.values()):
        page_id = f"htmldate/{digest[:16]}"
        (pages / f"{digest[:16]}.html.gz").write_bytes(
            gzip.compress((checkout / entry["source"]).read_bytes()))
        yield {"id": page_id, "set": "htmldate", "file": f"data/html/{page_id}.html.gz",
               "url": url, "text": None, "date": entry.get("date"),
               "source_file": entry["source"]}


def readability_pages(checkout: Path, leave_out: set[str], out: Path
                      ) -> Iterator[dict[str, Any]]:
    """Each test page's source, the text of its expected article, and its expected title,
    byline and date (as readability's tests give them: not corrected by hand, as the
    development set's 28 were)."""
    pages = out / "data" / "html" / "readability"
    pages.mkdir(parents=True, exist_ok=True)
    for folder in sorted((checkout / "test" / "test-pages").iterdir()):
        page_id = f"readability/{folder.name}"
        if page_id in leave_out or not (folder / "source.html").is_file():
            continue
        expected = lxml.html.fromstring((folder / "expected.html").read_bytes())
        text = "\n".join(" ".join(block.split()) for block in expected.itertext()
                         if block.strip())
        meta = json.loads((folder / "expected-metadata.json").read_text("utf-8"))
        (pages / f"{folder.name}.html.gz").write_bytes(
            gzip.compress((folder / "source.html").read_bytes()))
        yield {"id": page_id, "set": "readability", "file": f"data/html/{page_id}.html.gz",
               "url": None, "text": text, "title": meta.get("title"),
               "author": meta.get("byline"), "date": (meta.get("publishedTime") or "")[:10]
               or None, "lang": meta.get("lang")}


def build(benchmark: Path, out: Path, leave_out: set[str], readability: Path | None = None,
          titles: dict[str, dict[str, Any]] | None = None, htmldate: Path | None = None,
          dev_set: Path = DEFAULT_DEV_SET) -> int:
    written = 0
    (out / "data").mkdir(parents=True, exist_ok=True)
    with (out / "data" / "manifest.jsonl").open("w", encoding="utf-8") as manifest:
        written += _write(manifest, aeb_pages(benchmark, leave_out, out), titles)
        if readability is not None:
            written += _write(manifest, readability_pages(readability, leave_out, out), titles)
        if htmldate is not None:
            written += _write(manifest, htmldate_pages(htmldate, dev_set, out), titles)
    return written


def labelled_titles(path: Path) -> dict[str, dict[str, Any]]:
    """The hand-labelled titles (bench/titles/labels.json), by page id."""
    return {page["id"]: page for page in json.loads(path.read_text(encoding="utf-8"))["pages"]}


def _write(manifest: TextIO, records: Iterator[dict[str, Any]],
           titles: dict[str, dict[str, Any]] | None) -> int:
    count = 0
    for record in records:
        label = (titles or {}).get(record["id"])
        if label is not None:
            if record.get("title") is not None:
                record["title_upstream"] = record["title"]
            record["title"] = label["title"]
            if label.get("title_alt"):
                record["title_alt"] = label["title_alt"]
        manifest.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("benchmark", type=Path, help="a checkout of article-extraction-benchmark")
    parser.add_argument("out", type=Path, help="the folder to write the page set into")
    parser.add_argument("--readability", type=Path,
                        help="a checkout of mozilla/readability: its test pages too")
    parser.add_argument("--dev-set", type=Path, default=DEFAULT_DEV_SET)
    parser.add_argument("--htmldate", type=Path,
                        help="a checkout of adbar/htmldate: one evaluation page a site too")
    parser.add_argument("--titles", type=Path,
                        help="hand-labelled titles to score against (bench/titles/labels.json)")
    args = parser.parse_args(argv)
    if not (args.benchmark / "ground-truth.json").is_file():
        print(f"parent_set: no ground-truth.json in {args.benchmark}", file=sys.stderr)
        return 2
    if not (args.dev_set / "data" / "manifest.jsonl").is_file():
        print(f"parent_set: no extraction-dev set at {args.dev_set} (use --dev-set DIR)",
              file=sys.stderr)
        return 2
    if args.readability is not None and not (args.readability / "test" / "test-pages").is_dir():
        print(f"parent_set: no test/test-pages in {args.readability}", file=sys.stderr)
        return 2
    titles = labelled_titles(args.titles) if args.titles is not None else None
    if args.htmldate is not None and not (args.htmldate / "tests" / "eval_default.json").is_file():
        print(f"parent_set: no tests/eval_default.json in {args.htmldate}", file=sys.stderr)
        return 2
    written = build(args.benchmark, args.out, dev_set_ids(args.dev_set), args.readability,
                    titles, args.htmldate, args.dev_set)
    print(f"{written} pages written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
