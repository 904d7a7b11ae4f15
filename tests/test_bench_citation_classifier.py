"""The citation classifier experiment (bench/citation_classifier.py) records, for every link
the story pass judges, the signals it reads without changing what the pass cites; chooses its
operating point by recall; and never puts one site on both sides of a fold."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import citation_classifier  # noqa: E402

from archiver.story.citation_region import select_in_page  # noqa: E402

PAGE = """<!doctype html><html><head><title>Audit</title>
<link rel="canonical" href="https://news.example/2025/audit"></head><body>
<nav><a href="/news/">News</a></nav><article><h1>The audit</h1>
<p>The city's auditor found the meters overbilled homes, <a href="https://audit.example/report.pdf">
according to the report</a> published on Monday, which runs to forty pages of tables.</p>
<p>Other coverage: <a href="https://gazette.example/a">Gazette</a>, <a href="https://radio.example/b">
Valley Radio</a> and <a href="https://tv.example/c">TV9</a>.</p>
<p>Sign up for our newsletter: <a href="/newsletter">the Morning Brief</a>.</p>
<h2>More stories</h2><ul><li><a href="/news/2025/bridge">Bridge closed on the river road</a></li>
<li><a href="/news/2025/rates">Rates go up again for the water</a></li></ul>
</article><footer><a href="/about">About us</a></footer></body></html>"""


def test_recording_the_signals_leaves_the_pass_s_decisions_as_they_are() -> None:
    records = citation_classifier.page_records(PAGE, None, citation_classifier.make_reader_class())
    cited = {record["target"] for record in records if record["rule_cited"]}
    assert cited == {citation.url for citation in select_in_page(PAGE, None).citations}
    assert cited == {"https://audit.example/report.pdf", "https://gazette.example/a",
                     "https://radio.example/b", "https://tv.example/c"}
    by_target = {record["target"]: record for record in records}
    assert set(by_target) >= {"https://news.example/news/", "https://news.example/about",
                              "https://news.example/news/2025/bridge"}
    teaser = by_target["https://news.example/news/2025/bridge"]["features"]
    assert teaser["list_heading"] == 1.0 and teaser["in_list"] == 1.0
    assert teaser["same_site"] == 1.0 and teaser["anchor_whole_block"] == 1.0
    report = by_target["https://audit.example/report.pdf"]["features"]
    assert report["in_main"] == 1.0 and report["same_site"] == 0.0
    assert report["block_link_share"] < 0.3
    assert by_target["https://news.example/about"]["features"]["in_region"] == 0.0
    assert citation_classifier.reason_group(
        by_target["https://news.example/newsletter"]["reason"]) == "promo"


def test_the_operating_point_is_the_highest_threshold_that_keeps_the_recall() -> None:
    pages = [{"expected": ["a", "b", "c", "d"]}, {"expected": ["e"]}]
    scores = [{"a": 0.9, "b": 0.8, "c": 0.4, "d": 0.1, "x": 0.7}, {"e": 0.6, "y": 0.95}]
    threshold = citation_classifier.threshold_for_recall(pages, scores, 0.8)
    assert 0.39 < threshold < 0.4  # four of five labelled URLs: down to "c"
    assert citation_classifier.threshold_for_recall(pages, scores, 1.0) < 0.1
    chosen = [{key for key, score in page.items() if score > threshold} for page in scores]
    found, expected, correct = citation_classifier.count(pages, chosen)
    assert (found, expected, correct) == (6, 5, 4)


def test_no_site_is_on_both_sides_of_a_fold() -> None:
    pages = [{"id": f"p{n}", "site": f"site{n % 7}.example"} for n in range(40)]
    folds = citation_classifier.site_folds(pages, 5)
    assert sorted(index for fold in folds for index in fold) == list(range(40))
    for fold in folds:
        inside = {pages[index]["site"] for index in fold}
        outside = {page["site"] for index, page in enumerate(pages) if index not in fold}
        assert not inside & outside
