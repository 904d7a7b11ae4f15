#!/usr/bin/env python3
"""Citation benchmark: story mode's citations against trafilatura's links, same pages, same run.

The pages are real news and article pages of the extraction development set
(../shared/extraction-dev, or --dev-set DIR, or $ARCHIVER_EXTRACTION_DEV), labelled by hand in
bench/citations/labels.json: for each page, the URLs a careful editor marks as the story's
citations (see bench/citations/README.md for the rules). Each page runs through

- archiver: `archiver.story.citation_region.select_in_page` (main-text extraction, then the
  citation pass story mode runs), on the page as saved, with its URL from the manifest; a page
  without one is read as a local saved page (its <base>, canonical URL or og:url);
- trafilatura: `trafilatura.extract(..., output_format="xml", include_links=True)`, its links
  (the <ref target> of its main text), resolved against the same address;

and is scored by URL (fragment, tracking parameters, "www." and http/https set aside), micro-
averaged over the pages of each split: dev (tuned on), heldout1 (scored once untouched, then
tuned on), heldout and final (each scored once, then tuned on), heldout3 (held out in the
second round, tuned on in the third), heldout4 (held out in the third round: scored by its
aggregate only, before and after it), heldout5 (labelled in the fourth round, scored once
by its aggregate before any change made for it, then tuned on), and heldout6, heldout7 and
heldout8 (the fifth round: pages of the extraction benchmark the development set leaves out,
built by bench/citations/parent_set.py and given with --extra-set; each scored once by its
aggregate before any change made for it, then tuned on), and heldout9 (the rest of those
pages, from sites seen before: scored once by its aggregate at the end of that round), and
heldout10 (the sixth round: readability's real article pages the set leaves out, given with
--extra-set OUT of parent_set.py --readability; scored once by its aggregate, then tuned on),
heldout11, heldout12 and heldout13 (htmldate's pages, parent_set.py --htmldate: the first
tuned on after its first score, the second scored once with the round's final code and then
looked at, the third scored once at the round's end and not looked at).

    python bench/citation_bench.py [--dev-set DIR] [--extra-set DIR] [--split SPLIT|all|each]
                                   [--pages] [--json out.json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
sys.path.insert(0, str(REPO_DIR))
LABELS = BENCH_DIR / "citations" / "labels.json"
ENV_DEV_SET = "ARCHIVER_EXTRACTION_DEV"
_TRACKING = re.compile(r"^(?:utm_\w+|ref_src|ref|itm_\w+|mod|module|inline|intcid|s|_r|srnd"
                       r"|source|cmpid|ocid|smid|fbclid|gclid)$", re.IGNORECASE)


def default_dev_set() -> Path:
    """$ARCHIVER_EXTRACTION_DEV, else ../shared/extraction-dev beside the repository."""
    configured = os.environ.get(ENV_DEV_SET)
    return Path(configured) if configured else REPO_DIR.parent / "shared" / "extraction-dev"


def source_key(url: str) -> str:
    """One key for the addresses of one source: scheme, "www.", fragment, tracking
    parameters and a trailing slash set aside, and the path's escapes read ("stückchen"
    and "st%C3%BCckchen" are one address)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url
    host = (parts.hostname or "").lower().removeprefix("www.")
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if not _TRACKING.match(k)])
    path = unquote(parts.path).rstrip("/") or "/"
    return urlunsplit(("", host, path, query, ""))


@dataclass
class Score:
    found: int = 0
    expected: int = 0
    correct: int = 0
    seconds: float = 0.0
    pages: int = 0
    misses: list[str] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)

    def add(self, predicted: set[str], expected: set[str], seconds: float) -> None:
        self.found += len(predicted)
        self.expected += len(expected)
        self.correct += len(predicted & expected)
        self.seconds += seconds
        self.pages += 1
        self.misses = sorted(expected - predicted)
        self.extras = sorted(predicted - expected)

    @property
    def precision(self) -> float:
        return self.correct / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.expected if self.expected else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def read_page(dev_set: Path, page_id: str) -> str:
    raw = gzip.decompress((dev_set / "data" / "html" / f"{page_id}.html.gz").read_bytes())
    return decode(raw)


def decode(raw: bytes) -> str:
    """The page's text as story mode reads it (its charset rules)."""
    from archiver.decoding import decode_html

    return decode_html(raw, None).text


def archiver_links(html: str, url: str | None) -> set[str]:
    from archiver.story.citation_region import select_in_page

    return {citation.url for citation in select_in_page(html, url).citations}


def main_text_links(html: str, url: str | None) -> set[str]:
    """What story mode cited before issue 11: the extractor's main-text links alone."""
    from archiver.extract.html.extraction import extract_html
    from archiver.story.citations import select_citations

    address = saved_page_address(html, url)
    links = [link.to_dict() for link in extract_html(html, address).links]
    return {citation.url for citation in select_citations(links, address).citations}


def saved_page_address(html: str, url: str | None) -> str | None:
    """The address archiver reads a saved page as (given to trafilatura too, to be fair)."""
    from archiver.extract.html.parse import parse_html
    from archiver.story.citation_region import page_address

    return page_address(parse_html(html).tree, url)


