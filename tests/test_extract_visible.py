"""A page's full visible text, kept beside its main text: for search, and for finding a quote
that sits outside the article body (a caption, a comment, a pull quote)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from typer.testing import CliRunner

from archiver.cli import app
from archiver.extract.html.extraction import extract_html
from archiver.extract.html.parse import parse_html
from archiver.extract.html.visible import visible_text

ROOT = Path(__file__).resolve().parent.parent
STORY = ROOT / "fixtures" / "documents" / "html" / "news_story.html"
SCHEMA = json.loads((ROOT / "schemas" / "extraction.schema.json").read_text("utf-8"))
OUTSIDE_THE_ARTICLE = ["We use cookies", "Related stories", "harbourwatcher",
                       "About time somebody did something", "Privacy policy"]


def test_visible_text_holds_what_the_main_text_leaves_out() -> None:
    page = extract_html(STORY.read_text("utf-8"))
    for quote in OUTSIDE_THE_ARTICLE:
        assert quote not in page.text
        assert quote in page.visible_text
    assert "Residents of Port Wenlow voted on Tuesday" in page.visible_text
    assert "window.analytics" not in page.visible_text  # scripts are not text
    assert ".share-bar" not in page.visible_text  # nor styles
    assert not page.visible_text_cut


def test_hidden_things_are_left_out_and_blocks_end_lines() -> None:
    html = ("<html><head><title>Not body text</title></head><body><nav>Home | "
            "<a href=/>News</a></nav><article><h1>Head line</h1><p>First <b>bold</b> "
            "para.</p><p hidden>secret one</p><div style='display: none'>secret two</div>"
            "<span aria-hidden='true'>secret three</span><template><p>secret four</p>"
            "</template><noscript>secret five</noscript><input type=hidden value='secret six'>"
            "<figure><img src=a.png><figcaption>Photo: Water Board</figcaption></figure>"
            "tail after figure</article><aside>Pull <i>quote</i></aside>line<br>break"
            "<ul><li>one</li><li>two</li></ul></body></html>")
    found = visible_text(parse_html(html).tree)
    assert found.text.split("\n") == [
        "Home | News", "Head line", "First bold para.", "Photo: Water Board",
        "tail after figure", "Pull quote", "line", "break", "one", "two"]
    assert "secret" not in found.text


def test_visible_text_is_bounded_and_deep_pages_cost_no_recursion() -> None:
    wide = "<html><body>" + "<p>twelve chars</p>" * 50_000 + "</body></html>"
    found = visible_text(parse_html(wide).tree, limit=1000)
    assert found.cut and len(found.text) <= 1000 and found.text.endswith("twelve chars")
    deep = "<html><body>" + "<div>" * 250 + "deep" + "</div>" * 250 + "</body></html>"
    assert visible_text(parse_html(deep).tree).text == "deep"  # (libxml2 stops at 255)


def test_cli_prints_main_text_by_default_and_visible_text_on_request(tmp_path: Path) -> None:
    runner = CliRunner()
    main = runner.invoke(app, ["extract", str(STORY), "--text"]).stdout
    visible = runner.invoke(app, ["extract", str(STORY), "--visible-text"]).stdout
    assert "harbourwatcher" not in main and "harbourwatcher" in visible
    document = json.loads(runner.invoke(app, ["extract", str(STORY), "--json"]).stdout)[0]
    jsonschema.validate(document, SCHEMA)
    assert "harbourwatcher" in document["html"]["visible_text"]
    out = tmp_path / "out"
    assert runner.invoke(app, ["extract", str(STORY), "-o", str(out)]).exit_code == 0
    (stored,) = out.glob("*.json")
    assert "harbourwatcher" in json.loads(stored.read_text("utf-8"))["html"]["visible_text"]


def test_a_package_keeps_the_visible_text(sample_package: Path) -> None:
    stored = [json.loads(path.read_text("utf-8"))
              for path in (sample_package / "data" / "extract").glob("*.json")]
    pages = [document for document in stored if document["kind"] == "html"]
    assert pages and all(document["text"] is None for document in pages)
    for document in pages:
        jsonschema.validate(document, SCHEMA)
        assert document["html"]["visible_text"]
