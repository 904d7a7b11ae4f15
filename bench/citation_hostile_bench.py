#!/usr/bin/env python3
"""Story mode's citation pass on hostile page shapes, beside trafilatura's own extraction of
the same pages in the same run: the pass must stay near-linear however a page repeats a shape.

    python bench/citation_hostile_bench.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PARAGRAPH = ("<p>" + "The council voted on the budget after a long debate about the meters and "
             "the audit. " * 3 + "</p>")


def cases() -> dict[str, str]:
    article = "<html><body><article><h1>Vote</h1>" + PARAGRAPH * 5
    return {
        "3,000 'Related links:' labels, each before another site's report":
            article + "<div>" + "".join(
                f"<b>Related links:</b><div><a href='https://o{i}.example/x'>Other site report "
                f"number {i}</a></div>" for i in range(3000)) + "</div></article></body></html>",
        "4,000 links to other pages of the story itself (?page=N)": article + "<p>" + " ".join(
            f"<a href='/story?page={i}'>{i}</a>" for i in range(4000))
        + "</p></article></body></html>",
        "a page laid out in one table, 2,000 teaser rows beside the story":
            "<html><body><table><tr><td><div class='inner'><h1>Vote</h1><div class='body'>"
            + PARAGRAPH * 8 + "</div></div></td><td><table>" + "".join(
                f"<tr><td><a href='/n/{i}'>Teaser headline number {i} here</a><p>A short "
                f"summary of teaser {i} for the list.</p></td></tr>" for i in range(2000))
            + "</table></td></tr></table></body></html>",
        "a cloud of 50,000 tag links and a list of 20,000 reports inside the article":
            article + "<div>" + " ".join(f"<a href='/tag/t{i}'>t{i}</a>" for i in range(50_000))
            + "</div><ul>" + "".join(
                f"<li><a href='https://src{i}.example/report'>Report number {i} on the tide"
                "</a></li>" for i in range(20_000)) + "</ul>" + PARAGRAPH * 3
            + "</article></body></html>",
    }


def main() -> int:
    import trafilatura

    from archiver.story.citation_region import select_in_page

    for name, html in cases().items():
        started = time.perf_counter()
        selection = select_in_page(html, "https://news.example/story")
        ours = time.perf_counter() - started
        started = time.perf_counter()
        trafilatura.extract(html, url="https://news.example/story", output_format="xml",
                            include_links=True)
        theirs = time.perf_counter() - started
        print(f"{ours:6.2f} s archiver (extraction and citations, {len(selection.citations)} "
              f"cited), {theirs:6.2f} s trafilatura, {ours / max(theirs, 1e-9):5.1f}x  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
