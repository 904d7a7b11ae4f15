"""HTML extraction: main text without boilerplate, metadata, main-text links, bad input.

Fixtures are the project's own pages under fixtures/documents/html/ (original texts).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from archiver.extract.html import HtmlExtraction, extract_html
from archiver.extract.html_parse import MAX_ELEMENTS, MAX_MARKUP_CHARS

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "documents" / "html"
STORY_URL = "https://news.example.org/2024/05/14/tidal-mill-vote?ref=home"

STORY_PARAGRAPHS = [
    "Residents of Port Wenlow voted on Tuesday to restore the town's tidal mill",
    "61 per cent of voters backed a plan drawn up by the Friends of Wenlow Mill",
    '"The tide comes in twice a day whether we use it or not," said Ada Brennick',
    "Officers expect a decision by the autumn",
    "Not everyone is convinced. Tomas Veal, who runs the chandlery next door",
]
BOILERPLATE = [
    "We use cookies", "Puzzles", "Share on Chirper", "Email this story", "Related stories",
    "Quay wall repairs", "Ferry timetable", "harbourwatcher", "About time somebody",
    "upkeep once the grant", "All rights reserved", "Privacy policy", "Contact us",
]


def load(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="module")
def story() -> HtmlExtraction:
    return extract_html(load("news_story.html"), STORY_URL)


def test_story_text_is_the_article_only(story: HtmlExtraction) -> None:
    for paragraph in STORY_PARAGRAPHS:
        assert paragraph in story.text
    for junk in BOILERPLATE:
        assert junk not in story.text, junk
    # paragraphs are separated by blank lines; list items and the subheading have own lines
    assert "ever since.\n\nThe parish council" in story.text
    assert "\nWhat happens next\n" in story.text
    assert "wheel pit.\nInstall the turbine" in story.text
    assert not story.text.startswith("Harbour town votes")  # the headline is the title field


def test_story_metadata(story: HtmlExtraction) -> None:
    assert story.title == "Harbour town votes to rebuild its tidal mill"
    assert story.authors == ["Morwenna Pike", "Idris Calloway"]
    assert story.published == "2024-05-14T08:30:00+01:00"
    assert story.modified == "2024-05-15T10:02:00+01:00"
    assert story.canonical_url == "https://news.example.org/2024/05/14/tidal-mill-vote"
    assert story.language == "en-GB"
    assert story.description is not None and story.description.startswith("Residents of Port")
    assert story.site_name == "The Lantern Gazette"
    assert story.opengraph["og:type"] == "article"
    assert story.opengraph["og:image"] == ["https://news.example.org/img/mill-1.jpg",
                                           "https://news.example.org/img/mill-2.jpg"]
    assert story.opengraph["article:tag"] == ["heritage", "energy"]
    assert story.twitter == {"twitter:card": "summary_large_image",
                             "twitter:site": "@lanterngazette",
                             "twitter:title": "Harbour town votes to rebuild its tidal mill"}
    types = [obj.get("@type") for obj in story.json_ld]
    assert types == ["WebSite", "NewsArticle"]  # the @graph is flattened
    assert story.problems == []


def test_story_links_are_the_in_text_links(story: HtmlExtraction) -> None:
    links = [(link.url, link.href, link.text, link.position) for link in story.links]
    assert links == [
        ("https://millfriends.example.net/plan", "https://millfriends.example.net/plan",
         "Friends of Wenlow Mill", 0),
        # relative to <base href>, not to the page URL
        ("https://news.example.org/2024/reports/tidal-survey.pdf", "reports/tidal-survey.pdf",
         "survey published last year", 1),
        ("https://council.example.gov/minutes/2024-05",
         "https://council.example.gov/minutes/2024-05", "minutes of the May meeting", 2),
    ]  # "#notes" (same page) and mailto: are left out, as are nav/related/footer links
    assert story.links[0].sentence == (
        "Instead, 61 per cent of voters backed a plan drawn up by the Friends of Wenlow Mill,"
        " which wants to fit a small turbine to the old wheel pit and sell the electricity to"
        " the harbour.")
    assert story.links[1].sentence == ("She pointed to a survey published last year estimating"
                                       " that the pit could power about forty homes.")
    for link in story.links:
        assert link.text in link.sentence and link.sentence in story.text


def test_to_dict_is_json_ready(story: HtmlExtraction) -> None:
    data = json.loads(json.dumps(story.to_dict()))
    assert data["links"][2]["text"] == "minutes of the May meeting"
    assert set(data) >= {"text", "title", "authors", "published", "modified", "canonical_url",
                         "language", "description", "site_name", "opengraph", "twitter",
                         "json_ld", "links", "problems"}


def test_meta_tags_byline_and_time_without_json_ld() -> None:
    page = extract_html(load("meta_only.html"), "https://quartier.example.fr/abeilles")
    assert page.title == "Les abeilles du toit de la médiathèque"
    assert page.authors == ["Camille Ferrand"]
    assert page.published == "2023-09-07"
    assert page.language == "fr"
    assert page.description is not None and page.description.startswith("Trois ruches")
    assert page.json_ld == [] and page.site_name is None
    assert "douze kilos de miel clair" in page.text
    assert "Accueil" not in page.text and "association loi 1901" not in page.text


def test_byline_in_markup_when_no_meta() -> None:
    html = ("<html><body><article><h1>Night trains return</h1>"
            '<div class="byline">By <a href="/p/ines">Inès Varga</a> · 3 June 2024</div>'
            + "<p>The sleeper service between the two capitals resumes this summer. " * 8
            + "</p></article></body></html>")
    assert extract_html(html).authors == ["Inès Varga"]


def test_malformed_html_is_read_and_bad_json_ld_noted() -> None:
    page = extract_html(load("malformed.html"))
    assert "Second paragraph starts here" in page.text
    assert "Third paragraph after stray closing tags" in page.text
    assert page.json_ld == []
    assert any("JSON-LD block 1 is not valid JSON" in p for p in page.problems)


@pytest.mark.parametrize("html", ["", "   \n", "\x00\x01\x02", "<html></html>",
                                  "<?xml version='1.0'?><a/>", "<html><body><div></div>"])
def test_empty_input_says_no_main_text(html: str) -> None:
    page = extract_html(html)
    assert page.text == ""
    assert "no main text found" in page.problems


@pytest.mark.parametrize("html", ["<<<>>><p", "\ufffd" * 500, "<a href='http://[::1'>x</a>",
                                  "<p>" * 5000, "<script>" * 1000 + "x", "\x00<p>\x00a</p>"])
def test_junk_input_never_raises(html: str) -> None:
    assert isinstance(extract_html(html, "not a url"), HtmlExtraction)


def test_big_page_is_capped_and_fast(tmp_path: Path) -> None:
    article = "".join(f"<p>Paragraph {i} of the opening story about the river ferries and the "
                      "bridges that replaced them, told at length.</p>" for i in range(30))
    filler = '<div class="listing"><a href="/item">Item</a> <span>filler words</span></div>\n'
    path = tmp_path / "big.html"
    with path.open("w", encoding="utf-8") as out:
        out.write(f"<html><head><title>Ferries</title></head><body><article>{article}</article>")
        out.write("<script>" + "var pad = 0;" * 200_000 + "</script>")
        out.write(filler * (50_000_000 // len(filler)))
        out.write("</body></html>")
    html = path.read_text(encoding="utf-8")
    assert len(html) > 50_000_000
    start = time.perf_counter()
    page = extract_html(html, "https://ferries.example.org/")
    elapsed = time.perf_counter() - start
    assert elapsed < 30  # about 3 s on the 2-core development machine
    assert "Paragraph 29 of the opening story" in page.text
    assert any(f"first {MAX_MARKUP_CHARS / 1_000_000:.1f} MB" in p for p in page.problems)
    assert any(f"first {MAX_ELEMENTS:,}" in p for p in page.problems)


def test_non_text_input_is_refused_politely() -> None:
    page = extract_html(b"<p>bytes</p>")  # type: ignore[arg-type]
    assert page.problems == ["input is not text (decode it first)"]