def trafilatura_links(html: str, url: str | None) -> set[str]:
    import trafilatura

    from archiver.capture.urls import try_normalize

    address = saved_page_address(html, url)
    xml = trafilatura.extract(html, url=address, output_format="xml", include_links=True,
                              include_comments=False, include_tables=True) or ""
    found = set()
    for target in re.findall(r'<ref target="([^"]*)"', xml):
        resolved = try_normalize(unescape(target), address)
        if resolved and resolved.startswith(("http://", "https://")):
            found.add(resolved)
    return found


TOOLS: dict[str, Callable[[str, str | None], set[str]]] = {
    "archiver": archiver_links,
    "trafilatura": trafilatura_links,
    "main-text": main_text_links,
}


def read_manifests(page_sets: Iterable[Path]) -> dict[str, tuple[Path, dict[str, Any]]]:
    """Each page id of the given sets, with the set that holds it and its manifest record."""
    pages: dict[str, tuple[Path, dict[str, Any]]] = {}
    for page_set in page_sets:
        for line in (page_set / "data" / "manifest.jsonl").read_text("utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                pages.setdefault(record["id"], (page_set, record))
    return pages


def run(page_sets: list[Path], labels: list[dict[str, Any]], splits: Iterable[str],
        show_pages: bool) -> dict[str, dict[str, Score]]:
    manifest = read_manifests(page_sets)
    results: dict[str, dict[str, Score]] = {}
    for split in splits:
        pages = [page for page in labels if split == "all" or page["split"] == split]
        absent = [page for page in pages if page["id"] not in manifest]
        if absent:
            print(f"{split}: {len(absent)} of its pages are in no set given, left out "
                  "(heldout6's pages: --extra-set, see bench/citations/parent_set.py)",
                  file=sys.stderr)
            pages = [page for page in pages if page["id"] in manifest]
        if not pages:
            continue
        scores = {tool: Score() for tool in TOOLS}
        for page in pages:
            page_set, record = manifest[page["id"]]
            html = read_page(page_set, page["id"])
            url = record.get("url") or None
            expected = {source_key(u) for u in page["citations"]}
            line = [f"{page['id'][:28]:28}", f"{len(expected):3}"]
            for tool, links_of in TOOLS.items():
                started = time.perf_counter()
                found = links_of(html, url)
                elapsed = time.perf_counter() - started
                predicted = {source_key(u) for u in found}
                score = scores[tool]
                score.add(predicted, expected, elapsed)
                line.append(f"{tool} +{len(predicted & expected)} "
                            f"-{len(expected - predicted)} x{len(predicted - expected)}")
                if show_pages and tool == "archiver" and (score.misses or score.extras):
                    line += [f"\n      missed {m}" for m in score.misses]
                    line += [f"\n      extra  {e}" for e in score.extras]
            if show_pages:
                print("  ".join(line))
        results[split] = scores
    return results


def report(results: dict[str, dict[str, Score]]) -> str:
    lines = []
    for split, scores in results.items():
        lines.append(f"{split}: {scores['archiver'].pages} pages, "
                     f"{scores['archiver'].expected} labelled citations")
        lines.append(f"  {'tool':12} {'precision':>9} {'recall':>7} {'F1':>6} {'found':>6} "
                     f"{'ms/page':>8}")
        for tool, score in scores.items():
            per_page = 1000 * score.seconds / max(1, score.pages)
            lines.append(f"  {tool:12} {score.precision:9.3f} {score.recall:7.3f} "
                         f"{score.f1:6.3f} {score.found:6} {per_page:8.1f}")
        ratio = scores["archiver"].seconds / max(1e-9, scores["trafilatura"].seconds)
        lines.append(f"  time archiver/trafilatura: {ratio:.2f}x")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dev-set", type=Path, default=None,
                        help=f"the extraction-dev folder (default ${ENV_DEV_SET}, else "
                        "../shared/extraction-dev beside the repository)")
    parser.add_argument("--extra-set", type=Path, action="append", default=[],
                        help="another page set in the same layout (bench/citations/"
                        "parent_set.py builds the one heldout6 needs); may be repeated")
    parser.add_argument("--split", default="each",
                        help="a split of the labels (dev, heldout1, heldout, final, heldout3, "
                        "heldout4, heldout5 ... heldout13), all of them together (all), "
                        "or each in turn (each, the default)")
    parser.add_argument("--pages", action="store_true", help="print every page's result")
    parser.add_argument("--json", type=Path, help="also write the scores here")
    parser.add_argument("--labels", type=Path, default=LABELS,
                        help="the labelled pages (default bench/citations/labels.json)")
    args = parser.parse_args(argv)
    dev_set = args.dev_set or default_dev_set()
    if not (dev_set / "data" / "manifest.jsonl").is_file():
        print(f"citation_bench: no extraction-dev set at {dev_set} (use --dev-set DIR or "
              f"${ENV_DEV_SET})", file=sys.stderr)
        return 2
    labels = json.loads(args.labels.read_text("utf-8"))["pages"]
    splits = (tuple(dict.fromkeys(page["split"] for page in labels)) if args.split == "each"
              else (args.split,))
    for warm_up in TOOLS.values():
        warm_up("<html><body><p>warm up</p></body></html>", None)
    results = run([dev_set, *args.extra_set], labels, splits, args.pages)
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps({
            split: {tool: {"precision": s.precision, "recall": s.recall, "f1": s.f1,
                           "pages": s.pages, "expected": s.expected, "found": s.found,
                           "seconds": s.seconds} for tool, s in scores.items()}
            for split, scores in results.items()}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
