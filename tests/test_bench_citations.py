"""The citation bench (bench/citation_bench.py) reads an extraction-dev layout, scores archiver
and trafilatura by URL on the same pages, and says where the set is when it is not found."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import lxml.html
import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import citation_bench  # noqa: E402

PAGE = """<!doctype html><html><head><title>Audit</title>
<link rel="canonical" href="https://news.example/2025/audit"></head><body>
<nav><a href="/news/">News</a></nav><article><h1>The audit</h1>
<p>The city's auditor found the meters overbilled homes, <a href="https://audit.example/report.pdf">
according to the report</a> published on Monday, which runs to forty pages of tables.</p>
<p>Other coverage: <a href="https://gazette.example/a">Gazette</a>, <a href="https://radio.example/b">
Valley Radio</a> and <a href="https://tv.example/c">TV9</a>.</p>
<h2>More stories</h2><ul><li><a href="/news/2025/bridge">Bridge closed</a></li>
<li><a href="/news/2025/rates">Rates go up</a></li></ul></article></body></html>"""


def dev_set(root: Path) -> Path:
    (root / "data" / "html" / "demo").mkdir(parents=True)
    (root / "data" / "html" / "demo" / "one.html.gz").write_bytes(gzip.compress(PAGE.encode()))
    (root / "data" / "manifest.jsonl").write_text(json.dumps(
        {"id": "demo/one", "set": "demo", "url": None}) + "\n")
    return root


def test_it_scores_both_tools_on_the_same_pages(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps({"pages": [{
        "id": "demo/one", "set": "demo", "split": "dev", "note": "",
        "citations": ["https://audit.example/report.pdf", "http://gazette.example/a#top",
                      "https://radio.example/b?utm_source=x", "https://tv.example/c"]}]}))
    out = tmp_path / "scores.json"
    assert citation_bench.main(["--dev-set", str(dev_set(tmp_path / "set")), "--labels",
                                str(labels), "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "dev: 1 pages, 4 labelled citations" in printed
    scores = json.loads(out.read_text())["dev"]
    assert scores["archiver"]["recall"] == 1.0 and scores["archiver"]["precision"] == 1.0
    assert set(scores) == {"archiver", "trafilatura", "main-text"}
    assert scores["archiver"]["found"] == 4


def test_a_missing_set_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert citation_bench.main(["--dev-set", str(tmp_path / "nowhere")]) == 2
    assert "no extraction-dev set at" in capsys.readouterr().err


def test_one_source_one_key() -> None:
    key = citation_bench.source_key
    assert key("https://www.example.org/a/?utm_source=x&id=2#p") == key("http://example.org/a?id=2")
    assert key("https://example.org/a?id=2") != key("https://example.org/a?id=3")
    assert key("https://amazon.example/Walnusskernstückchen/dp/B005") == \
        key("https://amazon.example/Walnusskernst%C3%BCckchen/dp/B005")


def test_the_labelling_listing_shows_every_link_with_its_text_around_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """bench/citations/list_links.py, the listing labels are made from: every link once, in
    the page's order, a post rendered by its script included; links of the set's main text
    marked "B" with the sentence around them; menus counted, not shown."""
    sys.path.insert(0, str(BENCH / "citations"))
    import list_links

    root = dev_set(tmp_path / "set")
    page = PAGE.replace("</article>", "<iframe class='twitter-tweet' data-tweet-id="
                        "'1790000000000000002'></iframe></article>")
    (root / "data" / "html" / "demo" / "one.html.gz").write_bytes(gzip.compress(page.encode()))
    (root / "data" / "manifest.jsonl").write_text(json.dumps(
        {"id": "demo/one", "set": "demo", "url": None, "text": "The city's auditor found the "
         "meters overbilled homes, according to the report published on Monday, which runs "
         "to forty pages of tables."}) + "\n")
    assert list_links.main(["--dev-set", str(root), "demo/one"]) == 0
    printed = capsys.readouterr().out
    assert "B [a] https://audit.example/report.pdf" in printed
    assert "around: \"The city's auditor found the meters overbilled homes" in printed
    for url in ("https://gazette.example/a", "https://news.example/news/2025/bridge",
                "https://twitter.com/i/status/1790000000000000002"):
        assert url in printed, url
    assert "https://news.example/news/\n" not in printed
    assert "(1 links inside <nav> not shown" in printed
    assert list_links.main(["--dev-set", str(tmp_path / "nowhere"), "demo/one"]) == 2
    assert list_links.main(["--dev-set", str(root), "demo/two"]) == 2


def test_the_labelling_listing_resolves_links_against_the_pages_base_as_a_browser_does(
        ) -> None:
    sys.path.insert(0, str(BENCH / "citations"))
    import list_links

    tree = lxml.html.fromstring("<html><head><base href='/'></head><body></body></html>")
    assert list_links.address_of(tree, "https://www.thw.example/Meldungen/2021/a.html") == \
        "https://www.thw.example/"
    assert list_links.address_of(lxml.html.fromstring("<p>x</p>"), "https://a.example/b") == \
        "https://a.example/b"


def test_pages_the_dev_set_leaves_out_are_labelled_from_a_set_of_their_own(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """parent_set.py writes the benchmark's pages the development set does not hold, in its
    layout; the bench scores a split found there with --extra-set, and says when a split's
    pages are in no set it was given."""
    sys.path.insert(0, str(BENCH / "citations"))
    import parent_set

    benchmark = tmp_path / "aeb"
    (benchmark / "html").mkdir(parents=True)
    truth = {}
    for name in ("held", "fresh"):
        (benchmark / "html" / f"{name}.html.gz").write_bytes(gzip.compress(PAGE.encode()))
        truth[name] = {"url": f"https://news.example/2025/{name}", "articleBody": "The audit"}
    (benchmark / "ground-truth.json").write_text(json.dumps(truth))
    dev = tmp_path / "dev"
    (dev / "data").mkdir(parents=True)
    (dev / "data" / "manifest.jsonl").write_text(json.dumps({"id": "aeb/held"}) + "\n")
    extra = tmp_path / "extra"
    assert parent_set.main([str(benchmark), str(extra), "--dev-set", str(dev)]) == 0
    assert "1 pages written" in capsys.readouterr().out
    records = [json.loads(line) for line in
               (extra / "data" / "manifest.jsonl").read_text().splitlines()]
    assert [record["id"] for record in records] == ["aeb/fresh"]
    assert (extra / "data" / "html" / "aeb" / "fresh.html.gz").read_bytes() == \
        (benchmark / "html" / "fresh.html.gz").read_bytes()

    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps({"pages": [
        {"id": "aeb/fresh", "set": "aeb", "split": "heldout6", "note": "",
         "citations": ["https://audit.example/report.pdf", "https://gazette.example/a",
                       "https://radio.example/b", "https://tv.example/c"]},
        {"id": "aeb/nowhere", "set": "aeb", "split": "heldout6", "note": "", "citations": []}]}))
    out = tmp_path / "scores.json"
    assert citation_bench.main(["--dev-set", str(dev_set(tmp_path / "set")), "--extra-set",
                                str(extra), "--labels", str(labels), "--json", str(out)]) == 0
    captured = capsys.readouterr()
    assert "heldout6: 1 pages, 4 labelled citations" in captured.out
    assert "heldout6: 1 of its pages are in no set given" in captured.err
    assert json.loads(out.read_text())["heldout6"]["archiver"]["recall"] == 1.0


def test_htmldates_pages_and_hand_labelled_titles_join_the_set(tmp_path: Path) -> None:
    """--htmldate adds one evaluation page a site that the development set leaves out, with
    its URL and date; --titles puts the hand-labelled title (and its other wording) in place
    of upstream's."""
    sys.path.insert(0, str(BENCH / "citations"))
    import parent_set

    benchmark = tmp_path / "aeb"
    (benchmark / "html").mkdir(parents=True)
    (benchmark / "html" / "fresh.html.gz").write_bytes(gzip.compress(PAGE.encode()))
    (benchmark / "ground-truth.json").write_text(json.dumps(
        {"fresh": {"url": "https://news.example/2025/fresh", "articleBody": "The audit"}}))
    htmldate = tmp_path / "htmldate"
    (htmldate / "tests" / "eval").mkdir(parents=True)
    truth = {"https://zeitung.example/a": {"file": "a.html", "date": "2023-11-08"},
             "https://www.zeitung.example/b": {"file": "b.html", "date": "2023-11-09"},
             "https://blog.example/c": {"file": "c.html", "date": "2021-01-02"},
             "https://held.example/d": {"file": "d.html", "date": "2020-05-06"}}
    for entry in truth.values():
        (htmldate / "tests" / "eval" / entry["file"]).write_text(PAGE)
    (htmldate / "tests" / "eval_default.json").write_text(json.dumps(truth))
    dev = tmp_path / "dev"
    (dev / "data").mkdir(parents=True)
    (dev / "data" / "manifest.jsonl").write_text(json.dumps(
        {"id": "htmldate/x", "source_file": "tests/eval/d.html"}) + "\n")
    titles = tmp_path / "titles.json"
    titles.write_text(json.dumps({"pages": [
        {"id": "aeb/fresh", "title": "Audit finds meters misread", "title_alt": "Audit"}]}))
    extra = tmp_path / "extra"
    assert parent_set.main([str(benchmark), str(extra), "--dev-set", str(dev), "--htmldate",
                            str(htmldate), "--titles", str(titles)]) == 0
    records = [json.loads(line) for line in
               (extra / "data" / "manifest.jsonl").read_text().splitlines()]
    assert records[0]["title"] == "Audit finds meters misread"
    assert records[0]["title_alt"] == "Audit"
    pages = [record for record in records if record["set"] == "htmldate"]
    # one page a site; the page the development set holds is left out
    assert sorted(page["url"].split("/")[2].removeprefix("www.") for page in pages) == \
        ["blog.example", "zeitung.example"]
    assert all(page["date"] and (extra / page["file"]).is_file() for page in pages)
