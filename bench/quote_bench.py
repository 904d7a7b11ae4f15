#!/usr/bin/env python3
"""Quote benchmark: `archiver quote` on packages of 1,000 and 10,000 documents, beside a
plain scan of the same texts.

Builds (under a temporary folder, or --work DIR, kept with --keep) package-shaped folders of
N documents: manifest.json whose resources each name an extraction JSON (with a page's full
visible text in html.visible_text) and a text file under data/extract/, as a sealed package
holds them, and then its text index, made by the very function that makes it at seal time
(archiver.package.text_index.write_text_index). The WARC records themselves are left out:
quote never reads them. Texts are generated: words drawn from a Zipf law over 60,000
made-up words (as a language's are), a main text of a log-normal size (median 5.5 KB,
long tail to ~60 KB), a visible text of the main text plus ~2.5 KB of menus and footers
(the same few words on every page, as a site's are).

Then, for passages drawn from random documents (8 to 30 words; each given curly quotes, an
em dash or capitals as a story would, so only a tolerant search finds them) and for
misquotes (one word changed: not found, the closest passage wanted), it times

    find_quote(PKG, passage)                    in-process: index opened, answered, closed
    archiver quote PKG "passage" --json         the CLI, process start included
    grep -rlF -- "passage as in the text" data/extract     the peer: a literal scan (exact
                                                           bytes only: no tolerance at all)
    Python scan: every text read, normalised and searched (the same tolerance, no index)

and prints per-answer times, the CLI's peak RSS at each size (memory flat as packages
grow; "<= N" when it may be the bench's own, which Linux carries into a child's peak),
the index's build time and size, and the ratios peer / archiver.

    python bench/quote_bench.py [--sizes 1000,10000] [--passages 20] [--misquotes 5]
        [--work DIR] [--keep] [--reuse] [--json results.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import statistics
import string
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

sys.path.insert(0, str(REPO_DIR))
from archiver.package.text_index import package_resources, write_text_index
from archiver.package_layout import TEXT_INDEX
from archiver.quotes.lookup import find_quote
from archiver.textsearch.normalise import stream

VOCABULARY = 60_000
SEED = 15


def made_up_words(rng: random.Random, count: int) -> list[str]:
    syllables = [a + b for a in "bcdfghklmnprstvwz" for b in "aeiou"] + ["an", "er", "in", "or"]
    words: set[str] = set()
    while len(words) < count:
        words.add("".join(rng.choice(syllables) for _ in range(rng.choice((1, 2, 2, 3, 3, 4)))))
    return sorted(words, key=lambda w: (len(w), w))  # short words the most frequent


class TextMaker:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.words = made_up_words(rng, VOCABULARY)
        weights = [1 / (rank + 1) for rank in range(VOCABULARY)]  # Zipf, s = 1
        total = sum(weights)
        running = 0.0
        self.cumulative = []
        for weight in weights:
            running += weight / total
            self.cumulative.append(running)

    def sentence(self) -> str:
        count = self.rng.randint(8, 28)
        words = self.rng.choices(self.words, cum_weights=self.cumulative, k=count)
        words[0] = words[0].capitalize()
        if self.rng.random() < 0.3:
            words[self.rng.randrange(1, count)] += ","
        return " ".join(words) + "."

    def text(self, chars: int) -> str:
        paragraphs, size = [], 0
        while size < chars:
            paragraph = " ".join(self.sentence() for _ in range(self.rng.randint(2, 6)))
            paragraphs.append(paragraph)
            size += len(paragraph) + 2
        return "\n\n".join(paragraphs)

    def main_text_size(self) -> int:
        return min(60_000, max(800, int(self.rng.lognormvariate(math.log(5_500), 0.6))))


def build_package(root: Path, count: int, rng: random.Random) -> list[tuple[str, str]]:
    """A package-shaped folder of `count` documents; returns (text path, text) samples."""
    maker = TextMaker(rng)
    extract = root / "data" / "extract"
    extract.mkdir(parents=True)
    # a site's menus and footer: the same few words on every page
    chrome = " ".join(["Home", "News", "World", "Politics", "Business", "Opinion", "Sport",
                       "Culture", "Subscribe", "Newsletter", "Contact us", "Privacy policy",
                       "Terms of use", "Cookie settings", "About us", "Advertise"] * 12)
    resources, samples = [], []
    for number in range(1, count + 1):
        stem = f"data/extract/{number:05d}-example-org-page-{number}"
        text = maker.text(maker.main_text_size())
        visible = f"Home News Politics Business Sign in\n{text}\n{chrome}"
        url = f"https://news.example.org/{number // 100}/page-{number}.html"
        (root / f"{stem}.txt").write_text(text, "utf-8")
        (root / f"{stem}.json").write_text(json.dumps(
            {"kind": "html", "text": None, "html": {"visible_text": visible}}), "utf-8")
        digest = hashlib.sha256(url.encode()).hexdigest()
        record = {"warc_file": "data/warc/bench-00001.warc.gz", "offset": number * 4096,
                  "record_id": f"<urn:uuid:{digest[:8]}-{digest[8:12]}-{digest[12:16]}-"
                               f"{digest[16:20]}-{digest[20:32]}>"}
        resources.append({
            "url": url, "content_type": "text/html", "status": 200,
            "captured_at": "2026-12-01T10:00:00.000000Z", "payload_sha256": digest,
            "record": record,
            "derived": [{"kind": "extraction", "path": f"{stem}.json", "record": record},
                        {"kind": "text", "path": f"{stem}.txt", "record": record}]})
        if number % max(1, count // 200) == 0:
            samples.append((f"{stem}.txt", text))
    manifest = {"package_id": f"urn:uuid:bench-{count}", "resources": resources}
    (root / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    (root / "bagit.txt").write_text("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    return samples


def styled(passage: str, rng: random.Random) -> str:
    """A passage as a story quotes it: curly quotes, an em dash for a comma, capitals."""
    words = passage.split()
    if len(words) > 4:
        at = rng.randrange(1, len(words) - 1)
        words[at] = words[at].rstrip(",") + " —"
    quoted = " ".join(words)
    if rng.random() < 0.5:
        quoted = quoted.upper()
    return f"“{quoted}”"


def passages(samples: list[tuple[str, str]], rng: random.Random, count: int
             ) -> list[tuple[str, str]]:
    """(as the text has it, as a story quotes it)."""
    chosen = []
    for _, text in rng.sample(samples, min(count, len(samples))):
        words = text.split()
        length = rng.randint(8, 30)
        start = rng.randrange(0, max(1, len(words) - length))
        original = " ".join(words[start:start + length])
        chosen.append((original, styled(original, rng)))
    return chosen


def misquotes(samples: list[tuple[str, str]], rng: random.Random, count: int) -> list[str]:
    found = []
    for original, _ in passages(samples, rng, count):
        words = original.split()
        words[len(words) // 2] = "".join(rng.choices(string.ascii_lowercase, k=9))
        found.append(" ".join(words))
    return found


def python_scan(root: Path, passage: str) -> int:
    """The same tolerant search with no index: every text read and normalised."""
    wanted = stream(passage).chars
    hits = 0
    for path in sorted((root / "data" / "extract").glob("*.txt")):
        if wanted in stream(path.read_text("utf-8")).chars:
            hits += 1
    return hits


def run_size(count: int, args: argparse.Namespace, work: Path, cli: list[str]
             ) -> dict[str, Any]:
    rng = random.Random(SEED + count)
    root = work / f"package-{count}"
    if args.reuse and (root / "built.json").exists():
        built = json.loads((root / "built.json").read_text())
        made, indexed, documents = built["made"], built["indexed"], built["documents"]
        samples = [(path, (root / path).read_text("utf-8")) for path in built["samples"]]
        # (the passages drawn then differ from the first run's: other random ones)
    else:
        remove_tree(root, keep=False)  # a build cut short
        started = time.perf_counter()
        samples = build_package(root, count, rng)
        made = time.perf_counter() - started
        resources, package_id, _ = package_resources(root)
        started = time.perf_counter()
        documents = write_text_index(root, resources, package_id, root / TEXT_INDEX)
        indexed = time.perf_counter() - started
        manifest = json.loads((root / "manifest.json").read_text())
        manifest["text_index"] = {"path": TEXT_INDEX, "format": "archiver-text-index/1",
                                  "documents": documents}
        (root / "manifest.json").write_text(json.dumps(manifest))
        (root / "built.json").write_text(json.dumps(
            {"made": made, "indexed": indexed, "documents": documents,
             "samples": [path for path, _ in samples]}))
    text_bytes = sum(p.stat().st_size for p in (root / "data" / "extract").glob("*.txt"))
    index_bytes = (root / TEXT_INDEX).stat().st_size
    print(f"\n{count:,} documents: {human_bytes(text_bytes)} of main text, generated in "
          f"{made:.1f} s; index of {documents:,} texts built in {indexed:.1f} s, "
          f"{human_bytes(index_bytes)}", flush=True)

    found = passages(samples, rng, args.passages)
    wrong = misquotes(samples, rng, args.misquotes)
    library, cli_runs, greps, failures = [], [], [], []
    for original, quoted in found:
        started = time.perf_counter()
        result = find_quote(root, quoted)
        library.append(time.perf_counter() - started)
        if not result.found:
            failures.append(quoted)
        run = measure([*cli, "quote", str(root), quoted, "--json"])
        cli_runs.append(run)
        if run.returncode != 0:
            failures.append(f"CLI exit {run.returncode}: {quoted}")
        grep = measure(["grep", "-rlF", "--", original, str(root / "data" / "extract")])
        greps.append(grep.seconds)
    closest, closest_cli = [], []
    for passage in wrong:
        started = time.perf_counter()
        result = find_quote(root, passage)
        closest.append(time.perf_counter() - started)
        if result.found or result.closest is None:
            failures.append(f"misquote answered wrongly: {passage}")
        run = measure([*cli, "quote", str(root), passage, "--json"])
        closest_cli.append(run)
    scans = []
    for original, _ in found[:args.scans]:
        started = time.perf_counter()
        python_scan(root, original)
        scans.append(time.perf_counter() - started)
    row = {
        "documents": count, "texts_indexed": documents, "text_bytes": text_bytes,
        "index_bytes": index_bytes, "index_seconds": round(indexed, 2),
        "found_library_s": round(statistics.median(library), 4),
        "found_library_max_s": round(max(library), 4),
        "found_cli_s": round(statistics.median(r.seconds for r in cli_runs), 3),
        "found_cli_max_s": round(max(r.seconds for r in cli_runs), 3),
        "closest_library_s": round(statistics.median(closest), 4) if closest else None,
        "closest_cli_s": (round(statistics.median(r.seconds for r in closest_cli), 3)
                          if closest_cli else None),
        "cli_peak_rss": max((r for r in cli_runs + closest_cli),
                            key=lambda r: r.peak_rss_kib).peak_text(),
        "grep_s": round(statistics.median(greps), 3),
        "python_scan_s": round(statistics.median(scans), 2) if scans else None,
        "failures": failures,
    }
    if not args.keep:
        remove_tree(root, keep=False)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--passages", type=int, default=20)
    parser.add_argument("--misquotes", type=int, default=5)
    parser.add_argument("--scans", type=int, default=3, help="passages the Python scan times")
    parser.add_argument("--work", type=Path)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true",
                        help="use the packages a run with --keep left in --work")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    work = args.work or make_temp_dir("quote")
    work.mkdir(parents=True, exist_ok=True)
    cli = [sys.executable, "-m", "archiver"]
    print(f"quote bench: {code_version()}; {machine_info()}")
    print(f"CLI: {' '.join(cli)} (PYTHONPATH {REPO_DIR.name})")
    rows = [run_size(int(size), args, work, cli) for size in args.sizes.split(",")]
    print()
    print(table([[f"{r['documents']:,}", f"{r['found_library_s'] * 1000:.0f} ms",
                  f"{r['found_cli_s']:.2f} s (max {r['found_cli_max_s']:.2f})",
                  f"{(r['closest_library_s'] or 0) * 1000:.0f} ms",
                  f"{r['cli_peak_rss']} MB", f"{r['grep_s']:.2f} s",
                  f"{r['python_scan_s']} s", f"{r['index_seconds']} s",
                  human_bytes(r["index_bytes"])] for r in rows],
                ["documents", "found (lib)", "found (CLI)", "closest (lib)", "CLI peak RSS",
                 "grep -rlF", "Python scan", "index build", "index size"]))
    for r in rows:
        print(f"{r['documents']:,} documents: grep -rlF / quote CLI = "
              f"{r['grep_s'] / r['found_cli_s']:.1f}x; grep -rlF / quote (in-process) = "
              f"{r['grep_s'] / r['found_library_s']:.0f}x; Python scan / quote (in-process) = "
              f"{(r['python_scan_s'] or 0) / r['found_library_s']:.0f}x")
        for failure in r["failures"]:
            print(f"  FAILED: {failure}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    if not args.keep and args.work is None:
        remove_tree(work, keep=False)
    return 1 if any(r["failures"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
