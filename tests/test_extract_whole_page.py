"""A short page that only trafilatura's last resort reads (an error page, a notice) keeps its
blocks apart and its sentences whole: "We could not find that page" / "It may have moved...
Try the front page.", not "...that page It may... Try the front page ."."""

from __future__ import annotations

from pathlib import Path

from archiver.extract.html.extraction import extract_html

SITE = Path(__file__).resolve().parent.parent / "fixtures" / "site"


def test_the_error_page_keeps_its_heading_apart_and_its_sentence_whole() -> None:
    page = (SITE / "errors" / "404.html").read_text("utf-8")
    extraction = extract_html(page, "http://127.0.0.1/missing")
    # The heading is the page's title (its <h1>, which <title> confirms), so the main text,
    # as on every page, starts after it.
    assert extraction.title == "We could not find that page"
    assert extraction.text.split("\n\n") == [
        "It may have moved, or it may never have existed. Try the front page."]


def test_line_breaks_and_nested_blocks_of_a_short_page_are_lines() -> None:
    page = ("<html><head><title>Notice</title></head><body><div><h2>Closed</h2><div>"
            "The office is closed<br>until <b>Monday</b>, 3 March.</div><ul><li>Call us</li>"
            "<li>Write to <a href='/x'>us</a></li></ul></div></body></html>")
    text = extract_html(page, "http://127.0.0.1/notice").text
    assert text.split("\n\n") == ["Closed", "The office is closed", "until Monday, 3 March.",
                                  "Call us", "Write to us"]
